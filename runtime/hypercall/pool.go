package hypercall

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
)

// Memory is a source of hypervisor-visible memory for a Pool: an mmap of
// /dev/xen/hypercall or locked anonymous memory for privcmd, whatever the
// guest kernel provides for direct hypercalls, plain Go memory for a test
// double.
type Memory interface {
	// Map returns at least size bytes (size is a multiple of the pool's page
	// size) of memory the hypervisor may access, and the address Xen must be
	// given for mem[0]. The memory must stay at that address until Unmap.
	Map(size int) (mem []byte, addr uint64, err error)
	// Unmap gives back memory returned by Map.
	Unmap(mem []byte) error
}

// Buffer is hypervisor-visible memory handed out by a Pool. A buffer must not
// be used after Release: its memory goes to the next Alloc, or back to the
// system.
//
// Every Alloc returns a fresh *Buffer, never one handed out before, so a
// stale *Buffer cannot reach memory that a later Alloc gave to someone
// else: after Release its Bytes are nil, its Addr is 0, and a second
// Release does nothing, whoever holds the buffer's memory by then.
type Buffer struct {
	s *slot // the memory while this handle owns it, nil after Release
	n int   // bytes asked for by this Alloc
}

// slot is one mapping of the pool, reused by successive Buffers.
type slot struct {
	mem   []byte  // the whole mapping: the size class, a multiple of the page size
	addr  uint64  // what Xen is given for mem[0]
	class int     // index into Pool.free, or -1 for a mapping too large to keep
	index int     // position in Pool.all, for removal without a search
	owner *Buffer // the handle using it, nil while idle
	pool  *Pool
}

// Bytes returns the buffer's memory: exactly the n bytes asked of Alloc, with
// no spare capacity, so that an append cannot spill past what Xen was told.
// It is nil after Release.
func (b *Buffer) Bytes() []byte {
	if b.s == nil {
		return nil
	}
	return b.s.mem[:b.n:b.n]
}

// Addr returns the address to hand to Xen for Bytes()[0], 0 after Release.
func (b *Buffer) Addr() uint64 {
	if b.s == nil {
		return 0
	}
	return b.s.addr
}

// Release returns the buffer to its pool. Releasing twice does nothing, so a
// deferred Release after an explicit one is harmless: the memory may have
// gone to another Buffer meanwhile, and stays with it.
func (b *Buffer) Release() {
	if b == nil || b.s == nil {
		return
	}
	b.s.pool.release(b)
}

// Pool sizes, chosen so that the buffers of typical hypercalls (a page or
// two) are recycled and an idle pool holds at most a couple of MiB of locked
// memory (RLIMIT_MEMLOCK is 8 MiB by default on current kernels).
const (
	// numClasses is the number of pooled size classes: 1, 2, 4, ... 64 pages.
	numClasses = 7
	// maxIdle is the number of released buffers a size class keeps mapped.
	maxIdle = 4
	// handleChunk is the number of Buffer handles allocated at once.
	handleChunk = 256
	// maxAlloc bounds a single allocation, so that a corrupt length cannot
	// ask the system for an absurd mapping.
	maxAlloc = 1 << 30
)

// Pool hands out Buffers from a Memory and recycles them by size class, so
// that a Caller in steady state maps nothing and allocates on the Go heap
// only one chunk of handles per 256 Allocs. It also knows every live buffer, which lets a test double resolve
// the addresses it is given (Resolve). A Pool is safe for concurrent use.
type Pool struct {
	mem      Memory
	pageSize int

	mu     sync.Mutex
	free   [numClasses][]*slot // idle mappings, by size class
	all    []*slot             // every mapping, live or idle
	closed bool
	// handles are carved from a chunk so that a fresh *Buffer per Alloc
	// costs one heap allocation per handleChunk Allocs.
	handles []Buffer
}

// NewPool returns a pool of buffers mapped from m in multiples of pageSize,
// which must be a power of two: the granule of m, and the unit in which
// pages are written once before first use.
func NewPool(m Memory, pageSize int) (*Pool, error) {
	if m == nil {
		return nil, errors.New("hypercall: new pool: nil Memory")
	}
	if pageSize <= 0 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("hypercall: new pool: page size %d is not a power of two", pageSize)
	}
	return &Pool{mem: m, pageSize: pageSize}, nil
}

