package emit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// guardSource is a package with guard statements: the first two of the
// guard function stay for go/types, the rest are checkGuards'.
func guardSource(stmts ...string) []File {
	src := `package p

import (
	"structs"
	"unsafe"
)

type Inner struct {
	A uint8
	B uint64
}

type Rec struct {
	_ structs.HostLayout
	X uint16
	Inner
	P *Inner
	Y [3]uint32
}

type Num uint32

type Arr [5]uint16

type Ptr *Rec

type Gen[T any] struct{ V T }

func (r Rec) M() {}

func _() {
	var x [1]struct{}
	_ = x[unsafe.Sizeof(Num(0))-4]
	_ = x[unsafe.Sizeof(Arr{})-10]
` + "\t" + strings.Join(stmts, "\n\t") + `
}
`
	return []File{{Name: "ztypes.go", Data: []byte(src)}}
}

// goTypesVerdict checks files with go/types alone, guards and all.
func goTypesVerdict(t *testing.T, files []File, goarch string) error {
	t.Helper()
	fset := token.NewFileSet()
	var asts []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(fset, f.Name, f.Data, 0)
		if err != nil {
			t.Fatal(err)
		}
		asts = append(asts, af)
	}
	var first error
	conf := types.Config{Importer: newStubImporter(), Sizes: types.SizesFor("gc", goarch), Error: func(err error) {
		if first == nil {
			first = err
		}
	}}
	conf.Check("p", fset, asts, nil)
	return first
}

// TestLayoutGuards: checkGuards accepts and refuses exactly the guard
// statements go/types does, on every GOARCH.
func TestLayoutGuards(t *testing.T) {
	for _, tt := range []struct {
		stmt string
		// want is part of the error on amd64 ("" when it compiles).
		want string
	}{
		{"_ = x[unsafe.Sizeof(Rec{})-48]", ""},
		{"_ = x[unsafe.Sizeof(Rec{})-40]", "layout guard fails: unsafe.Sizeof(Rec{}) is 48, not 40"},
		{"_ = x[unsafe.Sizeof(Rec{})-56]", "not 56"},
		{"_ = x[unsafe.Alignof(Rec{})-8]", ""},
		{"_ = x[unsafe.Alignof(Rec{})-4]", "unsafe.Alignof(Rec{}) is 8, not 4"},
		{"_ = x[unsafe.Offsetof(Rec{}.X)-0]", ""},
		{"_ = x[unsafe.Offsetof(Rec{}.Inner)-8]", ""},
		{"_ = x[unsafe.Offsetof(Rec{}.B)-16]", ""}, // promoted through Inner
		{"_ = x[unsafe.Offsetof(Rec{}.B)-8]", "unsafe.Offsetof(Rec{}.B) is 16, not 8"},
		{"_ = x[unsafe.Offsetof(Rec{}.Y)-32]", ""},
		{"_ = x[unsafe.Offsetof(Rec{}.Y)-0x20]", ""},
		{"_ = x[unsafe.Offsetof(Rec{}.Z)-0]", "not a field"},
		{"_ = x[unsafe.Offsetof(Rec{}.M)-0]", "not a field"},
		{"_ = x[unsafe.Sizeof(Missing{})-1]", "undefined: Missing"},
		{"_ = x[unsafe.Sizeof(Ptr{})-8]", "invalid composite literal type Ptr"},
		{"_ = x[unsafe.Sizeof(Rec(0))-48]", "cannot convert 0 to type Rec"},
		{"_ = x[unsafe.Sizeof(Gen{})-8]", "generic type Gen"},
		{"_ = x[unsafe.Sizeof(Num{})-4]", "invalid composite literal type Num"},
		{"_ = x[unsafe.Sizeof(uint64(0))-8]", ""},
		{"_ = x[unsafe.Sizeof(Inner{})-16]", ""},
		// Not of the form checkGuards takes: go/types checks the function.
		{"_ = x[unsafe.Sizeof(Rec{}) - 48 + 0]", ""},
		{"_ = x[(unsafe.Sizeof(Rec{}))-40]", "out of bounds"},
		{"y := 1\n\t_ = y", ""},
	} {
		files := guardSource(tt.stmt, "_ = x[unsafe.Sizeof(Inner{})-16]")
		for _, goarch := range goarches {
			ours := typeCheck(files, []string{goarch})
			theirs := goTypesVerdict(t, files, goarch)
			if (ours == nil) != (theirs == nil) {
				t.Errorf("%s on %s: typeCheck says %v, go/types %v", tt.stmt, goarch, ours, theirs)
			}
		}
		err := typeCheck(files, []string{"amd64"})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.stmt, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one saying %q", tt.stmt, err, tt.want)
		case tt.want != "" && !strings.Contains(err.Error(), "ztypes.go:"):
			t.Errorf("%s: error %v has no position", tt.stmt, err)
		}
	}
}

// TestSplitGuards: the statements taken from go/types are those of the
// guard form, in a function starting with var x [1]struct{}, after its
// first guard.
func TestSplitGuards(t *testing.T) {
	fset := token.NewFileSet()
	files := guardSource("_ = x[unsafe.Sizeof(Rec{})-48]", "_ = x[unsafe.Offsetof(Rec{}.Y)-32]")
	af, err := parser.ParseFile(fset, "z.go", files[0].Data, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, guards := splitGuards([]*ast.File{af})
	if len(guards[0]) != 3 {
		t.Fatalf("%d guards taken, want 3: %v", len(guards[0]), guards[0])
	}
	if got := guards[0][2].String(); got != "unsafe.Offsetof(Rec{}.Y)" || guards[0][2].want != 32 {
		t.Errorf("last guard %s - %d", got, guards[0][2].want)
	}
	fd := out[0].Decls[len(out[0].Decls)-1].(*ast.FuncDecl)
	if len(fd.Body.List) != 2 {
		t.Errorf("guard function keeps %d statements, want 2", len(fd.Body.List))
	}
	if orig := af.Decls[len(af.Decls)-1].(*ast.FuncDecl); len(orig.Body.List) != 5 {
		t.Errorf("the parsed file was changed: %d statements", len(orig.Body.List))
	}
	// An import's name as the type: go/types checks the whole function.
	src := strings.Replace(string(files[0].Data), "type Num uint32", "type Num uint32\n\ntype unsafe2 struct{}", 1)
	src = strings.Replace(src, "_ = x[unsafe.Sizeof(Rec{})-48]", "_ = x[unsafe.Sizeof(structs{})-0]", 1)
	af, err = parser.ParseFile(fset, "y.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, guards := splitGuards([]*ast.File{af}); guards[0] != nil {
		t.Errorf("guards taken from a function using an import's name as a type: %v", guards[0])
	}
	if err := typeCheck([]File{{Name: "y.go", Data: []byte(src)}}, []string{"amd64"}); err == nil {
		t.Errorf("structs{}: %v", err)
	}
}
