package evtchn

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Port is a local event channel port.
type Port uint32

// DomID is a domain ID; DomIDSelf names the calling domain.
type DomID uint16

// DomIDSelf is DOMID_SELF (xen.h).
const DomIDSelf DomID = 0x7ff0

// Backend is what a Device drives: Linux's evtchn device, or a double.
// Its methods are the driver's operations, one call each.
type Backend interface {
	BindUnbound(remote DomID) (Port, error)
	BindInterdomain(remote DomID, remotePort Port) (Port, error)
	BindVIRQ(virq uint32) (Port, error)
	Unbind(p Port) error
	Notify(p Port) error
	// Read waits until ports are pending, then fills ports with some of
	// them and returns how many. Each port it returns stays masked
	// until Unmask. It returns ctx's error when ctx is done first.
	Read(ctx context.Context, ports []Port) (int, error)
	Unmask(p Port) error
	Close() error
}

// ErrClosed is returned by the methods of a closed Device.
var ErrClosed = errors.New("evtchn: device closed")

// Error is a failed operation on an event channel.
type Error struct {
	Op   string // "bind unbound", "bind interdomain", "bind virq", "notify", "unbind", "read", "unmask"
	Port Port   // the port concerned, if any
	Err  error  // the driver's error, a syscall.Errno from the kernel
}

func (e *Error) Error() string {
	if e.Port != 0 || e.Op == "notify" || e.Op == "unbind" || e.Op == "unmask" {
		return fmt.Sprintf("evtchn: %s port %d: %v", e.Op, e.Port, e.Err)
	}
	return fmt.Sprintf("evtchn: %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Device is an open event channel device. Its methods are safe for
// concurrent use; Wait and Events must not be used together.
type Device struct {
	b Backend

	mu     sync.Mutex
	bound  map[Port]bool
	closed bool

	// readMu serializes Wait; pending holds ports read but not yet
	// delivered.
	readMu  sync.Mutex
	pending []Port
	buf     [64]Port

	eventsOnce sync.Once
	events     chan Port
	stop       context.CancelFunc
	loopDone   chan struct{}
}

// New returns a Device over a backend: Open's, or a double's.
func New(b Backend) *Device {
	return &Device{b: b, bound: map[Port]bool{}}
}

func (d *Device) bind(op string, f func() (Port, error)) (Port, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, ErrClosed
	}
	p, err := f()
	if err != nil {
		return 0, &Error{Op: op, Err: err}
	}
	d.bound[p] = true
	return p, nil
}

// BindUnbound allocates a port that domain remote may bind to with
// BindInterdomain (IOCTL_EVTCHN_BIND_UNBOUND_PORT).
func (d *Device) BindUnbound(remote DomID) (Port, error) {
	return d.bind("bind unbound", func() (Port, error) { return d.b.BindUnbound(remote) })
}

// BindInterdomain binds a local port to remotePort of domain remote, an
// unbound port allocated for this domain (IOCTL_EVTCHN_BIND_INTERDOMAIN).
func (d *Device) BindInterdomain(remote DomID, remotePort Port) (Port, error) {
	return d.bind("bind interdomain", func() (Port, error) { return d.b.BindInterdomain(remote, remotePort) })
}

// BindVIRQ binds a local port to virtual interrupt virq (VIRQ_* of xen.h)
// (IOCTL_EVTCHN_BIND_VIRQ).
func (d *Device) BindVIRQ(virq uint32) (Port, error) {
	return d.bind("bind virq", func() (Port, error) { return d.b.BindVIRQ(virq) })
}

// Notify signals the remote end of local port p (IOCTL_EVTCHN_NOTIFY).
func (d *Device) Notify(p Port) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if err := d.b.Notify(p); err != nil {
		return &Error{Op: "notify", Port: p, Err: err}
	}
	return nil
}

// Unbind releases port p (IOCTL_EVTCHN_UNBIND).
func (d *Device) Unbind(p Port) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if err := d.b.Unbind(p); err != nil {
		return &Error{Op: "unbind", Port: p, Err: err}
	}
	delete(d.bound, p)
	return nil
}

// Wait returns the next port that fired, waiting until one does or ctx is
// done. The port is unmasked before Wait returns it: its next event will
// be delivered too.
func (d *Device) Wait(ctx context.Context) (Port, error) {
	d.readMu.Lock()
	defer d.readMu.Unlock()
	for len(d.pending) == 0 {
		if d.isClosed() {
			return 0, ErrClosed
		}
		n, err := d.b.Read(ctx, d.buf[:])
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if d.isClosed() {
				return 0, ErrClosed
			}
			return 0, &Error{Op: "read", Err: err}
		}
		d.pending = append(d.pending, d.buf[:n]...)
	}
	p := d.pending[0]
	d.pending = d.pending[1:]
	if err := d.b.Unmask(p); err != nil {
		return p, &Error{Op: "unmask", Port: p, Err: err}
	}
	return p, nil
}

// Events returns a channel that receives every port that fires, from one
// goroutine that reads the device until Close. A receiver that falls
// behind delays delivery, never loses an event: a masked port keeps its
// pending bit.
func (d *Device) Events() <-chan Port {
	d.eventsOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		d.events = make(chan Port, 16)
		d.stop = cancel
		d.loopDone = make(chan struct{})
		go func() {
			defer close(d.loopDone)
			defer close(d.events)
			for {
				p, err := d.Wait(ctx)
				if err != nil {
					return
				}
				select {
				case d.events <- p:
				case <-ctx.Done():
					return
				}
			}
		}()
	})
	return d.events
}

func (d *Device) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// Close unbinds every port the Device bound and releases the device. The
// channel of Events is closed.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	var errs []error
	for p := range d.bound {
		if err := d.b.Unbind(p); err != nil {
			errs = append(errs, &Error{Op: "unbind", Port: p, Err: err})
		}
	}
	d.bound = nil
	d.mu.Unlock()
	if d.stop != nil {
		d.stop()
	}
	errs = append(errs, d.b.Close())
	if d.loopDone != nil {
		<-d.loopDone
	}
	return errors.Join(errs...)
}
