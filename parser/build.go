package parser

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"modernc.org/cc/v4"
)

// builder turns a cc/v4 AST into the Unit model, reading the syntax so
// that attributes, typedef names and positions survive; cc/v4's type
// checker still validates the input and evaluates constant expressions.
type builder struct {
	cfg   *Config
	ast   *cc.AST
	unit  *Unit
	errs  ErrorList
	packs *packState

	tags     map[string]*Record // "struct X" / "union X"
	enumTags map[string]*Enum
	// labels name anonymous records relative to their parent until the
	// final naming pass.
	labels map[*Record]string
	// extraLabels are the further members declared with the same
	// anonymous record type.
	extraLabels map[*Record][]string
	// typedefOf remembers the first typedef naming an anonymous record.
	typedefOf map[*Record]string
	docs      *docReader
	// useNodes are the operands the last layoutUses found.
	useNodes []cc.ExpressionNode
	// sized are the array lengths and enumerators to list in
	// Unit.LayoutChecks once the records have their names.
	sized []sizedConst
	// probed are the macro probe's initializers when the unit was
	// translated with a guessed probe (translateGuessed), else nil.
	probed map[string]*cc.Initializer
}

// sizedConst is a constant expression of a declaration.
type sizedConst struct {
	what string
	pos  Pos
	e    cc.ExpressionNode
}

func newBuilder(cfg *Config, ast *cc.AST, pragmas []pragma) *builder {
	return &builder{
		cfg:         cfg,
		ast:         ast,
		unit:        &Unit{records: map[string]*Record{}, typedefs: map[string]*Typedef{}, display: cfg.display},
		packs:       newPackState(pragmas),
		tags:        map[string]*Record{},
		enumTags:    map[string]*Enum{},
		labels:      map[*Record]string{},
		extraLabels: map[*Record][]string{},
		typedefOf:   map[*Record]string{},
		docs:        newDocReader(cfg.Tree),
	}
}

func (b *builder) errorf(pos Pos, format string, args ...any) {
	b.errs = append(b.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), display: b.cfg.display(pos.File)})
}

// pos converts a cc/v4 position. Files outside the tree (the built-in
// headers) keep their virtual names.
func (b *builder) pos(n interface{ Position() tokenPosition }) Pos {
	p := n.Position()
	return Pos{File: b.cfg.rel(p.Filename), Line: p.Line, Col: p.Column}
}

func (b *builder) build() {
	for _, p := range b.packs.leaks() {
		pos := Pos{File: b.cfg.rel(p.file), Line: p.line, Col: p.col}
		b.errorf(pos, "#pragma pack left in effect at the end of %s: %v (pack must be reset in the file that sets it)", pos.File, errUnsupported)
	}
	for l := b.ast.TranslationUnit; l != nil; l = l.TranslationUnit {
		ed := l.ExternalDeclaration
		if ed == nil || ed.Case != cc.ExternalDeclarationDecl || ed.Declaration == nil {
			continue
		}
		file := ed.Position().Filename
		if !strings.HasPrefix(file, treeRoot+"/") && !strings.HasPrefix(file, builtinRoot+"/") {
			continue // cc/v4's own built-ins and predefined macros
		}
		b.declaration(ed.Declaration)
	}
	b.nameRecords()
	b.layoutChecks()
	b.macros()
	b.annotations()
}

// spec is what a list of declaration specifiers says.
type spec struct {
	typ      *Type
	typedef  bool
	aligned  int64
	packed   bool
	hasOther bool // a storage class other than typedef (extern, static)
}

