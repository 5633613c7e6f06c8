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

// TestAgainstGCCOnXen420 compares the layout engine with gcc on the pinned
// Xen 4.20 tree, in tools mode, for the headers of generated/xen420: every
// record on all four targets, compiled now (no goldens are kept for 4.20).
// This is what the compile-time guards of generated/xen420 rest on, and
// what proves createdomain's altp2m_opts at offset 48 and the later
// members 4 bytes further than in 4.17.
func TestAgainstGCCOnXen420(t *testing.T) {
	d, ok := headers.PinnedXen("4.20")
	if !ok {
		t.Fatal("no pinned Xen 4.20 tree in headers/manifest.txt")
	}
	dir, err := headers.XenTree(d)
	if err != nil {
		t.Fatalf("pinned Xen 4.20 tree: %v", err)
	}
	includes := []string{"xen.h", "memory.h", "grant_table.h", "version.h", "event_channel.h", "sched.h", "vcpu.h", "physdev.h", "hvm/hvm_op.h", "hvm/params.h", "domctl.h", "sysctl.h"}
	records := 0
	for _, target := range parser.Targets {
		c, err := golden.FindCompiler(golden.GCC, target)
		if err != nil {
			t.Fatalf("%s: %v (make deps installs the cross compilers)", target, err)
		}
		want, err := golden.Compile(t.Context(), c, dir, parser.Tools, includes)
		if err != nil {
			t.Fatalf("%s: gcc: %v", target, err)
		}
		u, err := parser.Parse(parser.Config{Tree: os.DirFS(dir), TreeName: "xen-4.20", Target: target, Mode: parser.Tools, Includes: includes})
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		l, err := layout.Compute(u)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if diffs := golden.Compare(want, l.Records()); len(diffs) > 0 {
			if len(diffs) > 20 {
				diffs = append(diffs[:20], "...")
			}
			t.Errorf("%s: the layout engine disagrees with gcc on Xen 4.20:\n%s", target, strings.Join(diffs, "\n"))
		}
		for _, r := range want {
			if r.Name != "struct xen_domctl_createdomain" {
				continue
			}
			for _, f := range r.Fields {
				if f.Name == "altp2m_opts" && f.Offset != 48 {
					t.Errorf("%s: gcc puts altp2m_opts at %d, want 48", target, f.Offset)
				}
			}
		}
		records += len(want)
	}
	t.Logf("%d records over 4 targets agree with gcc", records)
}
