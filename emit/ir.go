package emit

// The emitter first builds a small intermediate form of each declaration
// for each target. Its content (all but its C name, position and
// alignment: item.sameAs) is the declaration's identity: equal on all four
// targets means one shared declaration, otherwise one per GOARCH. Only
// then is Go rendered, with jennifer.

// item is one top-level declaration (a type with its methods, or a group of
// constants) for one target.
type item struct {
	cname string // C name, the key across targets
	order int    // position in the unit, for a stable file order
	doc   []string
	typ   *typeDecl
	cons  []constDecl
	// guards are compile-time checks: each expression must equal want.
	guards []guard
	// align is C's alignment of a record type on the item's target. Its
	// guard goes into the target's own file (not part of the key: a
	// struct that reads the same on every target is shared even where C
	// aligns it differently, as Go then does too).
	align int64
}

type guard struct {
	typ   string // the Go type
	field string // "" for the type's size, else the field for its offset
	// align: the type's alignment rather than its size.
	align bool
	// numeric types are converted from 0 rather than composed with {}.
	numeric bool
	want    int64
}

func (g guard) String() string {
	v := g.typ + "{}"
	if g.numeric {
		v = g.typ + "(0)"
	}
	if g.field != "" {
		return "Offsetof(" + v + "." + g.field + ")"
	}
	if g.align {
		return "Alignof(" + v + ")"
	}
	return "Sizeof(" + v + ")"
}

// typeDecl is "type Name Underlying" or a struct type with methods.
type typeDecl struct {
	name   string
	under  string // for a defined non-struct type, e.g. "uint64", "[16]byte"
	alias  bool   // type Name = Under
	fields []field
	// isStruct is set for struct types (fields may be empty).
	isStruct bool
	methods  []method
}

// field is a struct field. An empty name is an embedded field; "_" is
// padding.
type field struct {
	name    string
	typ     string
	comment []string
}

// method is a generated accessor.
type method struct {
	doc  []string
	kind methodKind
	name string
	typ  string // the value type
	// off is the byte offset (pointer and misaligned accessors) or the bit
	// offset (bit-field accessors); width is the bit-field width.
	off, width int64
	signed     bool
	elem       string // flexible array element type
	// field is the char array member a charString reads ("" for the
	// type itself, a defined array type: then the method is String on a
	// value receiver).
	field string
	// flags (flagString) are the names String prints; zero is the name
	// of a zero value outside any field, if the group has one.
	flags []flagTerm
	zero  string
}

type methodKind int

const (
	ptrAccessor  methodKind = iota // func (x *T) Name() *Type
	bitGetter                      // func (x *T) Name() Type
	bitSetter                      // func (x *T) SetName(v Type)
	flexAccessor                   // func (x *T) Name(n int) []Elem
	valueGetter                    // func (x *T) Name() Type, unaligned
	valueSetter                    // func (x *T) SetName(v Type), unaligned
	messageTable                   // String and Error of a constant type
	charString                     // func (x *T) Name() string: a C char array up to its first NUL
	flagString                     // String of a flag group: names of bits and fields
	enumString                     // String of another typed group: the constant's name
)

// constDecl is one constant.
type constDecl struct {
	name  string
	typ   string // "" for untyped
	value string // Go literal
	doc   []string
	// messages is set on a typed constant group's synthetic entry.
	messages []string
}

// sameAs reports whether two targets' items are the same declaration:
// equal in everything but their C name, position and alignment, compared
// field by field (sameTree).
func (it *item) sameAs(o *item) bool {
	if (it.typ == nil) != (o.typ == nil) {
		return false
	}
	if it.typ != nil && !sameTree(it.typ, o.typ) {
		return false
	}
	return sameTree(&it.doc, &o.doc) && sameTree(&it.cons, &o.cons) && sameTree(&it.guards, &o.guards)
}
