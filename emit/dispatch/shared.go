package dispatch

import (
	"fmt"
	"go/types"
	"sort"
	"strings"
)

// sharedCalls checks the promise the output's doc makes about the other
// wrappers (everything but domctl and sysctl): that a program may take
// them from the first release's package on every release. It returns one
// line per wrapper of the first set whose parameter or result types are
// laid out differently in another set (or with other generated methods),
// or that another set lacks, and one
// per wrapper only later sets have.
func sharedCalls(sets []*set, sizes types.Sizes) []string {
	var out []string
	first := sets[0].pkg.Scope()
	isFamily := func(name string) bool {
		for _, f := range families {
			if strings.HasPrefix(name, f.prefix) {
				return true
			}
		}
		return false
	}
	wrapper := func(o types.Object) (*types.Signature, bool) {
		f, ok := o.(*types.Func)
		if !ok || !f.Exported() || isFamily(f.Name()) {
			return nil, false
		}
		sig := f.Type().(*types.Signature)
		if sig.Params().Len() == 0 || types.TypeString(sig.Params().At(0).Type(), nil) != hypercallPath+".Caller" {
			return nil, false
		}
		return sig, true
	}
	for _, name := range first.Names() {
		sig0, ok := wrapper(first.Lookup(name))
		if !ok {
			continue
		}
		for _, s := range sets[1:] {
			sig, ok := wrapper(s.pkg.Scope().Lookup(name))
			if !ok {
				out = append(out, fmt.Sprintf("%s is not in Xen %s's bindings", name, s.release))
				continue
			}
			c := &layoutCmp{sizes: sizes, a: sets[0].pkg, b: s.pkg, ma: sets[0].methods, mb: s.methods, seen: map[[2]types.Type]bool{}}
			if why := c.tuple(sig0.Params(), sig.Params()) + c.tuple(sig0.Results(), sig.Results()); why != "" {
				out = append(out, fmt.Sprintf("%s differs in Xen %s: %s", name, s.release, why))
			}
		}
	}
	for _, s := range sets[1:] {
		var only []string
		for _, name := range s.pkg.Scope().Names() {
			if _, ok := wrapper(s.pkg.Scope().Lookup(name)); ok && first.Lookup(name) == nil {
				only = append(only, name)
			}
		}
		sort.Strings(only)
		if len(only) > 0 {
			out = append(out, fmt.Sprintf("only Xen %s's bindings have %s", s.release, strings.Join(only, ", ")))
		}
	}
	return out
}

// layoutCmp compares types of two binding sets: the same names, shapes,
// sizes and member offsets.
type layoutCmp struct {
	sizes  types.Sizes
	a, b   *types.Package
	ma, mb map[string]string // methods' source text, when they must match too
	seen   map[[2]types.Type]bool
}

// methods compares the methods of two named types: the same names, the
// same signatures and the same generated source.
func (c *layoutCmp) methods(x, y *types.Named) string {
	xo, yo := x.Origin(), y.Origin()
	if xo.NumMethods() != yo.NumMethods() {
		return fmt.Sprintf("%d methods, then %d", xo.NumMethods(), yo.NumMethods())
	}
	for i := range xo.NumMethods() {
		mx := xo.Method(i)
		obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(y), false, c.b, mx.Name())
		my, ok := obj.(*types.Func)
		if !ok {
			return "method " + mx.Name() + " is gone"
		}
		key := xo.Obj().Name() + "." + mx.Name()
		if c.ma[key] == "" || c.ma[key] != c.mb[yo.Obj().Name()+"."+mx.Name()] {
			return "method " + mx.Name() + " differs"
		}
		sx, sy := mx.Type().(*types.Signature), my.Type().(*types.Signature)
		if why := c.tuple(sx.Params(), sy.Params()) + c.tuple(sx.Results(), sy.Results()); why != "" {
			return "method " + mx.Name() + ": " + why
		}
	}
	return ""
}

func (c *layoutCmp) tuple(x, y *types.Tuple) string {
	if x.Len() != y.Len() {
		return fmt.Sprintf("%d values, then %d", x.Len(), y.Len())
	}
	for i := range x.Len() {
		if why := c.typ(x.At(i).Type(), y.At(i).Type()); why != "" {
			return x.At(i).Name() + ": " + why
		}
	}
	return ""
}

func (c *layoutCmp) typ(x, y types.Type) string {
	key := [2]types.Type{x, y}
	if c.seen[key] {
		return ""
	}
	c.seen[key] = true
	xs := types.TypeString(x, types.RelativeTo(c.a))
	ys := types.TypeString(y, types.RelativeTo(c.b))
	if xs != ys {
		return xs + " is " + ys
	}
	switch x := x.(type) {
	case *types.Named:
		yn := y.(*types.Named)
		if x.Obj().Pkg() != c.a {
			if !types.Identical(x, y) {
				return xs + " differs"
			}
			return ""
		}
		for i := range x.TypeArgs().Len() {
			if why := c.typ(x.TypeArgs().At(i), yn.TypeArgs().At(i)); why != "" {
				return why
			}
		}
		if c.ma != nil {
			if why := c.methods(x, yn); why != "" {
				return xs + ": " + why
			}
		}
		if why := c.typ(x.Underlying(), yn.Underlying()); why != "" {
			return xs + ": " + why
		}
	case *types.Struct:
		ys := y.(*types.Struct)
		if x.NumFields() != ys.NumFields() {
			return fmt.Sprintf("%d members, then %d", x.NumFields(), ys.NumFields())
		}
		var xf, yf []*types.Var
		for i := range x.NumFields() {
			xf, yf = append(xf, x.Field(i)), append(yf, ys.Field(i))
		}
		xo, yo := c.sizes.Offsetsof(xf), c.sizes.Offsetsof(yf)
		for i := range xf {
			if xf[i].Name() != yf[i].Name() || xo[i] != yo[i] {
				return fmt.Sprintf("member %d: %s at %d, then %s at %d", i, xf[i].Name(), xo[i], yf[i].Name(), yo[i])
			}
			if why := c.typ(xf[i].Type(), yf[i].Type()); why != "" {
				return xf[i].Name() + ": " + why
			}
		}
	case *types.Array:
		return c.typ(x.Elem(), y.(*types.Array).Elem())
	case *types.Slice:
		return c.typ(x.Elem(), y.(*types.Slice).Elem())
	case *types.Pointer:
		return c.typ(x.Elem(), y.(*types.Pointer).Elem())
	}
	if c.sizes.Sizeof(x) != c.sizes.Sizeof(y) {
		return fmt.Sprintf("%d bytes, then %d", c.sizes.Sizeof(x), c.sizes.Sizeof(y))
	}
	return ""
}
