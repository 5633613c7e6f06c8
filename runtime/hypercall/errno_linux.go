//go:build linux && (386 || amd64 || arm || arm64)

package hypercall

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Is reports whether target is the same error number as a Linux errno
// (golang.org/x/sys/unix.Errno, which is syscall.Errno), so that
// errors.Is(err, unix.ENOSYS) works on a hypercall's error. Xen's numbers
// equal Linux's on the four architectures Xen supports, which is why this
// method exists only there. Other targets (fs.ErrPermission, fs.ErrNotExist,
// errors.ErrUnsupported, ...) match as they do for the syscall errno.
func (e Errno) Is(target error) bool {
	if t, ok := target.(syscall.Errno); ok {
		return uintptr(t) == uintptr(e)
	}
	return syscall.Errno(e).Is(target)
}

// hostErrnoText describes a number Xen does not define with Linux's name and
// text, as privcmd may return Linux errnos of its own (ENOTTY, EPERM from a
// restricted file).
func hostErrnoText(e Errno) string {
	if e <= 0 {
		return ""
	}
	name := unix.ErrnoName(syscall.Errno(e))
	if name == "" {
		return ""
	}
	return name + ": " + syscall.Errno(e).Error()
}
