//go:build linux

package privcmd

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// Device paths, in the order Open tries them. Kernels since 3.x offer
// /dev/xen/privcmd; older ones only the xenfs file. /dev/xen/hypercall
// (Linux 4.18) provides buffer memory the kernel guarantees is accessible.
var (
	privcmdPaths  = []string{"/dev/xen/privcmd", "/proc/xen/privcmd"}
	hypercallPath = "/dev/xen/hypercall"
)

// request is struct privcmd_hypercall of Linux's include/uapi/xen/privcmd.h,
// generated for each GOARCH in package uapi: { __u64 op; __u64 arg[5]; },
// 48 bytes with the arguments at offset 8 on every word size. The kernel
// copies it in before issuing the hypercall, so it may live on the Go heap.
type request = uapi.PrivcmdHypercall

// ioctlHypercall is IOCTL_PRIVCMD_HYPERCALL, _IOC(_IOC_NONE, 'P', 0,
// sizeof(struct privcmd_hypercall)), as the compiler evaluates it for the
// GOARCH (0x00305000 on all four).
const ioctlHypercall = uapi.IOCTL_PRIVCMD_HYPERCALL

// hypercaller is the seam between a Device and the kernel: fdHypercaller
// issues the ioctl, and tests put a fake privcmd in its place.
type hypercaller interface {
	// hypercall issues req and returns the ioctl's result or its errno.
	hypercall(req *request) (uintptr, unix.Errno)
	// close releases the device.
	close() error
}

// fdHypercaller issues IOCTL_PRIVCMD_HYPERCALL on an open privcmd file.
type fdHypercaller struct {
	fd int
}

func (f fdHypercaller) hypercall(req *request) (uintptr, unix.Errno) {
	// Syscall, not RawSyscall: a hypercall can take long, and the Go
	// scheduler must be told this thread is blocked.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(f.fd), uintptr(ioctlHypercall), uintptr(unsafe.Pointer(req)))
	return r, errno
}

func (f fdHypercaller) close() error {
	return unix.Close(f.fd)
}

// Device issues hypercalls through a privcmd file and hands out buffers
// the hypervisor can access. It implements hypercall.Caller and is safe for
// concurrent use.
type Device struct {
	hc   hypercaller
	pool *hypercall.Pool
	// memClose releases what the buffer Memory holds open (the
	// /dev/xen/hypercall file), or is nil.
	memClose func() error
	// compat32 is set in a 32-bit process, where ENOTTY from privcmd can
	// only mean a 64-bit kernel without the compat ioctl.
	compat32 bool
	// reqs recycles requests so that a call allocates nothing.
	reqs sync.Pool

	// mu keeps Close from closing the file under a call in flight.
	mu     sync.RWMutex
	closed bool
}

var _ hypercall.Caller = (*Device)(nil)

// Open opens the privcmd device and the buffer memory behind it. It fails
// with an error matching fs.ErrNotExist when there is no privcmd device (not
// a Xen domain, or the xen-privcmd module is not loaded), fs.ErrPermission
// without the privilege to open it, and hypercall.Compat32Error in a 32-bit
// process on a 64-bit kernel.
func Open() (*Device, error) {
	return open(privcmdPaths, hypercallPath)
}

// open is Open with the device paths as parameters, for tests.
func open(privcmd []string, hypercallDev string) (*Device, error) {
	fd, path, err := openFirst(privcmd)
	if err != nil {
		return nil, err
	}
	mem, memClose, err := openMemory(hypercallDev)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	d, err := newDevice(fdHypercaller{fd}, mem, memClose, unix.Getpagesize(), unsafe.Sizeof(uintptr(0)) == 4)
	if err != nil {
		unix.Close(fd)
		if memClose != nil {
			memClose()
		}
		return nil, err
	}
	if d.compat32 {
		// Fail here, with the reason, rather than on every later call.
		// XENVER_version has no arguments and no effect.
		const xenVersion, xenverVersion = 17, 0
		if _, err := d.Call(xenVersion, [5]uint64{xenverVersion}); errors.As(err, new(hypercall.Compat32Error)) {
			d.Close()
			return nil, fmt.Errorf("privcmd: open %s: %w", path, err)
		}
	}
	return d, nil
}

// openFirst opens the first of paths that exists.
func openFirst(paths []string) (fd int, path string, err error) {
	for _, path = range paths {
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err == nil {
			return fd, path, nil
		}
		if !errors.Is(err, unix.ENOENT) {
			return -1, path, fmt.Errorf("privcmd: open %s: %w", path, err)
		}
	}
	return -1, "", fmt.Errorf("privcmd: open %s: %w (not a Xen domain, or the xen-privcmd module is not loaded)", paths, err)
}

// newDevice assembles a Device; tests call it with a fake hypercaller.
func newDevice(hc hypercaller, mem hypercall.Memory, memClose func() error, pageSize int, compat32 bool) (*Device, error) {
	pool, err := hypercall.NewPool(mem, pageSize)
	if err != nil {
		return nil, fmt.Errorf("privcmd: %w", err)
	}
	d := &Device{hc: hc, pool: pool, memClose: memClose, compat32: compat32}
	d.reqs.New = func() any { return new(request) }
	return d, nil
}

// Call issues hypercall op through privcmd. A negative result from Xen is
// returned as a hypercall.Errno; in a 32-bit process on a 64-bit kernel
// every call fails with hypercall.Compat32Error.
func (d *Device) Call(op uint64, args [5]uint64) (uint64, error) {
	req := d.reqs.Get().(*request)
	req.Op, req.Arg = op, args
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		d.reqs.Put(req)
		return 0, hypercall.ErrClosed
	}
	r, errno := d.hc.hypercall(req)
	d.mu.RUnlock()
	d.reqs.Put(req)
	if errno != 0 {
		if errno == unix.ENOTTY && d.compat32 {
			return 0, hypercall.Compat32Error{}
		}
		return 0, hypercall.Errno(errno)
	}
	return uint64(r), nil
}

// Alloc returns a zeroed buffer of n bytes the hypervisor can access, every
// page of it written once.
func (d *Device) Alloc(n int) (*hypercall.Buffer, error) {
	b, err := d.pool.Alloc(n)
	if err != nil {
		return nil, fmt.Errorf("privcmd: %w", err)
	}
	return b, nil
}

// Close closes the device. Calls and Allocs after Close fail with
// hypercall.ErrClosed; buffers still held stay valid until released.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	errs := []error{d.pool.Close()}
	if err := d.hc.close(); err != nil {
		errs = append(errs, fmt.Errorf("privcmd: close: %w", err))
	}
	if d.memClose != nil {
		if err := d.memClose(); err != nil {
			errs = append(errs, fmt.Errorf("privcmd: close %s: %w", hypercallPath, err))
		}
	}
	return errors.Join(errs...)
}
