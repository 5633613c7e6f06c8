package parser

import (
	"errors"
	"fmt"
)

// The C model as bytes, for the cache of parses (see cache.go). A Unit is
// a graph: types point at records, enums and typedefs, nested records at
// their parents. The encoding numbers every record, enum, typedef and type
// node and replaces pointers by those numbers, so that decoding rebuilds
// the same graph, sharing and all, and layout's and emit's maps keyed by
// *Record see one record where the parse had one.

// codecVersion changes whenever the model or its encoding changes meaning.
const codecVersion = 5

type encUnit struct {
	Version  int
	Target   Target
	Mode     Mode
	Includes []string
	Dialect  Dialect
	// The unit's own lists, as indexes into the tables below.
	Records, Typedefs, Enums []int
	Macros                   []encMacro
	Annotations              []Annotation
	LayoutChecks             []encLayoutCheck
	// Tables of everything reachable.
	RecordTab   []encRecord
	TypedefTab  []encTypedef
	EnumTab     []Enum // Enumerators filled in from EnumVals
	EnumVals    [][]Enumerator
	EnumDefined []bool
	TypeTab     []encType
}

type encRecord struct {
	Kind    RecordKind
	Tag     string
	Name    string
	Parent  int // -1 for none
	Aliases []string
	// Defined tells a record without members (struct s {}) from an
	// incomplete one: the encoding sends an empty slice as none.
	Defined bool
	Members []encMember
	Aligned int64
	Packed  bool
	Pack    int64
	Pos     Pos
	Doc     string
	Header  string
}

type encMember struct {
	Name     string
	Type     int
	BitWidth int64
	Aligned  int64
	Packed   bool
	Pos      Pos
	Doc      string
}

type encTypedef struct {
	Name   string
	Type   int
	Pos    Pos
	Doc    string
	Header string
}

// encType is a Type; Elem, Record, Enum and Typedef are indexes, -1 for
// none.
type encType struct {
	Kind                        Kind
	Elem, Record, Enum, Typedef int
	Len, Aligned                int64
	Const, Volatile             bool
}

// encMacro is a Macro; the value is in exactly one of the typed fields,
// as ValueKind says.
type encMacro struct {
	Name      string
	FuncLike  bool
	Params    []string
	Text      string
	ValueKind byte // 0 none, 'i' int64, 'u' uint64, 'f' float64, 's' string
	Int       int64
	Uint      uint64
	Float     float64
	Str       string
	CType     string
	Pos       Pos
	Doc       string
	Header    string
	Layout    []encLayoutUse
	Whole     bool
	Expr      *LayoutExpr
	NoValue   string
}

type encLayoutCheck struct {
	What string
	Pos  Pos
	Uses []encLayoutUse
}

type encLayoutUse struct {
	Op     LayoutOp
	Type   int
	Member []string
	Value  int64
}

type encoder struct {
	e       encUnit
	records map[*Record]int
	tdefs   map[*Typedef]int
	enums   map[*Enum]int
	types   map[*Type]int
}

// encodeUnit returns u's encoding.
func encodeUnit(u *Unit) ([]byte, error) {
	c := &encoder{records: map[*Record]int{}, tdefs: map[*Typedef]int{}, enums: map[*Enum]int{}, types: map[*Type]int{}}
	c.e = encUnit{Version: codecVersion, Target: u.Target, Mode: u.Mode, Includes: u.Includes, Dialect: u.Dialect}
	for _, r := range u.Records {
		c.e.Records = append(c.e.Records, c.record(r))
	}
	for _, td := range u.Typedefs {
		c.e.Typedefs = append(c.e.Typedefs, c.typedef(td))
	}
	for _, en := range u.Enums {
		c.e.Enums = append(c.e.Enums, c.enum(en))
	}
	for _, m := range u.Macros {
		em := encMacro{Name: m.Name, FuncLike: m.FuncLike, Params: m.Params, Text: m.Text, CType: m.CType, Pos: m.Pos, Doc: m.Doc, Header: m.Header,
			Whole: m.Whole, Expr: m.Expr, NoValue: m.NoValue}
		for _, lu := range m.Layout {
			em.Layout = append(em.Layout, encLayoutUse{Op: lu.Op, Type: c.typ(lu.Type), Member: lu.Member, Value: lu.Value})
		}
		switch v := m.Value.(type) {
		case nil:
		case int64:
			em.ValueKind, em.Int = 'i', v
		case uint64:
			em.ValueKind, em.Uint = 'u', v
		case float64:
			em.ValueKind, em.Float = 'f', v
		case string:
			em.ValueKind, em.Str = 's', v
		default:
			return nil, fmt.Errorf("macro %s: value of type %T", m.Name, m.Value)
		}
		c.e.Macros = append(c.e.Macros, em)
	}
	for _, a := range u.Annotations {
		c.e.Annotations = append(c.e.Annotations, *a)
	}
	for _, lc := range u.LayoutChecks {
		ec := encLayoutCheck{What: lc.What, Pos: lc.Pos}
		for _, lu := range lc.Uses {
			ec.Uses = append(ec.Uses, encLayoutUse{Op: lu.Op, Type: c.typ(lu.Type), Member: lu.Member, Value: lu.Value})
		}
		c.e.LayoutChecks = append(c.e.LayoutChecks, ec)
	}
	w := wireWriter{b: make([]byte, 0, 256<<10)}
	w.unit(&c.e)
	return w.b, nil
}

