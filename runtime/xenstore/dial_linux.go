//go:build linux

package xenstore

import (
	"errors"
	"io/fs"
	"net"

	"github.com/xenbind/xenbind/runtime/internal/devfile"
)

// Where xenstored listens, and Linux's xenbus device.
const (
	SocketPath = "/var/run/xenstored/socket"
	DevicePath = "/dev/xen/xenbus"
)

// DialSocket connects to xenstored's Unix socket at path (SocketPath if
// empty). Only dom0 processes that xenstored trusts can.
func DialSocket(path string) (*Conn, error) {
	if path == "" {
		path = SocketPath
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	return NewConn(c), nil
}

// OpenDevice opens Linux's xenbus device (DevicePath), through which the
// kernel relays messages to xenstored, in dom0 or any other domain.
func OpenDevice() (*Conn, error) {
	f, err := devfile.Open(DevicePath, "xenfs or xen-xenbus")
	if err != nil {
		return nil, err
	}
	return NewConn(f), nil
}

// Dial connects through the socket when there is one, else the device.
func Dial() (*Conn, error) {
	c, err := DialSocket("")
	if err == nil {
		return c, nil
	}
	d, derr := OpenDevice()
	if derr == nil {
		return d, nil
	}
	if errors.Is(derr, fs.ErrNotExist) {
		return nil, errors.Join(err, derr)
	}
	return nil, derr
}
