package golden

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/parser"
)

// TestDiscover finds the headers of testdata/apart that compile after its
// xen.h.
func TestDiscover(t *testing.T) {
	c := compiler(t, GCC, parser.X86_64)
	got, err := Discover(t.Context(), c, "testdata/apart", parser.Tools)
	if err != nil {
		t.Fatal(err)
	}
	want := HeaderSet{
		Headers:  []string{"xen.h", "a.h", "b.h", "c.h"},
		Excluded: []Exclusion{{"sub/d.h", `sub/d.h:1:2: error: #error "does not compile on its own"`}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover = %+v, want %+v", got, want)
	}
}

// TestCompileApart compiles headers that clash when combined: each is
// compiled after xen.h on its own and the records are merged.
func TestCompileApart(t *testing.T) {
	for _, fam := range Families {
		t.Run(string(fam), func(t *testing.T) {
			c := compiler(t, fam, parser.ARM32)
			recs, err := Compile(t.Context(), c, "testdata/apart", parser.Tools, []string{"xen.h", "a.h", "b.h"})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range recs {
				names = append(names, r.Name)
			}
			want := []string{"struct base", "struct only_a", "struct only_b", "struct shared"}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("records %v, want %v", names, want)
			}

			_, err = Compile(t.Context(), c, "testdata/apart", parser.Tools, []string{"xen.h", "a.h", "c.h"})
			if err == nil || !strings.Contains(err.Error(), "struct shared differs in the units of a.h and c.h: struct shared: size 8, want 2") {
				t.Errorf("clashing layouts: error %v", err)
			}
		})
	}
}

// TestCompileBadInput checks that bad requests are errors, not panics.
func TestCompileBadInput(t *testing.T) {
	c := compiler(t, GCC, parser.X86_64)
	tests := []struct {
		name    string
		tree    string
		mode    parser.Mode
		headers []string
		want    string
	}{
		{"header outside the tree", "testdata/apart", parser.Tools, []string{"../fixture.h"}, "bad header name"},
		{"quote in a header name", "testdata/apart", parser.Tools, []string{`a".h`}, "bad header name"},
		{"missing header", "testdata/apart", parser.Tools, []string{"xen.h", "nope.h"}, "nope.h"},
		{"guest mode without xen-compat.h", "testdata/apart", parser.Guest, []string{"xen.h"}, "interface version"},
		{"unknown mode", "testdata/apart", parser.Mode("kernel"), []string{"xen.h"}, "unknown mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(t.Context(), c, tt.tree, tt.mode, tt.headers)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := FindCompiler(GCC, parser.Target("pdp11")); err == nil {
		t.Error("FindCompiler accepted an unknown target")
	}
}
