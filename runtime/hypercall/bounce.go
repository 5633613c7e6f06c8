package hypercall

import (
	"math/bits"
	"unsafe"
)

// Bouncing: the generated wrappers take ordinary Go values and slices, and
// Xen must never see the Go heap or a goroutine stack. So each wrapper
// copies ("bounces") its arguments into hypervisor-visible memory from an
// Arena, points the guest handles at the copies, issues the hypercall and
// copies the results back.
//
// The helpers below work on any fixed-layout type T: the generated struct
// types (structs.HostLayout, explicit padding, no Go pointers), their
// typedefs and integers. T must contain no Go pointers: the copies live in
// memory the garbage collector does not scan.

// arenaChunk is the size of the buffer an Arena carves small objects from:
// one 4 KiB page, Xen's page size on every architecture, so a typical
// hypercall needs a single Alloc.
const arenaChunk = 4096

// arenaAlign is the alignment of every object in an Arena: the largest
// alignment C gives any member of Xen's interface (uint64_t, and guest
// handles, on every target), whatever Go's own alignment of the type is.
const arenaAlign = 8

// maxArenaBuffers bounds the buffers one Arena holds: the chunk plus one
// per large slice. No Xen hypercall has more guest handles than this.
const maxArenaBuffers = 8

// Arena is the hypervisor-visible memory of one hypercall. Small objects
// are carved from one chunk, large ones get buffers of their own; Release
// returns everything to the Caller's pool.
//
// An Arena lives on the stack of the function making the call, so that a
// wrapped call allocates nothing on the Go heap (but for the pool's chunk
// of Buffer handles, one per 256 buffers):
//
//	a := hypercall.NewArena(c)
//	defer a.Release()
//	p, addr := hypercall.Value(&a, arg)
//	...
//	if err := a.Err(); err != nil { ... }
//
// Allocation failures are sticky: after one, every helper returns scratch
// Go memory (so that the code setting up the call needs no error checks)
// and Err reports the first failure. A wrapper checks Err before it issues
// the hypercall, so the scratch memory never reaches Xen.
type Arena struct {
	c     Caller
	chunk *Buffer // the buffer small objects are carved from, or nil
	used  int     // bytes of chunk handed out
	bufs  [maxArenaBuffers]*Buffer
	n     int // buffers in bufs, chunk included
	err   error
}

// NewArena returns an empty Arena allocating from c.
func NewArena(c Caller) Arena {
	return Arena{c: c}
}

// Err returns the first allocation failure, or nil.
func (a *Arena) Err() error {
	return a.err
}

// Release returns the Arena's buffers to the Caller. The memory must not
// be used afterwards.
func (a *Arena) Release() {
	for i := 0; i < a.n; i++ {
		a.bufs[i].Release()
		a.bufs[i] = nil
	}
	a.n, a.chunk, a.used = 0, nil, 0
}

// alloc returns n zeroed bytes of hypervisor-visible memory aligned to
// arenaAlign, and their address for Xen; nil after a failure.
func (a *Arena) alloc(n int) ([]byte, uint64) {
	if a.err != nil {
		return nil, 0
	}
	if a.c == nil {
		a.err = errNilCaller
		return nil, 0
	}
	if n <= arenaChunk {
		if a.chunk == nil && a.n < len(a.bufs) {
			b, err := a.c.Alloc(arenaChunk)
			if err != nil {
				a.err = err
				return nil, 0
			}
			a.chunk, a.used = b, 0
			a.bufs[a.n] = b
			a.n++
		}
		if a.chunk != nil {
			off := (a.used + arenaAlign - 1) &^ (arenaAlign - 1)
			if off+n <= arenaChunk {
				a.used = off + n
				// Alloc zeroed the chunk and nothing is handed out twice.
				return a.chunk.Bytes()[off : off+n : off+n], a.chunk.Addr() + uint64(off)
			}
		}
	}
	if a.n == len(a.bufs) {
		a.err = errArenaFull
		return nil, 0
	}
	b, err := a.c.Alloc(n)
	if err != nil {
		a.err = err
		return nil, 0
	}
	a.bufs[a.n] = b
	a.n++
	return b.Bytes(), b.Addr()
}

// errArenaFull and errNilCaller are programming errors of a wrapper or its
// caller, reported rather than panicking.
var (
	errArenaFull = &ArgError{Op: "hypercall", Field: "arena", Entry: -1, Reason: "too many buffers for one hypercall"}
	errNilCaller = &ArgError{Op: "hypercall", Field: "caller", Entry: -1, Reason: "nil Caller"}
)

// sizeOf is unsafe.Sizeof of a T, without a variable of type T: gc puts a
// local variable whose type is aligned above the pointer size on the heap
// ("too aligned for stack"), and on 386 and arm the generated structs that
// C aligns to 8 are (they hold align8).
func sizeOf[T any]() uintptr {
	return unsafe.Sizeof(*(*T)(nil))
}

