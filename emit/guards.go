package emit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"slices"
	"strconv"
)

// The layout guards are most of the type check's work when go/types
// checks them: about 1,900 statements such as
//
//	_ = x[unsafe.Offsetof(CPUUserRegs{}.ErrorCode)-120]
//
// in the host package of three headers, for each of four GOARCH, with
// every Offsetof laying out its whole struct again. Such a statement, in
// a function whose body starts with "var x [1]struct{}", compiles exactly
// when T names a type of the package of which T{} (or T(0)) is a valid
// operand, F is one of its fields (not through an embedded pointer), and
// the size, alignment or offset equals the number: otherwise the index is
// out of bounds, or the constant difference overflows uintptr.
//
// So splitGuards takes statements of exactly that form out of the guard
// functions given to go/types, and checkGuards checks them after go/types
// has checked the rest, on the checked package's own types and with the
// same types.Sizes. The first statement of each guard function stays for
// go/types, so that x and the unsafe import are used and checked as the
// compiler would; a guard function with any statement of another form
// stays whole. A failing guard is a type-check error at the statement.

// layoutGuard is one guard statement taken from go/types: the guard and
// where it stands (no position for one not yet written).
type layoutGuard struct {
	pos token.Pos
	guard
}

func (g layoutGuard) String() string { return "unsafe." + g.guard.String() }

// splitGuards returns the files with the guard statements it takes out
// (see above), and those statements, per file. Files without guards are
// returned as they are; the others are shallow copies.
func splitGuards(files []*ast.File) ([]*ast.File, [][]layoutGuard) {
	out := slices.Clone(files)
	guards := make([][]layoutGuard, len(files))
	for i, f := range files {
		imported := map[string]bool{}
		for _, s := range f.Imports {
			p, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				continue
			}
			name := path.Base(p)
			if s.Name != nil {
				name = s.Name.Name
			}
			imported[name] = true
		}
		var decls []ast.Decl
		for j, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			kept, gs := splitGuardFunc(fd, imported)
			if gs == nil {
				continue
			}
			if decls == nil {
				decls = slices.Clone(f.Decls)
			}
			decls[j] = kept
			guards[i] = append(guards[i], gs...)
		}
		if decls != nil {
			nf := *f
			nf.Decls = decls
			out[i] = &nf
		}
	}
	return out, guards
}

// splitGuardFunc returns a guard function without the guard statements
// it takes out, and those, or nil when it takes none.
func splitGuardFunc(fd *ast.FuncDecl, imported map[string]bool) (*ast.FuncDecl, []layoutGuard) {
	if fd.Recv != nil || fd.Name.Name != "_" || fd.Type.TypeParams != nil || fd.Type.Params.NumFields() != 0 ||
		fd.Type.Results != nil || fd.Body == nil || len(fd.Body.List) < 3 || !isGuardVar(fd.Body.List[0]) {
		return nil, nil
	}
	var gs []layoutGuard
	for _, s := range fd.Body.List[1:] {
		g, ok := decodeGuard(s)
		if !ok || g.typ == "x" || imported[g.typ] {
			return nil, nil
		}
		gs = append(gs, g)
	}
	kept := *fd
	body := *fd.Body
	body.List = fd.Body.List[:2:2]
	kept.Body = &body
	return &kept, gs[1:]
}

// isGuardVar reports whether s is "var x [1]struct{}".
func isGuardVar(s ast.Stmt) bool {
	ds, ok := s.(*ast.DeclStmt)
	if !ok {
		return false
	}
	gd, ok := ds.Decl.(*ast.GenDecl)
	if !ok || gd.Tok != token.VAR || len(gd.Specs) != 1 {
		return false
	}
	vs, ok := gd.Specs[0].(*ast.ValueSpec)
	if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "x" || len(vs.Values) != 0 {
		return false
	}
	at, ok := vs.Type.(*ast.ArrayType)
	if !ok || !isIntLit(at.Len, 1) {
		return false
	}
	st, ok := at.Elt.(*ast.StructType)
	return ok && st.Fields.NumFields() == 0
}

