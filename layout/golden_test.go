package layout_test

import (
	"os"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/golden"
	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// TestAgainstCompilers compares the layout engine with what gcc and clang
// say (golden/layouts): size, alignment, and every member's offset, size
// and bit position, for every record, on all four targets in both modes,
// for the three main headers and for every header that parses on its own.
func TestAgainstCompilers(t *testing.T) {
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	tree := os.DirFS(dir)
	for _, set := range []string{"three", "all"} {
		var records, members int
		for _, target := range parser.Targets {
			for _, mode := range parser.Modes {
				want := mustLoad(t, set, target, mode)
				u, err := parser.Parse(parser.Config{Tree: tree, TreeName: "xen", Target: target, Mode: mode, Includes: want.headers})
				if err != nil {
					t.Fatalf("%s %s/%s: %v", set, target, mode, err)
				}
				l, err := layout.Compute(u)
				if err != nil {
					t.Fatalf("%s %s/%s: %v", set, target, mode, err)
				}
				got := l.Records()
				if diffs := golden.Compare(want.records, got); len(diffs) > 0 {
					if len(diffs) > 20 {
						diffs = append(diffs[:20], "...")
					}
					t.Errorf("%s %s/%s: the layout engine disagrees with the compilers:\n%s", set, target, mode, strings.Join(diffs, "\n"))
				}
				records += len(want.records)
				for _, r := range want.records {
					members += len(r.Fields)
				}
			}
		}
		t.Logf("%s: %d records, %d members over 8 target/mode pairs", set, records, members)
	}
}

type goldenFile struct {
	headers []string
	records []layout.Record
}

func mustLoad(t *testing.T, set string, target parser.Target, mode parser.Mode) goldenFile {
	t.Helper()
	h, recs, err := golden.Load(set, target, mode)
	if err != nil {
		t.Fatal(err)
	}
	return goldenFile{h, recs}
}

// TestStandaloneMatchesCompilers checks that -include all picks the headers
// gcc compiles on their own.
func TestStandaloneMatchesCompilers(t *testing.T) {
	dir, err := headers.Tree()
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range parser.Targets {
		for _, mode := range parser.Modes {
			want := mustLoad(t, "all", target, mode)
			got, err := parser.Standalone(os.DirFS(dir), target, mode)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(want.headers, " ") {
				t.Errorf("%s/%s: Standalone =\n%v\ngcc compiles on their own:\n%v", target, mode, got, want.headers)
			}
		}
	}
}
