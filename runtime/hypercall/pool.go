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
type Buffer struct {
	mem   []byte // the whole mapping: the size class, a multiple of the page size
	addr  uint64 // what Xen is given for mem[0]
	n     int    // bytes asked for by the current Alloc
	class int    // index into Pool.free, or -1 for a mapping too large to keep
	index int    // position in Pool.all, for removal without a search
	live  bool   // allocated and not yet released
	pool  *Pool
}

// Bytes returns the buffer's memory: exactly the n bytes asked of Alloc, with
// no spare capacity, so that an append cannot spill past what Xen was told.
func (b *Buffer) Bytes() []byte {
	return b.mem[:b.n:b.n]
}

// Addr returns the address to hand to Xen for Bytes()[0].
func (b *Buffer) Addr() uint64 {
	return b.addr
}

// Release returns the buffer to its pool. Releasing twice does nothing, so a
// deferred Release after an explicit one is harmless.
func (b *Buffer) Release() {
	if b == nil || b.pool == nil {
		return
	}
	b.pool.release(b)
}

// Pool sizes, chosen so that the buffers of typical hypercalls (a page or
// two) are recycled and an idle pool holds at most a couple of MiB of locked
// memory (RLIMIT_MEMLOCK is 8 MiB by default on current kernels).
const (
	// numClasses is the number of pooled size classes: 1, 2, 4, ... 64 pages.
	numClasses = 7
	// maxIdle is the number of released buffers a size class keeps mapped.
	maxIdle = 4
	// maxAlloc bounds a single allocation, so that a corrupt length cannot
	// ask the system for an absurd mapping.
	maxAlloc = 1 << 30
)

// Pool hands out Buffers from a Memory and recycles them by size class, so
// that a Caller in steady state maps nothing and allocates nothing on the Go
// heap. It also knows every live buffer, which lets a test double resolve
// the addresses it is given (Resolve). A Pool is safe for concurrent use.
type Pool struct {
	mem      Memory
	pageSize int

	mu     sync.Mutex
	free   [numClasses][]*Buffer // released buffers, by size class
	all    []*Buffer             // every mapped buffer, live or idle
	closed bool
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
// the hypercall fail with EFAULT.
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
			b := free[len(free)-1]
			free[len(free)-1] = nil
			p.free[class] = free[:len(free)-1]
			b.n, b.live = n, true
			p.mu.Unlock()
			clear(b.mem[:n])
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
	b := &Buffer{mem: mem, addr: addr, n: n, class: class, live: true, pool: p}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		err := fmt.Errorf("hypercall: allocate %d bytes: %w", n, ErrClosed)
		return nil, errors.Join(err, p.mem.Unmap(mem))
	}
	b.index = len(p.all)
	p.all = append(p.all, b)
	p.mu.Unlock()
	return b, nil
}

// release keeps b for the next Alloc of its size class, or unmaps it when the
// class is full, the buffer is too large to keep, or the pool is closed.
func (p *Pool) release(b *Buffer) {
	p.mu.Lock()
	if !b.live {
		p.mu.Unlock()
		return
	}
	b.live = false
	if b.class >= 0 && !p.closed && len(p.free[b.class]) < maxIdle {
		p.free[b.class] = append(p.free[b.class], b)
		p.mu.Unlock()
		return
	}
	p.forget(b)
	p.mu.Unlock()
	// An unmap of our own mapping cannot fail in a way the caller could act
	// on; Release has no error to return it through.
	_ = p.mem.Unmap(b.mem)
}

// forget removes b from p.all. p.mu must be held.
func (p *Pool) forget(b *Buffer) {
	last := p.all[len(p.all)-1]
	p.all[b.index] = last
	last.index = b.index
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
	for _, b := range p.all {
		if !b.live || addr < b.addr {
			continue
		}
		off := addr - b.addr
		if off >= uint64(b.n) {
			continue
		}
		if uint64(n) > uint64(b.n)-off {
			return nil, EFAULT
		}
		return b.mem[off:b.n:b.n], nil
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
	var idle []*Buffer
	for c := range p.free {
		for _, b := range p.free[c] {
			p.forget(b)
			idle = append(idle, b)
		}
		p.free[c] = nil
	}
	p.mu.Unlock()
	var errs []error
	for _, b := range idle {
		if err := p.mem.Unmap(b.mem); err != nil {
			errs = append(errs, fmt.Errorf("hypercall: close pool: %w", err))
		}
	}
	return errors.Join(errs...)
}
