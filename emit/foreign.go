package emit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// Foreign generates a foreign package: the types of one target as plain Go
// values that any GOARCH can hold, each with MarshalBinary, AppendBinary
// and UnmarshalBinary that write and read the target's C layout (little
// endian, padding zero) field by field, and a Sizeof constant. A 64-bit tool
// reading a 32-bit guest's shared_info uses these; the host package is for
// memory shared with the hypervisor of the machine the tool runs on.
//
// Names are the host package's (the same namer, the same rules), the
// constants too; only the types' representation differs: fields of natural
// Go types (uint32 for a 32-bit target's pointers and longs), unions as
// byte storage with get and set accessors, bit-fields as plain fields that
// the encoder packs, guest handles as Handle[T] holding the address.
func Foreign(l *layout.Layout, opts Options) ([]File, []Note, error) {
	return checked(ForeignOutput(l, opts))
}

// ForeignOutput is Foreign without the type check, as HostOutput is Host.
func ForeignOutput(l *layout.Layout, opts Options) (*Output, error) {
	if err := CheckPackageName(opts.Package); opts.Package != "" && err != nil {
		return &Output{}, err
	}
	f, err := newForeign(l, opts)
	if err != nil {
		return &Output{Notes: f.g.names.Reports}, err
	}
	files, parsed, err := renderAll(f.render())
	if err != nil {
		return &Output{Notes: f.g.names.Reports}, err
	}
	return &Output{Files: files, Notes: f.g.names.Reports, check: func() error {
		return typeCheckParsed(files, parsed, goarches) // host-independent: every GOARCH
	}}, nil
}

// newForeign names and builds the declarations of a foreign package.
func newForeign(l *layout.Layout, opts Options) (*foreign, error) {
	if opts.Package == "" {
		opts.Package = string(l.ABI.Target)
	}
	g := newGen([]*layout.Layout{l}, opts)
	g.names.reserve("SizeError")
	g.assignNames()
	f := &foreign{target: g.targets[0]}
	if len(g.errs) > 0 {
		return f, fmt.Errorf("%s", strings.Join(g.errs, "\n"))
	}
	f.build()
	if len(f.errs) > 0 {
		return f, fmt.Errorf("%s", strings.Join(dedupe(f.errs), "\n"))
	}
	return f, nil
}

// foreign builds the declarations of one foreign package.
type foreign struct {
	*target
	decls []fdecl
	recs  map[*parser.Record]*frecord
	// usesBool says zcodec.go needs xfBool (target.usesBits says it needs
	// the bit-field helpers); errors go to target.errs.
	usesBool bool
}

// fdecl is one top-level declaration, in output order: a record, or an
// item of the host package's kinds (enum, typedef, constants), which
// render the same way in both.
type fdecl struct {
	rec *frecord
	it  *item
}

// frecord is a struct or union of the foreign package.
type frecord struct {
	r      *parser.Record
	rl     *layout.RecordLayout
	name   string // Go type name
	sizeof string // name of the size constant
	doc    []string
	// members are the C members with what the encoder needs, in C order;
	// unnamed bit-fields are left out (they are padding).
	members []*fmember
	// flex are the flexible (and zero-length) array members: no field,
	// a decoding helper.
	flex []*fmember
}

// fmember is one member of a foreign record.
type fmember struct {
	m     *parser.Member
	label string // C name, "#<n>" for an anonymous member
	// name is the Go field (struct) or the getter (union); "" for an
	// embedded anonymous member, whose field name is its type's.
	name  string
	shape *fshape
	off   int64 // byte offset
	// bitOff and width place a bit-field (width -1 for other members).
	bitOff, width int64
	doc           []string
}

// fkind is how a foreign Go value is encoded.
type fkind int

const (
	fInt    fkind = iota // integers: little endian of their size
	fFloat               // IEEE 754 bits
	fBool                // one byte, 0 or 1
	fBytes               // opaque [N]byte (long double, __int128)
	fArray               // elements one after the other
	fStruct              // the record's own encode and decode
	fUnion               // [N]byte storage, copied
	fHandle              // the address, little endian of the handle's size
)

// fshape is the Go representation of a C type in a foreign package.
type fshape struct {
	kind   fkind
	gotype string // Go spelling of the type
	size   int64
	// basic is the Go basic type the value converts to for encoding:
	// uint8 ... int64, float32, float64; for a handle, its address word.
	basic  string
	signed bool
	elem   *fshape // arrays
	n      int64   // array length
	// rec is the Go type declaring encode and decode (struct, union); it
	// differs from gotype when a typedef defines a new type over it.
	rec string
}

// fBuiltin maps the built-in stdint.h and stddef.h typedefs to Go types of
// the target's sizes, not the host's: no uintptr here.
func (f *foreign) fBuiltin(name string) (string, bool) {
	word := fmt.Sprintf("int%d", f.abi.PointerSize*8)
	switch name {
	case "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t":
		return strings.TrimSuffix(name, "_t"), true
	case "intptr_t", "ptrdiff_t":
		return word, true
	case "uintptr_t", "size_t":
		return "u" + word, true
	case "wchar_t":
		return "int32", true
	}
	return "", false
}

func intShape(goType, basic string) *fshape {
	bits, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(basic, "u"), "int"))
	return &fshape{kind: fInt, gotype: goType, basic: basic, size: int64(bits / 8), signed: !strings.HasPrefix(basic, "u")}
}

