//go:build !unix && !plan9

package xenstore

import "syscall"

// errnoByName is empty where x/sys/unix has no errno names: xenstored runs
// on Linux, and this package only dials it there.
var errnoByName = map[string]syscall.Errno{}
