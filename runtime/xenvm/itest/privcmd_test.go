//go:build xenvm

package itest

import (
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// caller returns the runtime's privcmd Device, closed when the test ends,
// for a test that needs working hypercalls.
func caller(t *testing.T) *privcmd.Device {
	t.Helper()
	if compat32() {
		t.Skip("a 32-bit process on a 64-bit kernel cannot use privcmd (TestCompat32 checks that)")
	}
	d, err := privcmd.Open()
	if err != nil {
		t.Fatalf("privcmd.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("privcmd Device.Close: %v", err)
		}
	})
	return d
}

// recorder is a hypercall.Caller that passes everything to the one it
// wraps and records each hypercall, so that a test can tell whether a
// wrapper reached Xen at all.
type recorder struct {
	hypercall.Caller
	mu    sync.Mutex
	calls []recorded
}

// recorded is one hypercall as a wrapper issued it.
type recorded struct {
	op   uint64
	args [5]uint64
}

func (r *recorder) Call(op uint64, args [5]uint64) (uint64, error) {
	r.mu.Lock()
	r.calls = append(r.calls, recorded{op, args})
	r.mu.Unlock()
	return r.Caller.Call(op, args)
}

// take returns the hypercalls recorded since the last take.
func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// The raw privcmd below bypasses the runtime on purpose, to show what the
// kernel and Xen do without its care: an untouched buffer, a request from
// a 32-bit process to a 64-bit kernel. Everything else goes through
// runtime/privcmd.

// ioctlPrivcmdHypercall is IOCTL_PRIVCMD_HYPERCALL, _IOC(_IOC_NONE, 'P', 0,
// sizeof(struct privcmd_hypercall)): the size is 48 on every host word size.
const ioctlPrivcmdHypercall = 0x305000

// rawHypercall issues hypercall op on an open privcmd file descriptor with
// struct privcmd_hypercall { __u64 op; __u64 arg[5]; }.
func rawHypercall(fd int, op uint64, args ...uint64) (uint64, error) {
	req := struct {
		op  uint64
		arg [5]uint64
	}{op: op}
	copy(req.arg[:], args)
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlPrivcmdHypercall, uintptr(unsafe.Pointer(&req)))
	if errno != 0 {
		return 0, errno
	}
	return uint64(r), nil
}

// rawOpen opens /dev/xen/privcmd, closed when the test ends.
func rawOpen(t *testing.T) int {
	t.Helper()
	fd, err := unix.Open("/dev/xen/privcmd", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/xen/privcmd: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// rawHypercallPage maps one page of /dev/xen/hypercall without touching it.
func rawHypercallPage(t *testing.T) []byte {
	t.Helper()
	fd, err := unix.Open("/dev/xen/hypercall", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/xen/hypercall: %v", err)
	}
	defer unix.Close(fd)
	b, err := unix.Mmap(fd, 0, pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap /dev/xen/hypercall: %v", err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}
