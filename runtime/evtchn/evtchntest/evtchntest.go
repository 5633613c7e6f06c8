//go:build !plan9

// Package evtchntest provides in-memory event channels for unit tests of
// code built on package evtchn, in the spirit of net/http/httptest.
//
// A [Hub] simulates Xen's event channels between domains: [Hub.Open]
// returns an *evtchn.Device of one domain, and Devices of the same Hub
// connect as Xen's do. Binding an interdomain channel sets the new local
// port pending, as Xen does. Unbound ports wait for the domain they name to bind
// them; a notification marks the remote port pending; a pending port is
// delivered once and stays masked until the Device unmasks it after
// delivery; unbinding either end closes the channel. [Pair] is the common
// case: two connected Devices and their ports.
//
// The package is empty on Plan 9: its errors are Linux errno values
// (syscall.Errno), which Plan 9's syscall package does not have.
package evtchntest

import (
	"context"
	"sort"
	"sync"
	"syscall"

	"github.com/xenbind/xenbind/runtime/evtchn"
)

// Hub is a set of simulated domains sharing event channels.
type Hub struct {
	mu    sync.Mutex
	ports map[key]*port
	next  map[evtchn.DomID]evtchn.Port
	virqs map[key]uint32
	// wake is closed and replaced whenever a port becomes pending.
	wake chan struct{}
}

type key struct {
	dom  evtchn.DomID
	port evtchn.Port
}

type port struct {
	dev     *backend
	unbound evtchn.DomID // for an unbound port: the domain that may bind it
	remote  *key         // the other end, once connected
	pending bool
	masked  bool
}

// NewHub returns a hub without domains or ports.
func NewHub() *Hub {
	return &Hub{ports: map[key]*port{}, next: map[evtchn.DomID]evtchn.Port{}, wake: make(chan struct{})}
}

// Open returns a Device of domain dom.
func (h *Hub) Open(dom evtchn.DomID) *evtchn.Device {
	return evtchn.New(&backend{h: h, dom: dom})
}

// Raise makes a VIRQ fire on every port of domain dom bound to virq.
func (h *Hub) Raise(dom evtchn.DomID, virq uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range h.virqs {
		if k.dom == dom && v == virq {
			h.setPending(k)
		}
	}
}

// Pair returns two Devices of domains 1 and 2 with a channel between them:
// a's port pa and b's port pb.
func Pair() (a, b *evtchn.Device, pa, pb evtchn.Port, err error) {
	h := NewHub()
	a, b = h.Open(1), h.Open(2)
	if pa, err = a.BindUnbound(2); err != nil {
		return
	}
	pb, err = b.BindInterdomain(1, pa)
	return
}

func (h *Hub) alloc(b *backend) (evtchn.Port, *port) {
	h.next[b.dom]++
	p := h.next[b.dom]
	pt := &port{dev: b}
	h.ports[key{b.dom, p}] = pt
	return p, pt
}

// sorted returns the ports in order, for a deterministic delivery order.
func (h *Hub) sorted() []key {
	keys := make([]key, 0, len(h.ports))
	for k := range h.ports {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].dom != keys[j].dom {
			return keys[i].dom < keys[j].dom
		}
		return keys[i].port < keys[j].port
	})
	return keys
}

// setPending marks a port pending and wakes readers. h.mu is held.
func (h *Hub) setPending(k key) {
	pt := h.ports[k]
	if pt == nil || pt.pending {
		return
	}
	pt.pending = true
	close(h.wake)
	h.wake = make(chan struct{})
}

// backend is one Device's view of the hub.
type backend struct {
	h      *Hub
	dom    evtchn.DomID
	closed bool
}

func (b *backend) self(d evtchn.DomID) evtchn.DomID {
	if d == evtchn.DomIDSelf {
		return b.dom
	}
	return d
}

func (b *backend) BindUnbound(remote evtchn.DomID) (evtchn.Port, error) {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	p, pt := h.alloc(b)
	pt.unbound = b.self(remote)
	return p, nil
}

func (b *backend) BindInterdomain(remote evtchn.DomID, remotePort evtchn.Port) (evtchn.Port, error) {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	rk := key{b.self(remote), remotePort}
	rp := h.ports[rk]
	// Xen: EINVAL unless the remote port is unbound and offered to us.
	if rp == nil || rp.remote != nil || rp.unbound != b.dom {
		return 0, syscall.EINVAL
	}
	p, pt := h.alloc(b)
	pt.remote = &rk
	rp.remote = &key{b.dom, p}
	// As Xen does: the new local port is set pending, since notifications
	// sent to the unbound port before may have been lost.
	h.setPending(key{b.dom, p})
	return p, nil
}

func (b *backend) BindVIRQ(virq uint32) (evtchn.Port, error) {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range h.virqs {
		if k.dom == b.dom && v == virq {
			return 0, syscall.EEXIST // Xen: one port per VIRQ and vCPU
		}
	}
	p, _ := h.alloc(b)
	if h.virqs == nil {
		h.virqs = map[key]uint32{}
	}
	h.virqs[key{b.dom, p}] = virq
	return p, nil
}

func (b *backend) mine(p evtchn.Port) (*port, error) {
	pt := b.h.ports[key{b.dom, p}]
	if pt == nil || pt.dev != b {
		return nil, syscall.ENOTCONN // the driver's answer for a port it did not bind
	}
	return pt, nil
}

func (b *backend) Unbind(p evtchn.Port) error {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	pt, err := b.mine(p)
	if err != nil {
		return err
	}
	if pt.remote != nil {
		if rp := h.ports[*pt.remote]; rp != nil {
			rp.remote = nil // the remote end is closed, not freed
			rp.unbound = 0
		}
	}
	delete(h.ports, key{b.dom, p})
	delete(h.virqs, key{b.dom, p})
	return nil
}

func (b *backend) Notify(p evtchn.Port) error {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	pt, err := b.mine(p)
	if err != nil {
		return err
	}
	if pt.remote != nil {
		h.setPending(*pt.remote)
	}
	return nil
}

func (b *backend) Read(ctx context.Context, out []evtchn.Port) (int, error) {
	h := b.h
	for {
		h.mu.Lock()
		if b.closed {
			h.mu.Unlock()
			return 0, syscall.EBADF
		}
		n := 0
		for _, k := range h.sorted() {
			pt := h.ports[k]
			if n == len(out) {
				break
			}
			if pt.dev == b && pt.pending && !pt.masked {
				pt.pending, pt.masked = false, true
				out[n] = k.port
				n++
			}
		}
		wake := h.wake
		h.mu.Unlock()
		if n > 0 {
			return n, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (b *backend) Unmask(p evtchn.Port) error {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	pt, err := b.mine(p)
	if err != nil {
		return nil // unbound meanwhile: nothing to unmask, as in the driver
	}
	pt.masked = false
	if pt.pending {
		close(h.wake)
		h.wake = make(chan struct{})
	}
	return nil
}

func (b *backend) Close() error {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	b.closed = true
	close(h.wake)
	h.wake = make(chan struct{})
	return nil
}