// shape returns the foreign Go representation of a C type.
func (f *foreign) shape(ty *parser.Type) (*fshape, error) {
	switch ty.Kind {
	case parser.TypedefRef:
		td := ty.Typedef
		if f.g.system(td.Header) {
			if s, ok := f.fBuiltin(td.Name); ok {
				return intShape(s, s), nil
			}
			return f.shape(td.Type)
		}
		if elem, h, ok := f.handle(td); ok {
			e := "byte"
			if es, err := f.shape(elem); err == nil {
				e = es.gotype
			}
			if rl := f.lay.Of(td.Type.Resolve().Record); rl == nil || rl.Size != h.size {
				return nil, fmt.Errorf("guest handle %s is not %d bytes", td.Name, h.size)
			}
			return &fshape{kind: fHandle, gotype: h.name + "[" + e + "]", size: h.size, basic: fmt.Sprintf("uint%d", h.size*8)}, nil
		}
		if name := f.g.typedefGo(td); name != "" {
			s, err := f.shape(td.Type)
			if err != nil {
				return nil, err
			}
			c := *s
			c.gotype = name
			return &c, nil
		}
		return f.shape(td.Type)
	case parser.Pointer:
		s := fmt.Sprintf("uint%d", f.abi.PointerSize*8)
		return intShape(s, s), nil
	case parser.Array:
		e, err := f.shape(ty.Elem)
		if err != nil {
			return nil, err
		}
		n := max(ty.Len, 0)
		return &fshape{kind: fArray, gotype: fmt.Sprintf("[%d]%s", n, e.gotype), size: n * e.size, elem: e, n: n}, nil
	case parser.RecordRef:
		r := ty.Record
		if !r.Complete() {
			return nil, fmt.Errorf("incomplete type %s", ty)
		}
		name := f.g.names.name(r.Name)
		if name == "" || f.g.cfg.skipped(r.Name) || r.Parent != nil && f.g.cfg.skipped(topName(r)) {
			return nil, fmt.Errorf("type %s is skipped by the config", r.Name)
		}
		rl := f.lay.Of(r)
		if rl == nil {
			return nil, fmt.Errorf("%s: no layout", r.Name)
		}
		k := fStruct
		if r.Kind == parser.Union {
			k = fUnion
		}
		return &fshape{kind: k, gotype: name, size: rl.Size, rec: name}, nil
	case parser.EnumRef:
		sz, err := f.lay.SizeOf(ty)
		if err != nil {
			return nil, err
		}
		basic := fmt.Sprintf("uint%d", sz*8)
		e := ty.Enum
		if e.Tag == "" || f.g.cfg.skipped("enum "+e.Tag) || f.g.names.name("enum "+e.Tag) == "" {
			return intShape(basic, basic), nil
		}
		for _, en := range e.Enumerators {
			if en.Value < 0 {
				basic = basic[1:] // signed, as enum() declares it
				break
			}
		}
		return intShape(f.g.names.name("enum "+e.Tag), basic), nil
	case parser.Func:
		return nil, fmt.Errorf("function type")
	case parser.Void:
		return nil, fmt.Errorf("void")
	case parser.Bool:
		return &fshape{kind: fBool, gotype: "bool", basic: "bool", size: 1}, nil
	case parser.Float:
		return &fshape{kind: fFloat, gotype: "float32", basic: "float32", size: 4}, nil
	case parser.Double:
		return &fshape{kind: fFloat, gotype: "float64", basic: "float64", size: 8}, nil
	case parser.LongDouble, parser.Int128, parser.UInt128:
		sz, err := f.lay.SizeOf(ty)
		if err != nil {
			return nil, err
		}
		return &fshape{kind: fBytes, gotype: fmt.Sprintf("[%d]byte", sz), size: sz}, nil
	}
	s := f.scalarGo(ty.Kind)
	if s == "" {
		return nil, fmt.Errorf("no Go type for %s", ty)
	}
	if s == "byte" {
		return intShape("byte", "uint8"), nil
	}
	return intShape(s, s), nil
}

// build makes the declarations in the host package's order: records,
// enums, typedefs, constants.
func (f *foreign) build() {
	g := f.g
	f.recs = map[*parser.Record]*frecord{}
	for _, r := range f.unit.Records {
		if !r.Complete() || isHandleRecord(r) || g.cfg.skipped(r.Name) || r.Parent != nil && g.cfg.skipped(topName(r)) {
			continue
		}
		fr, err := f.record(r)
		if err != nil {
			f.errs = append(f.errs, fmt.Sprintf("%s: %v", r.Pos, err))
			continue
		}
		f.recs[r] = fr
		f.decls = append(f.decls, fdecl{rec: fr})
	}
	for _, e := range f.unit.Enums {
		if it := f.enum(e); it != nil {
			f.decls = append(f.decls, fdecl{it: it})
		}
	}
	for _, td := range f.unit.Typedefs {
		if it := f.typedef(td); it != nil {
			f.decls = append(f.decls, fdecl{it: it})
		}
	}
	for _, it := range f.consts() {
		f.decls = append(f.decls, fdecl{it: it})
	}
}

