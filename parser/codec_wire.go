package parser

import (
	"encoding/binary"
	"math"
)

// The bytes of an encUnit. Every value is written in field order: integers
// as varints (signed) or uvarints, bools as one byte, strings and slices
// as a uvarint length and their elements, a pointer as a presence byte and
// its value. Nothing names a field: the reader reads exactly what the
// writer wrote, and codecVersion changes with either. encoding/gob did
// this before, at three to four times the CPU time (reflection per value),
// which a cold gen paid twice per target, in the child and in xenbind.
//
// TestWireRoundTrip fills every field of encUnit, reached by reflection,
// and checks that it comes back: a field added to the model's encoding
// and not here fails it.

type wireWriter struct{ b []byte }

func (w *wireWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wireWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }

func (w *wireWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *wireWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wireWriter) strs(s []string) {
	w.uint(uint64(len(s)))
	for _, v := range s {
		w.str(v)
	}
}

func (w *wireWriter) ints(s []int) {
	w.uint(uint64(len(s)))
	for _, v := range s {
		w.int(int64(v))
	}
}

func (w *wireWriter) pos(p Pos) {
	w.str(p.File)
	w.int(int64(p.Line))
	w.int(int64(p.Col))
}

func (w *wireWriter) unit(e *encUnit) {
	w.int(int64(e.Version))
	w.str(string(e.Target))
	w.str(string(e.Mode))
	w.strs(e.Includes)
	w.str(string(e.Dialect))
	w.ints(e.Records)
	w.ints(e.Typedefs)
	w.ints(e.Enums)
	w.uint(uint64(len(e.Macros)))
	for i := range e.Macros {
		w.macro(&e.Macros[i])
	}
	w.uint(uint64(len(e.Annotations)))
	for _, a := range e.Annotations {
		w.pos(a.Pos)
		w.strs(a.Lines)
	}
	w.uint(uint64(len(e.LayoutChecks)))
	for _, c := range e.LayoutChecks {
		w.str(c.What)
		w.pos(c.Pos)
		w.uses(c.Uses)
	}
	w.uint(uint64(len(e.RecordTab)))
	for i := range e.RecordTab {
		w.record(&e.RecordTab[i])
	}
	w.uint(uint64(len(e.TypedefTab)))
	for _, t := range e.TypedefTab {
		w.str(t.Name)
		w.int(int64(t.Type))
		w.pos(t.Pos)
		w.str(t.Doc)
		w.str(t.Header)
	}
	w.uint(uint64(len(e.EnumTab)))
	for _, en := range e.EnumTab {
		w.str(en.Tag)
		w.uint(uint64(len(en.Enumerators)))
		for _, v := range en.Enumerators {
			w.enumerator(v)
		}
		w.pos(en.Pos)
		w.str(en.Doc)
		w.str(en.Header)
	}
	w.uint(uint64(len(e.EnumVals)))
	for _, vals := range e.EnumVals {
		w.uint(uint64(len(vals)))
		for i := range vals {
			w.enumerator(&vals[i])
		}
	}
	w.uint(uint64(len(e.EnumDefined)))
	for _, d := range e.EnumDefined {
		w.bool(d)
	}
	w.uint(uint64(len(e.TypeTab)))
	for _, t := range e.TypeTab {
		w.int(int64(t.Kind))
		w.int(int64(t.Elem))
		w.int(int64(t.Record))
		w.int(int64(t.Enum))
		w.int(int64(t.Typedef))
		w.int(t.Len)
		w.int(t.Aligned)
		w.bool(t.Const)
		w.bool(t.Volatile)
	}
}

func (w *wireWriter) enumerator(v *Enumerator) {
	w.str(v.Name)
	w.int(v.Value)
	w.pos(v.Pos)
	w.str(v.Doc)
}

func (w *wireWriter) record(r *encRecord) {
	w.int(int64(r.Kind))
	w.str(r.Tag)
	w.str(r.Name)
	w.int(int64(r.Parent))
	w.strs(r.Aliases)
	w.bool(r.Defined)
	w.uint(uint64(len(r.Members)))
	for _, m := range r.Members {
		w.str(m.Name)
		w.int(int64(m.Type))
		w.int(m.BitWidth)
		w.int(m.Aligned)
		w.bool(m.Packed)
		w.pos(m.Pos)
		w.str(m.Doc)
	}
	w.int(r.Aligned)
	w.bool(r.Packed)
	w.int(r.Pack)
	w.pos(r.Pos)
	w.str(r.Doc)
	w.str(r.Header)
}

