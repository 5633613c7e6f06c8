package gntalloc

import (
	"errors"
	"fmt"

	"github.com/xenbind/xenbind/runtime/internal/owner"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// DomID is a domain ID; DomIDSelf names the calling domain.
type DomID uint16

// DomIDSelf is DOMID_SELF (xen.h).
const DomIDSelf DomID = 0x7ff0

// GrantRef is a grant reference (grant_ref_t).
type GrantRef uint32

// PageSize is the size of a granted page.
const PageSize = 4096

// MaxPages bounds one share: Linux's gntalloc refuses more than its limit
// (1024 by default) in total, and a request's size must fit an ioctl.
const MaxPages = 1024

// UnmapAction says what NotifyOnUnmap asks for (UNMAP_NOTIFY_*).
type UnmapAction uint32

const (
	// ClearByte: set the byte at the offset to zero.
	ClearByte UnmapAction = uapi.UNMAP_NOTIFY_CLEAR_BYTE
	// SendEvent: notify the event channel port.
	SendEvent UnmapAction = uapi.UNMAP_NOTIFY_SEND_EVENT
)

// Backend is what a Device drives: Linux's gntalloc device, or a double.
type Backend interface {
	// Alloc grants dom count new pages and returns the offset to map
	// them at and their references (IOCTL_GNTALLOC_ALLOC_GREF).
	Alloc(dom DomID, count int, writable bool) (index uint64, refs []GrantRef, err error)
	// Map maps count pages at index into the process.
	Map(index uint64, count int) ([]byte, error)
	Unmap(mem []byte) error
	// Dealloc ends the grants of count pages at index
	// (IOCTL_GNTALLOC_DEALLOC_GREF).
	Dealloc(index uint64, count int) error
	// SetUnmapNotify installs the notification for the page holding
	// byte offset index (IOCTL_GNTALLOC_SET_UNMAP_NOTIFY).
	SetUnmapNotify(index uint64, action UnmapAction, port uint32) error
	Close() error
}

// ErrClosed is returned by the methods of a closed Device or Share.
var ErrClosed = errors.New("gntalloc: closed")

// Error is a failed gntalloc operation.
type Error struct {
	Op  string // "share", "map", "unmap", "dealloc", "notify"
	Err error  // a syscall.Errno from the kernel
}

func (e *Error) Error() string { return "gntalloc: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Device is an open gntalloc device. It is safe for concurrent use.
type Device struct {
	b      Backend
	shares owner.Set[*Share] // its lock guards every call
}

// New returns a Device over a backend: Open's, or a double's.
func New(b Backend) *Device { return &Device{b: b} }

// Share is pages granted to a domain and mapped into this process.
type Share struct {
	d     *Device
	Dom   DomID
	Refs  []GrantRef // one per page, in order
	Mem   []byte     // the pages, len(Refs)*PageSize bytes
	index uint64
}

// Share grants domain dom access to pages new pages, writable by it or
// not, and maps them into the process.
func (d *Device) Share(dom DomID, pages int, writable bool) (*Share, error) {
	if pages <= 0 || pages > MaxPages {
		return nil, &Error{Op: "share", Err: fmt.Errorf("%d pages: want 1 to %d", pages, MaxPages)}
	}
	open := d.shares.Lock()
	defer d.shares.Unlock()
	if !open {
		return nil, ErrClosed
	}
	index, refs, err := d.b.Alloc(dom, pages, writable)
	if err != nil {
		return nil, &Error{Op: "share", Err: err}
	}
	mem, err := d.b.Map(index, pages)
	if err != nil {
		d.b.Dealloc(index, pages)
		return nil, &Error{Op: "map", Err: err}
	}
	s := &Share{d: d, Dom: dom, Refs: refs, Mem: mem, index: index}
	d.shares.Add(s)
	return s, nil
}

// NotifyOnUnmap asks that when the share is unmapped (Close, or the
// process ending) the byte at offset be cleared (ClearByte) and/or event
// channel port be notified (SendEvent). A page holds one notification; a
// second call for the same page replaces the first.
func (s *Share) NotifyOnUnmap(offset int, action UnmapAction, port uint32) error {
	if offset < 0 || offset >= len(s.Mem) {
		return &Error{Op: "notify", Err: fmt.Errorf("offset %d outside the share's %d bytes", offset, len(s.Mem))}
	}
	s.d.shares.Lock()
	defer s.d.shares.Unlock()
	if !s.d.shares.Open(s) {
		return ErrClosed
	}
	if err := s.d.b.SetUnmapNotify(s.index+uint64(offset), action, port); err != nil {
		return &Error{Op: "notify", Err: err}
	}
	return nil
}

// Close unmaps the pages and ends their grants. The kernel frees a page
// once the other domain has unmapped it too.
func (s *Share) Close() error {
	s.d.shares.Lock()
	defer s.d.shares.Unlock()
	if !s.d.shares.Remove(s) {
		return ErrClosed
	}
	return s.release()
}

func (s *Share) release() error {
	var errs []error
	if err := s.d.b.Unmap(s.Mem); err != nil {
		errs = append(errs, &Error{Op: "unmap", Err: err})
	}
	s.Mem = nil
	if err := s.d.b.Dealloc(s.index, len(s.Refs)); err != nil {
		errs = append(errs, &Error{Op: "dealloc", Err: err})
	}
	return errors.Join(errs...)
}

// Close closes every share of the Device and releases the device.
func (d *Device) Close() error {
	d.shares.Lock()
	defer d.shares.Unlock()
	ok, err := d.shares.Close((*Share).release)
	if !ok {
		return ErrClosed
	}
	return errors.Join(err, d.b.Close())
}
