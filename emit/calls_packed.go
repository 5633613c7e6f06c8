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
