package dispatch

import (
	"fmt"
	"go/types"
	"maps"
	"slices"
	"sort"
	"strings"
)

// family is one command family whose layouts follow an interface version.
type family struct {
	name   string // "domctl"
	prefix string // of the wrappers' Go names, "XenDomctl"
	macro  string // the version constant, "XEN_DOMCTL_INTERFACE_VERSION"
}

// families are the families dispatch handles: the two whose version Xen
// checks (the others keep their layouts across releases).
var families = []family{
	{"domctl", "XenDomctl", "XEN_DOMCTL_INTERFACE_VERSION"},
	{"sysctl", "XenSysctl", "XEN_SYSCTL_INTERFACE_VERSION"},
}

// set is one binding set for one GOARCH.
type set struct {
	release string
	alias   string // import name in the output, "xen417"
	path    string // import path
	pkg     *types.Package
	version [2]uint32         // per family
	ops     map[string]string // wrapper Go name -> C command name, from its doc
	methods map[string]string // "Type.Method" -> its source text
}

// tkind is the kind of a type expression.
type tkind int

const (
	kBasic   tkind = iota
	kNamed         // a named type of a binding set, mapped to a neutral one
	kArray         // [n]elem
	kSlice         // []elem (parameters and results only)
	kPointer       // *elem (parameters only)
	kForeign       // a type of another package, passed as it is (hypercall.Caller)
)

// texpr is a neutral type expression.
type texpr struct {
	kind    tkind
	basic   string // kBasic
	named   *ntype // kNamed
	n       int64  // kArray
	elem    *texpr
	foreign types.Type // kForeign
}

func (e *texpr) String() string {
	switch e.kind {
	case kBasic:
		return e.basic
	case kNamed:
		return e.named.name
	case kArray:
		return fmt.Sprintf("[%d]%s", e.n, e.elem)
	case kSlice:
		return "[]" + e.elem.String()
	case kPointer:
		return "*" + e.elem.String()
	}
	return types.TypeString(e.foreign, func(p *types.Package) string { return p.Name() })
}

func (e *texpr) equal(o *texpr) bool {
	if e.kind != o.kind {
		return false
	}
	switch e.kind {
	case kBasic:
		return e.basic == o.basic
	case kNamed:
		return e.named == o.named
	case kArray:
		return e.n == o.n && e.elem.equal(o.elem)
	case kSlice, kPointer:
		return e.elem.equal(o.elem)
	}
	return types.Identical(e.foreign, o.foreign)
}

// plain reports whether the expression is built of basic types and arrays
// only, so that a Go conversion between the neutral and a release's type
// of the same underlying type is exact.
func (e *texpr) plain() bool {
	switch e.kind {
	case kBasic:
		return true
	case kArray:
		return e.elem.plain()
	case kNamed:
		return e.named.under != nil && e.named.under.plain()
	}
	return false
}

// ntype is a neutral named type: the same name in every binding set that
// has it.
type ntype struct {
	name   string
	under  *texpr   // basic or array types
	fields []*field // struct types (under == nil)
	in     []bool   // per set: the set has the type
	bad    string   // why it cannot be dispatched, "" if it can
	// opaque marks a struct whose members cannot be converted one by
	// one (a union kept as storage, a guest handle, a bit-field): it is
	// passed as it is, which is right only if every release lays it out
	// the same and generated the same methods for it (checkOpaque).
	// The neutral name is then an alias of the first release's type.
	opaque bool
	why    string         // what made it opaque
	orig   []*types.Named // per set
}

// field is one member of a neutral struct.
type field struct {
	name string
	t    *texpr
	in   []bool // per set
}

// model is what dispatch knows for one GOARCH.
type model struct {
	sets  []*set
	types map[string]*ntype
	funcs map[string]*fn
	// generic lists the envelope calls (XenDomctl, XenSysctl): their
	// argument is a release's whole struct xen_domctl, not dispatched.
	generic []string
}

// fn is one wrapper, in the sets that have it.
type fn struct {
	name    string
	fam     int
	op      string
	params  []param
	results []param // the last is err
	in      []bool
	bad     string
}

type param struct {
	name string
	t    *texpr
}

func newModel(sets []*set) *model {
	return &model{sets: sets, types: map[string]*ntype{}, funcs: map[string]*fn{}}
}

