// Package granttest provides an in-memory grant table for unit tests of
// code built on packages gntalloc and gntdev, in the spirit of
// net/http/httptest.
//
// A [Table] simulates Xen's grants between domains: [Table.Gntalloc]
// returns a *gntalloc.Device of one domain whose shares are pages of the
// table, and [Table.Gntdev] a *gntdev.Device of another (or the same)
// domain that maps them: both see the same bytes, as two mappings of one
// page do. gntdev's Copy is performed with Xen's checks and grant statuses
// (GNTST_bad_domain, GNTST_bad_gntref, GNTST_permission_denied). An unmap
// notification that clears a byte does so when the share is closed; one
// that sends an event calls Table.Notify, if set.
package granttest

import (
	"sync"
	"syscall"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/gntalloc"
	"github.com/xenbind/xenbind/runtime/gntdev"
)

const domIDSelf = 0x7ff0

// Table is a simulated grant table shared by domains.
type Table struct {
	// Notify, if set, is called for an unmap notification of
	// gntalloc.SendEvent: the granting domain and its port.
	Notify func(dom uint16, port uint32)

	mu     sync.Mutex
	grants map[key]*grant
	next   map[uint16]uint32
}

type key struct {
	owner uint16
	ref   uint32
}

type grant struct {
	page     []byte
	to       uint16
	writable bool
	ended    bool
}

// NewTable returns an empty grant table.
func NewTable() *Table {
	return &Table{grants: map[key]*grant{}, next: map[uint16]uint32{}}
}

// Gntalloc returns a gntalloc Device of domain dom.
func (t *Table) Gntalloc(dom uint16) *gntalloc.Device {
	return gntalloc.New(&allocBackend{t: t, dom: dom, shares: map[uint64]*share{}})
}

// Gntdev returns a gntdev Device of domain dom.
func (t *Table) Gntdev(dom uint16) *gntdev.Device {
	return gntdev.New(&devBackend{t: t, dom: dom, maps: map[uint64][]gntdev.Ref{}})
}

// Active reports how many grants are in force (allocated and not ended).
func (t *Table) Active() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, g := range t.grants {
		if !g.ended {
			n++
		}
	}
	return n
}

type share struct {
	refs       []uint32
	mem        []byte
	notify     map[int]gntalloc.UnmapAction // page -> action
	notifyAt   map[int]int                  // page -> byte offset in mem
	notifyPort map[int]uint32
}

type allocBackend struct {
	t      *Table
	dom    uint16
	shares map[uint64]*share
	next   uint64
}

func (b *allocBackend) self(d uint16) uint16 {
	if d == domIDSelf {
		return b.dom
	}
	return d
}

func (b *allocBackend) Alloc(dom gntalloc.DomID, count int, writable bool) (uint64, []gntalloc.GrantRef, error) {
	t := b.t
	t.mu.Lock()
	defer t.mu.Unlock()
	mem := make([]byte, count*gntalloc.PageSize)
	s := &share{mem: mem, notify: map[int]gntalloc.UnmapAction{}, notifyAt: map[int]int{}, notifyPort: map[int]uint32{}}
	refs := make([]gntalloc.GrantRef, count)
	for i := range refs {
		t.next[b.dom]++
		r := t.next[b.dom] + 7 // Xen reserves the first references
		t.grants[key{b.dom, r}] = &grant{page: mem[i*gntalloc.PageSize : (i+1)*gntalloc.PageSize], to: uint16(dom), writable: writable}
		refs[i] = gntalloc.GrantRef(r)
		s.refs = append(s.refs, r)
	}
	index := b.next
	b.next += uint64(count * gntalloc.PageSize)
	b.shares[index] = s
	return index, refs, nil
}

func (b *allocBackend) Map(index uint64, count int) ([]byte, error) {
	s := b.shares[index]
	if s == nil || len(s.refs) != count {
		return nil, syscall.EINVAL
	}
	return s.mem, nil
}

func (b *allocBackend) Unmap(mem []byte) error {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	for _, s := range b.shares {
		if len(mem) > 0 && &s.mem[0] == &mem[0] {
			for page, a := range s.notify {
				if a&gntalloc.ClearByte != 0 {
					s.mem[s.notifyAt[page]] = 0
				}
				if a&gntalloc.SendEvent != 0 && b.t.Notify != nil {
					b.t.Notify(b.dom, s.notifyPort[page])
				}
			}
			return nil
		}
	}
	return syscall.EINVAL
}

