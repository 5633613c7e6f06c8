package parser

import (
	"fmt"
	"strings"
)

// Unit is the C model of one translation unit of Xen headers for one
// target and mode. It holds no cc/v4 types: everything below is the
// project's own.
type Unit struct {
	Target   Target
	Mode     Mode
	Includes []string // header names, relative to the tree, in TU order
	Dialect  Dialect  // how the tree is laid out
	// Omitted are the headers -include all left out, and why; nil when
	// the headers were named.
	Omitted []Omission

	// Records lists every struct and union defined in the headers, nested
	// and anonymous ones included, in the order of their definitions.
	Records  []*Record
	Typedefs []*Typedef
	Enums    []*Enum
	// Macros are the object-like and function-like macros the headers
	// define, in order of definition.
	Macros []*Macro
	// Annotations are the comments holding backtick annotations (see
	// Annotation), in file and line order.
	Annotations []*Annotation
	// LayoutChecks are the array lengths and enumerator values that take
	// sizeof, _Alignof or offsetof of a record: cc/v4 computed them with
	// its own record layout, and package layout refuses the unit where
	// its engine disagrees.
	LayoutChecks []LayoutCheck

	records  map[string]*Record // by Name
	typedefs map[string]*Typedef
	// display names a tree file in messages.
	display func(string) string
	// inputs are the files read (see Inputs).
	inputs []byte
	// encoded is the unit's encoding (codec.go) when the unit was decoded
	// from it, as from a child's model: the cache stores it as it is.
	encoded []byte
}

// Errorf returns an error at a position of the unit's headers, the file
// named as the user knows it.
func (u *Unit) Errorf(pos Pos, format string, args ...any) *Error {
	d := pos.File
	if u.display != nil {
		d = u.display(pos.File)
	}
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), display: d}
}

// Record returns the record of that name ("struct X", "typedef X", ...).
func (u *Unit) Record(name string) *Record { return u.records[name] }

// Typedef returns the typedef of that name.
func (u *Unit) Typedef(name string) *Typedef { return u.typedefs[name] }

// Pos is a position in a header, the file relative to the tree.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.File == "" {
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// RecordKind tells structs from unions.
type RecordKind int

const (
	Struct RecordKind = iota
	Union
)

func (k RecordKind) String() string {
	if k == Union {
		return "union"
	}
	return "struct"
}

// Record is a struct or union definition.
type Record struct {
	Kind RecordKind
	// Tag is the C tag, "" for an anonymous record.
	Tag string
	// Name identifies the record: "struct X", "union X", "typedef X" for
	// a typedef of an anonymous record, "<parent>.<member>" for a nested
	// anonymous record, "<parent>.#<index>" when that member is unnamed.
	Name string
	// Parent is the record an anonymous record is nested in, if any.
	Parent *Record
	// Aliases are further names of a nested anonymous record: several
	// members declared with one record type ("struct {...} source, dest;")
	// give it one name each.
	Aliases []string
	Members []*Member
	// Aligned is the record's __attribute__((aligned(N))), 0 if none.
	Aligned int64
	// Packed is __attribute__((packed)) on the record.
	Packed bool
	// Pack is the #pragma pack(N) in effect at the definition, 0 if none.
	Pack int64
	Pos  Pos
	Doc  string
	// Header is the file the record is defined in.
	Header string
}

// Member is one declared member of a record.
type Member struct {
	// Name is "" for an anonymous struct/union member and for an unnamed
	// bit-field.
	Name string
	Type *Type
	// BitWidth is the width of a bit-field, -1 for an ordinary member.
	BitWidth int64
	// Aligned is an aligned attribute on the member, 0 if none.
	Aligned int64
	// Packed is a packed attribute on the member.
	Packed bool
	Pos    Pos
	Doc    string
}

// IsBitField reports whether m is a bit-field.
func (m *Member) IsBitField() bool { return m.BitWidth >= 0 }

// Kind classifies a Type.
type Kind int

