//go:build !linux

package main

import (
	"errors"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// errNotLinux says why there is nothing to open: privcmd is Linux's.
var errNotLinux = errors.New("xeninfo runs on Linux only")

// openPrivcmd fails: xeninfo needs Linux's privcmd driver.
func openPrivcmd() (hypercall.Caller, func() error, error) {
	return nil, nil, errNotLinux
}
