package parser

import (
	"reflect"
	"testing"
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
