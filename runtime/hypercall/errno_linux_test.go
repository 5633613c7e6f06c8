//go:build linux && (386 || amd64 || arm || arm64)

package hypercall

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"
)

// TestErrnoMatchesUnix checks every constant against the Linux errno of the
// same name as golang.org/x/sys/unix records it: Xen's numbers are Linux's.
func TestErrnoMatchesUnix(t *testing.T) {
	linux := map[string]unix.Errno{
		"EPERM": unix.EPERM, "ENOENT": unix.ENOENT, "ESRCH": unix.ESRCH, "EINTR": unix.EINTR,
		"EIO": unix.EIO, "ENXIO": unix.ENXIO, "E2BIG": unix.E2BIG, "ENOEXEC": unix.ENOEXEC,
		"EBADF": unix.EBADF, "ECHILD": unix.ECHILD, "EAGAIN": unix.EAGAIN,
		"EWOULDBLOCK": unix.EWOULDBLOCK, "ENOMEM": unix.ENOMEM, "EACCES": unix.EACCES,
		"EFAULT": unix.EFAULT, "EBUSY": unix.EBUSY, "EEXIST": unix.EEXIST, "EXDEV": unix.EXDEV,
		"ENODEV": unix.ENODEV, "ENOTDIR": unix.ENOTDIR, "EISDIR": unix.EISDIR,
		"EINVAL": unix.EINVAL, "ENFILE": unix.ENFILE, "EMFILE": unix.EMFILE,
		"ENOSPC": unix.ENOSPC, "EROFS": unix.EROFS, "EMLINK": unix.EMLINK, "EDOM": unix.EDOM,
		"ERANGE": unix.ERANGE, "EDEADLK": unix.EDEADLK, "EDEADLOCK": unix.EDEADLOCK,
		"ENAMETOOLONG": unix.ENAMETOOLONG, "ENOLCK": unix.ENOLCK, "ENOSYS": unix.ENOSYS,
		"ENOTEMPTY": unix.ENOTEMPTY, "ENODATA": unix.ENODATA, "ETIME": unix.ETIME,
		"EBADMSG": unix.EBADMSG, "EOVERFLOW": unix.EOVERFLOW, "EILSEQ": unix.EILSEQ,
		"ERESTART": unix.ERESTART, "ENOTSOCK": unix.ENOTSOCK, "EMSGSIZE": unix.EMSGSIZE,
		"EOPNOTSUPP": unix.EOPNOTSUPP, "EADDRINUSE": unix.EADDRINUSE,
		"EADDRNOTAVAIL": unix.EADDRNOTAVAIL, "ENOBUFS": unix.ENOBUFS, "EISCONN": unix.EISCONN,
		"ENOTCONN": unix.ENOTCONN, "ETIMEDOUT": unix.ETIMEDOUT, "ECONNREFUSED": unix.ECONNREFUSED,
	}
	if len(linux) != len(byName) {
		t.Fatalf("test tables differ: %d Linux errnos, %d constants", len(linux), len(byName))
	}
	for name, e := range byName {
		u, ok := linux[name]
		if !ok {
			t.Errorf("no Linux errno for %s", name)
			continue
		}
		if uintptr(u) != uintptr(e) {
			t.Errorf("%s: Xen %d, Linux %d", name, e, u)
		}
		err := fmt.Errorf("op: %w", e)
		if !errors.Is(err, u) {
			t.Errorf("errors.Is(%v, unix.%s) = false", err, name)
		}
	}
}

func TestErrnoIs(t *testing.T) {
	tests := []struct {
		err    error
		target error
		want   bool
	}{
		{ENOSYS, unix.ENOSYS, true},
		{ENOSYS, unix.EPERM, false},
		{EPERM, fs.ErrPermission, true},
		{EACCES, fs.ErrPermission, true},
		{ENOENT, fs.ErrNotExist, true},
		{EEXIST, fs.ErrExist, true},
		{ENOSYS, errors.ErrUnsupported, true},
		{EINVAL, fs.ErrPermission, false},
		{Errno(25), unix.ENOTTY, true},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
		}
	}
}

func TestErrnoLinuxOnlyNumbers(t *testing.T) {
	// privcmd itself can fail with errnos Xen does not define.
	if got, want := Errno(unix.ENOTTY).Error(), "ENOTTY: inappropriate ioctl for device"; got != want {
		t.Errorf("Errno(ENOTTY).Error() = %q, want %q", got, want)
	}
}
