package golden

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The check program is a second C file, compiled for the same target and
// mode as the translation unit it extends, whose object holds what the
// compiler itself says about each record, so that nothing depends on
// reading DWARF alone:
//
//   - xb_vals, an array of sizeof, _Alignof and offsetof values;
//   - xb_bf_<i>, one object per bit-field, of the type of the nearest record
//     C can name, with only that bit-field initialized to all ones; its
//     bytes show which bits the bit-field occupies.
//
// Only constants are stored, so the objects need no relocations.

// valuesSymbol is the array of compiler-evaluated constants.
const valuesSymbol = "xb_vals"

// bitSymbolPrefix starts the name of each bit-field object.
const bitSymbolPrefix = "xb_bf_"

// probe is one compiler-evaluated constant of the check program.
type probe struct {
	rec   *recordInfo
	field int    // index of the member of an offsetof probe, else -1
	expr  string // C constant expression
	what  string // for messages: "sizeof", "align", "offsetof(m)"
	want  int64  // what DWARF says; -1 when DWARF has no answer (alignment)
}

// cType returns a C type name for the record, or "" when it has none: a
// record held by an unnamed member cannot be named in C.
func (ri *recordInfo) cType() string {
	if ri.parent == nil {
		if name, ok := strings.CutPrefix(ri.rec.Name, "typedef "); ok {
			return name
		}
		return ri.rec.Name
	}
	if strings.HasPrefix(ri.member, "#") {
		return ""
	}
	return "__typeof__(" + ri.parent.access(ri.member) + strings.Repeat("[0]", ri.dims) + ")"
}

// access returns a C expression for member m of ri. Members of a record
// held by an unnamed member are reached through the nearest named
// ancestor, as C makes them members of it.
func (ri *recordInfo) access(m string) string {
	if ct := ri.cType(); ct != "" {
		return "((" + ct + "*)0)->" + m
	}
	return ri.parent.access(m)
}

// anchor returns the nearest record, ri or an ancestor, that has a C name,
// and ri's offset in it.
func (ri *recordInfo) anchor() (*recordInfo, int64) {
	if ri.cType() != "" {
		return ri, 0
	}
	a, off := ri.parent.anchor()
	return a, off + ri.offset
}

// bitProbe is one bit-field object of the check program.
type bitProbe struct {
	rec    *recordInfo
	field  int         // index of the bit-field in rec
	anchor *recordInfo // nearest record with a C name: the object's type
	base   int64       // rec's byte offset in anchor
}

// checkProgram is the check program's probes, with the line of the first
// value probe (probe i is on line firstLine+i).
type checkProgram struct {
	values    []probe
	bits      []bitProbe
	firstLine int
	source    string
}

// newCheckProgram lists what the compiler is asked about each record:
// size and alignment of every record C can name, the offset of every
// named member that is not a bit-field (offsetof rejects those), counted
// from the nearest record C can name, and the bits of every bit-field.
func newCheckProgram(tu string, recs []*recordInfo) *checkProgram {
	cp := &checkProgram{}
	for _, ri := range recs {
		if ct := ri.cType(); ct != "" {
			cp.values = append(cp.values,
				probe{ri, -1, "sizeof(" + ct + ")", "sizeof", ri.rec.Size},
				probe{ri, -1, "_Alignof(" + ct + ")", "align", -1})
		}
		a, base := ri.anchor()
		for i, f := range ri.rec.Fields {
			switch {
			case strings.HasPrefix(f.Name, "#"):
			case f.BitSize != nil:
				cp.bits = append(cp.bits, bitProbe{ri, i, a, base})
			default:
				cp.values = append(cp.values, probe{ri, i, "offsetof(" + a.cType() + ", " + f.Name + ")", "offsetof(" + f.Name + ")", base + f.Offset})
			}
		}
	}

	var b strings.Builder
	b.WriteString(tu)
	b.WriteString("\nconst unsigned long long " + valuesSymbol + "[] = {\n")
	cp.firstLine = strings.Count(b.String(), "\n") + 1
	for _, p := range cp.values {
		fmt.Fprintf(&b, "\t%s, /* %s: %s */\n", p.expr, p.rec.rec.Name, p.what)
	}
	if len(cp.values) == 0 {
		b.WriteString("\t0,\n")
	}
	b.WriteString("};\n\n")
	for i, p := range cp.bits {
		// -1 sets every bit of a signed or unsigned bit-field.
		fmt.Fprintf(&b, "const %s %s%d = { .%s = -1 }; /* %s */\n",
			p.anchor.cType(), bitSymbolPrefix, i, p.rec.rec.Fields[p.field].Name, p.rec.rec.Name)
	}
	cp.source = b.String()
	return cp
}