func (w *wireWriter) macro(m *encMacro) {
	w.str(m.Name)
	w.bool(m.FuncLike)
	w.strs(m.Params)
	w.str(m.Text)
	w.b = append(w.b, m.ValueKind)
	w.int(m.Int)
	w.uint(m.Uint)
	w.uint(math.Float64bits(m.Float))
	w.str(m.Str)
	w.str(m.CType)
	w.pos(m.Pos)
	w.str(m.Doc)
	w.str(m.Header)
	w.uses(m.Layout)
	w.bool(m.Whole)
	w.expr(m.Expr)
	w.str(m.NoValue)
}

func (w *wireWriter) uses(us []encLayoutUse) {
	w.uint(uint64(len(us)))
	for _, u := range us {
		w.int(int64(u.Op))
		w.int(int64(u.Type))
		w.strs(u.Member)
		w.int(u.Value)
	}
}

func (w *wireWriter) expr(x *LayoutExpr) {
	w.bool(x != nil)
	if x == nil {
		return
	}
	w.str(x.Op)
	w.uint(x.Value)
	w.int(int64(x.Use))
	w.int(x.Size)
	w.bool(x.Signed)
	w.expr(x.X)
	w.expr(x.Y)
}

// wireReader reads what wireWriter wrote. The first malformed value
// (truncated bytes, a length past the end, an expression nested past
// maxExprDepth) sets bad; every read after it returns zero values.
type wireReader struct {
	b   []byte
	bad bool
}

// maxExprDepth bounds the nesting of a decoded LayoutExpr: the bytes come
// from the cache or a child, but are read as untrusted all the same.
const maxExprDepth = 10000

func (r *wireReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) fail() {
	r.bad = true
	r.b = nil
}

