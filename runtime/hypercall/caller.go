package hypercall

import "errors"

// Caller issues hypercalls. Implementations are safe for concurrent use.
type Caller interface {
	// Call issues hypercall op with five arguments (unused ones zero). It returns Xen's
	// non-negative result, or an Errno for a negative one (-errno).
	Call(op uint64, args [5]uint64) (uint64, error)
	// Alloc returns a zeroed hypervisor-visible buffer of at least n bytes, every page of
	// which has been written once (on ARM Xen does not fault pages in).
	Alloc(n int) (*Buffer, error)
}

// ErrClosed is returned by a Caller or Pool used after Close, so that a
// late call fails cleanly instead of reaching a recycled file descriptor or
// unmapped memory.
var ErrClosed = errors.New("hypercall: use of closed caller")

// Compat32Error reports that a 32-bit process runs on a 64-bit Linux kernel.
// Linux's privcmd driver has no 32-bit compat ioctl, so every request from
// such a process fails with ENOTTY; without this error the caller would see
// a baffling "inappropriate ioctl for device" from every hypercall.
//
// It has no fields so that returning it never allocates.
type Compat32Error struct{}

// Error says plainly what is wrong and what to do about it.
func (Compat32Error) Error() string {
	return "a 32-bit process on a 64-bit kernel cannot use privcmd " +
		"(Linux's privcmd has no 32-bit compat ioctl, every request fails with ENOTTY); " +
		"build the program for the kernel's own architecture (GOARCH=amd64 or arm64)"
}
