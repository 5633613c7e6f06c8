package layout

import (
	"fmt"
	"strconv"

	"github.com/xenbind/xenbind/parser"
)

// Layout holds the computed layout of every record of a unit for the
// unit's target.
type Layout struct {
	ABI  *ABI
	unit *parser.Unit
	recs map[*parser.Record]*RecordLayout
	errs parser.ErrorList
	busy map[*parser.Record]bool
	// notes are macros left without a value (see checkMacros).
	notes parser.ErrorList
}

// RecordLayout is the layout of one record.
type RecordLayout struct {
	Record *parser.Record
	Size   int64
	Align  int64
	// Members parallels Record.Members.
	Members []MemberLayout
}

// MemberLayout places one member.
type MemberLayout struct {
	// Offset is the member's byte offset; for a bit-field, BitOffset/8
	// rounded down.
	Offset int64
	// BitOffset is the offset in bits from the record's start.
	BitOffset int64
	// Size is the size of the member's type (the whole array for arrays,
	// 0 for a flexible array member).
	Size int64
	// Align is the alignment the member was placed at.
	Align int64
}

// Compute lays out every record of u, and holds u's macro values to its
// layouts: a value cc/v4 computed with a record layout that is not the
// engine's is replaced or removed (see Notes). Problems (a member of incomplete
// type, say) are reported together as a parser.ErrorList.
func Compute(u *parser.Unit) (*Layout, error) {
	abi, err := ABIOf(u.Target)
	if err != nil {
		return nil, err
	}
	l := &Layout{ABI: abi, unit: u, recs: map[*parser.Record]*RecordLayout{}, busy: map[*parser.Record]bool{}}
	for _, r := range u.Records {
		l.record(r)
	}
	l.checkConstants()
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	l.checkMacros()
	return l, nil
}

// Of returns the layout of a record of the unit, nil for an incomplete one.
func (l *Layout) Of(r *parser.Record) *RecordLayout {
	rl := l.recs[r]
	if rl == nil && r.Complete() {
		rl = l.record(r)
	}
	return rl
}

func (l *Layout) errorf(pos parser.Pos, format string, args ...any) {
	l.errs = append(l.errs, l.unit.Errorf(pos, format, args...))
}

// SizeOf returns the size of a type on the layout's target.
func (l *Layout) SizeOf(t *parser.Type) (int64, error) {
	s, _, err := l.sizeAlign(t)
	return s, err
}

// AlignOf returns the alignment of a type as a struct member.
func (l *Layout) AlignOf(t *parser.Type) (int64, error) {
	_, a, err := l.sizeAlign(t)
	return a, err
}

// sizeAlign returns the size of t and its alignment as a member.
func (l *Layout) sizeAlign(t *parser.Type) (int64, int64, error) {
	switch t.Kind {
	case parser.TypedefRef:
		s, a, err := l.sizeAlign(t.Elem)
		if err != nil {
			return 0, 0, err
		}
		if t.Elem.Aligned != 0 {
			// An aligned attribute on a typedef sets the alignment,
			// raising or lowering it; it is not adjusted for members.
			a = l.aligned(t.Elem.Aligned)
		}
		return s, a, nil
	case parser.Pointer:
		return l.ABI.PointerSize, l.ABI.PointerSize, nil
	case parser.Array:
		s, a, err := l.sizeAlign(t.Elem)
		if err != nil {
			return 0, 0, err
		}
		if t.Len < 0 {
			return 0, a, nil
		}
		if s != 0 && t.Len > l.maxSize()/s {
			return 0, 0, fmt.Errorf("size of array %s is too large (the limit on %s is %d bytes)", t, l.ABI.Target, l.maxSize())
		}
		return s * t.Len, a, nil
	case parser.RecordRef:
		if !t.Record.Complete() {
			return 0, 0, fmt.Errorf("incomplete type %s", t)
		}
		rl := l.record(t.Record)
		if rl == nil {
			return 0, 0, fmt.Errorf("record %s contains itself", t)
		}
		return rl.Size, rl.Align, nil
	case parser.EnumRef:
		if t.Enum.Enumerators == nil {
			return 0, 0, fmt.Errorf("incomplete type %s", t)
		}
		// gcc gives an enum the smallest of int, unsigned int, long long
		// and unsigned long long that holds its values.
		for _, e := range t.Enum.Enumerators {
			if e.Value < -1<<31 || e.Value > 1<<32-1 {
				return 8, l.ABI.Int64Align, nil
			}
		}
		return 4, 4, nil
	case parser.Func:
		return 0, 0, fmt.Errorf("function type %s has no size", t)
	case parser.Void:
		return 0, 0, fmt.Errorf("void has no size")
	}
	s, a, ok := l.ABI.scalar(t.Kind)
	if !ok {
		return 0, 0, fmt.Errorf("type %s does not exist on %s", t.Kind, l.ABI.Target)
	}
	if t.Aligned != 0 {
		a = max(a, l.aligned(t.Aligned))
	}
	return s, a, nil
}