func (r *wireReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// The fewest bytes an element of each list takes (TestWireMinimums
// measures them).
const (
	minMacro       = 19
	minAnnotation  = 4
	minLayoutCheck = 5
	minRecord      = 15
	minMember      = 9
	minTypedef     = 7
	minEnum        = 7
	minEnumerator  = 6
	minType        = 9
	minLayoutUse   = 4
)

// count reads a length of elements that each take at least min bytes:
// a length the bytes left cannot hold is malformed, so that corrupt bytes
// never make the reader allocate more than a small multiple of their size.
func (r *wireReader) count(min uint64) int {
	n := r.uint()
	if n > uint64(len(r.b))/min {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *wireReader) str() string {
	n := r.count(1)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wireReader) strs() []string {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = r.str()
	}
	return s
}

func (r *wireReader) ints() []int {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	s := make([]int, n)
	for i := range s {
		s[i] = int(r.int())
	}
	return s
}

func (r *wireReader) pos() Pos {
	return Pos{File: r.str(), Line: int(r.int()), Col: int(r.int())}
}

func (r *wireReader) unit() encUnit {
	var e encUnit
	e.Version = int(r.int())
	e.Target = Target(r.str())
	e.Mode = Mode(r.str())
	e.Includes = r.strs()
	e.Dialect = Dialect(r.str())
	e.Records = r.ints()
	e.Typedefs = r.ints()
	e.Enums = r.ints()
	if n := r.count(minMacro); n > 0 {
		e.Macros = make([]encMacro, n)
		for i := range e.Macros {
			r.macro(&e.Macros[i])
		}
	}
	if n := r.count(minAnnotation); n > 0 {
		e.Annotations = make([]Annotation, n)
		for i := range e.Annotations {
			e.Annotations[i] = Annotation{Pos: r.pos(), Lines: r.strs()}
		}
	}
	if n := r.count(minLayoutCheck); n > 0 {
		e.LayoutChecks = make([]encLayoutCheck, n)
		for i := range e.LayoutChecks {
			e.LayoutChecks[i] = encLayoutCheck{What: r.str(), Pos: r.pos(), Uses: r.uses()}
		}
	}
	if n := r.count(minRecord); n > 0 {
		e.RecordTab = make([]encRecord, n)
		for i := range e.RecordTab {
			r.record(&e.RecordTab[i])
		}
	}
	if n := r.count(minTypedef); n > 0 {
		e.TypedefTab = make([]encTypedef, n)
		for i := range e.TypedefTab {
			e.TypedefTab[i] = encTypedef{Name: r.str(), Type: int(r.int()), Pos: r.pos(), Doc: r.str(), Header: r.str()}
		}
	}
	if n := r.count(minEnum); n > 0 {
		e.EnumTab = make([]Enum, n)
		for i := range e.EnumTab {
			en := &e.EnumTab[i]
			en.Tag = r.str()
			if n := r.count(minEnumerator); n > 0 {
				en.Enumerators = make([]*Enumerator, n)
				for j := range en.Enumerators {
					v := r.enumerator()
					en.Enumerators[j] = &v
				}
			}
			en.Pos = r.pos()
			en.Doc = r.str()
			en.Header = r.str()
		}
	}
	if n := r.count(1); n > 0 {
		e.EnumVals = make([][]Enumerator, n)
		for i := range e.EnumVals {
			if n := r.count(minEnumerator); n > 0 {
				e.EnumVals[i] = make([]Enumerator, n)
				for j := range e.EnumVals[i] {
					e.EnumVals[i][j] = r.enumerator()
				}
			}
		}
	}
	if n := r.count(1); n > 0 {
		e.EnumDefined = make([]bool, n)
		for i := range e.EnumDefined {
			e.EnumDefined[i] = r.bool()
		}
	}
	if n := r.count(minType); n > 0 {
		e.TypeTab = make([]encType, n)
		for i := range e.TypeTab {
			t := &e.TypeTab[i]
			t.Kind = Kind(r.int())
			t.Elem = int(r.int())
			t.Record = int(r.int())
			t.Enum = int(r.int())
			t.Typedef = int(r.int())
			t.Len = r.int()
			t.Aligned = r.int()
			t.Const = r.bool()
			t.Volatile = r.bool()
		}
	}
	return e
}

func (r *wireReader) enumerator() Enumerator {
	return Enumerator{Name: r.str(), Value: r.int(), Pos: r.pos(), Doc: r.str()}
}

func (r *wireReader) record(er *encRecord) {
	er.Kind = RecordKind(r.int())
	er.Tag = r.str()
	er.Name = r.str()
	er.Parent = int(r.int())
	er.Aliases = r.strs()
	er.Defined = r.bool()
	if n := r.count(minMember); n > 0 {
		er.Members = make([]encMember, n)
		for i := range er.Members {
			er.Members[i] = encMember{Name: r.str(), Type: int(r.int()), BitWidth: r.int(), Aligned: r.int(),
				Packed: r.bool(), Pos: r.pos(), Doc: r.str()}
		}
	}
	er.Aligned = r.int()
	er.Packed = r.bool()
	er.Pack = r.int()
	er.Pos = r.pos()
	er.Doc = r.str()
	er.Header = r.str()
}

func (r *wireReader) macro(m *encMacro) {
	m.Name = r.str()
	m.FuncLike = r.bool()
	m.Params = r.strs()
	m.Text = r.str()
	m.ValueKind = r.byte()
	m.Int = r.int()
	m.Uint = r.uint()
	m.Float = math.Float64frombits(r.uint())
	m.Str = r.str()
	m.CType = r.str()
	m.Pos = r.pos()
	m.Doc = r.str()
	m.Header = r.str()
	m.Layout = r.uses()
	m.Whole = r.bool()
	m.Expr = r.expr(0)
	m.NoValue = r.str()
}

func (r *wireReader) uses() []encLayoutUse {
	n := r.count(minLayoutUse)
	if n == 0 {
		return nil
	}
	us := make([]encLayoutUse, n)
	for i := range us {
		us[i] = encLayoutUse{Op: LayoutOp(r.int()), Type: int(r.int()), Member: r.strs(), Value: r.int()}
	}
	return us
}

func (r *wireReader) expr(depth int) *LayoutExpr {
	if !r.bool() {
		return nil
	}
	if depth > maxExprDepth {
		r.fail()
		return nil
	}
	x := &LayoutExpr{Op: r.str(), Value: r.uint(), Use: int(r.int()), Size: r.int(), Signed: r.bool()}
	x.X = r.expr(depth + 1)
	x.Y = r.expr(depth + 1)
	return x
}
