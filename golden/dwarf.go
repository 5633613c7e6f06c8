package golden

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xenbind/xenbind/layout"
)

// die is one DWARF entry with its children.
type die struct {
	*dwarf.Entry
	kids []*die
	cu   *unit
}

// unit is what a compilation unit's entries need to resolve themselves.
type unit struct {
	addrSize int
	files    []string // DW_AT_decl_file index -> cleaned path ("" if unknown)
}

// debugInfo holds every entry of an object's DWARF, by offset.
type debugInfo struct {
	dies  map[dwarf.Offset]*die
	order []*die
}

// readDebugInfo reads the DWARF of an object file into a tree of entries.
// debug/dwarf's own Type() is not used: it guesses zero-length arrays from
// neighbouring member offsets, which goes wrong next to gcc's bit-fields
// (they carry no DW_AT_data_member_location).
func readDebugInfo(f *elf.File) (*debugInfo, error) {
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("read dwarf: %w", err)
	}
	di := &debugInfo{dies: map[dwarf.Offset]*die{}}
	r := d.Reader()
	var stack []*die
	var cu *unit
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("read dwarf: %w", err)
		}
		if e == nil {
			break
		}
		if e.Tag == 0 { // end of a list of children
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if e.Tag == dwarf.TagCompileUnit {
			cu, err = readUnit(d, r, e)
			if err != nil {
				return nil, err
			}
			stack = stack[:0]
		}
		n := &die{Entry: e, cu: cu}
		di.dies[e.Offset] = n
		di.order = append(di.order, n)
		if len(stack) > 0 {
			p := stack[len(stack)-1]
			p.kids = append(p.kids, n)
		}
		if e.Children {
			stack = append(stack, n)
		}
	}
	return di, nil
}

// readUnit reads a compilation unit's file table.
func readUnit(d *dwarf.Data, r *dwarf.Reader, e *dwarf.Entry) (*unit, error) {
	u := &unit{addrSize: r.AddressSize()}
	lr, err := d.LineReader(e)
	if err != nil {
		return nil, fmt.Errorf("read dwarf line table: %w", err)
	}
	if lr == nil {
		return u, nil
	}
	for _, f := range lr.Files() {
		name := ""
		if f != nil {
			name = filepath.Clean(f.Name)
		}
		u.files = append(u.files, name)
	}
	return u, nil
}

// ref returns the entry that attribute a of n refers to, or nil.
func (di *debugInfo) ref(n *die, a dwarf.Attr) *die {
	off, ok := n.Val(a).(dwarf.Offset)
	if !ok {
		return nil
	}
	return di.dies[off]
}

// maxTypeDepth bounds walks along DW_AT_type chains in malformed input.
const maxTypeDepth = 64

// size returns the size in bytes of the type t (nil is void).
func (di *debugInfo) size(t *die) (int64, error) {
	for depth := 0; t != nil && depth < maxTypeDepth; depth++ {
		switch t.Tag {
		case dwarf.TagBaseType, dwarf.TagEnumerationType, dwarf.TagStructType, dwarf.TagUnionType:
			if sz, ok := t.Val(dwarf.AttrByteSize).(int64); ok {
				return sz, nil
			}
			return 0, fmt.Errorf("dwarf entry %#x: %s without size", t.Offset, t.Tag)
		case dwarf.TagPointerType:
			if sz, ok := t.Val(dwarf.AttrByteSize).(int64); ok {
				return sz, nil
			}
			return int64(t.cu.addrSize), nil
		case dwarf.TagTypedef, dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
			t = di.ref(t, dwarf.AttrType)
		case dwarf.TagArrayType:
			if sz, ok := t.Val(dwarf.AttrByteSize).(int64); ok {
				return sz, nil
			}
			n := int64(1)
			for _, c := range arrayCounts(t) {
				n *= c
			}
			el, err := di.size(di.ref(t, dwarf.AttrType))
			if err != nil {
				return 0, err
			}
			return n * el, nil
		default:
			return 0, fmt.Errorf("dwarf entry %#x: no size for %s", t.Offset, t.Tag)
		}
	}
	return 0, errors.New("void or too deep a type has no size")
}

// arrayCounts returns the element count of each dimension of array t,
// 0 for a flexible (unbounded) or zero-length dimension.
func arrayCounts(t *die) []int64 {
	var counts []int64
	for _, k := range t.kids {
		if k.Tag != dwarf.TagSubrangeType {
			continue
		}
		var n int64
		if c, ok := k.Val(dwarf.AttrCount).(int64); ok {
			n = c
		} else if ub, ok := k.Val(dwarf.AttrUpperBound).(int64); ok {
			switch ub {
			case -1, 0xffffffff: // old zero-length array encodings
			default:
				n = ub + 1
			}
		}
		counts = append(counts, n)
	}
	if len(counts) == 0 {
		counts = []int64{0}
	}
	return counts
}

// typeName returns a readable C spelling of type t, for the goldens'
// readers only: gcc and clang spell base types differently.
func (di *debugInfo) typeName(t *die) string {
	return di.typeNameDepth(t, 0)
}

