package emit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// target builds the items of one target.
type target struct {
	g    *gen
	abi  *layout.ABI
	lay  *layout.Layout
	unit *parser.Unit
	// handles are the target's guest handle types.
	handles *handleSet
	// goAlign memoises the Go alignment of emitted record types.
	goAlign map[*parser.Record]int64
	built   map[*parser.Record]*item
	items   map[string]*item
	errs    []string
	// notes are for the user (appended to the gen's notes after the
	// parallel build).
	notes []string
	// usesBits says the target needs the bit-field helpers, usesAlign8
	// that it needs the align8 type.
	usesBits, usesAlign8 bool
}

// isHandleName reports whether name is a guest handle typedef's, as
// XEN_GUEST_HANDLE and its kin name them: __guest_handle_[64_][const_]T
// (the regular expression ^__guest_handle_(64_)?(const_)?(.+)$, which
// matches any non-empty rest of a line).
func isHandleName(name string) bool {
	rest, ok := strings.CutPrefix(name, "__guest_handle_")
	return ok && rest != "" && !strings.Contains(rest, "\n")
}

// builtinGo maps the built-in stdint.h and stddef.h typedefs.
func (t *target) builtinGo(name string) (string, bool) {
	switch name {
	case "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t":
		return strings.TrimSuffix(name, "_t"), true
	case "intptr_t", "ptrdiff_t":
		if t.abi.PointerSize == 4 {
			return "int32", true
		}
		return "int64", true
	case "uintptr_t", "size_t":
		return "uintptr", true
	case "wchar_t":
		return "int32", true
	}
	return "", false
}

// scalarGo maps a C arithmetic type to a Go type of the same size.
func (t *target) scalarGo(k parser.Kind) string {
	switch k {
	case parser.Bool:
		return "bool"
	case parser.Char:
		return "byte"
	case parser.SChar:
		return "int8"
	case parser.UChar:
		return "uint8"
	case parser.Short:
		return "int16"
	case parser.UShort:
		return "uint16"
	case parser.Int:
		return "int32"
	case parser.UInt:
		return "uint32"
	case parser.Long:
		return fmt.Sprintf("int%d", t.abi.LongSize*8)
	case parser.ULong:
		return fmt.Sprintf("uint%d", t.abi.LongSize*8)
	case parser.LongLong:
		return "int64"
	case parser.ULongLong:
		return "uint64"
	case parser.Float:
		return "float32"
	case parser.Double:
		return "float64"
	case parser.LongDouble:
		return fmt.Sprintf("[%d]byte", t.abi.LongDoubleSize)
	case parser.Int128, parser.UInt128:
		return "[16]byte"
	}
	return ""
}

// goAlignOfScalar is Go's alignment of a Go scalar type on the target.
func (t *target) goAlignOfText(s string) int64 {
	switch s {
	case "bool", "byte", "int8", "uint8":
		return 1
	case "int16", "uint16":
		return 2
	case "int32", "uint32", "float32":
		return 4
	case "int64", "uint64", "float64":
		return t.abi.GoAlign64
	case "uintptr":
		return t.abi.PointerSize
	}
	return 1
}

// handle recognises guest handle typedefs: the element type and the Go
// handle type that stands for the typedef's family.
func (t *target) handle(td *parser.Typedef) (elem *parser.Type, h *handleType, ok bool) {
	if !isHandleName(td.Name) {
		return nil, nil, false
	}
	r := td.Type.Resolve()
	if r.Kind != parser.RecordRef || !r.Record.Complete() {
		return nil, nil, false
	}
	p := findPointer(r.Record)
	if p == nil {
		return nil, nil, false
	}
	h = t.handles.of(td.Name)
	if h == nil {
		return nil, nil, false
	}
	return p.Elem, h, true
}

// findPointer finds the "type *p" of a guest handle record, looking
// through the anonymous union x86_32 tools mode wraps it in.
func findPointer(r *parser.Record) *parser.Type {
	for _, m := range r.Members {
		mt := m.Type.Resolve()
		if m.Name == "p" && mt.Kind == parser.Pointer {
			return mt
		}
		if m.Name == "" && mt.Kind == parser.RecordRef {
			if p := findPointer(mt.Record); p != nil {
				return p
			}
		}
	}
	return nil
}