func (b *builder) declaration(d *cc.Declaration) {
	if d.Case != cc.DeclarationDecl {
		return
	}
	s := b.declSpecs(d.DeclarationSpecifiers)
	if s.typ == nil {
		return
	}
	a := b.attrs(d.AttributeSpecifierList)
	for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
		id := l.InitDeclarator
		if id == nil || id.Declarator == nil {
			continue
		}
		t, name := b.declarator(id.Declarator, s.typ)
		if !s.typedef || name == "" {
			continue // objects and function prototypes have no layout
		}
		al := max(s.aligned, a.aligned, b.attrs(l.AttributeSpecifierList).aligned, b.attrs(id.AttributeSpecifierList).aligned)
		if al != 0 {
			c := *t
			c.Aligned = max(c.Aligned, al)
			t = &c
		}
		if r := t.anonymousRecord(); r != nil {
			if _, ok := b.typedefOf[r]; !ok {
				b.typedefOf[r] = name
			}
		}
		pos := b.pos(id.Declarator)
		td := &Typedef{Name: name, Type: t, Pos: pos, Header: pos.File}
		if strings.HasPrefix(pos.File, treeRoot) || !strings.HasPrefix(pos.File, "/") {
			td.Doc = b.docs.at(pos, b.pos(d))
		}
		if old := b.unit.typedefs[name]; old != nil {
			continue // a compatible redefinition; cc/v4 rejects incompatible ones
		}
		b.unit.typedefs[name] = td
		b.unit.Typedefs = append(b.unit.Typedefs, td)
	}
}

// anonymousRecord returns the record of an untagged struct/union type.
func (t *Type) anonymousRecord() *Record {
	if t.Kind == RecordRef && t.Record.Tag == "" {
		return t.Record
	}
	return nil
}

// memberRecord returns the untagged record a member declares, looking
// through arrays ("struct { ... } timers[3]").
func (t *Type) memberRecord() *Record {
	for t.Kind == Array {
		t = t.Elem
	}
	return t.anonymousRecord()
}

// specWords collects the type specifier keywords of one declaration.
type specWords struct {
	n     map[cc.TypeSpecifierCase]int
	named *Type // struct, union, enum or typedef name
	pos   Pos
}

func (b *builder) declSpecs(ds *cc.DeclarationSpecifiers) spec {
	var s spec
	w := specWords{n: map[cc.TypeSpecifierCase]int{}}
	var cnst, vol bool
	for ; ds != nil; ds = ds.DeclarationSpecifiers {
		b.attrsInto(&s, ds.AttributeSpecifierList)
		switch ds.Case {
		case cc.DeclarationSpecifiersStorage:
			if ds.StorageClassSpecifier.Case == cc.StorageClassSpecifierTypedef {
				s.typedef = true
			} else {
				s.hasOther = true
			}
		case cc.DeclarationSpecifiersTypeSpec:
			b.typeSpec(&w, ds.TypeSpecifier)
		case cc.DeclarationSpecifiersTypeQual:
			b.typeQual(&s, ds.TypeQualifier, &cnst, &vol)
		case cc.DeclarationSpecifiersAlignSpec:
			s.aligned = max(s.aligned, b.alignSpec(ds.AlignmentSpecifier))
		}
	}
	s.typ = qualified(b.specType(&w), cnst, vol)
	return s
}

func (b *builder) specQuals(l *cc.SpecifierQualifierList) spec {
	var s spec
	w := specWords{n: map[cc.TypeSpecifierCase]int{}}
	var cnst, vol bool
	for ; l != nil; l = l.SpecifierQualifierList {
		b.attrsInto(&s, l.AttributeSpecifierList)
		switch l.Case {
		case cc.SpecifierQualifierListTypeSpec:
			b.typeSpec(&w, l.TypeSpecifier)
		case cc.SpecifierQualifierListTypeQual:
			b.typeQual(&s, l.TypeQualifier, &cnst, &vol)
		case cc.SpecifierQualifierListAlignSpec:
			s.aligned = max(s.aligned, b.alignSpec(l.AlignmentSpecifier))
		}
	}
	s.typ = qualified(b.specType(&w), cnst, vol)
	return s
}

// qualified returns t with the const and volatile qualifiers given.
func qualified(t *Type, cnst, vol bool) *Type {
	if t == nil || !cnst && !vol {
		return t
	}
	c := *t
	c.Const, c.Volatile = cnst, vol
	return &c
}

func (b *builder) typeQual(s *spec, q *cc.TypeQualifier, cnst, vol *bool) {
	switch q.Case {
	case cc.TypeQualifierConst:
		*cnst = true
	case cc.TypeQualifierVolatile:
		*vol = true
	case cc.TypeQualifierAttr:
		b.attrsInto(s, q.AttributeSpecifierList)
	}
}

