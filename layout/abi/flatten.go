package abi

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// maxDepth bounds how deep nested records are flattened. C forbids a
// record containing itself, but the bound keeps bad input from costing
// more than it should.
const maxDepth = 16

// slot is one member of a flattened record.
type slot struct {
	path  string
	off   int64 // bits from the record's start
	size  int64 // bytes; the whole array for an array
	width int64 // bit-field width, -1 for an ordinary member
	typ   string
	canon string
	// leaf is false for a member that is itself a record (or an array of
	// records), whose members follow it as slots of their own.
	leaf bool
	// top is the index of the record's own member the slot belongs to.
	top int
}

// flat is a record's layout in the form the comparisons use.
type flat struct {
	name   string
	kind   string
	pos    string
	header string
	size   int64
	align  int64
	slots  []slot
	byPath map[string]int
	rl     *layout.RecordLayout
	l      *layout.Layout
}

// flatten lays out rl's members as slots.
func flatten(l *layout.Layout, rl *layout.RecordLayout) *flat {
	r := rl.Record
	f := &flat{
		name: r.Name, kind: r.Kind.String(), pos: r.Pos.String(), header: r.Header,
		size: rl.Size, align: rl.Align, rl: rl, l: l,
	}
	var walk func(rl *layout.RecordLayout, prefix string, base int64, depth, top int)
	walk = func(rl *layout.RecordLayout, prefix string, base int64, depth, top int) {
		for i, m := range rl.Record.Members {
			if m.IsBitField() && m.Name == "" {
				continue // shapes the layout, holds nothing
			}
			ml := rl.Members[i]
			t := top
			if depth == 0 {
				t = i
			}
			off := base + ml.BitOffset
			inner, isArray := nestedRecord(m.Type)
			var irl *layout.RecordLayout
			if inner != nil && depth < maxDepth {
				irl = l.Of(inner)
			}
			if m.Name == "" && irl != nil && !isArray {
				// An anonymous struct or union: its members are members
				// of the record that holds it.
				walk(irl, prefix, off, depth+1, t)
				continue
			}
			name := m.Name
			if name == "" {
				name = fmt.Sprintf("#%d", i)
			}
			width := int64(-1)
			if m.IsBitField() {
				width = m.BitWidth
			}
			path := prefix + name
			f.slots = append(f.slots, slot{
				path: path, off: off, size: ml.Size, width: width,
				typ: m.Type.String(), canon: canon(l, m.Type), leaf: irl == nil, top: t,
			})
			if irl != nil {
				if isArray {
					path += "[]"
				}
				walk(irl, path+".", off, depth+1, t)
			}
		}
	}
	walk(rl, "", 0, 0, 0)
	f.byPath = make(map[string]int, len(f.slots))
	for i, s := range f.slots {
		if _, dup := f.byPath[s.path]; !dup {
			f.byPath[s.path] = i
		}
	}
	return f
}

// nestedRecord returns the record a member of type t holds, through
// typedefs and arrays, and whether it holds an array of them. Guest
// handles hold no record: they are compared as a whole.
func nestedRecord(t *parser.Type) (*parser.Record, bool) {
	isArray := false
	for {
		if handleName(t) != "" {
			return nil, false
		}
		switch t.Kind {
		case parser.TypedefRef:
			t = t.Elem
		case parser.Array:
			isArray = true
			t = t.Elem
		case parser.RecordRef:
			if !t.Record.Complete() {
				return nil, false
			}
			return t.Record, isArray
		default:
			return nil, false
		}
	}
}

// handlePrefix starts the name of every guest handle type, in Xen's
// headers and in Linux's.
const handlePrefix = "__guest_handle_"

// handleName returns the pointed-to type of a guest handle type, "" when t
// is not one. XEN_GUEST_HANDLE_64(x), a handle of x_t and a handle of
// struct x all name x.
func handleName(t *parser.Type) string {
	if t.Kind != parser.TypedefRef || !strings.HasPrefix(t.Typedef.Name, handlePrefix) {
		return ""
	}
	n := strings.TrimPrefix(t.Typedef.Name, handlePrefix)
	n = strings.TrimPrefix(n, "64_")
	if c, ok := strings.CutPrefix(n, "const_"); ok {
		n = "const " + c
	}
	return strings.TrimSuffix(n, "_t")
}

// isHandleRecord reports whether a record is the representation of a guest
// handle (a typedef'd anonymous struct named __guest_handle_*).
func isHandleRecord(r *parser.Record) bool {
	return strings.HasPrefix(r.Name, "typedef "+handlePrefix)
}

