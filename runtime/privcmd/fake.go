//go:build linux

package privcmd

import (
	"golang.org/x/sys/unix"
)

// Ioctl stands in for the privcmd driver and the hypervisor behind it: it
// receives what IOCTL_PRIVCMD_HYPERCALL would pass to Xen and returns the
// ioctl's result, or the errno it would fail with (Xen's -errno becomes
// the ioctl's errno).
type Ioctl func(op uint64, args [5]uint64) (uintptr, unix.Errno)

// NewFake returns a Device whose hypercalls go to fn instead of the
// kernel, with buffers of real locked memory from the same pool a Device
// on Xen uses. It lets code built on a Device (the generated wrappers,
// a dom0 tool) be tested and benchmarked off Xen through everything but
// the ioctl itself.
func NewFake(fn Ioctl) (*Device, error) {
	return newDevice(fakeHypercaller{fn}, lockedMemory{}, nil, unix.Getpagesize(), false)
}

// fakeHypercaller adapts an Ioctl to the Device's seam.
type fakeHypercaller struct {
	fn Ioctl
}

func (f fakeHypercaller) hypercall(req *request) (uintptr, unix.Errno) {
	return f.fn(req.Op, req.Arg)
}

func (fakeHypercaller) close() error { return nil }