// typedef is the host package's typedef with foreign types and no guards.
func (f *foreign) typedef(td *parser.Typedef) *item {
	g := f.g
	if !g.declaresType(td) || g.cfg.skipped("typedef "+td.Name) {
		return nil
	}
	name := g.names.name("typedef " + td.Name)
	if name == "" || td.Type.Resolve().Kind == parser.Func {
		return nil
	}
	s, err := f.shape(td.Type)
	if err != nil {
		return nil // an incomplete or skipped type: nothing to name
	}
	decl := &typeDecl{name: name, under: s.gotype, alias: td.Type.Kind == parser.RecordRef}
	return &item{cname: "typedef " + td.Name, typ: decl, doc: cdoc(name, "typedef "+td.Name, td.Pos, td.Doc)}
}

// sizeofName names a record's size constant, clear of every other name.
func (f *foreign) sizeofName(goName string) string {
	n := f.g.names
	want := "Sizeof" + goName
	s := want
	for i := 2; n.taken[s] != ""; i++ {
		s = fmt.Sprintf("%s_%d", want, i)
	}
	if s != want {
		n.Reports = append(n.Reports, Note{Text: fmt.Sprintf("size constant of %s: Go name %s is taken by %s; using %s", goName, want, n.taken[want], s), Clash: true})
	}
	n.taken[s] = "size of " + goName
	return s
}

// record builds a foreign struct or union.
func (f *foreign) record(r *parser.Record) (*frecord, error) {
	rl := f.lay.Of(r)
	if rl == nil {
		return nil, fmt.Errorf("%s: no layout", r.Name)
	}
	name := f.g.names.name(r.Name)
	fr := &frecord{r: r, rl: rl, name: name, sizeof: f.sizeofName(name)}
	fr.doc = cdoc(name, r.Name, r.Pos, r.Doc)
	if r.Kind == parser.Union {
		fr.doc = append(fr.doc, "",
			fmt.Sprintf("It holds the union's %d bytes as they are; the accessors read and write", rl.Size),
			"its members at offset 0.")
	}
	taken := nameSet{"MarshalBinary": true, "AppendBinary": true, "UnmarshalBinary": true}
	claim := taken.claim
	index := 0
	for i, m := range r.Members {
		ml := rl.Members[i]
		if m.IsBitField() && m.Name == "" {
			continue // unnamed: padding, encoded as zero
		}
		label := m.Name
		if label == "" {
			label = "#" + strconv.Itoa(index)
		}
		index++
		s, err := f.shape(m.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", r.Name, label, err)
		}
		fm := &fmember{m: m, label: label, shape: s, off: ml.Offset, bitOff: ml.BitOffset, width: m.BitWidth, doc: docLines(m.Doc)}
		goLabel := m.Name
		if goLabel == "" {
			goLabel = "anon" + strconv.Itoa(index-1)
		}
		switch {
		case m.IsBitField():
			if s.kind != fInt && s.kind != fBool {
				return nil, fmt.Errorf("%s: bit-field %s of type %s", r.Name, label, s.gotype)
			}
		case m.Type.Resolve().Kind == parser.Array && m.Type.Resolve().Len <= 0 && r.Kind == parser.Struct:
			fm.name = claim(goName(goLabel))
			if s.elem.size == 0 {
				// Nothing to decode: the member has neither size nor
				// elements of any size. Keep it only as a claimed name.
				continue
			}
			fr.flex = append(fr.flex, fm)
			continue
		}
		switch {
		case r.Kind == parser.Union:
			fm.name = claim(goName(goLabel))
			claim("Set" + fm.name)
		case m.Name == "":
			taken[s.gotype] = true // embedded: its members are promoted
		default:
			fm.name = claim(goName(m.Name))
		}
		fr.members = append(fr.members, fm)
	}
	return fr, nil
}

// off is a byte offset into the buffer being encoded: a constant plus
// loop indices times their strides.
type off struct {
	c     int64
	terms []offTerm
}

type offTerm struct {
	idx    string
	stride int64
}

func (o off) plus(n int64) off { return off{c: o.c + n, terms: o.terms} }

func (o off) index(idx string, stride int64) off {
	return off{c: o.c, terms: append(append([]offTerm{}, o.terms...), offTerm{idx, stride})}
}

func (o off) zero() bool { return o.c == 0 && len(o.terms) == 0 }

func (o off) String() string {
	var parts []string
	if o.c != 0 || len(o.terms) == 0 {
		parts = append(parts, strconv.FormatInt(o.c, 10))
	}
	for _, t := range o.terms {
		if t.stride == 1 {
			parts = append(parts, t.idx)
		} else {
			parts = append(parts, fmt.Sprintf("%s*%d", t.idx, t.stride))
		}
	}
	return strings.Join(parts, "+")
}

// buf is the byte slice a codec writes or reads: "b" (a []byte), or "x"
// (a union's *[N]byte, which needs x[:] to be a slice).
type buf struct {
	name     string
	arrayPtr bool
}

// from is the buffer from offset o on.
func (b buf) from(o off) *jen.Statement {
	if o.zero() {
		if b.arrayPtr {
			return jen.Id(b.name).Index(jen.Empty(), jen.Empty())
		}
		return jen.Id(b.name)
	}
	return jen.Id(b.name).Index(jen.Id(o.String()), jen.Empty())
}

// span is the n bytes at offset o.
func (b buf) span(o off, n int64) *jen.Statement {
	lo := jen.Empty()
	if !o.zero() {
		lo = jen.Id(o.String())
	}
	return jen.Id(b.name).Index(lo, jen.Id(o.plus(n).String()))
}

