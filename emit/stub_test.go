package emit

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hypercallDir is runtime/hypercall's source, which hypercall.stub is
// made from.
const hypercallDir = "../runtime/hypercall"

// TestHypercallStubNotStale makes the stand-in of runtime/hypercall from
// its source again and compares it with hypercall.stub: a change of the
// runtime's API fails here until the stub is rewritten with
// `go test ./emit -run HypercallStub -update`.
func TestHypercallStubNotStale(t *testing.T) {
	want, err := makeStub(hypercallDir, build.Context{GOOS: "linux", GOARCH: "amd64", Compiler: "gc"})
	if err != nil {
		t.Fatal(err)
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile("hypercall.stub", want, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal([]byte(stubSources[hypercallPkg]), want) {
		t.Errorf("hypercall.stub is stale: runtime/hypercall's API changed; rewrite it with `go test ./emit -run HypercallStub -update`")
	}
}

// TestHypercallStubSameAPI type-checks the stand-in and the real package
// and compares every exported declaration: the stub declares exactly the
// runtime's exported API, with the same types.
func TestHypercallStubSameAPI(t *testing.T) {
	im := newStubImporter()
	stub, err := im.Import(hypercallPkg)
	if err != nil {
		t.Fatal(err)
	}
	real := checkSource(t, hypercallDir, hypercallPkg)
	compareAPI(t, stub, real, true)
}

// TestStdStubsSameAPI compares the stand-ins of standard packages with
// the real packages: each name a stub declares exists in the real package,
// with the same type (for a type: the same exported methods).
func TestStdStubsSameAPI(t *testing.T) {
	im := newStubImporter()
	for path := range stubSources {
		if path == hypercallPkg {
			continue
		}
		stub, err := im.Import(path)
		if err != nil {
			t.Fatal(err)
		}
		real, err := importer.Default().Import(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		compareAPI(t, stub, real, false)
	}
}

// TestStubsCoverEmit: every qualified name the emitter writes
// (jen.Qual("path", "Name") in this package's source) is declared by the
// stand-in of its package, so that the check of real output cannot fail
// for a name the stubs forgot.
func TestStubsCoverEmit(t *testing.T) {
	im := newStubImporter()
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Qual" {
				return true
			}
			var path string
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				path, _ = strconv.Unquote(a.Value)
			case *ast.Ident:
				if a.Name != "hypercallPkg" {
					t.Errorf("%s: Qual of package %s: add it to TestStubsCoverEmit", name, a.Name)
					return true
				}
				path = hypercallPkg
			default:
				return true
			}
			var names []string
			switch a := call.Args[1].(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(a.Value)
				names = []string{s}
			case *ast.BinaryExpr: // "Float"+bits+"frombits"
				for _, bits := range []string{"32", "64"} {
					s := ""
					ast.Inspect(a, func(n ast.Node) bool {
						switch n := n.(type) {
						case *ast.BasicLit:
							v, _ := strconv.Unquote(n.Value)
							s += v
						case *ast.Ident:
							s += bits
						}
						return true
					})
					names = append(names, s)
				}
			default:
				t.Errorf("%s: Qual(%q, %T): cannot tell the name", name, path, call.Args[1])
				return true
			}
			pkg, err := im.Import(path)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return true
			}
			for _, s := range names {
				n++
				if pkg.Scope().Lookup(s) == nil {
					t.Errorf("%s: the stand-in of %s does not declare %s", name, path, s)
				}
			}
			return true
		})
	}
	if n < 30 {
		t.Errorf("found only %d qualified names in the emitter", n)
	}
}

