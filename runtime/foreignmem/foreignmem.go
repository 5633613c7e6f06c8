package foreignmem

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

// PageSize is the size of a mapped frame.
const PageSize = 4096

// MaxPages bounds one MapBatch or MapResource call.
const MaxPages = 1 << 16

// Resource types of XENMEM_acquire_resource (memory.h).
const (
	ResourceIOReqServer uint32 = xen.XENMEM_resource_ioreq_server
	ResourceGrantTable  uint32 = xen.XENMEM_resource_grant_table
	ResourceVMTraceBuf  uint32 = xen.XENMEM_resource_vmtrace_buf
)

// Grant table resource ids (XENMEM_resource_grant_table_id_*).
const (
	GrantTableShared uint32 = xen.XENMEM_resource_grant_table_id_shared
	GrantTableStatus uint32 = xen.XENMEM_resource_grant_table_id_status
)

// Backend is what a Device drives: Linux's privcmd device, or a double.
type Backend interface {
	// MapBatch maps the frames gfns of domain dom; errs has one entry
	// per page, nil where it was mapped (IOCTL_PRIVCMD_MMAPBATCH_V2).
	MapBatch(dom DomID, gfns []uint64, writable bool) (mem []byte, errs []error, err error)
	// ResourceSize returns the number of frames of a resource.
	ResourceSize(dom DomID, typ, id uint32) (uint64, error)
	// MapResource maps num frames of a resource from frame idx
	// (IOCTL_PRIVCMD_MMAP_RESOURCE).
	MapResource(dom DomID, typ, id, idx uint32, num int, writable bool) ([]byte, error)
	// Restrict limits the device to domain dom (IOCTL_PRIVCMD_RESTRICT).
	Restrict(dom DomID) error
	Unmap(mem []byte) error
	Close() error
}

// ErrClosed is returned by the methods of a closed Device or Mapping.
var ErrClosed = errors.New("foreignmem: closed")

// Error is a failed operation.
type Error struct {
	Op  string // "map batch", "map resource", "resource size", "restrict", "unmap"
	Dom DomID
	Err error // a syscall.Errno from the kernel
}

func (e *Error) Error() string {
	return fmt.Sprintf("foreignmem: %s of domain %d: %v", e.Op, e.Dom, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// BatchError reports the pages of a MapBatch that could not be mapped; the
// others are. Errs has one entry per requested page, nil where it worked.
// ENOENT means the frame is paged out: retry it later.
type BatchError struct {
	Dom    DomID
	Errs   []error
	Failed int
}

func (e *BatchError) Error() string {
	for i, err := range e.Errs {
		if err != nil {
			return fmt.Sprintf("foreignmem: map batch of domain %d: %d of %d pages failed, the first (page %d): %v", e.Dom, e.Failed, len(e.Errs), i, err)
		}
	}
	return "foreignmem: map batch: no page failed"
}

// Unwrap lets errors.Is match any page's error.
func (e *BatchError) Unwrap() []error {
	var out []error
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// Device is an open privcmd device for mapping. It is safe for concurrent
// use.
type Device struct {
	b    Backend
	maps owner.Set[*Mapping] // its lock guards every call
}

// New returns a Device over a backend: Open's, or a double's.
func New(b Backend) *Device { return &Device{b: b} }

// Mapping is foreign frames mapped into the process.
type Mapping struct {
	d   *Device
	Mem []byte
}

func (d *Device) add(mem []byte) *Mapping {
	m := &Mapping{d: d, Mem: mem}
	d.maps.Add(m)
	return m
}

// MapBatch maps frames gfns of domain dom, in order. When some pages fail
// it returns the Mapping (the others are usable; touching a failed one
// faults) and a *BatchError.
func (d *Device) MapBatch(dom DomID, gfns []uint64, writable bool) (*Mapping, error) {
	if len(gfns) == 0 || len(gfns) > MaxPages {
		return nil, &Error{Op: "map batch", Dom: dom, Err: fmt.Errorf("%d frames: want 1 to %d", len(gfns), MaxPages)}
	}
	open := d.maps.Lock()
	defer d.maps.Unlock()
	if !open {
		return nil, ErrClosed
	}
	mem, errs, err := d.b.MapBatch(dom, gfns, writable)
	if err != nil {
		return nil, &Error{Op: "map batch", Dom: dom, Err: err}
	}
	m := d.add(mem)
	be := &BatchError{Dom: dom, Errs: errs}
	for _, e := range errs {
		if e != nil {
			be.Failed++
		}
	}
	if be.Failed > 0 {
		return m, be
	}
	return m, nil
}

// ResourceSize returns how many frames resource typ/id of domain dom has.
func (d *Device) ResourceSize(dom DomID, typ, id uint32) (uint64, error) {
	open := d.maps.Lock()
	defer d.maps.Unlock()
	if !open {
		return 0, ErrClosed
	}
	n, err := d.b.ResourceSize(dom, typ, id)
	if err != nil {
		return 0, &Error{Op: "resource size", Dom: dom, Err: err}
	}
	return n, nil
}

// MapResource maps num frames of resource typ/id of domain dom, from
// frame idx.
func (d *Device) MapResource(dom DomID, typ, id, idx uint32, num int, writable bool) (*Mapping, error) {
	if num <= 0 || num > MaxPages {
		return nil, &Error{Op: "map resource", Dom: dom, Err: fmt.Errorf("%d frames: want 1 to %d", num, MaxPages)}
	}
	open := d.maps.Lock()
	defer d.maps.Unlock()
	if !open {
		return nil, ErrClosed
	}
	mem, err := d.b.MapResource(dom, typ, id, idx, num, writable)
	if err != nil {
		return nil, &Error{Op: "map resource", Dom: dom, Err: err}
	}
	return d.add(mem), nil
}

// Restrict limits the device to domain dom: later calls for any other
// domain fail with EPERM. It cannot be undone.
func (d *Device) Restrict(dom DomID) error {
	open := d.maps.Lock()
	defer d.maps.Unlock()
	if !open {
		return ErrClosed
	}
	if err := d.b.Restrict(dom); err != nil {
		return &Error{Op: "restrict", Dom: dom, Err: err}
	}
	return nil
}

// Close unmaps the frames.
func (m *Mapping) Close() error {
	m.d.maps.Lock()
	defer m.d.maps.Unlock()
	if !m.d.maps.Remove(m) {
		return ErrClosed
	}
	return m.release()
}

func (m *Mapping) release() error {
	err := m.d.b.Unmap(m.Mem)
	m.Mem = nil
	if err != nil {
		return &Error{Op: "unmap", Err: err}
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