func (b *allocBackend) Dealloc(index uint64, count int) error {
	t := b.t
	t.mu.Lock()
	defer t.mu.Unlock()
	s := b.shares[index]
	if s == nil || len(s.refs) != count {
		return syscall.EINVAL
	}
	for _, r := range s.refs {
		t.grants[key{b.dom, r}].ended = true
	}
	delete(b.shares, index)
	return nil
}

func (b *allocBackend) SetUnmapNotify(index uint64, action gntalloc.UnmapAction, port uint32) error {
	for base, s := range b.shares {
		if index >= base && index < base+uint64(len(s.mem)) {
			off := int(index - base)
			page := off / gntalloc.PageSize
			s.notify[page], s.notifyAt[page], s.notifyPort[page] = action, off, port
			return nil
		}
	}
	return syscall.EINVAL
}

func (b *allocBackend) Close() error { return nil }

type devBackend struct {
	t    *Table
	dom  uint16
	maps map[uint64][]gntdev.Ref
	next uint64
}

func (b *devBackend) MapRefs(refs []gntdev.Ref, writable bool) (uint64, error) {
	index := b.next
	b.next += uint64(len(refs) * gntdev.PageSize)
	b.maps[index] = append([]gntdev.Ref(nil), refs...)
	return index, nil
}

// lookup finds the grant ref names for domain b.dom, or Xen's status.
func (b *devBackend) lookup(r gntdev.Ref, write bool) (*grant, xen.GNTST) {
	owner := uint16(r.Dom)
	if owner == domIDSelf {
		owner = b.dom
	}
	g := b.t.grants[key{owner, uint32(r.Ref)}]
	switch {
	case g == nil && b.t.next[owner] == 0:
		return nil, xen.GNTST_bad_domain
	case g == nil || g.ended:
		return nil, xen.GNTST_bad_gntref
	case g.to != b.dom && !(g.to == domIDSelf && owner == b.dom):
		return nil, xen.GNTST_permission_denied
	case write && !g.writable:
		return nil, xen.GNTST_permission_denied
	}
	return g, xen.GNTST_okay
}

// Map returns the granted pages themselves when the refs are one share's
// consecutive pages (as a share maps back), which is what tests need:
// writes through either mapping show in the other.
func (b *devBackend) Map(index uint64, count int, writable bool) ([]byte, error) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	refs := b.maps[index]
	if len(refs) != count {
		return nil, syscall.EINVAL
	}
	var pages [][]byte
	for _, r := range refs {
		g, st := b.lookup(r, writable)
		if st != xen.GNTST_okay {
			return nil, syscall.EINVAL // the driver's answer when Xen refuses a map
		}
		pages = append(pages, g.page)
	}
	first := pages[0]
	whole := first[:cap(first)]
	if len(whole) >= count*gntdev.PageSize {
		whole = whole[:count*gntdev.PageSize]
		ok := true
		for i, p := range pages {
			if &whole[i*gntdev.PageSize] != &p[0] {
				ok = false
			}
		}
		if ok {
			return whole, nil
		}
	}
	if count == 1 {
		return first, nil
	}
	return nil, syscall.EINVAL // pages of different shares: no one slice shows them all
}

func (b *devBackend) Unmap(mem []byte) error { return nil }

func (b *devBackend) UnmapRefs(index uint64, count int) error {
	if len(b.maps[index]) != count {
		return syscall.EINVAL
	}
	delete(b.maps, index)
	return nil
}

func (b *devBackend) Copy(segs []gntdev.CopySegment) error {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	for i := range segs {
		s := &segs[i]
		var src, dst []byte
		s.Status = xen.GNTST_okay
		if s.Source.Local != nil {
			src = s.Source.Local[:s.Len]
		} else {
			g, st := b.lookup(s.Source.Ref, false)
			if st != xen.GNTST_okay {
				s.Status = st
				continue
			}
			src = g.page[s.Source.Offset : int(s.Source.Offset)+int(s.Len)]
		}
		if s.Dest.Local != nil {
			dst = s.Dest.Local[:s.Len]
		} else {
			g, st := b.lookup(s.Dest.Ref, true)
			if st != xen.GNTST_okay {
				s.Status = st
				continue
			}
			dst = g.page[s.Dest.Offset : int(s.Dest.Offset)+int(s.Len)]
		}
		copy(dst, src)
	}
	return nil
}

func (b *devBackend) Close() error { return nil }