func (di *debugInfo) typeNameDepth(t *die, depth int) string {
	if t == nil {
		return "void"
	}
	if depth > maxTypeDepth {
		return "..."
	}
	name, _ := t.Val(dwarf.AttrName).(string)
	next := func() string { return di.typeNameDepth(di.ref(t, dwarf.AttrType), depth+1) }
	switch t.Tag {
	case dwarf.TagBaseType, dwarf.TagTypedef:
		return name
	case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagEnumerationType:
		kind := "enum"
		if t.Tag != dwarf.TagEnumerationType {
			kind = kindOf(t)
		}
		if name == "" {
			return kind + " {...}"
		}
		return kind + " " + name
	case dwarf.TagPointerType:
		return next() + "*"
	case dwarf.TagConstType:
		return "const " + next()
	case dwarf.TagVolatileType:
		return "volatile " + next()
	case dwarf.TagRestrictType, dwarf.TagAtomicType:
		return next()
	case dwarf.TagSubroutineType:
		return "func()"
	case dwarf.TagArrayType:
		var b strings.Builder
		b.WriteString(next())
		for _, c := range arrayCounts(t) {
			if c == 0 {
				b.WriteString("[]")
			} else {
				b.WriteString("[" + strconv.FormatInt(c, 10) + "]")
			}
		}
		return b.String()
	}
	return t.Tag.String()
}

// recordInfo is one record read from DWARF, with what the check program
// needs to name it in C.
type recordInfo struct {
	rec    layout.Record
	parent *recordInfo // nil for a named record or a typedef
	member string      // the parent's member holding this record
	dims   int         // array dimensions of that member
	offset int64       // that member's offset in the parent
	die    *die
}

// isRecord reports whether t is a complete struct or union.
func isRecord(t *die) bool {
	if t == nil || (t.Tag != dwarf.TagStructType && t.Tag != dwarf.TagUnionType) {
		return false
	}
	decl, _ := t.Val(dwarf.AttrDeclaration).(bool)
	return !decl
}

func kindOf(t *die) string {
	if t.Tag == dwarf.TagUnionType {
		return "union"
	}
	return "struct"
}

// records returns every complete record declared in a file under tree:
// named structs and unions, typedefs of anonymous ones, and the anonymous
// records nested in those, named by the member that holds them.
func (di *debugInfo) records(tree string) ([]*recordInfo, error) {
	var out []*recordInfo
	named := map[*die]bool{}
	var errs []error
	add := func(name string, t *die) {
		ri := &recordInfo{rec: layout.Record{Name: name, Kind: kindOf(t)}, die: t}
		named[t] = true
		list, err := di.build(ri, tree, named)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, list...)
	}
	for _, n := range di.order {
		name, _ := n.Val(dwarf.AttrName).(string)
		if name == "" || !di.inTree(n, tree) {
			continue
		}
		switch {
		case isRecord(n):
			add(kindOf(n)+" "+name, n)
		case n.Tag == dwarf.TagTypedef:
			if t := di.ref(n, dwarf.AttrType); isRecord(t) {
				if tn, _ := t.Val(dwarf.AttrName).(string); tn == "" {
					add("typedef "+name, t)
				}
			}
		}
	}
	// An anonymous record reached neither from a typedef nor from a member
	// (say, behind a pointer member) has no name this package can give:
	// say so rather than drop it.
	for _, n := range di.order {
		if name, _ := n.Val(dwarf.AttrName).(string); name == "" && isRecord(n) && !named[n] && di.inTree(n, tree) {
			errs = append(errs, fmt.Errorf("%s: anonymous %s with no name to give it", di.pos(n, tree), kindOf(n)))
		}
	}
	return out, errors.Join(errs...)
}