func (b buf) at(o off) *jen.Statement { return jen.Id(b.name).Index(jen.Id(o.String())) }

func le(fn string) *jen.Statement {
	return jen.Qual("encoding/binary", "LittleEndian").Dot(fn)
}

// conv converts expr to typ unless it has that type already.
func conv(typ, from string, expr jen.Code) jen.Code {
	if typ == from || typ == "byte" && from == "uint8" || typ == "uint8" && from == "byte" {
		return expr
	}
	return jen.Id(typ).Call(expr)
}

// loopIndex names the index of a loop nested depth deep.
func loopIndex(depth int) string {
	if depth < 3 {
		return []string{"i", "j", "k"}[depth]
	}
	return "i" + strconv.Itoa(depth)
}

// encodeValue writes the statements that encode v (a Go expression of
// shape s) at offset o of b.
func (f *foreign) encodeValue(s *fshape, v string, b buf, o off, depth int) []jen.Code {
	switch s.kind {
	case fInt:
		if s.size == 1 {
			return []jen.Code{b.at(o).Op("=").Add(conv("byte", s.gotype, jen.Id(v)))}
		}
		u := fmt.Sprintf("uint%d", s.size*8)
		return []jen.Code{le("PutUint"+u[4:]).Call(b.from(o), conv(u, s.gotype, jen.Id(v)))}
	case fFloat:
		bits := s.basic[5:]
		return []jen.Code{le("PutUint"+bits).Call(b.from(o),
			jen.Qual("math", "Float"+bits+"bits").Call(conv(s.basic, s.gotype, jen.Id(v))))}
	case fBool:
		f.usesBool = true
		return []jen.Code{b.at(o).Op("=").Id("xfBool").Call(conv("bool", s.gotype, jen.Id(v)))}
	case fBytes, fUnion:
		return []jen.Code{jen.Copy(b.span(o, s.size), jen.Id(v).Index(jen.Empty(), jen.Empty()))}
	case fHandle:
		return []jen.Code{le("PutUint"+s.basic[4:]).Call(b.from(o), jen.Id(v).Dot("addr"))}
	case fStruct:
		return []jen.Code{recv(s, v).Dot("encode").Call(b.from(o))}
	case fArray:
		if s.n == 0 || s.elem.size == 0 {
			return nil
		}
		if isByte(s.elem) {
			return []jen.Code{jen.Copy(b.span(o, s.size), jen.Id(v).Index(jen.Empty(), jen.Empty()))}
		}
		i := loopIndex(depth)
		body := f.encodeValue(s.elem, v+"["+i+"]", b, o.index(i, s.elem.size), depth+1)
		return []jen.Code{jen.For(jen.Id(i).Op(":=").Range().Lit(int(s.n))).Block(body...)}
	}
	panic("unreachable")
}

// decodeValue writes the statements that decode v (an assignable Go
// expression of shape s) from offset o of b.
func (f *foreign) decodeValue(s *fshape, v string, b buf, o off, depth int) []jen.Code {
	if e := f.decodeExpr(s, b, o); e != nil {
		return []jen.Code{jen.Id(v).Op("=").Add(e)}
	}
	switch s.kind {
	case fBytes, fUnion:
		return []jen.Code{jen.Copy(jen.Id(v).Index(jen.Empty(), jen.Empty()), b.span(o, s.size))}
	case fHandle:
		return []jen.Code{jen.Id(v).Dot("addr").Op("=").Add(le("Uint" + s.basic[4:]).Call(b.from(o)))}
	case fStruct:
		return []jen.Code{recv(s, v).Dot("decode").Call(b.from(o))}
	case fArray:
		if s.n == 0 || s.elem.size == 0 {
			return nil
		}
		if isByte(s.elem) {
			return []jen.Code{jen.Copy(jen.Id(v).Index(jen.Empty(), jen.Empty()), b.span(o, s.size))}
		}
		i := loopIndex(depth)
		body := f.decodeValue(s.elem, v+"["+i+"]", b, o.index(i, s.elem.size), depth+1)
		return []jen.Code{jen.For(jen.Id(i).Op(":=").Range().Lit(int(s.n))).Block(body...)}
	}
	panic("unreachable")
}

// decodeExpr is the value of a scalar at offset o of b, nil for other
// shapes.
func (f *foreign) decodeExpr(s *fshape, b buf, o off) jen.Code {
	switch s.kind {
	case fInt:
		if s.size == 1 {
			return conv(s.gotype, "byte", b.at(o))
		}
		u := fmt.Sprintf("uint%d", s.size*8)
		return conv(s.gotype, u, le("Uint"+u[4:]).Call(b.from(o)))
	case fFloat:
		bits := s.basic[5:]
		return conv(s.gotype, s.basic, jen.Qual("math", "Float"+bits+"frombits").Call(le("Uint"+bits).Call(b.from(o))))
	case fBool:
		return conv(s.gotype, "bool", b.at(o).Op("!=").Lit(0))
	}
	return nil
}

// bitsEncode and bitsDecode are the codec of a bit-field.
func (f *foreign) bitsEncode(fm *fmember, v string, b buf) jen.Code {
	f.usesBits = true
	val := conv("uint64", fm.shape.gotype, jen.Id(v))
	if fm.shape.kind == fBool {
		val = jen.Uint64().Call(jen.Id("xfBool").Call(conv("bool", fm.shape.gotype, jen.Id(v))))
	}
	return jen.Id("xfPutBits").Call(b.from(off{}), jen.Lit(int(fm.bitOff)), jen.Lit(int(fm.width)), val)
}

