package parser

import (
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

// TestWireRoundTrip fills every field of an encUnit, and of everything it
// holds, with a value other than the zero value (found by reflection, so a
// field added later is filled too), and checks that the wire encoding
// gives it back. A field the writer or the reader forgets fails here.
func TestWireRoundTrip(t *testing.T) {
	var e encUnit
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n, 0)
	w := wireWriter{}
	w.unit(&e)
	r := wireReader{b: w.b}
	got := r.unit()
	if r.bad || len(r.b) != 0 {
		t.Fatalf("reading back: bad %v, %d bytes left", r.bad, len(r.b))
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, e)
	}
	// Zero values take the fewest bytes: a unit of one zero element in
	// every list reads back too (the reader's bounds on lengths allow it).
	var z encUnit
	zeroElems(reflect.ValueOf(&z).Elem())
	zw := wireWriter{}
	zw.unit(&z)
	zr := wireReader{b: zw.b}
	if got := zr.unit(); zr.bad || len(zr.b) != 0 || !reflect.DeepEqual(got, z) {
		t.Fatalf("a unit of zero values does not read back (bad %v)", zr.bad)
	}
	// Every proper prefix of the bytes is refused, never read as a unit.
	for i := 0; i < len(w.b); i++ {
		r := wireReader{b: w.b[:i]}
		r.unit()
		if !r.bad {
			t.Fatalf("a prefix of %d of %d bytes reads as a whole unit", i, len(w.b))
		}
	}
}

// fill sets v, and everything it holds, to values that differ from the
// zero value and from each other (n counts up).
func fill(v reflect.Value, n *int, depth int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n, depth)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n, depth)
		}
		v.Set(s)
	case reflect.Pointer:
		if depth > 2 { // a LayoutExpr's X and Y: two levels are enough
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n, depth+1)
		v.Set(p)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(-*n))
	case reflect.Uint8, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	default:
		panic("fill: add a case for " + v.Type().String())
	}
}

// zeroElems gives every slice reachable from v one element, of zero
// values but for its own slices.
func zeroElems(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			zeroElems(v.Field(i))
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		if e := s.Index(0); e.Kind() == reflect.Pointer {
			e.Set(reflect.New(e.Type().Elem()))
		}
		zeroElems(s.Index(0))
		v.Set(s)
	case reflect.Pointer:
		if !v.IsNil() {
			zeroElems(v.Elem())
		}
	}
}

// TestWireMinimums: the reader's bound on each list's length assumes an
// element takes at least so many bytes; a zero value takes exactly that.
func TestWireMinimums(t *testing.T) {
	size := func(f func(w *wireWriter)) int {
		var w wireWriter
		f(&w)
		return len(w.b)
	}
	tests := []struct {
		name string
		min  int
		f    func(w *wireWriter)
	}{
		{"macro", minMacro, func(w *wireWriter) { w.macro(&encMacro{}) }},
		{"annotation", minAnnotation, func(w *wireWriter) { w.pos(Pos{}); w.strs(nil) }},
		{"layout check", minLayoutCheck, func(w *wireWriter) { w.str(""); w.pos(Pos{}); w.uses(nil) }},
		{"record", minRecord, func(w *wireWriter) { w.record(&encRecord{}) }},
		{"member", minMember, func(w *wireWriter) { w.record(&encRecord{Members: []encMember{{}}}) }},
		{"typedef", minTypedef, func(w *wireWriter) {
			w.unit(&encUnit{TypedefTab: []encTypedef{{}}})
		}},
		{"enum", minEnum, func(w *wireWriter) { w.unit(&encUnit{EnumTab: []Enum{{}}}) }},
		{"enumerator", minEnumerator, func(w *wireWriter) { w.enumerator(&Enumerator{}) }},
		{"type", minType, func(w *wireWriter) { w.unit(&encUnit{TypeTab: []encType{{}}}) }},
		{"layout use", minLayoutUse, func(w *wireWriter) { w.uses([]encLayoutUse{{}}) }},
	}
	emptyUnit := size(func(w *wireWriter) { w.unit(&encUnit{}) })
	emptyRecord := size(func(w *wireWriter) { w.record(&encRecord{}) })
	for _, tt := range tests {
		n := size(tt.f)
		switch tt.name {
		case "typedef", "enum", "type":
			n -= emptyUnit
		case "member":
			n -= emptyRecord
		case "layout use":
			n-- // the length
		}
		if n != tt.min {
			t.Errorf("a zero %s takes %d bytes, the reader assumes at least %d", tt.name, n, tt.min)
		}
	}
}

// FuzzDecodeUnit: any bytes decode to a unit or errBadEncoding, never a
// panic; a unit's own encoding decodes to the same model.
func FuzzDecodeUnit(f *testing.F) {
	// A small unit of every kind of declaration (seeds of a whole tree's
	// size make the fuzzer crawl).
	src := "/** doc */\nstruct s { int a : 3; union { char c; long l; } u; struct s *next; } __attribute__((aligned(8)));\n" +
		"typedef struct s s_t;\nenum e { E1 = 1, E2 = -2 };\n#define M (sizeof(struct s) * 2 + 1)\n#define F(x) ((x) + 1)\n#define S \"str\"\n" +
		"/*\n * `hypercall long op(int cmd)\n */\n_Static_assert(sizeof(struct s) > 8, \"s\");\n"
	for _, target := range []Target{X86_64, ARM32} {
		// In this process: a fuzzing worker that starts parser children
		// for its seeds crawls.
		u, err := parseHere(Config{Tree: fstest.MapFS{"xen.h": {Data: []byte(src)}}, Target: target, Mode: Tools}, time.Minute)
		if err != nil {
			f.Fatal(err)
		}
		b, err := encodeUnit(u)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	cfg := Config{TreeName: "xen"}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeUnit(data, &cfg)
		if err != nil {
			if err != errBadEncoding {
				t.Fatalf("error %v, want errBadEncoding", err)
			}
			return
		}
		b, err := encodeUnit(u)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := decodeUnit(b, &cfg)
		if err != nil {
			t.Fatalf("a decoded unit's encoding does not decode: %v", err)
		}
		a, c := *u, *u2
		a.display, c.display = nil, nil
		if !reflect.DeepEqual(&a, &c) {
			t.Fatal("decoding a decoded unit's encoding gives another unit")
		}
	})
}