// goType returns the Go spelling of a C type on this target and its Go
// alignment.
func (t *target) goType(ty *parser.Type) (string, int64, error) {
	switch ty.Kind {
	case parser.TypedefRef:
		td := ty.Typedef
		if t.g.system(td.Header) {
			if s, ok := t.builtinGo(td.Name); ok {
				return s, t.goAlignOfText(s), nil
			}
			return t.goType(td.Type)
		}
		if elem, h, ok := t.handle(td); ok {
			e, _, err := t.goType(elem)
			if err != nil || elem.Resolve().Kind == parser.Void || elem.Resolve().Kind == parser.Func {
				e = "byte"
			}
			if rl := t.lay.Of(td.Type.Resolve().Record); rl == nil || rl.Size != h.size || rl.Align != h.align {
				return "", 0, fmt.Errorf("guest handle %s does not have the size and alignment of %s (%d, %d)", td.Name, h.name, h.size, h.align)
			}
			return h.name + "[" + e + "]", h.align, nil
		}
		if g := t.g.typedefGo(td); g != "" {
			_, a, err := t.goType(td.Type)
			return g, a, err
		}
		return t.goType(td.Type)
	case parser.Pointer:
		return "uintptr", t.abi.PointerSize, nil
	case parser.Array:
		e, a, err := t.goType(ty.Elem)
		if err != nil {
			return "", 0, err
		}
		n := ty.Len
		if n < 0 {
			n = 0
		}
		return fmt.Sprintf("[%d]%s", n, e), a, nil
	case parser.RecordRef:
		r := ty.Record
		if !r.Complete() {
			return "", 0, fmt.Errorf("incomplete type %s", ty)
		}
		name := t.g.names.name(r.Name)
		if name == "" || t.g.cfg.skipped(r.Name) {
			return "", 0, fmt.Errorf("type %s is skipped by the config", r.Name)
		}
		if _, err := t.record(r); err != nil {
			return "", 0, err
		}
		return name, t.goAlign[r], nil
	case parser.EnumRef:
		sz, err := t.lay.SizeOf(ty)
		if err != nil {
			return "", 0, err
		}
		if ty.Enum.Tag != "" {
			if n := t.g.names.name("enum " + ty.Enum.Tag); n != "" {
				return n, min(sz, t.abi.GoAlign64), nil
			}
		}
		s := fmt.Sprintf("uint%d", sz*8)
		return s, t.goAlignOfText(s), nil
	case parser.Func:
		return "", 0, fmt.Errorf("function type")
	case parser.Void:
		return "", 0, fmt.Errorf("void")
	}
	s := t.scalarGo(ty.Kind)
	if s == "" {
		return "", 0, fmt.Errorf("no Go type for %s", ty)
	}
	return s, t.goAlignOfText(s), nil
}

// alignType returns a zero-size field type that raises a Go struct's
// alignment to a, and the alignment it gives: align8 (declared per GOARCH
// by archDecls) for 8, as gc gives 8-byte alignment on 386 and arm only to
// sync/atomic's 64-bit types. Go has nothing above 8.
func (t *target) alignType(a int64) (string, int64) {
	switch {
	case a >= 8:
		t.usesAlign8 = true
		return "align8", 8
	case a >= 4:
		return "[0]uint32", 4
	case a >= 2:
		return "[0]uint16", 2
	}
	return "", 1
}

// withDoc follows a generated sentence with the header's comment.
func withDoc(first string, doc []string) []string {
	if len(doc) == 0 {
		return []string{first}
	}
	return append([]string{first, ""}, doc...)
}

func docLines(doc string) []string {
	if doc == "" {
		return nil
	}
	return strings.Split(doc, "\n")
}

func cdoc(goName, cName string, pos parser.Pos, doc string) []string {
	lines := []string{fmt.Sprintf("%s is %s (%s).", goName, cName, pos)}
	if parent, member, ok := cutMember(cName); ok {
		lines[0] = fmt.Sprintf("%s is the record in member %s of %s (%s).", goName, member, parent, pos)
	}
	if d := docLines(doc); d != nil {
		lines = append(lines, "")
		lines = append(lines, d...)
	}
	return lines
}

// nameSet holds the field and method names of one Go type.
type nameSet map[string]bool

