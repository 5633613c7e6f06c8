package layout_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/golden"
	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

var update = flag.Bool("update", false, "rewrite testdata/fixture-*.txt from gcc (checked against clang)")

// fixtureDir holds the project's own edge-case header.
func fixtureDir() string { return filepath.Join(headers.Fixtures(), "layout") }

func fixturePath(t parser.Target) string {
	return filepath.Join("testdata", "fixture-"+string(t)+".txt")
}

func engineFixture(t *testing.T, target parser.Target) []layout.Record {
	t.Helper()
	u, err := parser.Parse(parser.Config{Tree: os.DirFS(fixtureDir()), Target: target, Mode: parser.Tools})
	if err != nil {
		t.Fatal(err)
	}
	l, err := layout.Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	return l.Records()
}

// TestFixture compares the engine with the compilers' layouts of the
// edge-case header, kept in testdata so that it runs without compilers.
func TestFixture(t *testing.T) {
	for _, target := range parser.Targets {
		f, err := os.Open(fixturePath(target))
		if err != nil {
			t.Fatalf("%v (run go test ./layout -run Fixture -update with the compilers installed)", err)
		}
		g, err := golden.Parse(fixturePath(target), f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if diffs := golden.Compare(g.Records, engineFixture(t, target)); diffs != nil {
			t.Errorf("%s: the engine disagrees with %s:\n%s", target, strings.Join(g.Compilers, ", "), strings.Join(diffs, "\n"))
		}
	}
}

// TestFixtureCompilers checks testdata against live gcc and clang, and
// rewrites it with -update.
func TestFixtureCompilers(t *testing.T) {
	for _, target := range parser.Targets {
		var got [][]layout.Record
		var names []string
		for _, fam := range golden.Families {
			c, err := golden.FindCompiler(fam, target)
			var me *golden.MissingError
			if errors.As(err, &me) {
				t.Skipf("%v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			recs, err := golden.Compile(t.Context(), c, fixtureDir(), parser.Tools, []string{"xen.h"})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, recs)
			names = append(names, string(c.Family)+" "+c.Version)
		}
		if diffs := golden.Compare(got[0], got[1]); diffs != nil {
			t.Errorf("%s: %s and %s disagree:\n%s", target, names[0], names[1], strings.Join(diffs, "\n"))
			continue
		}
		file := &golden.File{Set: "fixture", Target: target, Mode: parser.Tools, Headers: []string{"xen.h"}, Records: got[0],
			Compilers: []string{names[0] + " (wrote it)", names[1] + " (agrees)"}}
		if *update {
			if err := os.WriteFile(fixturePath(target), file.Format(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := os.Open(fixturePath(target))
		if err != nil {
			t.Fatal(err)
		}
		want, err := golden.Parse(fixturePath(target), f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if diffs := golden.Compare(want.Records, got[0]); diffs != nil {
			t.Errorf("%s: testdata is stale against %s (go test ./layout -run Fixture -update):\n%s", target, names[0], strings.Join(diffs, "\n"))
		}
	}
}
