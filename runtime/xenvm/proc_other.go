//go:build !linux

package xenvm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// errNotLinux says why the harness cannot run here: it unpacks Debian
// packages and drives Linux's QEMU.
var errNotLinux = fmt.Errorf("xenvm: booting Xen under QEMU needs a Linux (Debian) host, not %s: %w", runtime.GOOS, errors.ErrUnsupported)

// lockFile fails: the package cache is only prepared on Linux.
func lockFile(*os.File) error { return errNotLinux }

// qemuProcAttr has nothing to set outside Linux.
func qemuProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p.
func killGroup(p *os.Process) { p.Kill() }