func bitsDecode(fm *fmember, b buf) jen.Code {
	get := jen.Id("xfGetBits").Call(b.from(off{}), jen.Lit(int(fm.bitOff)), jen.Lit(int(fm.width)))
	switch {
	case fm.shape.kind == fBool:
		return conv(fm.shape.gotype, "bool", get.Op("!=").Lit(0))
	case fm.shape.signed:
		return jen.Id(fm.shape.gotype).Call(jen.Id("xfSignExtend").Call(get, jen.Lit(int(fm.width))))
	}
	return conv(fm.shape.gotype, "uint64", get)
}

func isByte(s *fshape) bool {
	return s.kind == fInt && s.size == 1 && (s.gotype == "byte" || s.gotype == "uint8")
}

// recv is v as the type that declares encode and decode.
func recv(s *fshape, v string) *jen.Statement {
	if s.gotype == s.rec {
		return jen.Id(v)
	}
	return jen.Parens(jen.Op("*").Id(s.rec)).Call(jen.Op("&").Id(v))
}

// field is the Go expression of a struct member of x.
func (fm *fmember) field() string {
	if fm.name == "" {
		return "x." + fm.shape.gotype
	}
	return "x." + fm.name
}

// gaps are the byte ranges of a struct that no member other than a
// bit-field covers: padding, and the storage of bit-fields, which the
// encoder clears before it packs them.
func (fr *frecord) gaps() [][2]int64 {
	covered := make([]bool, fr.rl.Size)
	for _, fm := range fr.members {
		if fm.width >= 0 {
			continue
		}
		for i := fm.off; i < fm.off+fm.shape.size && i < fr.rl.Size; i++ {
			covered[i] = true
		}
	}
	var out [][2]int64
	for i := int64(0); i < fr.rl.Size; {
		if covered[i] {
			i++
			continue
		}
		j := i
		for j < fr.rl.Size && !covered[j] {
			j++
		}
		out = append(out, [2]int64{i, j})
		i = j
	}
	return out
}

// memberDoc is a struct field's comment: the header's, then where C puts
// the member.
func (fm *fmember) memberDoc() []string {
	var where string
	if fm.width >= 0 {
		where = fmt.Sprintf("Bit-field %s: %s at bit %d (in byte %d). Encoding keeps the low %s",
			fm.m.Type.Declare(fm.m.Name)+":"+strconv.FormatInt(fm.width, 10), count(fm.width, "bit"), fm.bitOff, fm.off, count(fm.width, "bit"))
		if fm.shape.signed {
			where += "; decoding sign-extends them."
		} else {
			where += "."
		}
	} else {
		decl := fm.m.Type.Declare(fm.m.Name)
		if r := fm.m.Type.Resolve(); fm.m.Name == "" && r.Kind == parser.RecordRef {
			decl = fmt.Sprintf("an anonymous %s member (%s)", r.Record.Kind, r.Record.Name)
		}
		where = fmt.Sprintf("At offset %d (%s): %s.", fm.off, count(fm.shape.size, "byte"), decl)
	}
	if len(fm.doc) == 0 {
		return []string{where}
	}
	return append(append(append([]string{}, fm.doc...), ""), where)
}

func (f *foreign) render() []pending {
	var files []pending
	types := f.newFile()
	consts := f.newFile()
	nTypes, nConsts := 0, 0
	var run []jen.Code // consecutive plain constants share one block
	flush := func() {
		if len(run) > 0 {
			consts.Const().Defs(run...)
			consts.Line()
			run = nil
		}
	}
	for _, d := range f.decls {
		switch {
		case d.rec != nil:
			f.renderRecord(types, d.rec)
			nTypes++
		case d.it.typ != nil:
			renderItem(types, d.it)
			nTypes++
		case len(d.it.cons) == 1 && d.it.cons[0].typ == "" && d.it.cons[0].messages == nil:
			c := d.it.cons[0]
			if doc := comment(c.doc); doc != nil {
				run = append(run, doc)
			}
			run = append(run, jen.Id(c.name).Op("=").Id(c.value))
			nConsts++
		default:
			flush()
			renderItem(consts, d.it)
			consts.Line()
			nConsts++
		}
	}
	flush()
	codec := f.newFile()
	f.renderCodec(codec)
	for _, x := range []struct {
		name string
		f    *jen.File
		n    int
	}{{"zcodec.go", codec, 1}, {"zconst.go", consts, nConsts}, {"ztypes.go", types, nTypes}} {
		if x.n == 0 {
			continue
		}
		files = append(files, pending{name: x.name, f: x.f})
	}
	return files
}

func (f *foreign) newFile() *jen.File {
	jf := jen.NewFile(f.g.opts.Package)
	jf.HeaderComment(fmt.Sprintf("Code generated by %q; DO NOT EDIT.", f.g.opts.Invocation))
	jf.ImportName("encoding/binary", "binary")
	jf.ImportName("math", "math")
	jf.ImportName("slices", "slices")
	jf.ImportName("strconv", "strconv")
	return jf
}

