//go:build unix

package xenstore

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// errnoByName maps the Linux errno names xenstored sends (xsd_errors in
// io/xs_wire.h) to their values.
var errnoByName = func() map[string]syscall.Errno {
	m := map[string]syscall.Errno{}
	for e := syscall.Errno(1); e < 256; e++ {
		if n := unix.ErrnoName(e); n != "" {
			m[n] = e
		}
	}
	return m
}()
