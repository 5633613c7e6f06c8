//go:build xenvm

package itest

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file talks to Linux's privcmd driver directly, with the least code
// that can: it stands in for runtime/privcmd until the tests move onto the
// generated wrappers.

// ioctlPrivcmdHypercall is IOCTL_PRIVCMD_HYPERCALL, _IOC(_IOC_NONE, 'P', 0,
// sizeof(struct privcmd_hypercall)): the size is 48 on every host word size.
const ioctlPrivcmdHypercall = 0x305000

// privcmdHypercall is struct privcmd_hypercall { __u64 op; __u64 arg[5]; }.
type privcmdHypercall struct {
	op  uint64
	arg [5]uint64
}

// hypervisor issues hypercalls through /dev/xen/privcmd with arguments in
// memory mapped from /dev/xen/hypercall, which the hypervisor can always
// reach (never the Go heap or a goroutine stack).
type hypervisor struct {
	privcmd int
	buf     []byte
}

// bufSize is the hypercall buffer: two pages, so that tests can use
// separate areas of it.
const bufSize = 2 * 4096

func openHypervisor(t *testing.T) *hypervisor {
	t.Helper()
	h, err := newHypervisor(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	return h
}

// newHypervisor opens privcmd and maps a buffer; touch writes every page
// of it once, which Xen on ARM needs before the first hypercall (it does
// not fault pages in).
func newHypervisor(touch bool) (*hypervisor, error) {
	fd, err := unix.Open("/dev/xen/privcmd", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/xen/privcmd: %w", err)
	}
	hc, err := unix.Open("/dev/xen/hypercall", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open /dev/xen/hypercall: %w", err)
	}
	defer unix.Close(hc)
	buf, err := unix.Mmap(hc, 0, bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap /dev/xen/hypercall: %w", err)
	}
	if touch {
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 0
		}
	}
	return &hypervisor{privcmd: fd, buf: buf}, nil
}

func (h *hypervisor) close() {
	unix.Munmap(h.buf)
	unix.Close(h.privcmd)
}

// call issues hypercall op. A negative return is -errno and comes back as
// a unix.Errno (Xen's errno values are Linux's).
func (h *hypervisor) call(op uint64, args ...uint64) (uint64, error) {
	req := privcmdHypercall{op: op}
	copy(req.arg[:], args)
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(h.privcmd), ioctlPrivcmdHypercall, uintptr(unsafe.Pointer(&req)))
	if errno != 0 {
		return 0, errno
	}
	return uint64(r), nil
}

// addr is the address of h.buf[off], as the hypervisor is given it.
func (h *hypervisor) addr(off int) uint64 {
	return uint64(uintptr(unsafe.Pointer(&h.buf[off])))
}

// clear zeroes the buffer between calls.
func (h *hypervisor) clear() { clear(h.buf) }

// cstring reads a NUL-terminated string from the buffer.
func (h *hypervisor) cstring(off, max int) string {
	b := h.buf[off : off+max]
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// compat32 reports whether this is a 32-bit process on a 64-bit kernel:
// Linux's privcmd has no compat ioctl, so every hypercall fails (ENOTTY).
func compat32() bool {
	return unsafe.Sizeof(uintptr(0)) == 4 && (os.Getenv("XENVM_ARCH") == "x86_64" || os.Getenv("XENVM_ARCH") == "arm64")
}

// hv returns the hypervisor for a test that needs working hypercalls.
func hv(t *testing.T) *hypervisor {
	t.Helper()
	if compat32() {
		t.Skip("a 32-bit process on a 64-bit kernel cannot use privcmd (TestCompat32 checks that)")
	}
	return openHypervisor(t)
}

func isErrno(err error, want unix.Errno) bool {
	var e unix.Errno
	return errors.As(err, &e) && e == want
}