// inTree reports whether n was declared in a file under tree.
func (di *debugInfo) inTree(n *die, tree string) bool {
	file := di.file(n)
	if file == "" {
		return false
	}
	rel, err := filepath.Rel(tree, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (di *debugInfo) file(n *die) string {
	idx, ok := n.Val(dwarf.AttrDeclFile).(int64)
	if !ok || idx < 0 || int(idx) >= len(n.cu.files) {
		return ""
	}
	return n.cu.files[idx]
}

// pos returns "file:line[:col]" with file relative to tree.
func (di *debugInfo) pos(n *die, tree string) string {
	file := di.file(n)
	if rel, err := filepath.Rel(tree, file); err == nil {
		file = filepath.ToSlash(rel)
	}
	p := file
	if line, ok := n.Val(dwarf.AttrDeclLine).(int64); ok {
		p += ":" + strconv.FormatInt(line, 10)
		if col, ok := n.Val(dwarf.AttrDeclColumn).(int64); ok {
			p += ":" + strconv.FormatInt(col, 10)
		}
	}
	return p
}

// build fills in ri's size and fields and returns ri followed by the
// anonymous records nested in it.
func (di *debugInfo) build(ri *recordInfo, tree string, named map[*die]bool) ([]*recordInfo, error) {
	t := ri.die
	ri.rec.Pos = di.pos(t, tree)
	size, err := di.size(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ri.rec.Name, err)
	}
	ri.rec.Size = size
	ri.rec.Fields = []layout.Field{}
	out := []*recordInfo{ri}
	var nested []*recordInfo
	idx := 0
	for _, k := range t.kids {
		if k.Tag != dwarf.TagMember {
			continue
		}
		f, err := di.field(k, idx)
		idx++
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ri.rec.Name, err)
		}
		ri.rec.Fields = append(ri.rec.Fields, f)
		inner, dims := di.stripArrays(di.ref(k, dwarf.AttrType))
		if !isRecord(inner) {
			continue
		}
		if n, _ := inner.Val(dwarf.AttrName).(string); n != "" {
			continue
		}
		named[inner] = true
		nested = append(nested, &recordInfo{
			rec:    layout.Record{Name: ri.rec.Name + "." + f.Name, Kind: kindOf(inner)},
			parent: ri,
			member: f.Name,
			dims:   dims,
			offset: f.Offset,
			die:    inner,
		})
	}
	for _, n := range nested {
		list, err := di.build(n, tree, named)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// stripArrays follows t through arrays and qualifiers and returns the
// element type and the number of array dimensions passed.
func (di *debugInfo) stripArrays(t *die) (*die, int) {
	dims := 0
	for depth := 0; t != nil && depth < maxTypeDepth; depth++ {
		switch t.Tag {
		case dwarf.TagArrayType:
			dims += len(arrayCounts(t))
		case dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
		default:
			return t, dims
		}
		t = di.ref(t, dwarf.AttrType)
	}
	return t, dims
}

// field reads member k, the idx-th member of its record.
func (di *debugInfo) field(k *die, idx int) (layout.Field, error) {
	name, _ := k.Val(dwarf.AttrName).(string)
	if name == "" {
		name = "#" + strconv.Itoa(idx)
	}
	t := di.ref(k, dwarf.AttrType)
	size, err := di.size(t)
	if err != nil {
		return layout.Field{}, fmt.Errorf("field %s: %w", name, err)
	}
	loc, err := memberLocation(k)
	if err != nil {
		return layout.Field{}, fmt.Errorf("field %s: %w", name, err)
	}
	f := layout.Field{Name: name, Type: di.typeName(t), Offset: loc, Size: size}
	bitSize, ok := k.Val(dwarf.AttrBitSize).(int64)
	if !ok {
		return f, nil
	}
	var bitOff int64
	if dbo, ok := k.Val(dwarf.AttrDataBitOffset).(int64); ok {
		bitOff = dbo // gcc: bits from the record's start
	} else if bo, ok := k.Val(dwarf.AttrBitOffset).(int64); ok {
		unit, ok := k.Val(dwarf.AttrByteSize).(int64)
		if !ok {
			unit = size
		}
		bitOff = bitOffsetFromMSB(loc, unit, bo, bitSize)
	} else {
		bitOff = loc * 8
	}
	if bitOff < 0 {
		return layout.Field{}, fmt.Errorf("field %s: negative bit offset %d", name, bitOff)
	}
	f.Offset = bitOff / 8
	f.BitOffset = &bitOff
	f.BitSize = &bitSize
	return f, nil
}

// bitOffsetFromMSB converts a DWARF 2/3 bit-field position, as clang 14
// writes it for little-endian targets, to bits from the record's start.
// The field lives in a storage unit of unitBytes bytes at byte loc;
// msbOffset counts bits from the unit's most significant bit to the
// field's most significant bit. On a little-endian target the unit's
// least significant bit is at loc*8, so the field's lowest bit is at
// loc*8 + unitBytes*8 - msbOffset - bitSize. Clang may write a negative
// msbOffset (a field that spills past its storage unit in a packed
// record); the formula holds for those too.
func bitOffsetFromMSB(loc, unitBytes, msbOffset, bitSize int64) int64 {
	return loc*8 + unitBytes*8 - msbOffset - bitSize
}

// memberLocation returns a member's DW_AT_data_member_location: a
// constant, or a DW_OP_plus_uconst expression; absent means 0 (unions,
// gcc's bit-fields).
func memberLocation(k *die) (int64, error) {
	switch loc := k.Val(dwarf.AttrDataMemberLoc).(type) {
	case nil:
		return 0, nil
	case int64:
		return loc, nil
	case []byte:
		const opPlusUconst = 0x23
		if len(loc) < 2 || loc[0] != opPlusUconst {
			return 0, fmt.Errorf("unsupported member location expression % x", loc)
		}
		var v int64
		var shift uint
		for _, b := range loc[1:] {
			v |= int64(b&0x7f) << shift
			shift += 7
			if b&0x80 == 0 {
				return v, nil
			}
		}
		return 0, io.ErrUnexpectedEOF
	default:
		return 0, fmt.Errorf("unsupported member location %T", loc)
	}
}
