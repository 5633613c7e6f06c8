//go:build !linux

package privcmd

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// errNotLinux is what Open returns outside Linux: privcmd is a Linux
// driver. It matches errors.ErrUnsupported.
var errNotLinux = fmt.Errorf("privcmd: Xen hypercalls from user space need Linux's privcmd driver (/dev/xen/privcmd), not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Device is Linux's privcmd device. Outside Linux none can be opened; the
// type exists so that programs using it build (and their tests, with
// runtime/xentest, run) everywhere.
type Device struct {
	_ [0]func()
}

var _ hypercall.Caller = (*Device)(nil)

// Open fails outside Linux, with an error that matches
// errors.ErrUnsupported and says why.
func Open() (*Device, error) {
	return nil, errNotLinux
}

// Call fails with the error Open returns.
func (d *Device) Call(op uint64, args [5]uint64) (uint64, error) {
	return 0, errNotLinux
}

// Alloc fails with the error Open returns.
func (d *Device) Alloc(n int) (*hypercall.Buffer, error) {
	return nil, errNotLinux
}

// Close does nothing.
func (d *Device) Close() error {
	return nil
}