func (c *encoder) record(r *Record) int {
	if r == nil {
		return -1
	}
	if i, ok := c.records[r]; ok {
		return i
	}
	i := len(c.e.RecordTab)
	c.records[r] = i
	c.e.RecordTab = append(c.e.RecordTab, encRecord{})
	er := encRecord{Kind: r.Kind, Tag: r.Tag, Name: r.Name, Aliases: r.Aliases, Aligned: r.Aligned,
		Packed: r.Packed, Pack: r.Pack, Pos: r.Pos, Doc: r.Doc, Header: r.Header}
	er.Parent = c.record(r.Parent)
	er.Defined = r.Members != nil
	for _, m := range r.Members {
		er.Members = append(er.Members, encMember{Name: m.Name, Type: c.typ(m.Type), BitWidth: m.BitWidth,
			Aligned: m.Aligned, Packed: m.Packed, Pos: m.Pos, Doc: m.Doc})
	}
	c.e.RecordTab[i] = er
	return i
}

func (c *encoder) typedef(td *Typedef) int {
	if td == nil {
		return -1
	}
	if i, ok := c.tdefs[td]; ok {
		return i
	}
	i := len(c.e.TypedefTab)
	c.tdefs[td] = i
	c.e.TypedefTab = append(c.e.TypedefTab, encTypedef{})
	c.e.TypedefTab[i] = encTypedef{Name: td.Name, Type: c.typ(td.Type), Pos: td.Pos, Doc: td.Doc, Header: td.Header}
	return i
}

func (c *encoder) enum(en *Enum) int {
	if en == nil {
		return -1
	}
	if i, ok := c.enums[en]; ok {
		return i
	}
	i := len(c.e.EnumTab)
	c.enums[en] = i
	var vals []Enumerator
	for _, v := range en.Enumerators {
		vals = append(vals, *v)
	}
	c.e.EnumTab = append(c.e.EnumTab, Enum{Tag: en.Tag, Pos: en.Pos, Doc: en.Doc, Header: en.Header})
	c.e.EnumVals = append(c.e.EnumVals, vals)
	c.e.EnumDefined = append(c.e.EnumDefined, en.Enumerators != nil)
	return i
}

func (c *encoder) typ(t *Type) int {
	if t == nil {
		return -1
	}
	if i, ok := c.types[t]; ok {
		return i
	}
	i := len(c.e.TypeTab)
	c.types[t] = i
	c.e.TypeTab = append(c.e.TypeTab, encType{})
	et := encType{Kind: t.Kind, Len: t.Len, Aligned: t.Aligned, Const: t.Const, Volatile: t.Volatile}
	et.Elem = c.typ(t.Elem)
	et.Record = c.record(t.Record)
	et.Enum = c.enum(t.Enum)
	et.Typedef = c.typedef(t.Typedef)
	c.e.TypeTab[i] = et
	return i
}

var errBadEncoding = errors.New("bad encoding of a C model")