// claim returns n, or n_2, n_3... when n is taken, and takes it.
func (s nameSet) claim(n string) string {
	g := n
	for i := 2; s[g]; i++ {
		g = fmt.Sprintf("%s_%d", n, i)
	}
	s[g] = true
	return g
}

// cutMember splits the name of a nested anonymous record.
func cutMember(cName string) (parent, member string, ok bool) {
	i := strings.LastIndexByte(cName, '.')
	if i < 0 {
		return "", "", false
	}
	member = cName[i+1:]
	if strings.HasPrefix(member, "#") {
		member = "#" + member[1:] + " (unnamed)"
	}
	return cName[:i], member, true
}

// record builds the Go type of a record on this target.
// enumType returns the Go type of a constant group for a member whose
// header comment says its values belong to the group's enum (Xen writes
// "=> enum grant_status" above such members), when the group's type is
// declared and has the member's integer type gt; "" otherwise.
func (t *target) enumType(doc, gt string) string {
	for _, ct := range t.g.cfg.ConstTypes {
		if ct.Enum == "" || ct.Under != gt || !strings.Contains(doc, "=> enum "+ct.Enum) {
			continue
		}
		for _, m := range t.unit.Macros {
			if strings.HasPrefix(m.Name, ct.Prefix) && m.Value != nil && !t.g.cfg.skipped(m.Name) && !t.g.system(m.Header) {
				return t.g.names.name("consttype " + ct.Name)
			}
		}
	}
	return ""
}