// Alloc returns a zeroed buffer of n bytes whose every page has been written
// once: Xen on ARM does not fault pages in, so an untouched page would make
// the hypercall fail with EFAULT. Reused memory is zeroed in full, not only
// the n bytes, so nothing of an earlier call stays in it.
func (p *Pool) Alloc(n int) (*Buffer, error) {
	if n < 0 || n > maxAlloc {
		return nil, fmt.Errorf("hypercall: allocate %d bytes: %w", n, EINVAL)
	}
	pages := max(1, (n+p.pageSize-1)/p.pageSize)
	class := bits.Len(uint(pages - 1)) // 1 page: 0, 2: 1, 3-4: 2, ...
	size := p.pageSize << class
	if class >= numClasses {
		class, size = -1, pages*p.pageSize
	}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, fmt.Errorf("hypercall: allocate %d bytes: %w", n, ErrClosed)
	}
	if class >= 0 {
		if free := p.free[class]; len(free) > 0 {
			s := free[len(free)-1]
			free[len(free)-1] = nil
			p.free[class] = free[:len(free)-1]
			b := p.handle(s, n)
			p.mu.Unlock()
			clear(s.mem)
			return b, nil
		}
	}
	p.mu.Unlock()

	mem, addr, err := p.mem.Map(size)
	if err != nil {
		return nil, fmt.Errorf("hypercall: allocate %d bytes: %w", n, err)
	}
	if len(mem) < size {
		err := fmt.Errorf("hypercall: allocate %d bytes: Memory mapped %d bytes of %d", n, len(mem), size)
		return nil, errors.Join(err, p.mem.Unmap(mem))
	}
	mem = mem[:size:size]
	// Write every page once, whatever the Memory did: Xen on ARM gives
	// EFAULT for a page that has never been touched.
	for off := 0; off < size; off += p.pageSize {
		mem[off] = 0
	}
	clear(mem[:n])
	s := &slot{mem: mem, addr: addr, class: class, pool: p}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		err := fmt.Errorf("hypercall: allocate %d bytes: %w", n, ErrClosed)
		return nil, errors.Join(err, p.mem.Unmap(mem))
	}
	s.index = len(p.all)
	p.all = append(p.all, s)
	b := p.handle(s, n)
	p.mu.Unlock()
	return b, nil
}

// handle returns a new Buffer owning s. p.mu must be held.
func (p *Pool) handle(s *slot, n int) *Buffer {
	if len(p.handles) == 0 {
		p.handles = make([]Buffer, handleChunk)
	}
	b := &p.handles[0]
	p.handles = p.handles[1:]
	b.s, b.n = s, n
	s.owner = b
	return b
}

// release keeps b's memory for the next Alloc of its size class, or unmaps it
// when the class is full, the mapping is too large to keep, or the pool is
// closed. A handle that no longer owns its slot changes nothing.
func (p *Pool) release(b *Buffer) {
	p.mu.Lock()
	s := b.s
	if s == nil || s.owner != b {
		p.mu.Unlock()
		return
	}
	b.s = nil
	s.owner = nil
	if s.class >= 0 && !p.closed && len(p.free[s.class]) < maxIdle {
		p.free[s.class] = append(p.free[s.class], s)
		p.mu.Unlock()
		return
	}
	p.forget(s)
	p.mu.Unlock()
	// An unmap of our own mapping cannot fail in a way the caller could act
	// on; Release has no error to return it through.
	_ = p.mem.Unmap(s.mem)
}

// forget removes s from p.all. p.mu must be held.
func (p *Pool) forget(s *slot) {
	last := p.all[len(p.all)-1]
	p.all[s.index] = last
	last.index = s.index
	p.all[len(p.all)-1] = nil
	p.all = p.all[:len(p.all)-1]
}

// Resolve returns the memory of the live buffer that holds the n bytes at
// Xen address addr: the bytes from addr to the end of that buffer's Bytes,
// at least n of them. It returns EFAULT when no live buffer holds them, as
// Xen would for an address it cannot access; a test double uses it to catch
// callers that hand Xen Go-heap memory or a released buffer.
func (p *Pool) Resolve(addr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, EFAULT
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.all {
		if s.owner == nil || addr < s.addr {
			continue
		}
		off, size := addr-s.addr, s.owner.n
		if off >= uint64(size) {
			continue
		}
		if uint64(n) > uint64(size)-off {
			return nil, EFAULT
		}
		return s.mem[off:size:size], nil
	}
	return nil, EFAULT
}

// Close unmaps the idle buffers and makes later Allocs fail with ErrClosed.
// Buffers still in use stay valid and are unmapped when released.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var idle []*slot
	for c := range p.free {
		for _, s := range p.free[c] {
			p.forget(s)
			idle = append(idle, s)
		}
		p.free[c] = nil
	}
	p.mu.Unlock()
	var errs []error
	for _, s := range idle {
		if err := p.mem.Unmap(s.mem); err != nil {
			errs = append(errs, fmt.Errorf("hypercall: close pool: %w", err))
		}
	}
	return errors.Join(errs...)
}