func (b *builder) typeSpec(w *specWords, ts *cc.TypeSpecifier) {
	if w.pos.File == "" {
		w.pos = b.pos(ts)
	}
	switch ts.Case {
	case cc.TypeSpecifierStructOrUnion:
		w.named = b.recordSpec(ts.StructOrUnionSpecifier)
	case cc.TypeSpecifierEnum:
		w.named = b.enumSpec(ts.EnumSpecifier)
	case cc.TypeSpecifierTypeName:
		name := ts.Token.SrcStr()
		td := b.unit.typedefs[name]
		if td == nil {
			b.errorf(b.pos(ts), "unknown type %s", name)
			w.named = &Type{Kind: Int} // keep going; the error stops the pass
			return
		}
		w.named = &Type{Kind: TypedefRef, Typedef: td, Elem: td.Type}
	case cc.TypeSpecifierVoid, cc.TypeSpecifierChar, cc.TypeSpecifierShort, cc.TypeSpecifierInt,
		cc.TypeSpecifierInt128, cc.TypeSpecifierUint128, cc.TypeSpecifierLong, cc.TypeSpecifierFloat,
		cc.TypeSpecifierDouble, cc.TypeSpecifierSigned, cc.TypeSpecifierUnsigned, cc.TypeSpecifierBool:
		w.n[ts.Case]++
	default:
		b.errorf(b.pos(ts), "type specifier %s: %v", ts.Case, errUnsupported)
		w.named = &Type{Kind: Int}
	}
}

// specType combines the keywords of a specifier list into one type.
func (b *builder) specType(w *specWords) *Type {
	if w.named != nil {
		return w.named
	}
	n := w.n
	if len(n) == 0 {
		return nil
	}
	unsigned := n[cc.TypeSpecifierUnsigned] > 0
	k := Int
	switch {
	case n[cc.TypeSpecifierVoid] > 0:
		k = Void
	case n[cc.TypeSpecifierBool] > 0:
		k = Bool
	case n[cc.TypeSpecifierChar] > 0:
		switch {
		case unsigned:
			k = UChar
		case n[cc.TypeSpecifierSigned] > 0:
			k = SChar
		default:
			k = Char
		}
		return &Type{Kind: k}
	case n[cc.TypeSpecifierFloat] > 0:
		k = Float
	case n[cc.TypeSpecifierDouble] > 0:
		k = Double
		if n[cc.TypeSpecifierLong] > 0 {
			k = LongDouble
		}
	case n[cc.TypeSpecifierInt128] > 0:
		k = Int128
	case n[cc.TypeSpecifierUint128] > 0:
		k = UInt128
	case n[cc.TypeSpecifierShort] > 0:
		k = Short
	case n[cc.TypeSpecifierLong] >= 2:
		k = LongLong
	case n[cc.TypeSpecifierLong] == 1:
		k = Long
	}
	if unsigned {
		switch k {
		case Short:
			k = UShort
		case Int:
			k = UInt
		case Long:
			k = ULong
		case LongLong:
			k = ULongLong
		case Int128:
			k = UInt128
		}
	}
	return &Type{Kind: k}
}

// recordKey is the tag namespace key of a struct or union.
func recordKey(k RecordKind, tag string) string { return k.String() + " " + tag }

func (b *builder) recordSpec(s *cc.StructOrUnionSpecifier) *Type {
	kind := Struct
	if s.StructOrUnion != nil && s.StructOrUnion.Case == cc.StructOrUnionUnion {
		kind = Union
	}
	tag := ""
	if s.Token.SrcStr() != "" {
		tag = s.Token.SrcStr()
	}
	pos := b.pos(s)
	var r *Record
	if tag != "" {
		key := recordKey(kind, tag)
		r = b.tags[key]
		if r == nil {
			r = &Record{Kind: kind, Tag: tag, Name: key, Pos: pos}
			b.tags[key] = r
		}
	}
	if s.Case != cc.StructOrUnionSpecifierDef {
		return &Type{Kind: RecordRef, Record: r}
	}
	if r == nil {
		r = &Record{Kind: kind, Pos: pos}
	}
	if r.Members != nil || r.defined() {
		// cc/v4 reports redefinitions; a second identical definition in
		// another header of the same unit cannot occur for tagged records.
		return &Type{Kind: RecordRef, Record: r}
	}
	r.Pos = pos
	r.Header = pos.File
	r.Doc = b.docs.at(pos, pos)
	a := b.attrs(s.AttributeSpecifierList)
	a2 := b.attrs(s.AttributeSpecifierList2)
	r.Aligned = max(a.aligned, a2.aligned)
	r.Packed = a.packed || a2.packed
	p := s.Position()
	r.Pack = b.packs.at(p.Filename, p.Line, p.Column)
	r.Members = []*Member{} // defined, even when empty
	b.unit.Records = append(b.unit.Records, r)
	index := 0
	for l := s.StructDeclarationList; l != nil; l = l.StructDeclarationList {
		b.members(r, l.StructDeclaration, &index)
	}
	return &Type{Kind: RecordRef, Record: r}
}

