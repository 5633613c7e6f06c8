package emit

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/dave/jennifer/jen"
)

// maxTreeDepth bounds sameTree's recursion: a deeper tree is compared by
// its text instead.
const maxTreeDepth = 200

// sameTree reports whether the values *a and *b are equal, field by field,
// following pointers and interfaces, without allocating. Values of kinds
// the generator's trees do not hold (functions, maps, channels, complex
// numbers, unsafe pointers) compare unequal, and so do trees deeper than
// maxTreeDepth: a caller comparing code then compares its text.
//
// It walks memory by a plan made once per type (offsets of the fields, the
// element of a slice), not through reflect.Value, which costs a call and
// flag checks for every field: most wrappers are the same on every target,
// and comparing their jennifer trees was the larger part of placing them.
func sameTree[T any](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a == b {
		return true
	}
	return planOf(reflect.TypeFor[T]()).equal(unsafe.Pointer(a), unsafe.Pointer(b), 0)
}

// treePlan is how to compare two values of one type in memory.
type treePlan struct {
	typ    reflect.Type
	kind   reflect.Kind
	size   uintptr
	elem   *treePlan // of a pointer, slice or array
	n      int       // an array's length
	fields []fieldPlan
	// direct: an interface holding this type holds the value itself in
	// its data word (pointer-shaped types), not a pointer to it.
	direct bool
	// methods: an interface type with methods, whose values' first word
	// is a method table.
	methods bool
	// dynamic caches, for an interface type, the plans of the dynamic
	// types its values held: few, so a list searched in order.
	dynamic atomic.Pointer[[]dynamicEntry]
}

type dynamicEntry struct {
	typ  unsafe.Pointer // runtime type word
	plan *treePlan
}

type fieldPlan struct {
	off  uintptr
	plan *treePlan
}

var (
	// treePlans maps reflect.Type to *treePlan.
	treePlans sync.Map
	// planMu serializes the making of plans (types may be recursive).
	planMu sync.Mutex
)

func planOf(t reflect.Type) *treePlan {
	if p, ok := treePlans.Load(t); ok {
		return p.(*treePlan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	made := map[reflect.Type]*treePlan{}
	p := makePlan(t, made)
	for t, p := range made {
		treePlans.Store(t, p)
	}
	return p
}

func makePlan(t reflect.Type, made map[reflect.Type]*treePlan) *treePlan {
	if p, ok := treePlans.Load(t); ok {
		return p.(*treePlan)
	}
	if p := made[t]; p != nil {
		return p
	}
	p := &treePlan{typ: t, kind: t.Kind(), size: t.Size()}
	made[t] = p
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		p.elem = makePlan(t.Elem(), made)
	case reflect.Array:
		p.elem = makePlan(t.Elem(), made)
		p.n = t.Len()
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			p.fields = append(p.fields, fieldPlan{off: f.Offset, plan: makePlan(f.Type, made)})
		}
	}
	p.direct = isDirect(t)
	p.methods = t.Kind() == reflect.Interface && t.NumMethod() > 0
	return p
}

// isDirect reports whether an interface holding a t holds it in its data
// word: the Go runtime's rule for pointer-shaped types.
func isDirect(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Struct:
		return t.NumField() == 1 && isDirect(t.Field(0).Type)
	case reflect.Array:
		return t.Len() == 1 && isDirect(t.Elem())
	}
	return false
}

