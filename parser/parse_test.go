package parser

import (
	"os"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/headers"
)

// tree returns the pinned header tree, fetching it if needed.
func tree(t testing.TB) string {
	t.Helper()
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	return dir
}

func parse(t testing.TB, target Target, mode Mode, includes ...string) *Unit {
	t.Helper()
	dir := tree(t)
	u, err := Parse(Config{Tree: os.DirFS(dir), TreeName: "xen", Target: target, Mode: mode, Includes: includes})
	if err != nil {
		t.Fatalf("%s/%s: %v", target, mode, err)
	}
	return u
}

func TestParseThreeHeaders(t *testing.T) {
	for _, target := range Targets {
		for _, mode := range Modes {
			u := parse(t, target, mode, DefaultIncludes...)
			if len(u.Records) < 100 || len(u.Macros) < 300 || len(u.Typedefs) < 50 {
				t.Errorf("%s/%s: %d records, %d typedefs, %d macros: too few", target, mode, len(u.Records), len(u.Typedefs), len(u.Macros))
			}
			if u.Record("struct xen_memory_reservation") == nil {
				t.Errorf("%s/%s: no struct xen_memory_reservation", target, mode)
			}
		}
	}
}

func TestDump(t *testing.T) {
	if os.Getenv("XENBIND_DUMP") == "" {
		t.Skip("set XENBIND_DUMP=1 to print the model")
	}
	u := parse(t, ARM32, Guest, DefaultIncludes...)
	for _, r := range u.Records {
		t.Logf("%s %s (%s) pack=%d aligned=%d doc=%q", r.Kind, r.Name, r.Pos, r.Pack, r.Aligned, first(r.Doc))
		for _, m := range r.Members {
			t.Logf("    %s %s bits=%d aligned=%d doc=%q", m.Type, m.Name, m.BitWidth, m.Aligned, first(m.Doc))
		}
	}
	for _, m := range u.Macros[:40] {
		t.Logf("macro %s = %v (%s) %q", m.Name, m.Value, m.CType, m.Text)
	}
}

func first(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
