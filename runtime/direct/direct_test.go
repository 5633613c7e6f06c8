package direct

import (
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// fakeTrap returns result and remembers what it was given, in place of the
// privileged stub.
type fakeTrap struct {
	op     uintptr
	args   [5]uintptr
	calls  int
	result uintptr
}

func (f *fakeTrap) trap(op uintptr, a [5]uintptr) uintptr {
	f.op, f.args, f.calls = op, a, f.calls+1
	return f.result
}

// neg is -v in a result register.
func neg(v uintptr) uintptr { return -v }

func TestCallResults(t *testing.T) {
	tests := []struct {
		name    string
		result  uintptr
		want    uint64
		wantErr error
	}{
		{"zero", 0, 0, nil},
		{"positive", 0x40011, 0x40011, nil},
		{"largest positive", math.MaxInt, math.MaxInt, nil},
		{"-1", neg(1), 0, hypercall.EPERM},
		{"-ENOSYS", neg(38), 0, hypercall.ENOSYS},
		{"-4095", neg(4095), 0, hypercall.Errno(4095)},
		{"-4096 is a result", neg(4096), uint64(neg(4096)), nil},
	}
	for _, tt := range tests {
		f := &fakeTrap{result: tt.result}
		c := &Caller{trap: f.trap}
		got, err := c.Call(20, [5]uint64{6, 0x1000, 1})
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: Call = %#x, %v; want %#x, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if f.op != 20 || f.args != [5]uintptr{6, 0x1000, 1} {
			t.Errorf("%s: trap got op %d args %v", tt.name, f.op, f.args)
		}
	}
}

func TestCallRefusesWhatARegisterCannotHold(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		t.Skip("every uint64 fits a 64-bit register")
	}
	tests := []struct {
		name string
		op   uint64
		args [5]uint64
	}{
		{"op", 1 << 32, [5]uint64{}},
		{"a1", 1, [5]uint64{1 << 32}},
		{"a5", 1, [5]uint64{0, 0, 0, 0, math.MaxUint64}},
	}
	for _, tt := range tests {
		f := &fakeTrap{}
		c := &Caller{trap: f.trap}
		if _, err := c.Call(tt.op, tt.args); !errors.Is(err, hypercall.EINVAL) {
			t.Errorf("%s: Call = %v, want EINVAL", tt.name, err)
		}
		if f.calls != 0 {
			t.Errorf("%s: a truncated hypercall was issued", tt.name)
		}
	}
}

// heapMemory hands out Go memory at its real addresses, as a unikernel's
// own allocator would hand out kernel memory.
type heapMemory struct{ maps, unmaps int }

func (m *heapMemory) Map(size int) ([]byte, uint64, error) {
	m.maps++
	mem := make([]byte, size)
	return mem, uint64(uintptr(unsafe.Pointer(&mem[0]))), nil
}

func (m *heapMemory) Unmap([]byte) error { m.unmaps++; return nil }

func TestAlloc(t *testing.T) {
	m := &heapMemory{}
	c := &Caller{}
	if _, err := c.Alloc(10); err == nil {
		t.Error("Alloc without Config.Memory succeeded")
	}
	pool, err := hypercall.NewPool(m, 4096)
	if err != nil {
		t.Fatal(err)
	}
	c.pool = pool
	b, err := c.Alloc(5000)
	if err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	if len(b.Bytes()) != 5000 || b.Addr() != uint64(uintptr(unsafe.Pointer(&b.Bytes()[0]))) {
		t.Errorf("Alloc(5000): %d bytes at %#x", len(b.Bytes()), b.Addr())
	}
	b.Release()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if m.maps != 1 || m.unmaps != 1 {
		t.Errorf("after Close: %d maps, %d unmaps", m.maps, m.unmaps)
	}
	if _, err := c.Alloc(1); !errors.Is(err, hypercall.ErrClosed) {
		t.Errorf("Alloc after Close = %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadPageSize(t *testing.T) {
	if _, err := New(Config{Memory: &heapMemory{}, PageSize: 1000}); err == nil {
		t.Error("New accepted a page size that is not a power of two")
	}
}