// add reads the wrappers of every family from set i.
func (m *model) add(i int) {
	s := m.sets[i]
	scope := s.pkg.Scope()
	for _, name := range scope.Names() {
		f, ok := scope.Lookup(name).(*types.Func)
		if !ok {
			continue
		}
		fam := -1
		for k, fa := range families {
			if strings.HasPrefix(name, fa.prefix) && len(name) > len(fa.prefix) && isUpper(name[len(fa.prefix)]) {
				fam = k
			}
			if name == fa.prefix && !slices.Contains(m.generic, name) {
				m.generic = append(m.generic, name)
			}
		}
		if fam < 0 {
			continue
		}
		w := m.funcs[name]
		if w == nil {
			w = &fn{name: name, fam: fam, in: make([]bool, len(m.sets))}
			m.funcs[name] = w
		}
		w.in[i] = true
		sig := f.Type().(*types.Signature)
		op := s.ops[name]
		if op == "" {
			w.fail(fmt.Sprintf("%s: no command named in its doc comment (\"%s issues XEN_...\")", s.alias, name))
			continue
		}
		if w.op != "" && w.op != op {
			w.fail(fmt.Sprintf("issues %s in one release and %s in another", w.op, op))
			continue
		}
		w.op = op
		ps, bad := m.tuple(i, sig.Params(), true)
		rs, bad2 := m.tuple(i, sig.Results(), false)
		if bad == "" {
			bad = bad2
		}
		if bad != "" {
			w.fail(bad)
			continue
		}
		if len(rs) == 0 || rs[len(rs)-1].t.kind != kForeign || rs[len(rs)-1].t.foreign.String() != "error" {
			w.fail("its last result is not an error")
			continue
		}
		if bad := shapes(ps, rs); bad != "" {
			w.fail(bad)
			continue
		}
		if w.params == nil && w.results == nil {
			w.params, w.results = ps, rs
			continue
		}
		if !sameParams(w.params, ps) || !sameParams(w.results, rs) {
			w.fail(fmt.Sprintf("its parameters differ between releases (%s: %s)", s.release, signature(ps, rs)))
		}
	}
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

func (w *fn) fail(why string) {
	if w.bad == "" {
		w.bad = why
	}
}

func sameParams(a, b []param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || !a[i].t.equal(b[i].t) {
			return false
		}
	}
	return true
}

func signature(ps, rs []param) string {
	var p, r []string
	for _, x := range ps {
		p = append(p, x.name+" "+x.t.String())
	}
	for _, x := range rs {
		r = append(r, x.name+" "+x.t.String())
	}
	return "(" + strings.Join(p, ", ") + ") (" + strings.Join(r, ", ") + ")"
}

// shapes checks that the output can convert every parameter and result:
// the caller first, then values, pointers to structs and slices of
// structs or plain values; results are values.
func shapes(ps, rs []param) string {
	if len(ps) == 0 || ps[0].t.kind != kForeign || ps[0].t.foreign.String() != hypercallPath+".Caller" {
		return "its first parameter is not the hypercall.Caller"
	}
	for _, p := range ps[1:] {
		e := p.t
		switch {
		case e.kind == kForeign, exact(e), convertible(e):
		case e.kind == kPointer:
		case e.kind == kSlice && convertible(e.elem):
		case e.kind == kSlice && e.elem.kind == kNamed && e.elem.named.under == nil:
		default:
			return "parameter " + p.name + " " + e.String() + ": no conversion for its shape"
		}
	}
	for _, p := range rs {
		e := p.t
		if !(e.kind == kForeign || exact(e) || convertible(e) || e.kind == kNamed && e.named.under == nil) {
			return "result " + p.name + " " + e.String() + ": no conversion for its shape"
		}
	}
	return ""
}

// tuple maps a wrapper's parameters or results.
func (m *model) tuple(i int, t *types.Tuple, params bool) ([]param, string) {
	s := m.sets[i]
	var out []param
	for k := range t.Len() {
		v := t.At(k)
		e, bad := m.expr(i, v.Type(), true)
		if bad != "" {
			return nil, fmt.Sprintf("%s %s: %s", v.Name(), types.TypeString(v.Type(), types.RelativeTo(s.pkg)), bad)
		}
		if e.kind == kPointer && !params {
			return nil, fmt.Sprintf("%s: a pointer result", v.Name())
		}
		name := v.Name()
		if name == "" || name == "_" {
			name = fmt.Sprintf("r%d", k)
		}
		out = append(out, param{name, e})
	}
	return out, ""
}