// count spells n things.
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// renderRecord writes a record's type, size constant and methods.
func (f *foreign) renderRecord(jf *jen.File, fr *frecord) {
	jf.Add(docComment(fr.doc))
	size := fr.rl.Size
	union := fr.r.Kind == parser.Union
	if union {
		jf.Type().Id(fr.name).Index(jen.Lit(int(size))).Byte()
	} else {
		var fields []jen.Code
		for _, fm := range fr.members {
			fields = append(fields, comment(fm.memberDoc()))
			if fm.name == "" {
				fields = append(fields, jen.Id(fm.shape.gotype))
			} else {
				fields = append(fields, jen.Id(fm.name).Id(fm.shape.gotype))
			}
		}
		jf.Type().Id(fr.name).Struct(fields...)
	}
	docf(jf, fmt.Sprintf("%s is the C size of %s on %s, in bytes.", fr.sizeof, fr.r.Name, f.abi.Target))
	jf.Const().Id(fr.sizeof).Op("=").Lit(int(size))

	x := func() *jen.Statement { return jen.Id("x").Op("*").Id(fr.name) }
	docf(jf, fmt.Sprintf("MarshalBinary encodes x as C lays out %s on %s, little endian,\npadding zero. It never fails.", fr.r.Name, f.abi.Target))
	jf.Func().Params(x()).Id("MarshalBinary").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Id("b").Op(":=").Make(jen.Index().Byte(), jen.Id(fr.sizeof)),
		jen.Id("x").Dot("encode").Call(jen.Id("b")),
		jen.Return(jen.Id("b"), jen.Nil()),
	)
	docf(jf, "AppendBinary appends the encoding of x to b, as MarshalBinary makes it.")
	jf.Func().Params(x()).Id("AppendBinary").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Id("n").Op(":=").Len(jen.Id("b")),
		jen.Id("b").Op("=").Qual("slices", "Grow").Call(jen.Id("b"), jen.Id(fr.sizeof)).Index(jen.Empty(), jen.Id("n").Op("+").Id(fr.sizeof)),
		jen.Id("x").Dot("encode").Call(jen.Id("b").Index(jen.Id("n"), jen.Empty())),
		jen.Return(jen.Id("b"), jen.Nil()),
	)
	docf(jf, fmt.Sprintf("UnmarshalBinary decodes x from the first %s bytes of data; any\nbytes after them are ignored. Shorter data gives a *SizeError.", fr.sizeof))
	jf.Func().Params(x()).Id("UnmarshalBinary").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.If(jen.Len(jen.Id("data")).Op("<").Id(fr.sizeof)).Block(
			jen.Return(sizeError(jen.Lit(fr.name), jen.Id(fr.sizeof)))),
		jen.Id("x").Dot("decode").Call(jen.Id("data")),
		jen.Return(jen.Nil()),
	)

	b := buf{name: "b"}
	var enc, dec []jen.Code
	if size > 0 {
		hint := jen.Id("_").Op("=").Id("b").Index(jen.Lit(int(size - 1)))
		enc = append(enc, hint)
		dec = append(dec, hint)
	}
	if union {
		enc = append(enc, jen.Copy(b.span(off{}, size), jen.Id("x").Index(jen.Empty(), jen.Empty())))
		dec = append(dec, jen.Copy(jen.Id("x").Index(jen.Empty(), jen.Empty()), b.span(off{}, size)))
	} else {
		for _, gp := range fr.gaps() {
			if gp[1]-gp[0] == 1 {
				enc = append(enc, b.at(off{c: gp[0]}).Op("=").Lit(0))
			} else {
				enc = append(enc, jen.Clear(b.span(off{c: gp[0]}, gp[1]-gp[0])))
			}
		}
		for _, fm := range fr.members {
			if fm.width >= 0 {
				enc = append(enc, f.bitsEncode(fm, fm.field(), b))
				dec = append(dec, jen.Id(fm.field()).Op("=").Add(bitsDecode(fm, b)))
				continue
			}
			enc = append(enc, f.encodeValue(fm.shape, fm.field(), b, off{c: fm.off}, 0)...)
			dec = append(dec, f.decodeValue(fm.shape, fm.field(), b, off{c: fm.off}, 0)...)
		}
	}
	docf(jf, fmt.Sprintf("encode writes x to b[:%s], every byte of it.", fr.sizeof))
	jf.Func().Params(x()).Id("encode").Params(jen.Id("b").Index().Byte()).Block(enc...)
	docf(jf, fmt.Sprintf("decode reads x from b[:%s].", fr.sizeof))
	jf.Func().Params(x()).Id("decode").Params(jen.Id("b").Index().Byte()).Block(dec...)

	if union {
		f.renderAccessors(jf, fr)
	}
	for _, fm := range fr.flex {
		f.renderFlex(jf, fr, fm)
	}
}

// sizeError is &SizeError{...} for data too short.
func sizeError(typ, want jen.Code) jen.Code {
	return jen.Op("&").Id("SizeError").Values(
		jen.Id("Type").Op(":").Add(typ),
		jen.Id("Want").Op(":").Add(want),
		jen.Id("Got").Op(":").Len(jen.Id("data")))
}