// checkSource type-checks the package in dir (its files for linux/amd64)
// from source, importing others from export data.
func checkSource(t *testing.T, dir, path string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	files, err := sourceFiles(dir, build.Context{GOOS: "linux", GOARCH: "amd64", Compiler: "gc"}, fset, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{Importer: importer.ForCompiler(fset, "source", nil)}).Check(path, fset, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// compareAPI compares the exported objects of a stub with those of the
// real package: with all, the stub must declare every one of them.
func compareAPI(t *testing.T, stub, real *types.Package, all bool) {
	t.Helper()
	qual := func(p *types.Package) string { return p.Name() }
	for _, name := range stub.Scope().Names() {
		s := stub.Scope().Lookup(name)
		if !s.Exported() {
			continue
		}
		r := real.Scope().Lookup(name)
		if r == nil {
			t.Errorf("%s: the stub declares %s, the package does not", stub.Path(), name)
			continue
		}
		if _, ok := s.(*types.TypeName); ok {
			if fmt.Sprintf("%T", s.Type().Underlying()) != fmt.Sprintf("%T", r.Type().Underlying()) {
				t.Errorf("%s.%s: the stub's is a %T, the package's a %T", stub.Path(), name, s.Type().Underlying(), r.Type().Underlying())
			}
			if all && types.TypeString(s.Type().Underlying(), qual) != types.TypeString(r.Type().Underlying(), qual) {
				t.Errorf("%s.%s: the stub's is %s, the package's %s", stub.Path(), name, types.TypeString(s.Type().Underlying(), qual), types.TypeString(r.Type().Underlying(), qual))
			}
			compareMethods(t, stub.Path()+"."+name, s.Type(), r.Type(), all)
			continue
		}
		if ss, rs := types.ObjectString(s, qual), types.ObjectString(r, qual); ss != rs {
			t.Errorf("%s: the stub declares %s, the package %s", stub.Path(), ss, rs)
		}
		if v, ok := s.(*types.Var); ok {
			compareMethods(t, stub.Path()+"."+name, v.Type(), r.Type(), false)
		}
	}
	if !all {
		return
	}
	for _, name := range real.Scope().Names() {
		if r := real.Scope().Lookup(name); r.Exported() && stub.Scope().Lookup(name) == nil {
			t.Errorf("%s: the package declares %s, the stub does not", stub.Path(), name)
		}
	}
}

// compareMethods compares the exported methods of the stub's type (of a
// pointer to it) with the real type's: with all, the sets are the same.
func compareMethods(t *testing.T, what string, stub, real types.Type, all bool) {
	t.Helper()
	qual := func(p *types.Package) string { return p.Name() }
	methods := func(typ types.Type) map[string]string {
		m := map[string]string{}
		if _, ok := typ.Underlying().(*types.Interface); !ok {
			if _, ok := typ.(*types.Pointer); !ok {
				typ = types.NewPointer(typ)
			}
		}
		ms := types.NewMethodSet(typ)
		for i := range ms.Len() {
			if f := ms.At(i).Obj(); f.Exported() {
				m[f.Name()] = types.TypeString(f.Type(), qual)
			}
		}
		return m
	}
	sm, rm := methods(stub), methods(real)
	for name, sig := range sm {
		if rm[name] != sig {
			t.Errorf("%s: the stub's method %s is %s, the package's %q", what, name, sig, rm[name])
		}
	}
	if all {
		for name := range rm {
			if _, ok := sm[name]; !ok {
				t.Errorf("%s: the package's method %s is missing from the stub", what, name)
			}
		}
	}
}

// sourceFiles parses the non-test Go files of dir that build in ctx, in
// name order.
func sourceFiles(dir string, ctx build.Context, fset *token.FileSet, mode parser.Mode) ([]*ast.File, error) {
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(slices.Values(bp.GoFiles))
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, mode)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// makeStub writes the declarations of the package in dir that its
// exported API needs, without comments or function bodies (a generic
// function's is panic(0), as go/types wants one): every exported
// name, the methods of every type it declares, and (for the types' sizes
// and comparability) the unexported types and constants those refer to.
// A variable must have a type, or a value whose type its syntax says.
func makeStub(dir string, ctx build.Context) ([]byte, error) {
	fset := token.NewFileSet()
	files, err := sourceFiles(dir, ctx, fset, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	// Each top-level name's declaration; methods by receiver type name.
	type decl struct {
		order int // position in the source, files in name order
		node  ast.Decl
		spec  ast.Spec // nil for a function or a whole const group
	}
	decls := map[string]*decl{}
	methods := map[string][]*decl{}
	order := 0
	imports := map[string]string{} // name -> path
	for _, f := range files {
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			imports[path[strings.LastIndexByte(path, '/')+1:]] = path
		}
		for _, d := range f.Decls {
			order++
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					recv := recvName(d.Recv.List[0].Type)
					methods[recv] = append(methods[recv], &decl{order: order, node: d})
					continue
				}
				decls[d.Name.Name] = &decl{order: order, node: d}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						decls[s.Name.Name] = &decl{order: order, node: d, spec: s}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if d.Tok == token.CONST {
								// A constant keeps its group: iota.
								decls[n.Name] = &decl{order: order, node: d}
							} else {
								decls[n.Name] = &decl{order: order, node: d, spec: s}
							}
						}
					}
				}
			}
		}
	}
	// The closure of the exported names over the names their
	// declarations use (outside function bodies).
	need := map[*decl]bool{}
	usedImports := map[string]bool{}
	var queue []string
	for name := range decls {
		if ast.IsExported(name) {
			queue = append(queue, name)
		}
	}
	slices.Sort(queue)
	var visit func(n ast.Node)
	visit = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BlockStmt:
				return false
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok {
					if _, ok := imports[id.Name]; ok && decls[id.Name] == nil {
						usedImports[id.Name] = true
						return false
					}
				}
			case *ast.Ident:
				queue = append(queue, n.Name)
			}
			return true
		})
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		d := decls[name]
		if d == nil || need[d] {
			continue
		}
		need[d] = true
		switch s := d.spec.(type) {
		case nil:
			visit(d.node)
		case *ast.ValueSpec: // a var: its type, not its value
			if s.Type != nil {
				visit(s.Type)
			} else if len(s.Values) > 0 {
				if typ := valueType(s.Values[0]); typ != nil {
					visit(typ)
				}
			}
		default:
			visit(s)
		}
		for _, m := range methods[name] {
			if m.node.(*ast.FuncDecl).Name.IsExported() && !need[m] {
				need[m] = true
				visit(m.node)
			}
		}
	}
	// Print them in source order, a var without its value.
	pos := func(d *decl) token.Pos {
		if d.spec != nil {
			return d.spec.Pos()
		}
		return d.node.Pos()
	}
	var out []*decl
	seen := map[ast.Decl]bool{}
	for d := range need {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *decl) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return int(pos(a) - pos(b))
	})
	var b bytes.Buffer
	b.WriteString("package " + files[0].Name.Name + "\n")
	for _, n := range slices.Sorted(maps.Keys(usedImports)) {
		fmt.Fprintf(&b, "\nimport %q\n", imports[n])
	}
	pc := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	for _, d := range out {
		var node ast.Node
		switch n := d.node.(type) {
		case *ast.FuncDecl:
			fd := &ast.FuncDecl{Recv: n.Recv, Name: n.Name, Type: n.Type}
			if n.Type.TypeParams != nil {
				// go/types wants a generic function's body.
				fd.Body = &ast.BlockStmt{List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent("panic"), Args: []ast.Expr{&ast.BasicLit{Kind: token.INT, Value: "0"}}}}}}
			}
			node = fd
		case *ast.GenDecl:
			switch s := d.spec.(type) {
			case nil: // a const group
				if seen[n] {
					continue
				}
				seen[n] = true
				node = &ast.GenDecl{Tok: n.Tok, Lparen: n.Lparen, Specs: n.Specs, Rparen: n.Rparen}
			case *ast.TypeSpec:
				node = &ast.GenDecl{Tok: n.Tok, Specs: []ast.Spec{&ast.TypeSpec{Name: s.Name, TypeParams: s.TypeParams, Assign: s.Assign, Type: s.Type}}}
			case *ast.ValueSpec:
				typ := s.Type
				if typ == nil {
					if len(s.Values) != len(s.Names) {
						return nil, fmt.Errorf("%s: var %s: no type", fset.Position(s.Pos()), s.Names[0].Name)
					}
					typ = valueType(s.Values[0])
					if typ == nil {
						return nil, fmt.Errorf("%s: var %s: cannot tell its type from its value; give it a type", fset.Position(s.Pos()), s.Names[0].Name)
					}
				}
				node = &ast.GenDecl{Tok: n.Tok, Specs: []ast.Spec{&ast.ValueSpec{Names: s.Names, Type: typ}}}
			}
		}
		b.WriteString("\n")
		if err := pc.Fprint(&b, fset, stripComments(node)); err != nil {
			return nil, err
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// valueType is the type of a variable's value where its syntax says it:
// errors.New(...), &T{...}, T{...}.
func valueType(v ast.Expr) ast.Expr {
	switch v := v.(type) {
	case *ast.CallExpr:
		if sel, ok := v.Fun.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "errors" && sel.Sel.Name == "New" {
				return ast.NewIdent("error")
			}
		}
	case *ast.UnaryExpr:
		if lit, ok := v.X.(*ast.CompositeLit); ok && v.Op == token.AND && lit.Type != nil {
			return &ast.StarExpr{X: lit.Type}
		}
	case *ast.CompositeLit:
		return v.Type
	}
	return nil
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// stripComments drops the comments of fields and specs, which go/printer
// would print from the nodes themselves.
func stripComments(n ast.Node) ast.Node {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			n.Doc, n.Comment = nil, nil
		case *ast.ValueSpec:
			n.Doc, n.Comment = nil, nil
		case *ast.TypeSpec:
			n.Doc, n.Comment = nil, nil
		}
		return true
	})
	return n
}
