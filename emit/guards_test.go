package emit

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
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

// TestGuardText: a guard written as text (appendGuards) reads as the same
// guard rendered by jennifer and formatted in its function, and the file
// stays gofmt-clean.
func TestGuardText(t *testing.T) {
	guards := []guard{
		{typ: "Rec", want: 48},
		{typ: "Rec", align: true, want: 8},
		{typ: "Rec", field: "Y", want: 32},
		{typ: "Rec", field: "X", want: 0},
		{typ: "Num", numeric: true, want: 4},
		{typ: "Num", numeric: true, align: true, want: 4},
		{typ: "VeryLongTypeNameForAnAnonymousUnion123", field: "SomeMember_2", want: 123456789},
	}
	f := jen.NewFile("p")
	f.ImportName("unsafe", "unsafe")
	body := []jen.Code{jen.Var().Id("x").Index(jen.Lit(1)).Struct()}
	for _, gd := range guards {
		body = append(body, guardExpr(gd))
	}
	f.Func().Id("_").Params().Block(body...)
	want, _, err := renderJen(token.NewFileSet(), "z.go", f)
	if err != nil {
		t.Fatal(err)
	}
	f = jen.NewFile("p")
	f.ImportName("unsafe", "unsafe")
	f.Func().Id("_").Params().Block(jen.Var().Id("x").Index(jen.Lit(1)).Struct(), guardExpr(guards[0]))
	first, _, err := renderJen(token.NewFileSet(), "z.go", f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendGuards("z.go", first.Data, guards[1:])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Data) {
		t.Errorf("appendGuards:\n%s\njennifer and go/format:\n%s", got, want.Data)
	}
	if _, err := appendGuards("z.go", []byte("package p\n"), guards); err == nil {
		t.Error("appendGuards after no function: no error")
	}
}

// TestTextGuardsChecked: the guards a file's tree lacks (written as text
// after formatting) are checked too.
func TestTextGuardsChecked(t *testing.T) {
	files := guardSource("_ = x[unsafe.Sizeof(Rec{})-48]")
	fset, asts, err := parseFiles(files, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		g    guard
		want string
	}{
		{guard{typ: "Rec", want: 48}, ""},
		{guard{typ: "Rec", field: "Y", want: 32}, ""},
		{guard{typ: "Rec", want: 40}, "layout guard fails: unsafe.Sizeof(Rec{}) is 48, not 40"},
		{guard{typ: "Num", numeric: true, align: true, want: 2}, "unsafe.Alignof(Num(0)) is 4, not 2"},
	} {
		parsed := &parsedFiles{fset: fset, names: fileNames(files), asts: asts, guards: [][]layoutGuard{{{guard: tt.g}}}}
		err := typeCheckParsed(files, parsed, []string{"amd64"})
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.g, err, tt.want)
		}
	}
}
