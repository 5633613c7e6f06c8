package emit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"
)

// packedSpec is a packed line: an integer Xen returns with fields packed
// into its bits (XENVER_version's major:minor), given a Go type with a
// method per field and a String.
type packedSpec struct {
	file   string
	line   int
	name   string // the Go type
	under  string // uint8 ... uint64
	fields []packedField
	// format is String's text: field names and the literal text between
	// them ("major", ".", "minor").
	format []string
}

// packedField is FIELD=HI:LO of a packed line.
type packedField struct {
	name   string
	hi, lo int
}

// parsePacked parses the words after "packed".
func parsePacked(file string, line int, f []string) (*packedSpec, error) {
	const usage = "want: packed GOTYPE UINTTYPE FIELD=HI:LO... string=TEXT"
	if len(f) < 4 || CheckGoName(f[0]) != nil || !unicode.IsUpper(rune(f[0][0])) || !goIntTypes[f[1]] || !strings.HasPrefix(f[1], "uint") {
		return nil, fmt.Errorf("%s", usage)
	}
	p := &packedSpec{file: file, line: line, name: f[0], under: f[1]}
	width, _ := strconv.Atoi(strings.TrimPrefix(p.under, "uint"))
	var used uint64
	format := ""
	for _, w := range f[2:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%s: %s", w, usage)
		}
		if k == "string" {
			format = v
			continue
		}
		a, b, ok := strings.Cut(v, ":")
		hi, err1 := strconv.Atoi(a)
		lo, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || lo < 0 || hi < lo || hi >= width {
			return nil, fmt.Errorf("%s: bits HI:LO within the %d bits of %s, HI >= LO", w, width, p.under)
		}
		bits := (uint64(1)<<(hi-lo+1) - 1) << lo
		if used&bits != 0 {
			return nil, fmt.Errorf("%s: overlaps another field", w)
		}
		used |= bits
		p.fields = append(p.fields, packedField{name: k, hi: hi, lo: lo})
	}
	if len(p.fields) == 0 || format == "" {
		return nil, fmt.Errorf("%s", usage)
	}
	// Split the format into field names and the text between them.
	for format != "" {
		i := strings.IndexFunc(format, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
		if i == 0 {
			j := strings.IndexFunc(format, func(r rune) bool { return unicode.IsLetter(r) || r == '_' })
			if j < 0 {
				j = len(format)
			}
			p.format = append(p.format, format[:j])
			format = format[j:]
			continue
		}
		if i < 0 {
			i = len(format)
		}
		word := format[:i]
		if p.field(word) == nil {
			return nil, fmt.Errorf("string=: %s is not a field", word)
		}
		p.format = append(p.format, word)
		format = format[i:]
	}
	return p, nil
}

func (p *packedSpec) field(name string) *packedField {
	for i := range p.fields {
		if p.fields[i].name == name {
			return &p.fields[i]
		}
	}
	return nil
}

// goType is the smallest unsigned Go type holding the field.
func (f packedField) goType() string {
	switch n := f.hi - f.lo + 1; {
	case n <= 8:
		return "uint8"
	case n <= 16:
		return "uint16"
	case n <= 32:
		return "uint32"
	}
	return "uint64"
}

func (f packedField) method() string {
	return strings.ToUpper(f.name[:1]) + f.name[1:]
}

// buildPacked adds the packed types the wrappers returned (cmds: the
// commands returning each, for the doc).
func (b *callBuilder) buildPacked(cmds map[string][]string) {
	for _, p := range b.spec.packed {
		if len(cmds[p.name]) == 0 {
			continue
		}
		var parts []string
		for _, f := range p.fields {
			parts = append(parts, fmt.Sprintf("%s (bits %d-%d)", f.name, f.hi, f.lo))
		}
		doc := []string{fmt.Sprintf("%s is what %s returns: %s.", p.name, strings.Join(cmds[p.name], " and "), strings.Join(parts, ", "))}
		code := jen.Type().Id(p.name).Id(p.under)
		for _, f := range p.fields {
			mask := uint64(1)<<(f.hi-f.lo+1) - 1
			v := jen.Id("v")
			if f.lo > 0 {
				v = jen.Id("v").Op(">>").Lit(f.lo)
			}
			code.Line().Line().Comment(fmt.Sprintf("%s returns the %s field of v, bits %d-%d.", f.method(), f.name, f.hi, f.lo)).Line().
				Func().Params(jen.Id("v").Id(p.name)).Id(f.method()).Params().Id(f.goType()).Block(
				jen.Return(jen.Id(f.goType()).Call(v.Op("&").Id(fmt.Sprintf("%#x", mask)))))
		}
		var expr *jen.Statement
		for _, part := range p.format {
			var e jen.Code = jen.Lit(part)
			if f := p.field(part); f != nil {
				e = jen.Qual("strconv", "FormatUint").Call(jen.Uint64().Call(jen.Id("v").Dot(f.method()).Call()), jen.Lit(10))
			}
			if expr == nil {
				expr = jen.Add(e)
			} else {
				expr = expr.Op("+").Add(e)
			}
		}
		code.Line().Line().Comment(fmt.Sprintf("String returns v as %s, in decimal.", strings.Join(p.format, ""))).Line().
			Func().Params(jen.Id("v").Id(p.name)).Id("String").Params().String().Block(jen.Return(expr))
		b.add(p.name, doc, code)
	}
}

