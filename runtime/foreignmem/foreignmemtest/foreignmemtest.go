//go:build !plan9

// Package foreignmemtest provides in-memory domains for unit tests of code
// built on package foreignmem, in the spirit of net/http/httptest.
//
// A [Domains] holds the frames and resources of simulated domains;
// [Domains.Open] returns a *foreignmem.Device over them. Mapping a frame
// gives the frame's own bytes, so what the code under test writes shows
// in the domain and the other way round. A frame that does not exist fails
// its page with EFAULT, one marked paged out with ENOENT, as privcmd does;
// an unknown domain fails the call with ESRCH; after Restrict, any other
// domain fails with EPERM.
//
// The package is empty on Plan 9: its errors are Linux errno values
// (syscall.Errno), which Plan 9's syscall package does not have.
package foreignmemtest

import (
	"sync"
	"syscall"

	"github.com/xenbind/xenbind/runtime/foreignmem"
)

// Domains are simulated domains' memory.
type Domains struct {
	mu        sync.Mutex
	frames    map[foreignmem.DomID]map[uint64][]byte
	paged     map[foreignmem.DomID]map[uint64]bool
	resources map[resKey][][]byte
}

type resKey struct {
	dom     foreignmem.DomID
	typ, id uint32
}

// New returns no domains.
func New() *Domains {
	return &Domains{frames: map[foreignmem.DomID]map[uint64][]byte{}, paged: map[foreignmem.DomID]map[uint64]bool{}, resources: map[resKey][][]byte{}}
}

// Frame returns frame gfn of domain dom, creating both.
func (ds *Domains) Frame(dom foreignmem.DomID, gfn uint64) []byte {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.frames[dom] == nil {
		ds.frames[dom] = map[uint64][]byte{}
	}
	f := ds.frames[dom][gfn]
	if f == nil {
		f = make([]byte, foreignmem.PageSize)
		ds.frames[dom][gfn] = f
	}
	return f
}

// PageOut marks a frame paged out: mapping it fails with ENOENT.
func (ds *Domains) PageOut(dom foreignmem.DomID, gfn uint64) {
	ds.Frame(dom, gfn)
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.paged[dom] == nil {
		ds.paged[dom] = map[uint64]bool{}
	}
	ds.paged[dom][gfn] = true
}

// SetResource gives domain dom resource typ/id of n frames and returns them.
func (ds *Domains) SetResource(dom foreignmem.DomID, typ, id uint32, n int) [][]byte {
	ds.Frame(dom, 0) // the domain exists
	ds.mu.Lock()
	defer ds.mu.Unlock()
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = make([]byte, foreignmem.PageSize)
	}
	ds.resources[resKey{dom, typ, id}] = frames
	return frames
}

// Open returns a Device over the domains, acting as domain self.
func (ds *Domains) Open(self foreignmem.DomID) *foreignmem.Device {
	return foreignmem.New(&backend{ds: ds, self: self, restrict: -1})
}

type backend struct {
	ds       *Domains
	self     foreignmem.DomID
	restrict int
}

func (b *backend) check(dom foreignmem.DomID) (foreignmem.DomID, error) {
	if dom == foreignmem.DomIDSelf {
		dom = b.self
	}
	if b.restrict >= 0 && int(dom) != b.restrict {
		return 0, syscall.EPERM
	}
	if b.ds.frames[dom] == nil {
		return 0, syscall.ESRCH
	}
	return dom, nil
}

// MapBatch can return one slice only for a single frame, or for frames a
// test made adjacent; the double therefore maps a batch into fresh memory
// that aliases nothing unless it is one frame long. One frame is what tests
// of sharing need.
func (b *backend) MapBatch(dom foreignmem.DomID, gfns []uint64, writable bool) ([]byte, []error, error) {
	b.ds.mu.Lock()
	defer b.ds.mu.Unlock()
	dom, err := b.check(dom)
	if err != nil {
		return nil, nil, err
	}
	errs := make([]error, len(gfns))
	var mem []byte
	if len(gfns) == 1 {
		if f := b.ds.frames[dom][gfns[0]]; f != nil && !b.ds.paged[dom][gfns[0]] {
			return f, errs, nil
		}
		mem = make([]byte, foreignmem.PageSize)
	} else {
		mem = make([]byte, len(gfns)*foreignmem.PageSize)
	}
	for i, g := range gfns {
		f := b.ds.frames[dom][g]
		switch {
		case f == nil:
			errs[i] = syscall.EFAULT
		case b.ds.paged[dom][g]:
			errs[i] = syscall.ENOENT
		default:
			copy(mem[i*foreignmem.PageSize:], f)
		}
	}
	return mem, errs, nil
}

func (b *backend) ResourceSize(dom foreignmem.DomID, typ, id uint32) (uint64, error) {
	b.ds.mu.Lock()
	defer b.ds.mu.Unlock()
	dom, err := b.check(dom)
	if err != nil {
		return 0, err
	}
	r, ok := b.ds.resources[resKey{dom, typ, id}]
	if !ok {
		return 0, syscall.EINVAL
	}
	return uint64(len(r)), nil
}

func (b *backend) MapResource(dom foreignmem.DomID, typ, id, idx uint32, num int, writable bool) ([]byte, error) {
	b.ds.mu.Lock()
	defer b.ds.mu.Unlock()
	dom, err := b.check(dom)
	if err != nil {
		return nil, err
	}
	r, ok := b.ds.resources[resKey{dom, typ, id}]
	if !ok || int(idx)+num > len(r) {
		return nil, syscall.EINVAL
	}
	if num == 1 {
		return r[idx], nil
	}
	mem := make([]byte, num*foreignmem.PageSize)
	for i := 0; i < num; i++ {
		copy(mem[i*foreignmem.PageSize:], r[int(idx)+i])
	}
	return mem, nil
}

func (b *backend) Restrict(dom foreignmem.DomID) error {
	if dom == foreignmem.DomIDSelf {
		dom = b.self
	}
	if b.restrict >= 0 && int(dom) != b.restrict {
		return syscall.EINVAL
	}
	b.restrict = int(dom)
	return nil
}

func (b *backend) Unmap(mem []byte) error { return nil }
func (b *backend) Close() error           { return nil }