// hiddenBitFields finds, in the compiler's complaints about the check
// program, the offsetof probes that name bit-fields. Clang 14's DWARF
// gives a bit-field as wide as its declared type (uint8_t v:8) no
// bit-field attributes at all, so it reads as a plain member; offsetof
// rejects it, which tells them apart. It returns the value probes' indexes,
// or nil unless every error is of that kind.
func (cp *checkProgram) hiddenBitFields(stderr string) []int {
	var idx []int
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "check.c:")
		if !ok || !strings.Contains(rest, "error:") {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(rest, "%d:", &n); err != nil {
			return nil
		}
		i := n - cp.firstLine
		if i < 0 || i >= len(cp.values) || cp.values[i].field < 0 || !strings.Contains(rest, "bit-field") {
			return nil
		}
		idx = append(idx, i)
	}
	return idx
}

// apply reads the check program's object, checks the compiler's values
// against DWARF, fills in alignments and the position of bit-fields that
// DWARF did not give. Every disagreement is reported.
func (cp *checkProgram) apply(f *elf.File) error {
	if f.ByteOrder != binary.LittleEndian {
		return errors.New("big-endian objects are not supported")
	}
	syms, err := f.Symbols()
	if err != nil {
		return fmt.Errorf("read symbols: %w", err)
	}
	bySym := make(map[string]elf.Symbol, len(syms))
	for _, s := range syms {
		bySym[s.Name] = s
	}
	n := max(len(cp.values), 1)
	data, err := symbolData(f, bySym, valuesSymbol, int64(8*n))
	if err != nil {
		return err
	}
	var errs []error
	for i, p := range cp.values {
		v := int64(f.ByteOrder.Uint64(data[8*i:]))
		switch {
		case p.want >= 0 && v != p.want:
			errs = append(errs, fmt.Errorf("%s: %s is %d, but DWARF says %d", p.rec.rec.Name, p.what, v, p.want))
		case p.want < 0 && (v <= 0 || v&(v-1) != 0):
			errs = append(errs, fmt.Errorf("%s: %s is %d, not a power of two", p.rec.rec.Name, p.what, v))
		case p.want < 0:
			p.rec.rec.Align = v
		}
	}
	for i, p := range cp.bits {
		fl := &p.rec.rec.Fields[p.field]
		data, err := symbolData(f, bySym, fmt.Sprintf("%s%d", bitSymbolPrefix, i), p.anchor.rec.Size)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: field %s: %w", p.rec.rec.Name, fl.Name, err))
			continue
		}
		lo, size, ok := setBits(data)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: field %s: the set bits are not one run (% x)", p.rec.rec.Name, fl.Name, data))
			continue
		}
		lo -= 8 * p.base
		switch {
		case fl.BitOffset == nil: // a bit-field DWARF did not show
			fl.BitOffset, fl.BitSize, fl.Offset = &lo, &size, lo/8
		case *fl.BitOffset != lo || *fl.BitSize != size:
			errs = append(errs, fmt.Errorf("%s: field %s: bits %d:%d, but DWARF says %d:%d", p.rec.rec.Name, fl.Name, lo, size, *fl.BitOffset, *fl.BitSize))
		}
	}
	return errors.Join(errs...)
}

// symbolData returns the size bytes of the data of symbol name.
func symbolData(f *elf.File, syms map[string]elf.Symbol, name string, size int64) ([]byte, error) {
	s, ok := syms[name]
	if !ok {
		return nil, fmt.Errorf("no symbol %s", name)
	}
	if s.Section == elf.SHN_UNDEF || int(s.Section) >= len(f.Sections) {
		return nil, fmt.Errorf("symbol %s: bad section %d", name, s.Section)
	}
	sec := f.Sections[s.Section]
	if sec.Type == elf.SHT_NOBITS {
		return make([]byte, size), nil
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("symbol %s: section %s: %w", name, sec.Name, err)
	}
	if s.Size != uint64(size) || s.Value+s.Size > uint64(len(data)) {
		return nil, fmt.Errorf("symbol %s: %d bytes at %d in %s (%d bytes), want %d", name, s.Size, s.Value, sec.Name, len(data), size)
	}
	return data[s.Value : s.Value+s.Size], nil
}

// setBits returns the first set bit of a little-endian bit string and the
// number of set bits, and whether the set bits form one non-empty run.
func setBits(data []byte) (lo, n int64, ok bool) {
	lo = -1
	for i, b := range data {
		for j := range 8 {
			if b&(1<<j) == 0 {
				continue
			}
			bit := int64(8*i + j)
			switch {
			case lo < 0:
				lo = bit
			case bit != lo+n:
				return 0, 0, false
			}
			n++
		}
	}
	return lo, n, lo >= 0
}