// entrySpec is an entry line: the element type of a handle of void that
// the headers describe only in words (XENMEM_memory_map's "same format as
// returned by the BIOS INT 0x15 EAX=0xE820 call"), as SIZE bytes with
// fields at byte offsets, in the host's byte order.
type entrySpec struct {
	file   string
	line   int
	name   string
	size   int
	fields []entryField
}

// entryField is FIELD=OFFSET:UINTTYPE of an entry line.
type entryField struct {
	name  string
	off   int
	typ   string // uint8 ... uint64
	bytes int
}

func (s *callSpec) entry(name string) *entrySpec {
	for _, e := range s.entries {
		if e.name == name {
			return e
		}
	}
	return nil
}

// parseEntry parses the words after "entry".
func parseEntry(file string, line int, f []string) (*entrySpec, error) {
	const usage = "want: entry GOTYPE SIZE FIELD=OFFSET:UINTTYPE..."
	if len(f) < 3 || CheckGoName(f[0]) != nil || !unicode.IsUpper(rune(f[0][0])) {
		return nil, fmt.Errorf("%s", usage)
	}
	size, err := strconv.Atoi(f[1])
	if err != nil || size <= 0 {
		return nil, fmt.Errorf("%s: bad size %q", usage, f[1])
	}
	e := &entrySpec{file: file, line: line, name: f[0], size: size}
	used := make([]bool, size)
	for _, w := range f[2:] {
		k, v, ok := strings.Cut(w, "=")
		a, typ, ok2 := strings.Cut(v, ":")
		off, err := strconv.Atoi(a)
		if !ok || !ok2 || k == "" || err != nil || !goIntTypes[typ] || !strings.HasPrefix(typ, "uint") {
			return nil, fmt.Errorf("%s: %s", w, usage)
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(typ, "uint"))
		fl := entryField{name: k, off: off, typ: typ, bytes: n / 8}
		if off < 0 || off+fl.bytes > size {
			return nil, fmt.Errorf("%s: beyond the %d bytes of the entry", w, size)
		}
		for i := off; i < off+fl.bytes; i++ {
			if used[i] {
				return nil, fmt.Errorf("%s: overlaps another field", w)
			}
			used[i] = true
		}
		e.fields = append(e.fields, fl)
	}
	return e, nil
}

// buildEntries adds the entry types the wrappers' handles hold (cmds:
// the commands using each, for the doc).
func (b *callBuilder) buildEntries(cmds map[string][]string) {
	for _, e := range b.spec.entries {
		if len(cmds[e.name]) == 0 {
			continue
		}
		var parts []string
		for _, f := range e.fields {
			parts = append(parts, fmt.Sprintf("%s (bytes %d-%d)", f.name, f.off, f.off+f.bytes-1))
		}
		doc := []string{
			fmt.Sprintf("%s is an element of the buffer of %s: %d bytes, %s, in the host's byte order.", e.name, strings.Join(cmds[e.name], " and "), e.size, strings.Join(parts, ", ")),
			"",
			"Its layout is not in the headers (their text describes it); it comes from " + specName + ".",
		}
		code := jen.Type().Id(e.name).Index(jen.Lit(e.size)).Byte()
		for _, f := range e.fields {
			m := strings.ToUpper(f.name[:1]) + f.name[1:]
			bo := func(fn string) *jen.Statement { return jen.Qual("encoding/binary", "NativeEndian").Dot(fn) }
			var get, set jen.Code
			part := jen.Id("e").Index(jen.Lit(f.off), jen.Lit(f.off+f.bytes))
			switch f.bytes {
			case 1:
				get = jen.Id("e").Index(jen.Lit(f.off))
				set = jen.Id("e").Index(jen.Lit(f.off)).Op("=").Id("v")
			default:
				get = bo(fmt.Sprintf("Uint%d", f.bytes*8)).Call(part)
				set = bo(fmt.Sprintf("PutUint%d", f.bytes*8)).Call(jen.Id("e").Index(jen.Lit(f.off), jen.Lit(f.off+f.bytes)), jen.Id("v"))
			}
			code.Line().Line().Comment(fmt.Sprintf("%s returns the %s field (bytes %d-%d).", m, f.name, f.off, f.off+f.bytes-1)).Line().
				Func().Params(jen.Id("e").Id(e.name)).Id(m).Params().Id(f.typ).Block(jen.Return(get))
			code.Line().Line().Comment(fmt.Sprintf("Set%s sets the %s field.", m, f.name)).Line().
				Func().Params(jen.Id("e").Op("*").Id(e.name)).Id("Set" + m).Params(jen.Id("v").Id(f.typ)).Block(set)
		}
		b.add(e.name, doc, code)
	}
}