// defined reports whether r's body has been seen.
func (r *Record) defined() bool { return r.Members != nil }

// Complete reports whether the record has a definition in the unit.
func (r *Record) Complete() bool { return r.Members != nil }

func (b *builder) members(r *Record, sd *cc.StructDeclaration, index *int) {
	if sd == nil || sd.Case != cc.StructDeclarationDecl {
		return
	}
	s := b.specQuals(sd.SpecifierQualifierList)
	if s.typ == nil {
		return
	}
	after := b.attrs(sd.AttributeSpecifierList)
	declPos := b.pos(sd)
	if sd.StructDeclaratorList == nil {
		// An anonymous struct or union member (C11).
		ar := s.typ.anonymousRecord()
		if ar == nil {
			b.errorf(declPos, "declaration does not declare a member")
			return
		}
		ar.Parent = r
		b.labels[ar] = "#" + strconv.Itoa(*index)
		*index++
		m := &Member{Type: s.typ, BitWidth: -1, Aligned: max(s.aligned, after.aligned), Packed: s.packed || after.packed, Pos: declPos}
		m.Doc = b.docs.at(declPos, declPos)
		r.Members = append(r.Members, m)
		return
	}
	for l := sd.StructDeclaratorList; l != nil; l = l.StructDeclaratorList {
		sdr := l.StructDeclarator
		m := &Member{BitWidth: -1, Aligned: max(s.aligned, after.aligned), Packed: s.packed || after.packed}
		t := s.typ
		if sdr.Declarator != nil {
			t, m.Name = b.declarator(sdr.Declarator, s.typ)
			m.Pos = b.pos(sdr.Declarator)
		} else {
			m.Pos = b.pos(sdr)
		}
		m.Type = t
		if sdr.Case == cc.StructDeclaratorBitField {
			w, ok := intValue(sdr.ConstantExpression)
			if !ok || w < 0 {
				b.errorf(b.pos(sdr.ConstantExpression), "bit-field width is not a non-negative constant")
				w = 0
			}
			m.BitWidth = w
			if rt := t.Resolve(); !rt.Kind.IsScalar() && rt.Kind != EnumRef {
				b.errorf(m.Pos, "bit-field %s has non-integer type %s", m.Name, t)
			}
		}
		if ar := t.memberRecord(); ar != nil {
			label := m.Name
			if label == "" {
				label = "#" + strconv.Itoa(*index)
			}
			switch {
			case ar.Parent == nil:
				ar.Parent = r
				b.labels[ar] = label
			case ar.Parent == r:
				// "struct { ... } source, dest;": one record, two members.
				b.extraLabels[ar] = append(b.extraLabels[ar], label)
			}
		}
		if !(m.IsBitField() && m.Name == "") {
			*index++
		}
		m.Doc = b.docs.at(m.Pos, declPos)
		r.Members = append(r.Members, m)
	}
}

// declarator applies a declarator's pointers, arrays and function
// parameters to base and returns the declared type and name.
func (b *builder) declarator(d *cc.Declarator, base *Type) (*Type, string) {
	t := base
	for p := d.Pointer; p != nil; p = p.Pointer {
		t = &Type{Kind: Pointer, Elem: t}
	}
	return b.direct(d.DirectDeclarator, t)
}