// canon spells t so that types with the same meaning compare equal across
// targets' spellings and dialects: integers by size and signedness,
// typedefs followed, guest handles by what they point to, records by tag.
func canon(l *layout.Layout, t *parser.Type) string {
	if h := handleName(t); h != "" {
		return "handle(" + h + ")"
	}
	switch t.Kind {
	case parser.TypedefRef:
		return canon(l, t.Elem)
	case parser.Pointer:
		return "*" + canon(l, t.Elem)
	case parser.Array:
		if t.Len < 0 {
			return "[]" + canon(l, t.Elem)
		}
		return fmt.Sprintf("[%d]%s", t.Len, canon(l, t.Elem))
	case parser.RecordRef:
		r := t.Record
		if r.Tag != "" {
			return r.Kind.String() + " " + r.Tag
		}
		names := make([]string, 0, len(r.Members))
		for _, m := range r.Members {
			names = append(names, m.Name)
		}
		return r.Kind.String() + "{" + strings.Join(names, ",") + "}"
	case parser.EnumRef, parser.Short, parser.UShort, parser.Int, parser.UInt,
		parser.Long, parser.ULong, parser.LongLong, parser.ULongLong, parser.Int128, parser.UInt128,
		parser.SChar, parser.UChar:
		size, err := l.SizeOf(t)
		if err != nil {
			return t.String()
		}
		sign := "u"
		if t.Kind.IsSigned() {
			sign = ""
		}
		return fmt.Sprintf("%sint%d", sign, size*8)
	case parser.Float:
		return "float32"
	case parser.Double:
		return "float64"
	}
	return t.Kind.String()
}

// Change is one way a member or a record differs between two layouts.
type Change struct {
	// Member is the member's path in the record ("vcpu_info[].time"), ""
	// for the record itself.
	Member string `json:"member"`
	// Kind is "changed", "renamed", or "added" / "removed" for a member
	// only the second / first layout has.
	Kind string `json:"kind"`
	// Deltas say what changed; for an added or removed member, what the
	// member is (Old or New only).
	Deltas []Delta `json:"deltas"`
	// order sorts changes: bit offset of the member.
	order int64
	leaf  bool
}