// The scalar kinds come first, in the order of C's integer ranks.
const (
	Void Kind = iota
	Bool
	Char
	SChar
	UChar
	Short
	UShort
	Int
	UInt
	Long
	ULong
	LongLong
	ULongLong
	Int128
	UInt128
	Float
	Double
	LongDouble
	Pointer
	Array
	RecordRef
	EnumRef
	Func
	TypedefRef
)

var kindNames = [...]string{
	Void: "void", Bool: "_Bool", Char: "char", SChar: "signed char", UChar: "unsigned char",
	Short: "short", UShort: "unsigned short", Int: "int", UInt: "unsigned int",
	Long: "long", ULong: "unsigned long", LongLong: "long long", ULongLong: "unsigned long long",
	Int128: "__int128", UInt128: "unsigned __int128", Float: "float", Double: "double",
	LongDouble: "long double", Pointer: "pointer", Array: "array", RecordRef: "record",
	EnumRef: "enum", Func: "function", TypedefRef: "typedef",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// IsScalar reports whether k is an arithmetic kind.
func (k Kind) IsScalar() bool { return k >= Bool && k <= LongDouble }

// IsSigned reports whether k is a signed integer kind. Plain char is
// reported signed; its signedness differs by target and layout does not
// care.
func (k Kind) IsSigned() bool {
	switch k {
	case Char, SChar, Short, Int, Long, LongLong, Int128:
		return true
	}
	return false
}

// Type is a C type as the headers spell it: typedef names are kept, so a
// member of type xen_pfn_t says so rather than "unsigned long".
type Type struct {
	Kind Kind
	// Elem is the pointee of a Pointer, the element of an Array and the
	// type a TypedefRef names.
	Elem *Type
	// Len is an Array's length; -1 for a flexible array member ([]).
	Len int64
	// Record is the record of a RecordRef. It may be incomplete (no
	// members) when the headers only declare it.
	Record *Record
	// Enum is the enum of an EnumRef.
	Enum *Enum
	// Typedef is the typedef a TypedefRef names.
	Typedef *Typedef
	// Aligned is an aligned attribute carried by the type itself (a
	// typedef declared with one), 0 if none.
	Aligned int64
	// Const and Volatile qualifiers, kept for documentation.
	Const, Volatile bool
}

// Resolve follows typedef names down to the type they stand for.
func (t *Type) Resolve() *Type {
	for t.Kind == TypedefRef {
		t = t.Elem
	}
	return t
}

// String spells the type in C.
func (t *Type) String() string {
	switch t.Kind {
	case Pointer:
		return t.Elem.String() + " *"
	case Array:
		if t.Len < 0 {
			return t.Elem.String() + "[]"
		}
		return fmt.Sprintf("%s[%d]", t.Elem.String(), t.Len)
	case RecordRef:
		if t.Record.Tag != "" {
			return t.Record.Kind.String() + " " + t.Record.Tag
		}
		return t.Record.Name
	case EnumRef:
		if t.Enum.Tag != "" {
			return "enum " + t.Enum.Tag
		}
		return "enum <anonymous>"
	case TypedefRef:
		return t.Typedef.Name
	case Func:
		return "function"
	}
	return t.Kind.String()
}

// Typedef is a typedef declaration.
type Typedef struct {
	Name   string
	Type   *Type
	Pos    Pos
	Doc    string
	Header string
}

// Enum is an enum definition.
type Enum struct {
	Tag         string // "" for an anonymous enum
	Enumerators []*Enumerator
	Pos         Pos
	Doc         string
	Header      string
}

// Enumerator is one constant of an enum.
type Enumerator struct {
	Name  string
	Value int64
	Pos   Pos
	Doc   string
}

// Macro is a #define of the headers.
type Macro struct {
	Name string
	// FuncLike macros keep only their text.
	FuncLike bool
	Params   []string
	// Text is the replacement list as written.
	Text string
	// Value is the macro's value when it is a constant expression: an
	// int64, uint64, float64 or string. Nil otherwise (a type, a function
	// of its arguments, an expression cc/v4 cannot evaluate). A value
	// with Layout operands is cc/v4's until package layout's Compute has
	// held it to the engine's layouts: read macros after Compute.
	Value any
	// CType is the C type of Value ("int", "unsigned long", ...).
	CType string
	// Layout lists the sizeof, _Alignof and offsetof operands of the
	// macro's expansion whose value depends on a record's layout, with
	// the value cc/v4 computed Value with. cc/v4's record layout is not
	// xenbind's (it ignores packed and #pragma pack, and gets some
	// bit-fields wrong), so Value is only as good as these operands:
	// package layout checks each against its own engine, and where they
	// differ replaces Value (Whole) or removes it, saying why in NoValue.
	Layout []LayoutUse
	// Whole says the macro's expression is Layout[0] alone, give or take
	// parentheses and integer casts: its value is the operand's.
	Whole bool
	// Expr is the macro's expression for evaluating it again with other
	// values of the Layout operands; nil when it uses an operator xenbind
	// does not evaluate.
	Expr *LayoutExpr
	// NoValue says why a macro that has the form of a constant has no
	// Value: its value depends on a record's layout and cannot be
	// computed right. "" otherwise.
	NoValue string
	Pos     Pos
	Doc     string
	Header  string
}

// LayoutOp is what a LayoutUse takes of its type.
type LayoutOp int

const (
	SizeOf   LayoutOp = iota // sizeof
	AlignOf                  // _Alignof, __alignof__
	OffsetOf                 // offsetof, __builtin_offsetof
)

func (o LayoutOp) String() string {
	switch o {
	case AlignOf:
		return "_Alignof"
	case OffsetOf:
		return "offsetof"
	}
	return "sizeof"
}

// LayoutUse is one operand of a macro's expansion that takes the size,
// alignment or a member offset of a type involving a record.
type LayoutUse struct {
	Op LayoutOp
	// Type is the operand; for OffsetOf, the record type.
	Type *Type
	// Member is OffsetOf's member designator, one name a step.
	Member []string
	// Value is cc/v4's value of the operand.
	Value int64
}

// LayoutCheck is a constant of a declaration that takes the layout of a
// record: what it is ("array length", "enumerator X"), where, and its
// operands with cc/v4's values.
type LayoutCheck struct {
	What string
	Pos  Pos
	Uses []LayoutUse
}

// LayoutExpr is an integer expression of a macro, reduced to what
// evaluating it with other values of its Layout operands needs: the
// operators on the way from the macro to each operand; any subexpression
// without one is a constant.
type LayoutExpr struct {
	// Op is "const", "use", "cast", a unary operator ("-", "~", "+" with
	// no Y) or a binary one ("+", "<<", "|", ...).
	Op string
	// Value is a constant's bits, sign-extended for a signed type.
	Value uint64
	// Use is the index of a "use" in Macro.Layout.
	Use int
	// Size (bytes) and Signed describe the node's C type.
	Size   int64
	Signed bool
	X, Y   *LayoutExpr
}

// String spells the operand in C: "sizeof(struct p)", "offsetof(struct
// p, a.b)".
func (u LayoutUse) String() string {
	if u.Op == OffsetOf {
		return fmt.Sprintf("offsetof(%s, %s)", u.Type, strings.Join(u.Member, "."))
	}
	return fmt.Sprintf("%s(%s)", u.Op, u.Type)
}

// Declare spells a C declaration of name with type t, as in a header:
// "uint8_t pad[2]", "char *p".
func (t *Type) Declare(name string) string {
	var dims strings.Builder
	for t.Kind == Array {
		if t.Len < 0 {
			dims.WriteString("[]")
		} else {
			fmt.Fprintf(&dims, "[%d]", t.Len)
		}
		t = t.Elem
	}
	base := t.String()
	sep := " "
	if strings.HasSuffix(base, "*") {
		sep = ""
	}
	if name == "" {
		return base + dims.String()
	}
	return base + sep + name + dims.String()
}