func (t *target) record(r *parser.Record) (*item, error) {
	if it, ok := t.built[r]; ok {
		if it == nil {
			return nil, fmt.Errorf("%s: cannot be represented", r.Name)
		}
		return it, nil
	}
	t.built[r] = nil
	rl := t.lay.Of(r)
	if rl == nil {
		return nil, fmt.Errorf("%s: no layout", r.Name)
	}
	name := t.g.names.name(r.Name)
	td := &typeDecl{name: name, isStruct: true}
	it := &item{cname: r.Name, typ: td, doc: cdoc(name, r.Name, r.Pos, r.Doc)}
	td.fields = append(td.fields, field{name: "_", typ: "structs.HostLayout"})
	var goOff, goAlign int64 = 0, 1
	var pending []field // after the alignment field, decided at the end
	taken := nameSet{}
	claim := taken.claim
	pad := func(to int64) {
		if to > goOff {
			pending = append(pending, field{name: "_", typ: fmt.Sprintf("[%d]byte", to-goOff)})
			goOff = to
		}
	}
	index := 0
	for i, m := range r.Members {
		ml := rl.Members[i]
		label := m.Name
		if label == "" && !(m.IsBitField()) {
			label = "anon" + strconv.Itoa(index)
		}
		if !(m.IsBitField() && m.Name == "") {
			index++
		}
		mdoc := docLines(m.Doc)
		gt, ga, err := t.goType(m.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", r.Name, label, err)
		}
		switch {
		case m.IsBitField():
			if m.Name == "" {
				continue // unnamed: padding only; the bytes stay covered below
			}
			t.usesBits = true
			n := claim(goName(m.Name))
			claim("Set" + n)
			signed := m.Type.Resolve().Kind.IsSigned()
			doc := withDoc(fmt.Sprintf("%s returns bit-field %s (%d bits at bit %d).", n, m.Name, m.BitWidth, ml.BitOffset), mdoc)
			td.methods = append(td.methods,
				method{doc: doc, kind: bitGetter, name: n, typ: gt, off: ml.BitOffset, width: m.BitWidth, signed: signed},
				method{doc: []string{fmt.Sprintf("Set%s sets bit-field %s, truncating v to %d bits.", n, m.Name, m.BitWidth)}, kind: bitSetter, name: "Set" + n, typ: gt, off: ml.BitOffset, width: m.BitWidth})
			continue
		case r.Kind == parser.Union:
			n := claim(goName(label))
			td.methods = append(td.methods, method{doc: withDoc(fmt.Sprintf("%s returns member %s of the union.", n, label), mdoc), kind: ptrAccessor, name: n, typ: gt, off: 0})
			continue
		case ml.Size == 0:
			n := claim(goName(label))
			if m.Type.Kind == parser.Array {
				et, _, _ := t.goType(m.Type.Elem)
				td.methods = append(td.methods, method{doc: withDoc(fmt.Sprintf("%s returns the first n elements of %s, which follow the struct in memory: a Go struct cannot end in a zero-size field without Go padding it.", n, label), mdoc), kind: flexAccessor, name: n, elem: et, off: ml.Offset})
			} else {
				td.methods = append(td.methods, method{doc: withDoc(fmt.Sprintf("%s returns member %s, which has no size.", n, label), mdoc), kind: ptrAccessor, name: n, typ: gt, off: ml.Offset})
			}
			continue
		case ml.Offset%ga != 0 || ga > rl.Align:
			// C places the member where Go cannot (packing), or packs the
			// record to an alignment below the member's Go alignment
			// (#pragma pack(4) around 8-byte members, Debian's
			// foreign/x86_32.h on amd64): keep its bytes and reach it
			// through accessors, so the record keeps C's alignment.
			n := claim(goName(label))
			claim("Set" + n)
			pad(ml.Offset)
			pending = append(pending, field{name: "_", typ: fmt.Sprintf("[%d]byte", ml.Size), comment: append([]string{label + " (unaligned, see " + n + ")"}, mdoc...)})
			goOff += ml.Size
			td.methods = append(td.methods,
				method{doc: withDoc(fmt.Sprintf("%s returns member %s, which C places (packed) where Go cannot align it.", n, label), mdoc), kind: valueGetter, name: n, typ: gt, off: ml.Offset},
				method{doc: []string{fmt.Sprintf("Set%s sets member %s.", n, label)}, kind: valueSetter, name: "Set" + n, typ: gt, off: ml.Offset})
			continue
		}
		pad(ml.Offset)
		if ml.Offset < goOff {
			return nil, fmt.Errorf("%s: member %s at %d overlaps the previous member", r.Name, label, ml.Offset)
		}
		if et := t.enumType(m.Doc, gt); et != "" {
			gt = et
		}
		f := field{typ: gt, comment: mdoc}
		if m.Name == "" {
			// An anonymous struct or union member: embedded, so its
			// members and accessors are promoted.
			taken[gt] = true
		} else {
			f.name = claim(goName(m.Name))
			it.guards = append(it.guards, guard{typ: name, field: f.name, want: ml.Offset})
			if isCharArray(m.Type) && !t.g.cfg.bytes(r.Name+"."+m.Name) {
				n := claim(f.name + "String")
				td.methods = append(td.methods, method{doc: []string{fmt.Sprintf("%s returns the text of member %s: its bytes up to the first NUL (all of them when there is none).", n, label)}, kind: charString, name: n, field: f.name})
			}
		}
		pending = append(pending, f)
		goOff = ml.Offset + ml.Size
		goAlign = max(goAlign, ga)
	}
	if r.Kind == parser.Union {
		pending = append(pending, field{name: "_", typ: fmt.Sprintf("[%d]byte", rl.Size)})
		goOff = rl.Size
	}
	pad(rl.Size)
	if goAlign < rl.Align {
		if at, a := t.alignType(rl.Align); a > goAlign {
			td.fields = append(td.fields, field{name: "_", typ: at})
			goAlign = a
		}
	}
	if goAlign > rl.Align {
		return nil, fmt.Errorf("%s: Go aligns it to %d, C to %d", r.Name, goAlign, rl.Align)
	}
	td.fields = append(td.fields, pending...)
	it.guards = append([]guard{{typ: name, want: rl.Size}}, it.guards...)
	it.align = goAlign
	if rl.Align > goAlign {
		// Only above 8, which no Go type has: say so where the type is
		// documented and in a note.
		it.doc = append(it.doc, "", fmt.Sprintf("C aligns it to %d, Go to %d, the most Go gives any type: its size and member offsets are C's, but a Go value of it may start where C would not place one.", rl.Align, goAlign))
		t.notes = append(t.notes, fmt.Sprintf("%s: %s: C aligns it to %d, Go can only align it to %d", r.Pos, r.Name, rl.Align, goAlign))
	}
	t.goAlign[r] = goAlign
	t.built[r] = it
	return it, nil
}

// isCharArray tells whether t is (a typedef of) an array of plain C char,
// which Xen uses for NUL-terminated text.
func isCharArray(t *parser.Type) bool {
	t = t.Resolve()
	return t.Kind == parser.Array && t.Elem != nil && t.Elem.Resolve().Kind == parser.Char
}