// expr maps a type of set i to a neutral expression. top allows what
// only parameters and results hold: pointers, slices and other packages'
// types.
func (m *model) expr(i int, t types.Type, top bool) (*texpr, string) {
	s := m.sets[i]
	switch t := t.(type) {
	case *types.Basic:
		if t.Info()&types.IsUntyped != 0 || t.Kind() == types.UnsafePointer || t.Kind() == types.Uintptr {
			return nil, "type " + t.Name() + " is not a value to convert"
		}
		return &texpr{kind: kBasic, basic: t.Name()}, ""
	case *types.Array:
		el, bad := m.expr(i, t.Elem(), false)
		if bad != "" {
			return nil, bad
		}
		return &texpr{kind: kArray, n: t.Len(), elem: el}, ""
	case *types.Slice:
		if !top {
			return nil, "a slice inside a type"
		}
		el, bad := m.expr(i, t.Elem(), false)
		if bad != "" {
			return nil, bad
		}
		return &texpr{kind: kSlice, elem: el}, ""
	case *types.Pointer:
		if !top {
			return nil, "a pointer inside a type"
		}
		el, bad := m.expr(i, t.Elem(), false)
		if bad != "" {
			return nil, bad
		}
		if el.kind != kNamed || el.named.under != nil {
			return nil, "a pointer to something other than a struct"
		}
		return &texpr{kind: kPointer, elem: el}, ""
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil || obj.Pkg() != s.pkg {
			if top && (obj.Pkg() == nil || obj.Pkg().Path() == "github.com/xenbind/xenbind/runtime/hypercall") && t.TypeArgs().Len() == 0 {
				return &texpr{kind: kForeign, foreign: t}, ""
			}
			return nil, "type " + types.TypeString(t, types.RelativeTo(s.pkg)) + " of another package has no release-neutral form"
		}
		if t.TypeArgs().Len() > 0 {
			return nil, "type " + obj.Name() + " is generic (a guest handle, which the wrapper sets)"
		}
		nt, bad := m.named(i, t)
		if bad != "" {
			return nil, bad
		}
		return &texpr{kind: kNamed, named: nt}, ""
	case *types.Interface:
		if top && t.String() == "error" {
			return &texpr{kind: kForeign, foreign: types.Universe.Lookup("error").Type()}, ""
		}
	}
	return nil, "type " + t.String() + " has no release-neutral form"
}

// named merges named type t of set i into the neutral type of its name.
func (m *model) named(i int, t *types.Named) (*ntype, string) {
	name := t.Obj().Name()
	nt := m.types[name]
	if nt == nil {
		nt = &ntype{name: name, in: make([]bool, len(m.sets))}
		m.types[name] = nt
	}
	if nt.bad != "" {
		return nil, nt.bad
	}
	if nt.in[i] {
		return nt, ""
	}
	nt.in[i] = true
	if nt.orig == nil {
		nt.orig = make([]*types.Named, len(m.sets))
	}
	nt.orig[i] = t
	first := true
	for k, in := range nt.in {
		if in && k != i {
			first = false
		}
	}
	fail := func(why string) (*ntype, string) {
		nt.bad = name + ": " + why
		return nil, nt.bad
	}
	st, isStruct := t.Underlying().(*types.Struct)
	if !isStruct {
		e, bad := m.expr(i, t.Underlying(), false)
		if bad != "" {
			return fail(bad)
		}
		if !e.plain() {
			return fail("not a struct, basic or array type")
		}
		if !first && (nt.under == nil || !nt.under.equal(e)) {
			return fail("its type differs between releases")
		}
		nt.under = e
		return nt, ""
	}
	if !first && nt.under != nil {
		return fail("a struct in one release, not in another")
	}
	opaque := func(why string) (*ntype, string) {
		nt.opaque = true
		if nt.why == "" {
			nt.why = why
		}
		return nt, ""
	}
	// Members Go cannot see as fields (union storage, bit-fields, members
	// kept as bytes) have accessor methods: such a type is not converted
	// member by member. Text accessors of char arrays are harmless.
	names := map[string]bool{}
	for k := range st.NumFields() {
		names[st.Field(k).Name()] = true
	}
	ms := types.NewMethodSet(types.NewPointer(t))
	for k := range ms.Len() {
		mn := ms.At(k).Obj().Name()
		if base, ok := strings.CutSuffix(mn, "String"); ok && names[base] {
			continue
		}
		return opaque("has method " + mn + ": a member kept as storage (a union, a bit-field, a packed member), not as a field")
	}
	prev := -1 // index in nt.fields of the last member placed
	for k := range st.NumFields() {
		f := st.Field(k)
		if f.Name() == "_" {
			if !padding(f.Type()) {
				return opaque("blank member of type " + f.Type().String())
			}
			continue
		}
		if !f.Exported() || f.Embedded() {
			return opaque("member " + f.Name() + " is not an exported field")
		}
		e, bad := m.expr(i, f.Type(), false)
		if bad != "" {
			return opaque(f.Name() + ": " + bad)
		}
		at := -1
		for j, g := range nt.fields {
			if g.name == f.Name() {
				at = j
			}
		}
		if at >= 0 {
			if !nt.fields[at].t.equal(e) {
				return fail(fmt.Sprintf("member %s is %s in one release and %s in another", f.Name(), nt.fields[at].t, e))
			}
			nt.fields[at].in[i] = true
			prev = at
			continue
		}
		g := &field{name: f.Name(), t: e, in: make([]bool, len(m.sets))}
		g.in[i] = true
		nt.fields = append(nt.fields, nil)
		copy(nt.fields[prev+2:], nt.fields[prev+1:])
		nt.fields[prev+1] = g
		prev++
	}
	return nt, ""
}