func (b *builder) direct(dd *cc.DirectDeclarator, t *Type) (*Type, string) {
	if dd == nil {
		return t, ""
	}
	switch dd.Case {
	case cc.DirectDeclaratorIdent:
		return t, dd.Token.SrcStr()
	case cc.DirectDeclaratorDecl:
		return b.declarator(dd.Declarator, t)
	case cc.DirectDeclaratorArr, cc.DirectDeclaratorStaticArr, cc.DirectDeclaratorArrStatic:
		n := int64(-1)
		if dd.AssignmentExpression != nil {
			b.sized = append(b.sized, sizedConst{"array length", b.pos(dd.AssignmentExpression), dd.AssignmentExpression})
			v, ok := intValue(dd.AssignmentExpression)
			if !ok || v < 0 {
				b.errorf(b.pos(dd.AssignmentExpression), "array length is not a non-negative constant")
				v = 0
			}
			n = v
		}
		return b.direct(dd.DirectDeclarator, &Type{Kind: Array, Elem: t, Len: n})
	case cc.DirectDeclaratorFuncParam, cc.DirectDeclaratorFuncIdent:
		return b.direct(dd.DirectDeclarator, &Type{Kind: Func, Elem: t})
	default:
		b.errorf(b.pos(dd), "declarator %s: %v", dd.Case, errUnsupported)
		return b.direct(dd.DirectDeclarator, t)
	}
}

func (b *builder) enumSpec(s *cc.EnumSpecifier) *Type {
	tag := s.Token2.SrcStr()
	if s.Case == cc.EnumSpecifierTag {
		tag = s.Token2.SrcStr()
	}
	if tag == "" && s.Case == cc.EnumSpecifierTag {
		tag = s.Token.SrcStr()
	}
	var e *Enum
	if tag != "" {
		e = b.enumTags[tag]
	}
	if e == nil {
		pos := b.pos(s)
		e = &Enum{Tag: tag, Pos: pos, Header: pos.File}
		if tag != "" {
			b.enumTags[tag] = e
		}
	}
	if s.Case == cc.EnumSpecifierDef && e.Enumerators == nil {
		pos := b.pos(s)
		e.Pos, e.Header = pos, pos.File
		e.Doc = b.docs.at(pos, pos)
		e.Enumerators = []*Enumerator{}
		for l := s.EnumeratorList; l != nil; l = l.EnumeratorList {
			en := l.Enumerator
			v, ok := valueInt(en.Value())
			p := b.pos(en)
			if en.ConstantExpression != nil {
				b.sized = append(b.sized, sizedConst{"enumerator " + en.Token.SrcStr(), p, en.ConstantExpression})
			}
			if !ok {
				b.errorf(p, "enumerator %s has no constant value", en.Token.SrcStr())
			}
			e.Enumerators = append(e.Enumerators, &Enumerator{Name: en.Token.SrcStr(), Value: v, Pos: p, Doc: b.docs.at(p, p)})
		}
		if strings.HasPrefix(e.Header, "/") == false {
			b.unit.Enums = append(b.unit.Enums, e)
		}
	}
	return &Type{Kind: EnumRef, Enum: e}
}

// attr is what an attribute list says about layout.
type attr struct {
	aligned int64
	packed  bool
}

func (b *builder) attrsInto(s *spec, l *cc.AttributeSpecifierList) {
	a := b.attrs(l)
	s.aligned = max(s.aligned, a.aligned)
	s.packed = s.packed || a.packed
}

// attrs reads __attribute__((aligned(N))) and ((packed)); other attributes
// do not change layout and are ignored, as gcc ignores unknown ones.
func (b *builder) attrs(l *cc.AttributeSpecifierList) attr {
	var a attr
	for ; l != nil; l = l.AttributeSpecifierList {
		as := l.AttributeSpecifier
		if as == nil {
			continue
		}
		for vl := as.AttributeValueList; vl != nil; vl = vl.AttributeValueList {
			v := vl.AttributeValue
			if v == nil {
				continue
			}
			switch strings.Trim(v.Token.SrcStr(), "_") {
			case "packed":
				a.packed = true
			case "aligned":
				if v.ArgumentExpressionList == nil {
					a.aligned = max(a.aligned, BiggestAlignment)
					continue
				}
				n, ok := intValue(v.ArgumentExpressionList.AssignmentExpression)
				if !ok || n <= 0 || n&(n-1) != 0 {
					b.errorf(b.pos(v), "aligned attribute needs a power of two")
					continue
				}
				a.aligned = max(a.aligned, n)
			}
		}
	}
	return a
}

