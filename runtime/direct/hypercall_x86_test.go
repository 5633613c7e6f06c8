//go:build (386 || amd64) && linux

package direct

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// newFakePage maps a fake hypercall page (see fakePage) and returns its
// address and the data page its handler records into.
func newFakePage(t testing.TB) (page uintptr, data []byte) {
	t.Helper()
	mem, err := unix.Mmap(-1, 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	page = uintptr(unsafe.Pointer(&mem[0]))
	fakePage(mem, page)
	if err := unix.Mprotect(mem[:2*4096], unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return page, mem[2*4096:]
}

// pattern returns distinct argument values that fill the whole register.
func pattern(op int) [5]uintptr {
	var a [5]uintptr
	for i := range a {
		v := uint64(0xa1b2c3d4e5f60718) ^ uint64(op)<<8 ^ uint64(i+1)<<56 ^ uint64(i+1)
		a[i] = uintptr(v)
	}
	return a
}

func TestCallPageRegisters(t *testing.T) {
	page, data := newFakePage(t)
	for _, op := range []int{0, 1, 12, 17, 20, 38, pageEntries - 1} {
		a := pattern(op)
		want := ^uintptr(0) - uintptr(op) // whole-register result
		setWord(data, recResult, want)
		setWord(data, recEntry, 0xdead)
		got := callPage(page, uintptr(op), a[0], a[1], a[2], a[3], a[4])
		if got != want {
			t.Errorf("op %d: callPage returned %#x, want %#x", op, got, want)
		}
		if e := word(data, recEntry) & 0xffffffff; e != uintptr(op) {
			t.Errorf("op %d: entry %d ran, want entry at page+%d*32", op, e, op)
		}
		if r := word(data, recOp); r != uintptr(op) {
			t.Errorf("op %d: op register held %#x", op, r)
		}
		for i := range a {
			if r := word(data, recArgs+i*wordSize); r != a[i] {
				t.Errorf("op %d: a%d: %s held %#x, want %#x", op, i+1, argRegisters[i], r, a[i])
			}
		}
	}
}

func TestCallerThroughPage(t *testing.T) {
	page, data := newFakePage(t)
	c, err := New(Config{Page: page})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		op      uint64
		result  uintptr
		want    uint64
		wantErr error
		runs    bool // the page entry is reached
	}{
		{name: "result", op: 17, result: 0x40011, want: 0x40011, runs: true},
		{name: "zero", op: 12, result: 0, want: 0, runs: true},
		{name: "ENOSYS", op: 20, result: ^uintptr(37), wantErr: hypercall.ENOSYS, runs: true},
		{name: "EFAULT", op: 12, result: ^uintptr(13), wantErr: hypercall.EFAULT, runs: true},
		{name: "-4095 is an error", op: 1, result: ^uintptr(4094), wantErr: hypercall.Errno(4095), runs: true},
		{name: "-4096 is a result", op: 1, result: ^uintptr(4095), want: uint64(^uintptr(4095)), runs: true},
		{name: "op beyond the page", op: pageEntries, wantErr: hypercall.ENOSYS},
	}
	for _, tt := range tests {
		setWord(data, recResult, tt.result)
		setWord(data, recEntry, 0xdead)
		args := [5]uint64{1, 2, 3, 4, 5}
		got, err := c.Call(tt.op, args)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: Call(%d) = %#x, %v; want %#x, %v", tt.name, tt.op, got, err, tt.want, tt.wantErr)
		}
		ran := word(data, recEntry)&0xffffffff != 0xdead
		if ran != tt.runs {
			t.Errorf("%s: page entry reached = %v, want %v", tt.name, ran, tt.runs)
		}
		if ran {
			for i, v := range args {
				if r := word(data, recArgs+i*wordSize); r != uintptr(v) {
					t.Errorf("%s: a%d: %s held %#x, want %#x", tt.name, i+1, argRegisters[i], r, v)
				}
			}
		}
	}
}

func TestCallThroughPageDoesNotAllocate(t *testing.T) {
	page, data := newFakePage(t)
	c, err := New(Config{Page: page})
	if err != nil {
		t.Fatal(err)
	}
	setWord(data, recResult, ^uintptr(37)) // the error path too
	n := testing.AllocsPerRun(1000, func() {
		c.Call(17, [5]uint64{1, 2, 3, 4, 5})
	})
	if n != 0 {
		t.Errorf("Call allocates %v times", n)
	}
}

func TestSVMMatchesCPUInfo(t *testing.T) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) != "vendor_id" {
			continue
		}
		vendor := strings.TrimSpace(value)
		want := vendor == "AuthenticAMD" || vendor == "HygonGenuine"
		if got := svm(); got != want {
			t.Errorf("svm() = %v on a %s CPU", got, vendor)
		}
		return
	}
	t.Skip("no vendor_id in /proc/cpuinfo")
}

func BenchmarkCallPage(b *testing.B) {
	page, data := newFakePage(b)
	c, err := New(Config{Page: page})
	if err != nil {
		b.Fatal(err)
	}
	setWord(data, recResult, 0x40011)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(17, [5]uint64{1, 2, 3, 4, 5}); err != nil {
			b.Fatal(err)
		}
	}
}
