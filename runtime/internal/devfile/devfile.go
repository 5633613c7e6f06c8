//go:build linux

// Package devfile opens Linux device files for the Xen device packages
// and issues their ioctl and mmap calls.
//
// A File is an *os.File opened non-blocking, so that reads wait in Go's
// poller (which a read deadline interrupts) rather than in a thread, and
// every call goes through the file's syscall.RawConn, so that Close
// cannot free the descriptor under a call in flight.
package devfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// File is an open device file.
type File struct {
	*os.File
}

// Open opens the device at path for reading and writing. A missing device
// gives an error matching fs.ErrNotExist that names the module to load.
func Open(path, module string) (*File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (not a Xen domain, or the %s module is not loaded)", fs.ErrNotExist, module)}
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &File{os.NewFile(uintptr(fd), path)}, nil
}

// Ioctl issues ioctl req with argument arg, which must point to memory
// that does not move while the call runs (an object the caller keeps
// alive; the kernel copies it in and out).
func (f *File) Ioctl(req uintptr, arg unsafe.Pointer) (uintptr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var r uintptr
	var errno unix.Errno
	if cerr := rc.Control(func(fd uintptr) {
		r, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); cerr != nil {
		return 0, cerr
	}
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

// Mmap maps length bytes of the file at offset, shared.
func (f *File) Mmap(offset int64, length int, prot int) ([]byte, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var b []byte
	var merr error
	if cerr := rc.Control(func(fd uintptr) {
		b, merr = unix.Mmap(int(fd), offset, length, prot, unix.MAP_SHARED)
	}); cerr != nil {
		return nil, cerr
	}
	return b, merr
}