// decodeUnit rebuilds a Unit from its encoding; cfg gives how messages
// name the tree.
func decodeUnit(data []byte, cfg *Config) (u *Unit, err error) {
	r := wireReader{b: data}
	e := r.unit()
	if r.bad || len(r.b) != 0 || e.Version != codecVersion {
		return nil, errBadEncoding
	}
	defer func() {
		// An index out of range means the bytes are not an encoding this
		// code wrote: the caller parses instead.
		if recover() != nil {
			u, err = nil, errBadEncoding
		}
	}()
	records := make([]*Record, len(e.RecordTab))
	for i := range records {
		records[i] = &Record{}
	}
	tdefs := make([]*Typedef, len(e.TypedefTab))
	for i := range tdefs {
		tdefs[i] = &Typedef{}
	}
	enums := make([]*Enum, len(e.EnumTab))
	for i := range enums {
		en := e.EnumTab[i]
		enums[i] = &en
		if e.EnumDefined[i] {
			vals := e.EnumVals[i]
			en.Enumerators = make([]*Enumerator, len(vals))
			for j := range vals {
				en.Enumerators[j] = &vals[j]
			}
		}
	}
	types := make([]*Type, len(e.TypeTab))
	for i := range types {
		types[i] = &Type{}
	}
	at := func(i int, n int) bool { return i >= 0 && i < n }
	for i, et := range e.TypeTab {
		t := types[i]
		*t = Type{Kind: et.Kind, Len: et.Len, Aligned: et.Aligned, Const: et.Const, Volatile: et.Volatile}
		if at(et.Elem, len(types)) {
			t.Elem = types[et.Elem]
		}
		if at(et.Record, len(records)) {
			t.Record = records[et.Record]
		}
		if at(et.Enum, len(enums)) {
			t.Enum = enums[et.Enum]
		}
		if at(et.Typedef, len(tdefs)) {
			t.Typedef = tdefs[et.Typedef]
		}
	}
	typ := func(i int) *Type {
		if i < 0 {
			return nil
		}
		return types[i]
	}
	for i, er := range e.RecordTab {
		r := records[i]
		*r = Record{Kind: er.Kind, Tag: er.Tag, Name: er.Name, Aliases: er.Aliases, Aligned: er.Aligned,
			Packed: er.Packed, Pack: er.Pack, Pos: er.Pos, Doc: er.Doc, Header: er.Header}
		if er.Parent >= 0 {
			r.Parent = records[er.Parent]
		}
		if er.Defined {
			r.Members = make([]*Member, len(er.Members))
		}
		for j, m := range er.Members {
			r.Members[j] = &Member{Name: m.Name, Type: typ(m.Type), BitWidth: m.BitWidth, Aligned: m.Aligned,
				Packed: m.Packed, Pos: m.Pos, Doc: m.Doc}
		}
	}
	for i, et := range e.TypedefTab {
		*tdefs[i] = Typedef{Name: et.Name, Type: typ(et.Type), Pos: et.Pos, Doc: et.Doc, Header: et.Header}
	}
	u = &Unit{Target: e.Target, Mode: e.Mode, Includes: e.Includes, Dialect: e.Dialect,
		records: map[string]*Record{}, typedefs: map[string]*Typedef{}, display: cfg.display}
	for _, i := range e.Records {
		r := records[i]
		u.Records = append(u.Records, r)
		if _, dup := u.records[r.Name]; !dup {
			u.records[r.Name] = r
		}
	}
	for _, i := range e.Typedefs {
		td := tdefs[i]
		u.Typedefs = append(u.Typedefs, td)
		u.typedefs[td.Name] = td
	}
	for _, i := range e.Enums {
		u.Enums = append(u.Enums, enums[i])
	}
	for _, em := range e.Macros {
		m := &Macro{Name: em.Name, FuncLike: em.FuncLike, Params: em.Params, Text: em.Text, CType: em.CType,
			Pos: em.Pos, Doc: em.Doc, Header: em.Header, Whole: em.Whole, Expr: em.Expr, NoValue: em.NoValue}
		for _, lu := range em.Layout {
			m.Layout = append(m.Layout, LayoutUse{Op: lu.Op, Type: typ(lu.Type), Member: lu.Member, Value: lu.Value})
		}
		switch em.ValueKind {
		case 'i':
			m.Value = em.Int
		case 'u':
			m.Value = em.Uint
		case 'f':
			m.Value = em.Float
		case 's':
			m.Value = em.Str
		}
		u.Macros = append(u.Macros, m)
	}
	for i := range e.Annotations {
		u.Annotations = append(u.Annotations, &e.Annotations[i])
	}
	for _, ec := range e.LayoutChecks {
		lc := LayoutCheck{What: ec.What, Pos: ec.Pos}
		for _, lu := range ec.Uses {
			lc.Uses = append(lc.Uses, LayoutUse{Op: lu.Op, Type: typ(lu.Type), Member: lu.Member, Value: lu.Value})
		}
		u.LayoutChecks = append(u.LayoutChecks, lc)
	}
	return u, nil
}