// padding reports whether a blank member is layout only: structs.HostLayout,
// a zero-length array (alignment, also through the align8 alias of
// [0]atomic.Uint64 or [0]uint64) or bytes of padding.
func padding(t types.Type) bool {
	t = types.Unalias(t)
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "structs" && n.Obj().Name() == "HostLayout"
	}
	a, ok := t.(*types.Array)
	if !ok {
		return false
	}
	if a.Len() == 0 {
		return true
	}
	b, ok := a.Elem().(*types.Basic)
	return ok && (b.Kind() == types.Byte || b.Kind() == types.Uint8)
}

// checkOpaque decides about the types passed as they are: each must be
// laid out the same in every release that has it (member names, offsets,
// sizes, recursively) and have the same generated methods, else it is bad.
func (m *model) checkOpaque(sizes types.Sizes) {
	for _, name := range slices.Sorted(maps.Keys(m.types)) {
		nt := m.types[name]
		if !nt.opaque || nt.bad != "" {
			continue
		}
		f := nt.first()
		for i, t := range nt.orig {
			if t == nil || i == f {
				continue
			}
			c := &layoutCmp{sizes: sizes, a: m.sets[f].pkg, b: m.sets[i].pkg, ma: m.sets[f].methods, mb: m.sets[i].methods, seen: map[[2]types.Type]bool{}}
			if why := c.typ(nt.orig[f], t); why != "" {
				nt.bad = fmt.Sprintf("%s: %s, and it is not the same in Xen %s and %s: %s", name, nt.why, m.sets[f].release, m.sets[i].release, why)
				break
			}
		}
	}
}

// first is the index of the first set that has the type.
func (nt *ntype) first() int {
	for i, in := range nt.in {
		if in {
			return i
		}
	}
	return -1
}

// usable reports whether a wrapper can be dispatched: its own shape and
// every neutral type it reaches.
func (m *model) usable(w *fn) string {
	if w.bad != "" {
		return w.bad
	}
	seen := map[*ntype]bool{}
	var walk func(e *texpr) string
	walk = func(e *texpr) string {
		switch e.kind {
		case kArray, kSlice, kPointer:
			return walk(e.elem)
		case kNamed:
			nt := e.named
			if nt.bad != "" {
				return nt.bad
			}
			if seen[nt] {
				return ""
			}
			seen[nt] = true
			if nt.under != nil {
				return walk(nt.under)
			}
			if nt.opaque {
				return ""
			}
			for _, f := range nt.fields {
				if b := walk(f.t); b != "" {
					return b
				}
			}
		}
		return ""
	}
	for _, p := range append(append([]param{}, w.params...), w.results...) {
		if b := walk(p.t); b != "" {
			return b
		}
	}
	return ""
}

// reached lists, in name order, the neutral types the usable wrappers
// reach.
func (m *model) reached(ws []*fn) []*ntype {
	seen := map[*ntype]bool{}
	var walk func(e *texpr)
	walk = func(e *texpr) {
		switch e.kind {
		case kArray, kSlice, kPointer:
			walk(e.elem)
		case kNamed:
			if seen[e.named] {
				return
			}
			seen[e.named] = true
			if e.named.under != nil {
				walk(e.named.under)
			}
			if e.named.opaque {
				return
			}
			for _, f := range e.named.fields {
				walk(f.t)
			}
		}
	}
	for _, w := range ws {
		for _, p := range append(append([]param{}, w.params...), w.results...) {
			walk(p.t)
		}
	}
	var out []*ntype
	for nt := range seen {
		out = append(out, nt)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
	return out
}