// decodeGuard decodes "_ = x[unsafe.F(arg)-N]" with arg T{}, T(0) or
// (for Offsetof) T{}.Field.
func decodeGuard(s ast.Stmt) (layoutGuard, bool) {
	as, ok := s.(*ast.AssignStmt)
	if !ok || as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 || !isIdent(as.Lhs[0], "_") {
		return layoutGuard{}, false
	}
	ix, ok := as.Rhs[0].(*ast.IndexExpr)
	if !ok || !isIdent(ix.X, "x") {
		return layoutGuard{}, false
	}
	be, ok := ix.Index.(*ast.BinaryExpr)
	if !ok || be.Op != token.SUB {
		return layoutGuard{}, false
	}
	want, ok := intLit(be.Y)
	if !ok {
		return layoutGuard{}, false
	}
	call, ok := be.X.(*ast.CallExpr)
	if !ok || call.Ellipsis.IsValid() || len(call.Args) != 1 {
		return layoutGuard{}, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !isIdent(sel.X, "unsafe") {
		return layoutGuard{}, false
	}
	g := layoutGuard{pos: s.Pos(), guard: guard{want: want}}
	arg := call.Args[0]
	switch sel.Sel.Name {
	case "Sizeof":
	case "Alignof":
		g.align = true
	case "Offsetof":
		fs, ok := arg.(*ast.SelectorExpr)
		if !ok {
			return layoutGuard{}, false
		}
		g.field = fs.Sel.Name
		arg = fs.X
		if _, ok := arg.(*ast.CompositeLit); !ok {
			return layoutGuard{}, false
		}
	default:
		return layoutGuard{}, false
	}
	switch a := arg.(type) {
	case *ast.CompositeLit:
		id, ok := a.Type.(*ast.Ident)
		if !ok || len(a.Elts) != 0 || a.Incomplete {
			return layoutGuard{}, false
		}
		g.typ = id.Name
	case *ast.CallExpr:
		id, ok := a.Fun.(*ast.Ident)
		if !ok || a.Ellipsis.IsValid() || len(a.Args) != 1 || !isIntLit(a.Args[0], 0) {
			return layoutGuard{}, false
		}
		g.typ, g.numeric = id.Name, true
	default:
		return layoutGuard{}, false
	}
	return g, g.typ != "_"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func intLit(e ast.Expr) (int64, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.INT {
		return 0, false
	}
	v, err := strconv.ParseInt(bl.Value, 0, 64)
	return v, err == nil
}

func isIntLit(e ast.Expr, v int64) bool {
	n, ok := intLit(e)
	return ok && n == v
}

// checkGuards checks guards against pkg, as the compiler would for
// GOARCH's sizes, and returns the first failure as a types.Error.
func checkGuards(fset *token.FileSet, pkg *types.Package, sizes types.Sizes, guards []layoutGuard) error {
	if len(guards) == 0 {
		return nil
	}
	offsets := map[*types.Struct][]int64{}
	for _, g := range guards {
		v, msg := g.value(pkg, sizes, offsets)
		if msg == "" && v != g.want {
			msg = fmt.Sprintf("layout guard fails: %s is %d, not %d", g, v, g.want)
		}
		if msg != "" {
			return types.Error{Fset: fset, Pos: g.pos, Msg: msg}
		}
	}
	return nil
}

// value is the guard's size, alignment or offset, or why the statement
// does not compile.
func (g layoutGuard) value(pkg *types.Package, sizes types.Sizes, offsets map[*types.Struct][]int64) (int64, string) {
	obj := pkg.Scope().Lookup(g.typ)
	if obj == nil {
		obj = types.Universe.Lookup(g.typ)
	}
	if obj == nil {
		return 0, "undefined: " + g.typ
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return 0, g.typ + " is not a type"
	}
	t := tn.Type()
	if a, ok := t.(*types.Alias); ok && a.TypeParams().Len() > 0 {
		return 0, "cannot use generic type " + g.typ + " without instantiation"
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.TypeParams().Len() > 0 && n.TypeArgs().Len() == 0 {
		return 0, "cannot use generic type " + g.typ + " without instantiation"
	}
	if g.numeric {
		b, ok := t.Underlying().(*types.Basic)
		if !ok || b.Info()&(types.IsNumeric|types.IsString) == 0 {
			return 0, "cannot convert 0 to type " + g.typ
		}
	} else {
		switch t.Underlying().(type) {
		case *types.Struct, *types.Array, *types.Slice, *types.Map:
		default:
			return 0, "invalid composite literal type " + g.typ
		}
	}
	var v int64
	switch {
	case g.field == "" && !g.align:
		v = sizes.Sizeof(t)
	case g.field == "":
		v = sizes.Alignof(t)
	default:
		f, index, indirect := types.LookupFieldOrMethod(t, false, pkg, g.field)
		if fv, ok := f.(*types.Var); !ok || !fv.IsField() || indirect {
			return 0, fmt.Sprintf("%s: %s{}.%s is not a field reached without a pointer", g, g.typ, g.field)
		}
		for _, i := range index {
			s := t.Underlying().(*types.Struct)
			offs, ok := offsets[s]
			if !ok {
				fields := make([]*types.Var, s.NumFields())
				for k := range fields {
					fields[k] = s.Field(k)
				}
				offs = sizes.Offsetsof(fields)
				offsets[s] = offs
			}
			if offs[i] < 0 || v+offs[i] < 0 {
				return 0, g.String() + " is too large"
			}
			v += offs[i]
			t = s.Field(i).Type()
		}
	}
	if v < 0 {
		return 0, g.String() + " is too large"
	}
	return v, ""
}