// maxSize is the largest object size on the target: PTRDIFF_MAX, as gcc
// has it, on 32-bit targets; on 64-bit ones 2^60-1 bytes, so that every
// offset in bits fits in an int64 (gcc allows up to 2^63-1 bytes there).
func (l *Layout) maxSize() int64 {
	if l.ABI.PointerSize == 4 {
		return 1<<31 - 1
	}
	return 1<<60 - 1
}

// aligned resolves an aligned attribute's value (a bare "aligned" means
// the target's biggest alignment).
func (l *Layout) aligned(n int64) int64 {
	if n == parser.BiggestAlignment {
		return l.ABI.BiggestAlign
	}
	return n
}

// record lays out r, following gcc's rules for these targets (System V
// i386 and x86-64, AAPCS and AAPCS64 all use PCC bit-field layout).
func (l *Layout) record(r *parser.Record) *RecordLayout {
	if rl, ok := l.recs[r]; ok {
		return rl
	}
	if l.busy[r] {
		return nil
	}
	l.busy[r] = true
	defer delete(l.busy, r)

	rl := &RecordLayout{Record: r, Members: make([]MemberLayout, len(r.Members))}
	bad := l.duplicateMembers(r)
	pack := r.Pack // #pragma pack: caps every member's alignment
	recAlign := int64(1)
	var bitpos, sizeBits int64
	for i, m := range r.Members {
		size, typeAlign, err := l.sizeAlign(m.Type)
		if err != nil {
			what := m.Name
			if what == "" {
				what = "#" + strconv.Itoa(i)
			}
			l.errorf(m.Pos, "%s: member %s: %v", r.Name, what, err)
			bad = true
			continue
		}
		if m.Type.Kind == parser.Array && m.Type.Len < 0 && i != len(r.Members)-1 && r.Kind == parser.Struct {
			l.errorf(m.Pos, "%s: flexible array member %s is not last", r.Name, m.Name)
			bad = true
		}
		if l.aligned(m.Aligned) > l.maxSize() {
			l.errorf(m.Pos, "%s: member %s: alignment %d is too large", r.Name, m.Name, m.Aligned)
			bad = true
			continue
		}
		packed := r.Packed || m.Packed
		ml := &rl.Members[i]
		ml.Size = size
		if r.Kind == parser.Union {
			bitpos = 0
		}
		if m.IsBitField() {
			ml.Size = size
			w := m.BitWidth
			if w > size*8 {
				l.errorf(m.Pos, "%s: bit-field %s is wider (%d) than its type", r.Name, m.Name, w)
				bad = true
				continue
			}
			if w == 0 {
				// A zero-width bit-field aligns what follows to its type,
				// whatever packing is in effect.
				bitpos = roundUp(bitpos, typeAlign*8)
				if l.ABI.AlignAnonBitfields {
					a := typeAlign
					if pack != 0 {
						a = min(a, pack)
					}
					recAlign = max(recAlign, a)
				}
				ml.BitOffset, ml.Offset, ml.Align = bitpos, bitpos/8, typeAlign
				continue
			}
			fieldAlign := typeAlign
			switch {
			case pack != 0:
				fieldAlign = min(typeAlign, pack)
			case packed:
				fieldAlign = 1
			default:
				// A bit-field may not span more units of its type's
				// alignment than its type itself does.
				if excessUnitSpan(bitpos, w, typeAlign*8, size*8) {
					bitpos = roundUp(bitpos, typeAlign*8)
				}
			}
			if m.Aligned != 0 {
				fieldAlign = max(fieldAlign, l.aligned(m.Aligned))
				bitpos = roundUp(bitpos, fieldAlign*8)
			}
			if m.Name != "" || l.ABI.AlignAnonBitfields {
				recAlign = max(recAlign, fieldAlign)
			}
			ml.BitOffset, ml.Offset, ml.Align = bitpos, bitpos/8, fieldAlign
			bitpos += w
			sizeBits = max(sizeBits, bitpos)
			continue
		}
		a := typeAlign
		if packed {
			a = 1
		}
		if m.Aligned != 0 {
			a = max(a, l.aligned(m.Aligned))
		}
		if pack != 0 {
			a = min(a, pack)
		}
		bitpos = roundUp(bitpos, a*8)
		ml.BitOffset, ml.Offset, ml.Align = bitpos, bitpos/8, a
		recAlign = max(recAlign, a)
		if size > l.maxSize()-bitpos/8 {
			l.errorf(m.Pos, "%s: member %s: the record is too large (its size passes %d bytes, the limit on %s)", r.Name, m.Name, l.maxSize(), l.ABI.Target)
			bad = true
			break
		}
		bitpos += size * 8
		sizeBits = max(sizeBits, bitpos)
	}
	if l.aligned(r.Aligned) > l.maxSize() {
		l.errorf(r.Pos, "%s: alignment %d is too large", r.Name, r.Aligned)
		bad = true
	} else if r.Aligned != 0 {
		recAlign = max(recAlign, l.aligned(r.Aligned))
	}
	rl.Align = recAlign
	rl.Size = roundUp((sizeBits+7)/8, recAlign)
	if rl.Size > l.maxSize() && !bad {
		l.errorf(r.Pos, "%s: the record is too large (%d bytes with its alignment; the limit on %s is %d)", r.Name, rl.Size, l.ABI.Target, l.maxSize())
		bad = true
	}
	if bad {
		l.recs[r] = nil
		return nil
	}
	l.recs[r] = rl
	return rl
}