// renderAccessors writes a union's getter and setter for each member.
func (f *foreign) renderAccessors(jf *jen.File, fr *frecord) {
	b := buf{name: "x", arrayPtr: true}
	x := func() *jen.Statement { return jen.Id("x").Op("*").Id(fr.name) }
	for _, fm := range fr.members {
		s := fm.shape
		what := "member " + fm.label
		if fm.width >= 0 {
			what = fmt.Sprintf("bit-field %s (%d bits at bit %d)", fm.label, fm.width, fm.bitOff)
		}
		docf(jf, fmt.Sprintf("%s returns %s of the union.", fm.name, what))
		switch {
		case fm.width >= 0:
			jf.Func().Params(x()).Id(fm.name).Params().Id(s.gotype).Block(jen.Return(bitsDecode(fm, b)))
		case f.decodeExpr(s, b, off{}) != nil:
			jf.Func().Params(x()).Id(fm.name).Params().Id(s.gotype).Block(jen.Return(f.decodeExpr(s, b, off{})))
		default:
			body := append(f.decodeValue(s, "v", b, off{}, 0), jen.Return())
			jf.Func().Params(x()).Id(fm.name).Params().Params(jen.Id("v").Id(s.gotype)).Block(body...)
		}
		setDoc := fmt.Sprintf("Set%s writes %s at the start of the union; its other bytes\nstay as they are.", fm.name, what)
		var set []jen.Code
		if fm.width >= 0 {
			setDoc += fmt.Sprintf(" Only the low %d bits of v are kept.", fm.width)
			set = []jen.Code{f.bitsEncode(fm, "v", b)}
		} else {
			set = f.encodeValue(s, "v", b, off{}, 0)
		}
		docf(jf, setDoc)
		jf.Func().Params(x()).Id("Set" + fm.name).Params(jen.Id("v").Id(s.gotype)).Block(set...)
	}
}

// renderFlex writes the decoding helper of a flexible array member.
func (f *foreign) renderFlex(jf *jen.File, fr *frecord, fm *fmember) {
	e := fm.shape.elem
	docf(jf, fmt.Sprintf("%s decodes n elements of the flexible array member %s, which C\n"+
		"places at offset %d, after (or in the tail padding of) the fixed part: data holds an\n"+
		"encoded %s followed by the elements. The elements are not part of %s,\n"+
		"and MarshalBinary does not write them.",
		fm.name, fm.m.Type.Declare(fm.m.Name), fm.off, fr.name, fr.sizeof))
	want := jen.Lit(int(fm.off)).Op("+").Id("n").Op("*").Lit(int(e.size))
	room := jen.Parens(jen.Len(jen.Id("data")).Op("-").Lit(int(fm.off))).Op("/").Lit(int(e.size))
	if e.size == 1 {
		want = jen.Lit(int(fm.off)).Op("+").Id("n")
		room = jen.Len(jen.Id("data")).Op("-").Lit(int(fm.off))
	}
	b := buf{name: "data"}
	body := f.decodeValue(e, "out[i]", b, off{c: fm.off}.index("i", e.size), 1)
	jf.Func().Params(jen.Id("x").Op("*").Id(fr.name)).Id(fm.name).Params(jen.Id("data").Index().Byte(), jen.Id("n").Int()).Params(jen.Index().Id(e.gotype), jen.Error()).Block(
		jen.If(jen.Id("n").Op("<").Lit(0).Op("||").Len(jen.Id("data")).Op("<").Lit(int(fm.off)).Op("||").Id("n").Op(">").Add(room)).Block(
			jen.Return(jen.Nil(), sizeError(jen.Lit(fr.name+"."+fm.name), want))),
		jen.Id("out").Op(":=").Make(jen.Index().Id(e.gotype), jen.Id("n")),
		jen.For(jen.Id("i").Op(":=").Range().Id("out")).Block(body...),
		jen.Return(jen.Id("out"), jen.Nil()),
	)
}

