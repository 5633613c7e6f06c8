package hypercall

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// poolCaller is a Caller over a Pool of Go memory that counts Allocs and
// can be told to fail them.
type poolCaller struct {
	pool   *Pool
	allocs int
	fail   error
}

func newPoolCaller(t *testing.T) *poolCaller {
	t.Helper()
	p, err := NewPool(goMemory{}, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return &poolCaller{pool: p}
}

func (c *poolCaller) Call(op uint64, args [5]uint64) (uint64, error) { return 0, nil }

func (c *poolCaller) Alloc(n int) (*Buffer, error) {
	c.allocs++
	if c.fail != nil {
		return nil, c.fail
	}
	return c.pool.Alloc(n)
}

// goMemory maps Go memory at its own address; nothing hypervisor-visible
// is needed to test the arena.
type goMemory struct{}

func (goMemory) Map(size int) ([]byte, uint64, error) {
	b := make([]byte, size)
	return b, uint64(uintptr(unsafe.Pointer(&b[0]))), nil
}

func (goMemory) Unmap([]byte) error { return nil }

type pair struct {
	A uint32
	B uint64
}

func TestArenaCarvesOneChunk(t *testing.T) {
	c := newPoolCaller(t)
	a := NewArena(c)
	defer a.Release()
	v := pair{A: 1, B: 2}
	p, addr := Value(&a, &v)
	q, addr2 := New[uint16](&a)
	s, addr3 := Slice(&a, []uint32{7, 8, 9}, true)
	z, _ := Slice(&a, []uint32{7, 8, 9}, false)
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	if c.allocs != 1 {
		t.Errorf("%d Allocs for small objects, want 1", c.allocs)
	}
	if *p != v || *q != 0 || s[2] != 9 || z[2] != 0 {
		t.Errorf("copies %+v %d %v %v", *p, *q, s, z)
	}
	for _, ad := range []uint64{addr, addr2, addr3} {
		if ad%8 != 0 {
			t.Errorf("address %#x not 8-aligned", ad)
		}
	}
	if addr2 < addr+uint64(unsafe.Sizeof(v)) || addr3 < addr2+2 {
		t.Errorf("objects overlap: %#x %#x %#x", addr, addr2, addr3)
	}
	if uintptr(unsafe.Pointer(p)) != uintptr(addr) {
		t.Errorf("Value's copy is not at its address")
	}
	// A large slice gets a buffer of its own.
	big, _ := Slice(&a, make([]byte, 10000), true)
	if len(big) != 10000 || c.allocs != 2 {
		t.Errorf("large slice: %d bytes, %d Allocs", len(big), c.allocs)
	}
}

func TestArenaEmptySliceIsNull(t *testing.T) {
	c := newPoolCaller(t)
	a := NewArena(c)
	defer a.Release()
	s, addr := Slice[uint64](&a, nil, true)
	if s != nil || addr != 0 || c.allocs != 0 {
		t.Errorf("Slice(nil) = %v, %#x after %d Allocs; want nil, 0, none", s, addr, c.allocs)
	}
}

func TestArenaFailureIsSticky(t *testing.T) {
	c := newPoolCaller(t)
	c.fail = io.ErrUnexpectedEOF
	a := NewArena(c)
	defer a.Release()
	p, addr := New[pair](&a)
	p.A = 5 // scratch memory: usable, never given to Xen
	s, _ := Slice(&a, []uint32{1, 2}, true)
	tail := make([]byte, 0)
	_, tail, _ = NewBytes[pair](&a, 3)
	if !errors.Is(a.Err(), io.ErrUnexpectedEOF) || addr != 0 || len(s) != 2 || len(tail) != 3 {
		t.Errorf("after a failed Alloc: err %v, addr %#x, scratch %d, %d", a.Err(), addr, len(s), len(tail))
	}
	if c.allocs != 1 {
		t.Errorf("%d Allocs after the first failure, want 1", c.allocs)
	}
}

func TestArenaNilCaller(t *testing.T) {
	var a Arena
	New[pair](&a)
	var ae *ArgError
	if !errors.As(a.Err(), &ae) {
		t.Errorf("nil Caller: error %v, want an ArgError", a.Err())
	}
}

func TestArenaTooLarge(t *testing.T) {
	c := newPoolCaller(t)
	a := NewArena(c)
	defer a.Release()
	NewBytes[pair](&a, maxAlloc)
	var ae *ArgError
	if !errors.As(a.Err(), &ae) || c.allocs != 0 {
		t.Errorf("more than maxAlloc: error %v after %d Allocs, want an ArgError and none", a.Err(), c.allocs)
	}
}

func TestArenaBufferLimit(t *testing.T) {
	c := newPoolCaller(t)
	a := NewArena(c)
	defer a.Release()
	for i := 0; i < maxArenaBuffers+1; i++ {
		Slice(&a, make([]byte, 5000), true)
	}
	if !errors.Is(a.Err(), errArenaFull) {
		t.Errorf("error %v, want errArenaFull", a.Err())
	}
}

func TestArenaReleaseRecycles(t *testing.T) {
	c := newPoolCaller(t)
	for i := 0; i < 3; i++ {
		a := NewArena(c)
		New[pair](&a)
		a.Release()
	}
	if n := len(c.pool.all); n != 1 {
		t.Errorf("%d buffers mapped after three arenas, want 1 recycled", n)
	}
}

func TestNewBytes(t *testing.T) {
	c := newPoolCaller(t)
	a := NewArena(c)
	defer a.Release()
	p, tail, addr := NewBytes[uint32](&a, 5)
	copy(tail, "hello")
	if unsafe.Pointer(&tail[0]) != unsafe.Add(unsafe.Pointer(p), 4) || len(tail) != 5 || cap(tail) != 5 {
		t.Errorf("tail %q (len %d, cap %d) does not follow the struct", tail, len(tail), cap(tail))
	}
	if uint64(uintptr(unsafe.Pointer(p))) != addr {
		t.Errorf("the struct is not at its address %#x", addr)
	}
}

func TestSetCount(t *testing.T) {
	var u16 uint16
	var i32 int32
	var u64 uint64
	tests := []struct {
		name string
		set  func(n int) bool
		n    int
		want bool
	}{
		{"uint16 fits", func(n int) bool { return SetCount(&u16, n) }, 65535, true},
		{"uint16 overflows", func(n int) bool { return SetCount(&u16, n) }, 65536, false},
		{"int32 fits", func(n int) bool { return SetCount(&i32, n) }, math.MaxInt32, true},
		{"negative", func(n int) bool { return SetCount(&u64, n) }, -1, false},
		{"uint64", func(n int) bool { return SetCount(&u64, n) }, 12, true},
	}
	for _, tt := range tests {
		if got := tt.set(tt.n); got != tt.want {
			t.Errorf("%s: SetCount(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
	if u16 != 65535 || u64 != 12 {
		t.Errorf("stored %d, %d", u16, u64)
	}
}

func TestInt32OverflowCount(t *testing.T) {
	if unsafe.Sizeof(0) == 4 {
		t.Skip("int is 32 bits: every length fits an int32")
	}
	var i32 int32
	n := math.MaxInt32
	n++
	if SetCount(&i32, n) {
		t.Errorf("SetCount(int32, %d) = true", n)
	}
}

func TestOverlap(t *testing.T) {
	s := make([]uint64, 8)
	tests := []struct {
		x, y []uint64
		want bool
	}{
		{s[0:4], s[4:8], false},
		{s[0:5], s[4:8], true},
		{s[2:3], s[0:8], true},
		{s[0:0], s[0:8], false},
		{s, make([]uint64, 8), false},
	}
	for i, tt := range tests {
		if got := Overlap(tt.x, tt.y); got != tt.want {
			t.Errorf("case %d: Overlap = %v, want %v", i, got, tt.want)
		}
	}
}

func TestShiftEqual(t *testing.T) {
	tests := []struct {
		n1     uint64
		o1     uint32
		n2     uint64
		o2     uint32
		want   bool
		reason string
	}{
		{2, 0, 1, 1, true, "2 pages either way"},
		{4, 9, 1, 11, true, "2048 pages"},
		{3, 0, 1, 1, false, "3 against 2"},
		{1, 64, 1, 64, false, "overflow"},
		{1 << 63, 1, 0, 0, false, "overflow by one bit"},
		{0, 70, 0, 3, true, "no extents at all"},
	}
	for _, tt := range tests {
		if got := ShiftEqual(tt.n1, tt.o1, tt.n2, tt.o2); got != tt.want {
			t.Errorf("%s: ShiftEqual(%d,%d,%d,%d) = %v", tt.reason, tt.n1, tt.o1, tt.n2, tt.o2, got)
		}
	}
}

func TestCString(t *testing.T) {
	for in, want := range map[string]string{"4.17\x00\x00": "4.17", "full": "full", "\x00x": ""} {
		if got := CString([]byte(in)); got != want {
			t.Errorf("CString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArgErrorText(t *testing.T) {
	tests := []struct {
		err  *ArgError
		want string
	}{
		{&ArgError{Op: "XENMEM_exchange", Field: "out.extent_start", Entry: -1, Reason: "overlaps in.extent_start"}, "XENMEM_exchange: out.extent_start: overlaps in.extent_start"},
		{&ArgError{Op: "GNTTABOP_copy", Field: "dest.offset", Entry: 3, Reason: "crosses a page"}, "GNTTABOP_copy[3]: dest.offset: crosses a page"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// status is a stand-in for a generated status type such as GNTST.
type status int16

func (s status) Error() string { return fmt.Sprintf("status %d", int16(s)) }

func TestBatchError(t *testing.T) {
	var be *BatchError
	be = be.Add("GNTTABOP_copy", 1, status(-3))
	be = be.Add("GNTTABOP_copy", 4, status(-9))
	var err error = be
	if !errors.Is(err, status(-9)) || errors.Is(err, status(-1)) {
		t.Errorf("errors.Is does not see the entries of %v", err)
	}
	if got, want := err.Error(), "GNTTABOP_copy: 2 entries failed: [1] status -3; [4] status -9"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e, ok := be.Failed(4); !ok || e != status(-9) {
		t.Errorf("Failed(4) = %v, %v", e, ok)
	}
	if _, ok := be.Failed(2); ok {
		t.Error("Failed(2) = true")
	}
	one := (*BatchError)(nil).Add("GNTTABOP_map_grant_ref", 0, status(-1))
	if !strings.HasSuffix(one.Error(), "1 entry failed: [0] status -1") {
		t.Errorf("one entry: %q", one.Error())
	}
}

func TestCodeError(t *testing.T) {
	e := &CodeError{Name: "XENMEM_SHARING_OP_S_HANDLE_INVALID", Code: -10, Text: "the source handle is not valid"}
	if got := e.Error(); got != "XENMEM_SHARING_OP_S_HANDLE_INVALID: the source handle is not valid" {
		t.Errorf("Error() = %q", got)
	}
}
