package emit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"testing"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	cparser "github.com/xenbind/xenbind/parser"
)

// TestGoTypesMatchCompilers computes, with go/types for each GOARCH, the
// size and field offsets of every generated struct of the pinned headers
// (-include all, tools mode) and compares them with what gcc and clang say
// (the compiler goldens). It also counts the types Go aligns below C, which
// a user's struct embedding one would place differently from C: that is
// logged, not yet fixed (see the issue-9 note: the sync/atomic alignment
// field makes go vet's copylocks fire on every copy).
func TestGoTypesMatchCompilers(t *testing.T) {
	if testing.Short() {
		t.Skip("parses every header for four targets")
	}
	dir, err := headers.Tree()
	if err != nil {
		t.Fatal(err)
	}
	layouts, err := layout.ForTargets(cparser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: cparser.Tools, Includes: []string{cparser.AllHeaders}}, cparser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(layouts, Options{Package: "xen", Invocation: "test"})
	g.assignNames()
	files, _, err := Host(layouts, Options{Package: "xen", Invocation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for ti, target := range cparser.Targets {
		goarch := layouts[ti].ABI.GOARCH
		fset := token.NewFileSet()
		var set []*ast.File
		for _, f := range files {
			if a := fileGOARCH(f.Name); a == "" || a == goarch {
				af, err := parser.ParseFile(fset, f.Name, f.Data, 0)
				if err != nil {
					t.Fatal(err)
				}
				set = append(set, af)
			}
		}
		im := newStubImporter()
		sizes := types.SizesFor("gc", goarch)
		conf := types.Config{Importer: im, Sizes: sizes, Error: func(error) {}}
		pkg, _ := conf.Check("xen", fset, set, nil)
		cc := compilerLayouts(t, target, false)
		checked, below := 0, 0
		for _, r := range layouts[ti].Unit().Records {
			want, ok := cc[r.Name]
			name := g.names.name(r.Name)
			if !ok || name == "" || r.Parent != nil {
				continue
			}
			obj := pkg.Scope().Lookup(name)
			if obj == nil {
				continue
			}
			typ := obj.Type()
			if got := sizes.Sizeof(typ); got != want.Size {
				t.Errorf("%s: %s (%s): go/types size %d, C %d", target, name, r.Name, got, want.Size)
			}
			if a := sizes.Alignof(typ); a < want.Align {
				below++
			}
			st, ok := typ.Underlying().(*types.Struct)
			if !ok {
				continue
			}
			var fields []*types.Var
			for i := range st.NumFields() {
				fields = append(fields, st.Field(i))
			}
			offs := sizes.Offsetsof(fields)
			for i, f := range fields {
				for _, cf := range want.Fields {
					if cf.BitOffset == nil && goName(cf.Name) == f.Name() && offs[i] != cf.Offset {
						t.Errorf("%s: %s.%s: go/types offset %d, C %d", target, name, f.Name(), offs[i], cf.Offset)
					}
				}
			}
			checked++
		}
		if checked < 100 {
			t.Errorf("%s: only %d types checked", target, checked)
		}
		t.Logf("%s (GOARCH %s): %d types checked against the compilers; %d aligned below C by Go", target, goarch, checked, below)
	}
}
