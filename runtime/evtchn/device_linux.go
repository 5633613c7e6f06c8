//go:build linux

package evtchn

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"time"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/internal/devfile"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// DevicePath is Linux's event channel device.
const DevicePath = "/dev/xen/evtchn"

// Open opens the event channel device. It fails with an error matching
// fs.ErrNotExist where there is none (not a Xen domain, or the xen-evtchn
// module is not loaded).
func Open() (*Device, error) {
	f, err := devfile.Open(DevicePath, "xen-evtchn")
	if err != nil {
		return nil, err
	}
	return New(&kernel{f: f}), nil
}

// kernel is the Backend of Linux's evtchn driver.
type kernel struct {
	f *devfile.File
}

func (k *kernel) ioctl(req uintptr, arg unsafe.Pointer) (Port, error) {
	r, err := k.f.Ioctl(req, arg)
	return Port(r), err
}

func (k *kernel) BindUnbound(remote DomID) (Port, error) {
	a := uapi.IoctlEvtchnBindUnboundPort{RemoteDomain: uint32(remote)}
	return k.ioctl(uapi.IOCTL_EVTCHN_BIND_UNBOUND_PORT, unsafe.Pointer(&a))
}

func (k *kernel) BindInterdomain(remote DomID, port Port) (Port, error) {
	a := uapi.IoctlEvtchnBindInterdomain{RemoteDomain: uint32(remote), RemotePort: uint32(port)}
	return k.ioctl(uapi.IOCTL_EVTCHN_BIND_INTERDOMAIN, unsafe.Pointer(&a))
}

func (k *kernel) BindVIRQ(virq uint32) (Port, error) {
	a := uapi.IoctlEvtchnBindVirq{Virq: virq}
	return k.ioctl(uapi.IOCTL_EVTCHN_BIND_VIRQ, unsafe.Pointer(&a))
}

func (k *kernel) Unbind(p Port) error {
	a := uapi.IoctlEvtchnUnbind{Port: uint32(p)}
	_, err := k.ioctl(uapi.IOCTL_EVTCHN_UNBIND, unsafe.Pointer(&a))
	return err
}

func (k *kernel) Notify(p Port) error {
	a := uapi.IoctlEvtchnNotify{Port: uint32(p)}
	_, err := k.ioctl(uapi.IOCTL_EVTCHN_NOTIFY, unsafe.Pointer(&a))
	return err
}

// Read reads pending ports, 4 bytes each in the host's byte order. The
// file is non-blocking: the read waits in Go's poller, and a deadline in
// the past wakes it when ctx is done.
func (k *kernel) Read(ctx context.Context, ports []Port) (int, error) {
	k.f.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { k.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 4*len(ports))
	n, err := k.f.Read(buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
			k.f.SetReadDeadline(time.Time{})
			return 0, ctx.Err()
		}
		return 0, err
	}
	for i := 0; i < n/4; i++ {
		ports[i] = Port(binary.NativeEndian.Uint32(buf[4*i:]))
	}
	return n / 4, nil
}

// Unmask writes the port back, which re-enables its delivery.
func (k *kernel) Unmask(p Port) error {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(p))
	_, err := k.f.Write(b[:])
	return err
}

func (k *kernel) Close() error { return k.f.Close() }