// duplicateMembers reports members of r that share a name, counting the
// members of anonymous structs and unions as r's own, as C does.
func (l *Layout) duplicateMembers(r *parser.Record) bool {
	seen := map[string]bool{}
	bad := false
	var walk func(r *parser.Record)
	walk = func(rec *parser.Record) {
		for _, m := range rec.Members {
			if m.Name == "" {
				if t := m.Type.Resolve(); t.Kind == parser.RecordRef && t.Record.Parent == rec {
					walk(t.Record)
				}
				continue
			}
			if seen[m.Name] {
				l.errorf(m.Pos, "%s: duplicate member %s", r.Name, m.Name)
				bad = true
			}
			seen[m.Name] = true
		}
	}
	walk(r)
	return bad
}

// excessUnitSpan reports whether a bit-field of width bits placed at bit
// offset pos spans more align-bit units than its type (typeBits) does:
// gcc's excess_unit_span.
func excessUnitSpan(pos, width, align, typeBits int64) bool {
	off := pos % align
	return (off+width+align-1)/align > typeBits/align
}

func roundUp(n, to int64) int64 {
	if to <= 1 {
		return n
	}
	return (n + to - 1) / to * to
}

// Records returns every complete record's layout in the form of the
// goldens and of `xenbind layout -json`, in the unit's order.
func (l *Layout) Records() []Record {
	out := make([]Record, 0, len(l.unit.Records))
	for _, r := range l.unit.Records {
		rl := l.recs[r]
		if rl == nil {
			continue
		}
		rec := l.export(rl)
		out = append(out, rec)
		for _, a := range r.Aliases {
			alias := rec
			alias.Name = a
			out = append(out, alias)
		}
	}
	return out
}

func (l *Layout) export(rl *RecordLayout) Record {
	r := rl.Record
	rec := Record{Name: r.Name, Kind: r.Kind.String(), Size: rl.Size, Align: rl.Align, Pos: r.Pos.String(), Fields: []Field{}}
	index := 0
	for i, m := range r.Members {
		if m.IsBitField() && m.Name == "" {
			continue // unnamed bit-fields shape the layout but are not members
		}
		name := m.Name
		if name == "" {
			name = "#" + strconv.Itoa(index)
		}
		index++
		ml := rl.Members[i]
		f := Field{Name: name, Type: m.Type.String(), Offset: ml.Offset, Size: ml.Size}
		if m.IsBitField() {
			bo, bs := ml.BitOffset, m.BitWidth
			f.BitOffset, f.BitSize = &bo, &bs
		}
		rec.Fields = append(rec.Fields, f)
	}
	return rec
}
