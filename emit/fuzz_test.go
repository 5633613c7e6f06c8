package emit

import (
	"go/ast"
	"go/build/constraint"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xenbind/xenbind/layout"
	cparser "github.com/xenbind/xenbind/parser"
)

// fuzzLimits keep one fuzz input's C front end small and short, so that
// a fuzzer on two cores neither stalls nor grows past 1 GB.
const (
	fuzzTimeout = time.Second
	fuzzMemory  = 256 << 20
)

// FuzzGen feeds arbitrary header text through the whole generator: parse
// for every target, lay out, emit the host package. The output must
// type-check for every GOARCH, or the input must be refused with an
// error. The seed corpus is testdata/fuzz/FuzzGen plus the goldens'
// headers.
func FuzzGen(f *testing.F) {
	f.Add("struct s { int a; char b[3]; long c; };\n#define X 1\n")
	f.Add("union u { unsigned long long q; struct { int lo, hi; }; };\nenum e { A = -1, B = 0x7fffffff };\n")
	f.Add("typedef struct { char c; } t;\ntypedef t t2[4];\nstruct h { t2 x; int y:3; };\n")
	if paths, err := filepath.Glob(filepath.Join("..", "golden", "gen", "*.txtar")); err == nil {
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				if _, h, ok := strings.Cut(string(b), "-- xen.h --\n"); ok {
					h, _, _ = strings.Cut(h, "\n-- ")
					f.Add(h)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		tree := fstest.MapFS{"xen.h": {Data: []byte(src)}}
		ls, err := layout.ForTargets(cparser.Config{Tree: tree, TreeName: "f", Mode: cparser.Tools, Timeout: fuzzTimeout, Memory: fuzzMemory}, cparser.Targets)
		if err != nil {
			return
		}
		files, _, err := Host(ls, Options{Package: "p", Invocation: "xenbind gen"})
		if err != nil {
			return
		}
		for _, goarch := range []string{"386", "amd64", "arm", "arm64"} {
			if err := fullTypeCheck(files, goarch); err != nil {
				t.Fatalf("GOARCH=%s: output does not type-check: %v\ninput:\n%s", goarch, err, src)
			}
		}
	})
}

var (
	importOnce sync.Once
	goImporter types.Importer
)

// fullTypeCheck type-checks the generated files that build for goarch with
// the real imported packages (read from source), where emit's own check
// (typecheck.go) stands them in with stubs.
func fullTypeCheck(files []File, goarch string) error {
	importOnce.Do(func() { goImporter = importer.ForCompiler(token.NewFileSet(), "source", nil) })
	fset := token.NewFileSet()
	var asts []*ast.File
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") || strings.HasSuffix(f.Name, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f.Name, f.Data, parser.ParseComments)
		if err != nil {
			return err
		}
		if !buildsFor(af, goarch) {
			continue
		}
		asts = append(asts, af)
	}
	conf := types.Config{Importer: goImporter, Sizes: types.SizesFor("gc", goarch)}
	_, err := conf.Check("p", fset, asts, nil)
	return err
}

// buildsFor evaluates a file's //go:build line for linux/goarch.
func buildsFor(f *ast.File, goarch string) bool {
	for _, g := range f.Comments {
		if g.Pos() > f.Package {
			break
		}
		for _, c := range g.List {
			if constraint.IsGoBuild(c.Text) {
				x, err := constraint.Parse(c.Text)
				if err != nil {
					return false
				}
				return x.Eval(func(tag string) bool { return tag == goarch || tag == "linux" || tag == "unix" })
			}
		}
	}
	return true
}

// FuzzConfig feeds arbitrary config text to ParseConfig and, when it is
// accepted, to the generator with a small header: bad config must come
// back as an error naming the file, never a panic. The seed corpus is
// testdata/fuzz/FuzzConfig.
func FuzzConfig(f *testing.F) {
	f.Add("rename struct point Pt\nskip XENMEM_*\nconsttype XENMEM_ XenMem uint32\n")
	f.Add("rename struct point A\nrename OTHER A\n")
	f.Add("# comment only\n\n   \t\n")
	f.Add("skip typedef point_t\nrename enum colour Colour\nrename RED Red\n")
	tree := fstest.MapFS{"xen.h": {Data: []byte(configHeader)}}
	var ls []*layout.Layout
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseConfig("c.conf", []byte(text))
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "c.conf:") {
					t.Fatalf("error line does not name the file: %q", line)
				}
			}
			return
		}
		if ls == nil {
			if ls, err = layout.ForTargets(cparser.Config{Tree: tree, TreeName: "t", Mode: cparser.Tools}, []cparser.Target{cparser.X86_64}); err != nil {
				t.Fatal(err)
			}
		}
		files, _, err := Host(ls, Options{Package: "p", Config: cfg})
		if err != nil {
			return
		}
		if err := fullTypeCheck(files, "amd64"); err != nil {
			t.Fatalf("config %q: output does not type-check: %v", text, err)
		}
	})
}

// TestFullTypeCheckFails: the fuzz targets' check can fail, and it sees the
// generated package's imports.
func TestFullTypeCheckFails(t *testing.T) {
	bad := []File{{Name: "a.go", Data: []byte("package p\n\nvar x int = \"s\"\n")}}
	if err := fullTypeCheck(bad, "amd64"); err == nil {
		t.Fatal("a type error passed")
	}
	files, _, err := Host(configLayouts(t), Options{Package: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fullTypeCheck(files, "arm"); err != nil {
		t.Fatal(err)
	}
	files = append(files, File{Name: "zz_arm.go", Data: []byte("//go:build arm\n\npackage p\n\nvar _ = Point{}.Nope\n")})
	if err := fullTypeCheck(files, "arm"); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("got %v", err)
	}
	if err := fullTypeCheck(files, "amd64"); err != nil {
		t.Fatalf("an arm file was checked for amd64: %v", err)
	}
}