// BiggestAlignment stands for a bare __attribute__((aligned)) in Aligned
// fields; the layout engine replaces it with the target's largest
// alignment. It is larger than any real alignment, so max keeps it.
const BiggestAlignment = 1 << 40

func (b *builder) alignSpec(s *cc.AlignmentSpecifier) int64 {
	if s.ConstantExpression == nil {
		b.errorf(b.pos(s), "_Alignas(type): %v", errUnsupported)
		return 0
	}
	n, ok := intValue(s.ConstantExpression)
	if !ok || n < 0 {
		b.errorf(b.pos(s), "_Alignas needs a constant")
		return 0
	}
	return n
}

func intValue(e cc.ExpressionNode) (int64, bool) {
	if e == nil {
		return 0, false
	}
	return valueInt(e.Value())
}

func valueInt(v cc.Value) (int64, bool) {
	switch x := v.(type) {
	case cc.Int64Value:
		return int64(x), true
	case cc.UInt64Value:
		return int64(x), true
	}
	return 0, false
}

// nameRecords gives anonymous records their names: "typedef X" when a
// typedef names them, "<parent>.<label>" when nested, and a position
// otherwise.
func (b *builder) nameRecords() {
	var name func(r *Record) string
	name = func(r *Record) string {
		if r.Name != "" {
			return r.Name
		}
		switch {
		case r.Parent != nil:
			r.Name = name(r.Parent) + "." + b.labels[r]
		case b.typedefOf[r] != "":
			r.Name = "typedef " + b.typedefOf[r]
		default:
			r.Name = fmt.Sprintf("%s <anonymous at %s>", r.Kind, r.Pos)
		}
		return r.Name
	}
	for _, r := range b.unit.Records {
		name(r)
		if _, dup := b.unit.records[r.Name]; !dup {
			b.unit.records[r.Name] = r
		}
	}
	// Aliases: parents come before children in Records, so a parent's
	// aliases are known when its children are named.
	for _, r := range b.unit.Records {
		if r.Parent == nil {
			continue
		}
		labels := append([]string{b.labels[r]}, b.extraLabels[r]...)
		for _, p := range append([]string{r.Parent.Name}, r.Parent.Aliases...) {
			for _, l := range labels {
				if n := p + "." + l; n != r.Name {
					r.Aliases = append(r.Aliases, n)
				}
			}
		}
	}
}

func (b *builder) macros() {
	for name, m := range b.ast.Macros {
		p := m.Position()
		if !strings.HasPrefix(p.Filename, treeRoot+"/") {
			continue
		}
		pos := Pos{File: b.cfg.rel(p.Filename), Line: p.Line, Col: p.Column}
		mac := &Macro{Name: name, FuncLike: m.IsFnLike, Pos: pos, Header: pos.File}
		for _, t := range m.Params {
			mac.Params = append(mac.Params, t.SrcStr())
		}
		var text strings.Builder
		for i, t := range m.ReplacementList() {
			if i > 0 && len(t.Sep()) > 0 {
				text.WriteByte(' ')
			}
			text.WriteString(t.SrcStr())
		}
		mac.Text = text.String()
		if !m.IsFnLike && m.IsConst {
			switch v := m.Value().(type) {
			case cc.Int64Value:
				mac.Value = int64(v)
			case cc.UInt64Value:
				mac.Value = uint64(v)
			case cc.Float64Value:
				mac.Value = float64(v)
			case cc.StringValue:
				mac.Value = strings.TrimSuffix(string(v), "\x00")
			}
			if mac.Value != nil && m.Type() != nil {
				mac.CType = m.Type().String()
			}
		}
		mac.Doc = b.docs.at(pos, pos)
		b.unit.Macros = append(b.unit.Macros, mac)
	}
	sort.Slice(b.unit.Macros, func(i, j int) bool {
		a, c := b.unit.Macros[i].Pos, b.unit.Macros[j].Pos
		if a.File != c.File {
			return a.File < c.File
		}
		if a.Line != c.Line {
			return a.Line < c.Line
		}
		return b.unit.Macros[i].Name < b.unit.Macros[j].Name
	})
}

var _ fs.FS = vfs{}
