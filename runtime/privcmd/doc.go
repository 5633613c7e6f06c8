// Package privcmd issues Xen hypercalls from Linux user space through the
// privcmd driver, for dom0 tools written in Go without cgo or libxencall.
//
// [Open] returns a [Device], a [hypercall.Caller]. A call is an ioctl
// IOCTL_PRIVCMD_HYPERCALL on /dev/xen/privcmd (/proc/xen/privcmd on old
// kernels) with the 48-byte struct privcmd_hypercall, which has the same
// layout for every process word size. Buffers for the hypervisor come from
// mmap of /dev/xen/hypercall or, on kernels without it (before 4.18), from
// anonymous memory that is populated, locked and not inherited by fork: Xen
// reads guest memory without faulting pages in, and the Go heap and
// goroutine stacks give no such guarantee.
//
// Linux's privcmd has no 32-bit compat ioctl: a 32-bit process (GOARCH=386
// or arm) on a 64-bit kernel gets ENOTTY from every request. Open detects
// this and returns a [hypercall.Compat32Error] saying so.
//
// The driver is Linux's: elsewhere the package builds, and Open returns
// [ErrNotLinux] (which matches errors.ErrUnsupported).
package privcmd