// New returns a zeroed T in hypervisor-visible memory and its address.
func New[T any](a *Arena) (*T, uint64) {
	mem, addr := a.alloc(int(sizeOf[T]()))
	if mem == nil {
		return new(T), 0 // scratch: a.Err() is set, the call will not be made
	}
	return (*T)(unsafe.Pointer(unsafe.SliceData(mem))), addr
}

// Value copies *v into hypervisor-visible memory and returns the copy and
// its address.
func Value[T any](a *Arena, v *T) (*T, uint64) {
	p, addr := New[T](a)
	*p = *v
	return p, addr
}

// Copy sets *dst to *src. The generated wrappers copy values in and out of
// hypervisor-visible memory with it rather than with an assignment: on 386
// and arm a struct that C aligns to 8 holds a zero-size array of
// sync/atomic.Uint64 for that alignment (the generated packages' align8),
// and go vet's copylocks check reports an assignment of it as a lock copy.
// The array holds nothing, so the copy copies only the C bytes.
func Copy[T any](dst, src *T) {
	*dst = *src
}

// NewBytes is New for a T followed by n more bytes, for a struct that ends
// in a flexible array member (struct xen_build_id's buf[]): the bytes
// after the T are returned as tail.
func NewBytes[T any](a *Arena, n int) (p *T, tail []byte, addr uint64) {
	size := int(sizeOf[T]())
	if n < 0 || n > maxAlloc-size {
		a.fail(&ArgError{Op: "hypercall", Field: "flexible array", Entry: -1, Reason: "length out of range"})
	}
	mem, addr := a.alloc(size + max(n, 0))
	if mem == nil {
		return new(T), make([]byte, max(n, 0)), 0
	}
	return (*T)(unsafe.Pointer(unsafe.SliceData(mem))), mem[size:], addr
}

// Slice returns hypervisor-visible memory for len(s) elements and its
// address, holding a copy of s when copyIn is set (the hypervisor reads
// the elements) and zeroed otherwise. An empty s gives a nil slice and
// address 0: the guest handle is NULL, which is how several commands are
// asked for a size rather than data.
func Slice[T any](a *Arena, s []T, copyIn bool) ([]T, uint64) {
	if len(s) == 0 {
		return nil, 0
	}
	size := uint64(sizeOf[T]())
	hi, total := bits.Mul64(size, uint64(len(s)))
	if hi != 0 || total > maxAlloc {
		a.fail(&ArgError{Op: "hypercall", Field: "slice", Entry: -1, Reason: "too large for a hypervisor buffer"})
	}
	mem, addr := a.alloc(int(total))
	if mem == nil {
		return make([]T, len(s)), 0
	}
	out := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), len(s))
	if copyIn {
		copy(out, s)
	}
	return out, addr
}

// fail records err as the Arena's failure unless it already has one.
func (a *Arena) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

// Integer is the set of integer types a count member of a hypercall
// argument may have.
type Integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// SetCount stores n, the length of a slice, in a count member of the
// argument, and reports whether it fits: a count member is often narrower
// than int (uint16_t size of struct xen_add_to_physmap_batch), and a
// truncated count would have Xen read fewer elements than the caller gave.
func SetCount[T Integer](dst *T, n int) bool {
	v := T(n)
	if n < 0 || int64(v) < 0 || uint64(v) != uint64(n) {
		return false
	}
	*dst = v
	return true
}

// Overlap reports whether two slices share memory: a hypercall that reads
// one list and writes another (XENMEM_exchange) forbids it.
func Overlap[T any](x, y []T) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	size := sizeOf[T]()
	if size == 0 {
		return false
	}
	x0 := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	y0 := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	x1 := x0 + uintptr(len(x))*size
	y1 := y0 + uintptr(len(y))*size
	return x0 < y1 && y0 < x1
}

// ShiftEqual reports whether n1<<o1 == n2<<o2 without overflow, as
// XENMEM_exchange requires of its input and output extent lists (a number
// of extents of 2^order pages each). A shift that overflows 64 bits makes
// the sizes unequal: Xen rejects such a list anyway.
func ShiftEqual(n1 uint64, o1 uint32, n2 uint64, o2 uint32) bool {
	s1, ok1 := shifted(n1, o1)
	s2, ok2 := shifted(n2, o2)
	return ok1 && ok2 && s1 == s2
}

// shifted returns n<<o and whether it fits in 64 bits.
func shifted(n uint64, o uint32) (uint64, bool) {
	if n == 0 {
		return 0, true
	}
	if o >= 64 || bits.LeadingZeros64(n) < int(o) {
		return 0, false
	}
	return n << o, true
}

// CString returns the text of a NUL-terminated C char array, such as
// xen_extraversion_t: the bytes up to the first NUL, or all of them.
func CString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