// equal compares the values at a and b; depth counts the pointers,
// interfaces, elements and fields followed to reach them.
func (p *treePlan) equal(a, b unsafe.Pointer, depth int) bool {
	if depth > maxTreeDepth {
		return false
	}
	switch p.kind {
	case reflect.Bool, reflect.Int8, reflect.Uint8:
		return *(*uint8)(a) == *(*uint8)(b)
	case reflect.Int16, reflect.Uint16:
		return *(*uint16)(a) == *(*uint16)(b)
	case reflect.Int32, reflect.Uint32:
		return *(*uint32)(a) == *(*uint32)(b)
	case reflect.Int64, reflect.Uint64:
		return *(*uint64)(a) == *(*uint64)(b)
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		return *(*uintptr)(a) == *(*uintptr)(b)
	case reflect.Float32:
		return *(*float32)(a) == *(*float32)(b)
	case reflect.Float64:
		return *(*float64)(a) == *(*float64)(b)
	case reflect.String:
		return *(*string)(a) == *(*string)(b)
	case reflect.Pointer:
		pa, pb := *(*unsafe.Pointer)(a), *(*unsafe.Pointer)(b)
		if pa == nil || pb == nil || pa == pb {
			return pa == pb
		}
		return p.elem.equal(pa, pb, depth+1)
	case reflect.Slice:
		sa, sb := *(*[]byte)(a), *(*[]byte)(b) // only the header is read
		if len(sa) != len(sb) {
			return false
		}
		da, db := unsafe.Pointer(unsafe.SliceData(sa)), unsafe.Pointer(unsafe.SliceData(sb))
		for i := range uintptr(len(sa)) {
			if !p.elem.equal(unsafe.Add(da, i*p.elem.size), unsafe.Add(db, i*p.elem.size), depth+1) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range uintptr(p.n) {
			if !p.elem.equal(unsafe.Add(a, i*p.elem.size), unsafe.Add(b, i*p.elem.size), depth+1) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for _, f := range p.fields {
			if !f.plan.equal(unsafe.Add(a, f.off), unsafe.Add(b, f.off), depth+1) {
				return false
			}
		}
		return true
	case reflect.Interface:
		return p.equalInterfaces(a, b, depth)
	}
	return false
}

// eface is the layout of an interface{} value.
type eface struct {
	typ, data unsafe.Pointer
}

// equalInterfaces compares two interface values: equal dynamic types and
// equal values.
func (p *treePlan) equalInterfaces(a, b unsafe.Pointer, depth int) bool {
	ea, eb := *(*eface)(a), *(*eface)(b)
	if ea.typ == nil || eb.typ == nil {
		return ea.typ == nil && eb.typ == nil
	}
	if p.methods {
		// The first word is a method table, which holds the type.
		if !itabLayoutOK {
			return false
		}
		ea.typ, eb.typ = *(*unsafe.Pointer)(unsafe.Add(ea.typ, unsafe.Sizeof(uintptr(0)))), *(*unsafe.Pointer)(unsafe.Add(eb.typ, unsafe.Sizeof(uintptr(0))))
	}
	if ea.typ != eb.typ {
		return false
	}
	dyn := p.dynamicPlan(ea.typ)
	if dyn.direct {
		return dyn.equal(unsafe.Pointer(&ea.data), unsafe.Pointer(&eb.data), depth+1)
	}
	return dyn.equal(ea.data, eb.data, depth+1)
}

// itabLayoutOK reports whether the method table of a non-empty interface
// value holds its dynamic type in its second word, as the Go runtime's
// abi.ITab does (Inter, Type, Hash, Fun). Where it does not, sameTree
// finds non-empty interfaces unequal, and code is compared by its text.
var itabLayoutOK = func() bool {
	var c jen.Code = jen.Null()
	var x any = c
	itab := (*eface)(unsafe.Pointer(&c)).typ
	return *(*unsafe.Pointer)(unsafe.Add(itab, unsafe.Sizeof(uintptr(0)))) == (*eface)(unsafe.Pointer(&x)).typ
}()

// dynamicPlan is the plan of the type whose runtime type word is typ,
// held by an interface of p's type.
func (p *treePlan) dynamicPlan(typ unsafe.Pointer) *treePlan {
	old := p.dynamic.Load()
	if old != nil {
		for _, e := range *old {
			if e.typ == typ {
				return e.plan
			}
		}
	}
	x := *(*any)(unsafe.Pointer(&eface{typ: typ}))
	plan := planOf(reflect.TypeOf(x))
	var list []dynamicEntry
	if old != nil {
		list = append(list, *old...)
	}
	list = append(list, dynamicEntry{typ, plan})
	p.dynamic.Store(&list) // a racing store loses an entry, found again next time
	return plan
}
