package main

import (
	"errors"

	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// errNotLinux is never returned on Linux; explain matches it on other
// systems.
var errNotLinux = errors.New("xeninfo runs on Linux only")

// openPrivcmd opens Linux's privcmd device.
func openPrivcmd() (hypercall.Caller, func() error, error) {
	d, err := privcmd.Open()
	if err != nil {
		return nil, nil, err
	}
	return d, d.Close, nil
}
