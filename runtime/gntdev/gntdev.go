package gntdev

import (
	"errors"
	"fmt"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/internal/owner"
)

// DomID is a domain ID; DomIDSelf names the calling domain.
type DomID uint16

// DomIDSelf is DOMID_SELF (xen.h).
const DomIDSelf DomID = 0x7ff0

// GrantRef is a grant reference (grant_ref_t).
type GrantRef uint32

// PageSize is the size of a granted page.
const PageSize = 4096

// MaxRefs bounds one Map call (the driver's default limit of mapped
// grants per process is far above what one ioctl should carry).
const MaxRefs = 1024

// Ref names a page another domain granted: its domain and reference.
type Ref struct {
	Dom DomID
	Ref GrantRef
}

// Backend is what a Device drives: Linux's gntdev device, or a double.
type Backend interface {
	// MapRefs inserts refs into the device's mapping table and returns
	// the offset to map them at (IOCTL_GNTDEV_MAP_GRANT_REF).
	MapRefs(refs []Ref, writable bool) (index uint64, err error)
	// Map maps count pages at index; writable as MapRefs was told.
	Map(index uint64, count int, writable bool) ([]byte, error)
	Unmap(mem []byte) error
	// UnmapRefs removes them from the table (IOCTL_GNTDEV_UNMAP_GRANT_REF).
	UnmapRefs(index uint64, count int) error
	// Copy performs the segments (IOCTL_GNTDEV_GRANT_COPY), setting each
	// one's Status.
	Copy(segs []CopySegment) error
	Close() error
}

// ErrClosed is returned by the methods of a closed Device or Mapping.
var ErrClosed = errors.New("gntdev: closed")

// Error is a failed gntdev operation.
type Error struct {
	Op  string // "map", "unmap", "copy"
	Err error  // a syscall.Errno from the kernel
}

func (e *Error) Error() string { return "gntdev: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// CopyError reports the segments of a Copy that Xen did not perform: each
// has its own grant status.
type CopyError struct {
	Failed []int       // indexes of the failed segments
	Status []xen.GNTST // their statuses
}

func (e *CopyError) Error() string {
	return fmt.Sprintf("gntdev: copy: %d of the segments failed, the first (%d): %v", len(e.Failed), e.Failed[0], e.Status[0])
}

// Unwrap lets errors.Is match a segment's status (xen.GNTST_bad_gntref, ...).
func (e *CopyError) Unwrap() []error {
	out := make([]error, len(e.Status))
	for i, s := range e.Status {
		out[i] = s
	}
	return out
}

// Device is an open gntdev device. It is safe for concurrent use.
type Device struct {
	b    Backend
	maps owner.Set[*Mapping] // its lock guards every call but Copy
}

// New returns a Device over a backend: Open's, or a double's.
func New(b Backend) *Device { return &Device{b: b} }

// Mapping is granted pages mapped into the process.
type Mapping struct {
	d     *Device
	Refs  []Ref
	Mem   []byte // len(Refs)*PageSize bytes
	index uint64
}

// Map maps the pages refs names, in order, writable or read-only.
func (d *Device) Map(refs []Ref, writable bool) (*Mapping, error) {
	if len(refs) == 0 || len(refs) > MaxRefs {
		return nil, &Error{Op: "map", Err: fmt.Errorf("%d references: want 1 to %d", len(refs), MaxRefs)}
	}
	open := d.maps.Lock()
	defer d.maps.Unlock()
	if !open {
		return nil, ErrClosed
	}
	index, err := d.b.MapRefs(refs, writable)
	if err != nil {
		return nil, &Error{Op: "map", Err: err}
	}
	mem, err := d.b.Map(index, len(refs), writable)
	if err != nil {
		d.b.UnmapRefs(index, len(refs))
		return nil, &Error{Op: "map", Err: err}
	}
	m := &Mapping{d: d, Refs: append([]Ref(nil), refs...), Mem: mem, index: index}
	d.maps.Add(m)
	return m, nil
}

// Close unmaps the pages.
func (m *Mapping) Close() error {
	m.d.maps.Lock()
	defer m.d.maps.Unlock()
	if !m.d.maps.Remove(m) {
		return ErrClosed
	}
	return m.release()
}

func (m *Mapping) release() error {
	var errs []error
	if err := m.d.b.Unmap(m.Mem); err != nil {
		errs = append(errs, &Error{Op: "unmap", Err: err})
	}
	m.Mem = nil
	if err := m.d.b.UnmapRefs(m.index, len(m.Refs)); err != nil {
		errs = append(errs, &Error{Op: "unmap", Err: err})
	}
	return errors.Join(errs...)
}

// CopyEnd is one end of a CopySegment: local memory (Local) or a page
// another domain granted (Ref, and Offset into it).
type CopyEnd struct {
	Local  []byte
	Ref    Ref
	Offset uint16
}

// CopySegment copies Len bytes from Source to Dest; at least one end is a
// grant. A segment stays within one page of each grant.
type CopySegment struct {
	Source, Dest CopyEnd
	Len          uint16
	// Status is Xen's answer for the segment, set by Copy.
	Status xen.GNTST
}

func (e CopyEnd) check(n uint16) error {
	if e.Local != nil {
		if len(e.Local) < int(n) {
			return fmt.Errorf("local buffer of %d bytes for %d", len(e.Local), n)
		}
		return nil
	}
	if int(e.Offset)+int(n) > PageSize {
		return fmt.Errorf("offset %d + %d bytes crosses the granted page", e.Offset, n)
	}
	return nil
}

// Copy performs the segments. It fails with a *CopyError when Xen refused
// some of them (their Status says why); the others were done.
func (d *Device) Copy(segs []CopySegment) error {
	for i := range segs {
		s := &segs[i]
		if s.Source.Local != nil && s.Dest.Local != nil {
			return &Error{Op: "copy", Err: fmt.Errorf("segment %d: both ends are local memory", i)}
		}
		if err := s.Source.check(s.Len); err != nil {
			return &Error{Op: "copy", Err: fmt.Errorf("segment %d: source: %w", i, err)}
		}
		if err := s.Dest.check(s.Len); err != nil {
			return &Error{Op: "copy", Err: fmt.Errorf("segment %d: dest: %w", i, err)}
		}
	}
	open := d.maps.Lock()
	d.maps.Unlock()
	if !open {
		return ErrClosed
	}
	if err := d.b.Copy(segs); err != nil {
		return &Error{Op: "copy", Err: err}
	}
	var ce CopyError
	for i, s := range segs {
		if s.Status != xen.GNTST_okay {
			ce.Failed = append(ce.Failed, i)
			ce.Status = append(ce.Status, s.Status)
		}
	}
	if len(ce.Failed) > 0 {
		return &ce
	}
	return nil
}

// Close unmaps every mapping of the Device and releases the device.
func (d *Device) Close() error {
	d.maps.Lock()
	defer d.maps.Unlock()
	ok, err := d.maps.Close((*Mapping).release)
	if !ok {
		return ErrClosed
	}
	return errors.Join(err, d.b.Close())
}
