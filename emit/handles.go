package emit

import (
	"fmt"
	"strings"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// Guest handles. Xen's headers declare, per element type, up to two
// typedef families, __guest_handle_X and __guest_handle_64_X, and macros
// that pick one of them; which one differs per architecture and mode:
//
//	                    x86_64, x86_32 guest   x86_32 tools          arm32, arm64
//	XEN_GUEST_HANDLE    __guest_handle_        __guest_handle_       __guest_handle_64_
//	XEN_GUEST_HANDLE_64 (tools) = the above    __guest_handle_64_    (tools) = the above
//	XEN_GUEST_HANDLE_PARAM  = the above        = XEN_GUEST_HANDLE    __guest_handle_
//
// The Go names follow the macros, not the typedef families, so that a
// member declared XEN_GUEST_HANDLE(T) is a Handle[T] on every GOARCH:
// Handle is what XEN_GUEST_HANDLE names, Handle64 what XEN_GUEST_HANDLE_64
// names (only where C defines that macro, which is tools mode; an alias of
// Handle where the two are the same C type), and HandleParam a family no
// struct macro names (arm's XEN_GUEST_HANDLE_PARAM), declared only if a
// member uses it. Headers without these macros (small fixtures) keep the
// family's own name: __guest_handle_ is Handle, __guest_handle_64_ is
// Handle64.

const (
	handlePrefix   = "__guest_handle_"
	handle64Prefix = "__guest_handle_64_"
)

// handleType is one Go guest handle type of a target.
type handleType struct {
	name  string // Handle, Handle64, HandleParam
	macro string // the C macro it stands for, for the doc
	// family is the typedef prefix it stands for ("" for an alias).
	family string
	// alias names the handle type this one is the same C type as.
	alias string
	// size and align are C's, from the family's records (the target's
	// pointer size when the tree has none).
	size, align int64
	// always: declared even when no member uses it (C defines the macro).
	always bool
	used   bool
}

// handleSet holds a target's guest handle types.
type handleSet struct {
	list     []*handleType
	byFamily map[string]*handleType
}

// guestHandles works out the guest handle types of a unit.
func guestHandles(u *parser.Unit, lay *layout.Layout, abi *layout.ABI) *handleSet {
	macros := map[string]*parser.Macro{}
	for _, m := range u.Macros {
		macros[m.Name] = m
	}
	// C's size and alignment of each family, from its first record.
	type sa struct{ size, align int64 }
	fam := map[string]*sa{}
	for _, r := range u.Records {
		if r.Parent != nil || !isHandleRecord(r) {
			continue
		}
		name := strings.TrimPrefix(r.Name, "typedef ")
		f := handlePrefix
		if strings.HasPrefix(name, handle64Prefix) {
			f = handle64Prefix
		}
		if fam[f] != nil {
			continue
		}
		if rl := lay.Of(r); rl != nil {
			fam[f] = &sa{rl.Size, rl.Align}
		}
	}
	sizeOf := func(f string) (int64, int64) {
		if s := fam[f]; s != nil {
			return s.size, s.align
		}
		// No record: nothing uses it.
		if f == handle64Prefix {
			return 8, 8
		}
		return abi.PointerSize, abi.PointerSize
	}
	hs := &handleSet{byFamily: map[string]*handleType{}}
	add := func(h *handleType) {
		if h.family != "" {
			h.size, h.align = sizeOf(h.family)
			hs.byFamily[h.family] = h
		}
		hs.list = append(hs.list, h)
	}
	main := macroFamily(macros, "XEN_GUEST_HANDLE")
	if main == "" {
		// No XEN_GUEST_HANDLE: the families by their own names, where
		// the tree has them.
		for _, f := range []struct{ family, name, macro string }{
			{handlePrefix, "Handle", "XEN_GUEST_HANDLE(T)"},
			{handle64Prefix, "Handle64", "XEN_GUEST_HANDLE_64(T)"},
		} {
			if fam[f.family] != nil {
				add(&handleType{name: f.name, macro: f.macro, family: f.family, always: true})
			}
		}
		return hs
	}
	h := &handleType{name: "Handle", macro: "XEN_GUEST_HANDLE(T)", family: main, always: true}
	add(h)
	if f64 := macroFamily(macros, "XEN_GUEST_HANDLE_64"); f64 == main {
		add(&handleType{name: "Handle64", macro: "XEN_GUEST_HANDLE_64(T)", alias: "Handle", size: h.size, align: h.align, always: true})
	} else if f64 != "" {
		add(&handleType{name: "Handle64", macro: "XEN_GUEST_HANDLE_64(T)", family: f64, always: true})
	}
	for _, f := range []string{handlePrefix, handle64Prefix} {
		if hs.byFamily[f] == nil && fam[f] != nil {
			add(&handleType{name: "HandleParam", macro: "XEN_GUEST_HANDLE_PARAM(T)", family: f})
		}
	}
	return hs
}

// macroFamily follows a function-like macro through the macros it
// expands to (XEN_GUEST_HANDLE -> __XEN_GUEST_HANDLE -> __guest_handle_64_
// ## name) and returns the handle typedef family it names, or "" when it
// is not defined or names none.
func macroFamily(macros map[string]*parser.Macro, name string) string {
	for range 8 {
		m := macros[name]
		if m == nil || !m.FuncLike {
			return ""
		}
		switch text := m.Text; {
		case strings.Contains(text, handle64Prefix):
			return handle64Prefix
		case strings.Contains(text, handlePrefix):
			return handlePrefix
		default:
			name, _, _ = strings.Cut(strings.TrimSpace(text), "(")
			name = strings.TrimSpace(name)
		}
	}
	return ""
}

// of returns the Go handle type of a handle typedef's name, marking it
// used.
func (hs *handleSet) of(typedef string) *handleType {
	f := handlePrefix
	if strings.HasPrefix(typedef, handle64Prefix) {
		f = handle64Prefix
	}
	h := hs.byFamily[f]
	if h != nil {
		h.used = true
	}
	return h
}

// declared returns the handle types to declare.
func (hs *handleSet) declared() []*handleType {
	var out []*handleType
	for _, h := range hs.list {
		if h.always || h.used {
			out = append(out, h)
		}
	}
	return out
}

// String lists the declared handle types and their sizes ("Handle 8,
// Handle64 = Handle"), for tests and messages.
func (hs *handleSet) String() string {
	var parts []string
	for _, h := range hs.declared() {
		if h.alias != "" {
			parts = append(parts, h.name+" = "+h.alias)
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", h.name, h.size))
		}
	}
	return strings.Join(parts, ", ")
}