// renderCodec writes what every foreign package has: the package doc,
// SizeError, the handle types and the bit-field helpers.
func (f *foreign) renderCodec(jf *jen.File) {
	target := string(f.abi.Target)
	jf.PackageComment(slashes(fmt.Sprintf("Package %s holds the Xen interface types of %s as plain Go values that\n"+
		"any GOARCH can hold: a tool on one architecture reading or writing another's\n"+
		"structures (a 64-bit dom0 tool and a 32-bit guest's shared_info, say).\n"+
		"\n"+
		"Each struct and union has MarshalBinary, AppendBinary and UnmarshalBinary,\n"+
		"which write and read the C layout of %s field by field (little endian,\n"+
		"padding bytes zero), and a Sizeof constant with its C size. Pointers, long\n"+
		"and unsigned long have %s's width (%d and %d bytes). Unions are byte storage\n"+
		"with a getter and a setter for each member; bit-fields are plain fields that\n"+
		"the encoder packs, keeping only as many low bits as the field is wide; guest\n"+
		"handles are Handle[T] (XEN_GUEST_HANDLE) and, where C defines\n"+
		"XEN_GUEST_HANDLE_64, Handle64[T], holding the address. Flexible array\n"+
		"members are not part of a type's size: a method decodes n elements of one\n"+
		"from the bytes that follow.\n"+
		"\n"+
		"Names and constants are the host package's. Nothing here depends on the\n"+
		"machine it runs on: the Go values are not memory images of the C types\n"+
		"(Go lays them out for the host, and C's alignment does not apply to\n"+
		"them); only the bytes the encoder writes follow C. For memory shared\n"+
		"with the running hypervisor, use the host package, whose types have the\n"+
		"C layout, alignment included, in memory.",
		f.g.opts.Package, target, target, target, f.abi.PointerSize, f.abi.LongSize)))

	docf(jf, "SizeError is what UnmarshalBinary returns when data is shorter than the type.")
	jf.Type().Id("SizeError").Struct(
		jen.Id("Type").String().Comment("the Go type (or flexible array member) decoded"),
		jen.Id("Want").Int().Comment("the bytes it needs"),
		jen.Id("Got").Int().Comment("the bytes there were"),
	)
	jf.Func().Params(jen.Id("e").Op("*").Id("SizeError")).Id("Error").Params().String().Block(
		jen.Return(jen.Lit(target+": ").Op("+").Id("e").Dot("Type").Op("+").Lit(" needs ").Op("+").
			Qual("strconv", "Itoa").Call(jen.Id("e").Dot("Want")).Op("+").Lit(" bytes, got ").Op("+").
			Qual("strconv", "Itoa").Call(jen.Id("e").Dot("Got"))))

	for _, h := range f.handles.declared() {
		name := h.name
		if h.alias != "" {
			docf(jf, fmt.Sprintf("%s is %s on %s, the same C type as %s there.", name, h.macro, target, strings.Replace(h.macro, "_64", "", 1)))
			jf.Type().Id(name).Types(jen.Id("T").Any()).Op("=").Id(h.alias).Types(jen.Id("T"))
			continue
		}
		word := fmt.Sprintf("uint%d", h.size*8)
		doc := fmt.Sprintf("%s is %s on %s: the address of a T (or of an array of them)\n"+
			"in the guest's address space, as the hypervisor reads it. It is %d bytes here.", name, h.macro, target, h.size)
		if name == "HandleParam" {
			doc += "\n\nC uses it for hypercall arguments; here a header's struct holds one."
		}
		docf(jf, doc)
		jf.Type().Id(name).Types(jen.Id("T").Any()).Struct(jen.Id("addr").Id(word))
		docf(jf, "Addr returns the address the handle holds.")
		jf.Func().Params(jen.Id("h").Id(name).Types(jen.Id("T"))).Id("Addr").Params().Uint64().Block(
			jen.Return(conv("uint64", word, jen.Id("h").Dot("addr"))))
		setDoc := "Set makes the handle hold addr."
		if h.size < 8 {
			setDoc += fmt.Sprintf(" Only its low %d bits fit.", h.size*8)
		}
		docf(jf, setDoc)
		jf.Func().Params(jen.Id("h").Op("*").Id(name).Types(jen.Id("T"))).Id("Set").Params(jen.Id("addr").Uint64()).Block(
			jen.Id("h").Dot("addr").Op("=").Add(conv(word, "uint64", jen.Id("addr"))))
	}

	if f.usesBool || f.usesBits { // bit-fields of type _Bool use it too
		docf(jf, "xfBool encodes a C _Bool.")
		jf.Func().Id("xfBool").Params(jen.Id("v").Bool()).Byte().Block(
			jen.If(jen.Id("v")).Block(jen.Return(jen.Lit(1))),
			jen.Return(jen.Lit(0)),
		)
	}
	if f.usesBits {
		bitHelpersSlice(jf)
	}
}

// docf adds a comment of one or more lines to jf.
func docf(jf *jen.File, text string) { jf.Add(docComment(strings.Split(text, "\n"))) }

// slashes turns text into line comments, which jennifer renders as they
// are (it makes a block comment of a multi-line one without slashes).
func slashes(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = "//"
		} else {
			lines[i] = "// " + l
		}
	}
	return strings.Join(lines, "\n")
}

// bitHelpersSlice are the bit-field helpers of a foreign package: the host
// package's, on byte slices. They go a byte at a time, so a bit-field may
// sit anywhere.
func bitHelpersSlice(f *jen.File) {
	loop := bitLoop
	at := jen.Id("b").Index(jen.Id("bit").Op("/").Lit(8))
	f.Comment("xfGetBits reads width bits at bit offset off of b, least significant first.")
	f.Func().Id("xfGetBits").Params(jen.Id("b").Index().Byte(), jen.List(jen.Id("off"), jen.Id("width")).Uint()).Uint64().Block(
		jen.Var().Id("v").Uint64(),
		loop(jen.Id("v").Op("|=").Uint64().Call(at.Clone().Op(">>").Id("s").Op("&").Parens(jen.Lit(1).Op("<<").Id("n").Op("-").Lit(1))).Op("<<").Id("i")),
		jen.Return(jen.Id("v")),
	)
	f.Comment("xfPutBits writes the low width bits of v at bit offset off of b.")
	f.Func().Id("xfPutBits").Params(jen.Id("b").Index().Byte(), jen.List(jen.Id("off"), jen.Id("width")).Uint(), jen.Id("v").Uint64()).Block(
		loop(
			jen.Id("mask").Op(":=").Byte().Call(jen.Lit(1).Op("<<").Id("n").Op("-").Lit(1)).Op("<<").Id("s"),
			at.Clone().Op("=").Add(at.Clone()).Op("&^").Id("mask").Op("|").Byte().Call(jen.Id("v").Op(">>").Id("i")).Op("<<").Id("s").Op("&").Id("mask"),
		),
	)
	f.Comment("xfSignExtend sign-extends a width-bit value.")
	f.Func().Id("xfSignExtend").Params(jen.Id("v").Uint64(), jen.Id("width").Uint()).Int64().Block(
		jen.Id("s").Op(":=").Lit(64).Op("-").Id("width"),
		jen.Return(jen.Int64().Call(jen.Id("v").Op("<<").Id("s")).Op(">>").Id("s")),
	)
}