// Delta is one property that differs: offset, size, bits, type, align.
type Delta struct {
	What string `json:"what"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// Change kinds.
const (
	Changed = "changed"
	Added   = "added"
	Removed = "removed"
	// Renamed is a member in the same place with the same size and type
	// under another name (between trees only); its first delta is the
	// name.
	Renamed = "renamed"
)

func (c Change) String() string { return c.describe("removed", "added") }

// between spells a change between two targets.
func (c Change) between(a, b string) string {
	return c.describe("not on "+b+" (on "+a+":", "not on "+a+" (on "+b+":")
}

// describe spells the change, with words for a member that only the first
// or only the second layout has. A word ending in ':' opens a parenthesis.
func (c Change) describe(removed, added string) string {
	name := c.Member
	if name == "" {
		name = "(record)"
	}
	word := ""
	switch c.Kind {
	case Added:
		word = added
	case Removed:
		word = removed
	}
	parts := make([]string, 0, len(c.Deltas))
	for _, d := range c.Deltas {
		switch {
		case c.Kind == Renamed && d.What == "name":
			parts = append(parts, "renamed to "+d.New)
		case c.Kind == Added:
			parts = append(parts, d.What+" "+d.New)
		case c.Kind == Removed:
			parts = append(parts, d.What+" "+d.Old)
		default:
			parts = append(parts, d.What+" "+d.Old+" -> "+d.New)
		}
	}
	out := name + ": "
	if word != "" {
		out += word + " "
	}
	out += strings.Join(parts, ", ")
	if strings.HasSuffix(word, ":") {
		out += ")"
	}
	return out
}

// offString spells a bit offset: bytes, or bytes:bits inside a byte.
func offString(bits int64) string {
	if bits%8 == 0 {
		return fmt.Sprint(bits / 8)
	}
	return fmt.Sprintf("%d:%d", bits/8, bits%8)
}

// describe lists what a member is, for an added or removed member.
func describe(s slot) []Delta {
	d := []Delta{{What: "offset", New: offString(s.off)}, {What: "size", New: fmt.Sprint(s.size)}}
	if s.width >= 0 {
		d = append(d, Delta{What: "bits", New: fmt.Sprint(s.width)})
	}
	return append(d, Delta{What: "type", New: s.typ})
}

func swap(ds []Delta) []Delta {
	for i := range ds {
		ds[i].Old, ds[i].New = ds[i].New, ds[i].Old
	}
	return ds
}

// compare lists how b's layout differs from a's. Between trees (withTypes)
// it also compares member types and the record's alignment. Across targets
// only the bytes count: a record whose alignment alone differs (struct
// mmu_update, 4 on x86_32 and 8 on x86_64) is passed through as it is, as
// Xen's compat layer does; where the alignment moves it inside another
// record, that record differs.
func compare(a, b *flat, withTypes bool) []Change {
	var out []Change
	var rec []Delta
	if a.size != b.size {
		rec = append(rec, Delta{What: "size", Old: fmt.Sprint(a.size), New: fmt.Sprint(b.size)})
	}
	if withTypes && a.align != b.align {
		rec = append(rec, Delta{What: "align", Old: fmt.Sprint(a.align), New: fmt.Sprint(b.align)})
	}
	if withTypes && a.kind != b.kind {
		rec = append(rec, Delta{What: "kind", Old: a.kind, New: b.kind})
	}
	var renames map[string]string
	if withTypes {
		renames = findRenames(a, b)
	}
	used := map[string]bool{}
	for _, s := range a.slots {
		q := renamed(renames, s.path)
		j, ok := b.byPath[q]
		if !ok {
			out = append(out, Change{Member: s.path, Kind: Removed, Deltas: swap(describe(s)), order: s.off, leaf: s.leaf})
			continue
		}
		used[q] = true
		t := b.slots[j]
		var ds []Delta
		kind := Changed
		if n, ok := renames[s.path]; ok {
			kind = Renamed
			ds = append(ds, Delta{What: "name", Old: s.path, New: n})
		}
		if s.off != t.off {
			ds = append(ds, Delta{What: "offset", Old: offString(s.off), New: offString(t.off)})
		}
		if s.size != t.size {
			ds = append(ds, Delta{What: "size", Old: fmt.Sprint(s.size), New: fmt.Sprint(t.size)})
		}
		if s.width != t.width {
			ds = append(ds, Delta{What: "bits", Old: bitsString(s.width), New: bitsString(t.width)})
		}
		if withTypes && s.canon != t.canon {
			o, n := s.typ, t.typ
			if o == n {
				o, n = o+" ("+s.canon+")", n+" ("+t.canon+")"
			}
			ds = append(ds, Delta{What: "type", Old: o, New: n})
		}
		if len(ds) > 0 {
			out = append(out, Change{Member: s.path, Kind: kind, Deltas: ds, order: s.off, leaf: s.leaf})
		}
	}
	for _, t := range b.slots {
		if !used[t.path] {
			out = append(out, Change{Member: t.path, Kind: Added, Deltas: describe(t), order: t.off, leaf: t.leaf})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].order < out[j].order })
	if len(rec) > 0 {
		out = append([]Change{{Kind: Changed, Deltas: rec, order: -1}}, out...)
	}
	return out
}

// findRenames pairs members only a has with members only b has that sit
// in the same record at the same place with the same size and type: the
// same member under another name (mem_flags in Xen, address_bits in
// Linux). Members of a renamed nested record follow it.
func findRenames(a, b *flat) map[string]string {
	renames := map[string]string{}
	taken := map[string]bool{}
	for _, s := range a.slots {
		if _, ok := b.byPath[renamed(renames, s.path)]; ok {
			continue
		}
		if _, ok := renames[parentPath(s.path)]; ok {
			continue // follows its renamed parent
		}
		for _, t := range b.slots {
			if taken[t.path] || parentPath(t.path) != renamed(renames, parentPath(s.path)) {
				continue
			}
			if _, ok := a.byPath[t.path]; ok {
				continue
			}
			if t.off == s.off && t.size == s.size && t.width == s.width && t.canon == s.canon {
				renames[s.path] = t.path
				taken[t.path] = true
				break
			}
		}
	}
	return renames
}

// parentPath is the path of the nested record holding a member ("" at the
// top), with its "[]" kept: "vcpu_info[]." for "vcpu_info[].time".
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return ""
	}
	return p[:i+1]
}

// renamed applies renames to a path: the member's own, or its parent's.
func renamed(renames map[string]string, p string) string {
	if n, ok := renames[p]; ok {
		return n
	}
	for i := len(p) - 1; i > 0; i-- {
		if p[i] != '.' {
			continue
		}
		parent := strings.TrimSuffix(p[:i], "[]")
		if n, ok := renames[parent]; ok {
			return n + p[len(parent):]
		}
	}
	return p
}

func bitsString(w int64) string {
	if w < 0 {
		return "-"
	}
	return fmt.Sprint(w)
}

// first returns the change that best says where two layouts part: the
// first member (by offset) that moves, and where that member is a nested
// record, the first of its own members that moves; else the record's own
// size or alignment.
func first(changes []Change) *Change {
	for i := range changes {
		c := &changes[i]
		if c.Member == "" {
			continue
		}
		if !c.leaf {
			for j := i + 1; j < len(changes); j++ {
				d := &changes[j]
				if d.leaf && (strings.HasPrefix(d.Member, c.Member+".") || strings.HasPrefix(d.Member, c.Member+"[].")) {
					return d
				}
			}
		}
		return c
	}
	if len(changes) > 0 {
		return &changes[0]
	}
	return nil
}

// records returns the flattened top-level records of a layout by name, in
// the unit's order, guest handle representations left out.
func records(l *layout.Layout) ([]string, map[string]*flat) {
	u := l.Unit()
	var names []string
	m := map[string]*flat{}
	for _, r := range u.Records {
		if r.Parent != nil || !r.Complete() || isHandleRecord(r) {
			continue
		}
		rl := l.Of(r)
		if rl == nil {
			continue
		}
		if _, dup := m[r.Name]; dup {
			continue
		}
		names = append(names, r.Name)
		m[r.Name] = flatten(l, rl)
	}
	return names, m
}
