//go:build linux

package gntdev

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/internal/devfile"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// DevicePath is Linux's grant mapping device.
const DevicePath = "/dev/xen/gntdev"

// Open opens the gntdev device. It fails with an error matching
// fs.ErrNotExist where there is none (not a Xen domain, or the xen-gntdev
// module is not loaded).
func Open() (*Device, error) {
	f, err := devfile.Open(DevicePath, "xen-gntdev")
	if err != nil {
		return nil, err
	}
	return New(&kernel{f: f}), nil
}

type kernel struct{ f *devfile.File }

func (k *kernel) MapRefs(refs []Ref, writable bool) (uint64, error) {
	// The request ends in refs[count]: allocate it whole, on the heap.
	hdr := unsafe.Offsetof(uapi.IoctlGntdevMapGrantRef{}.Refs)
	size := max(hdr+uintptr(len(refs))*unsafe.Sizeof(uapi.IoctlGntdevGrantRef{}), unsafe.Sizeof(uapi.IoctlGntdevMapGrantRef{}))
	buf := make([]uint64, (size+7)/8)
	req := (*uapi.IoctlGntdevMapGrantRef)(unsafe.Pointer(&buf[0]))
	req.Count = uint32(len(refs))
	out := unsafe.Slice((*uapi.IoctlGntdevGrantRef)(unsafe.Add(unsafe.Pointer(req), hdr)), len(refs))
	for i, r := range refs {
		out[i] = uapi.IoctlGntdevGrantRef{DomID: uint32(r.Dom), Ref: uint32(r.Ref)}
	}
	_, err := k.f.Ioctl(uapi.IOCTL_GNTDEV_MAP_GRANT_REF, unsafe.Pointer(req))
	runtime.KeepAlive(buf)
	return req.Index, err
}

func (k *kernel) Map(index uint64, count int, writable bool) ([]byte, error) {
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	return k.f.Mmap(int64(index), count*PageSize, prot)
}

func (k *kernel) Unmap(mem []byte) error { return unix.Munmap(mem) }

func (k *kernel) UnmapRefs(index uint64, count int) error {
	req := uapi.IoctlGntdevUnmapGrantRef{Index: index, Count: uint32(count)}
	_, err := k.f.Ioctl(uapi.IOCTL_GNTDEV_UNMAP_GRANT_REF, unsafe.Pointer(&req))
	return err
}

// Copy bounces local memory through heap buffers of its own: the kernel
// reads and writes them by address after this function has stored the
// address as an integer, which a goroutine stack (where the caller's
// buffer may live) does not survive.
func (k *kernel) Copy(segs []CopySegment) error {
	n := len(segs)
	out := make([]uapi.GntdevGrantCopySegment, n)
	bounce := make([][]byte, n)
	for i, s := range segs {
		o := &out[i]
		o.Len = s.Len
		set := func(u *uapi.GntdevGrantCopySegmentSource, e CopyEnd, flag uint16, copyIn bool) {
			if e.Local != nil {
				b := make([]byte, int(s.Len)+1)[:s.Len] // heap: a size known at run time
				if copyIn {
					copy(b, e.Local)
				}
				bounce[i] = b
				if len(b) > 0 {
					*u.Virt() = uintptr(unsafe.Pointer(&b[0]))
				}
				return
			}
			f := u.Foreign()
			f.Ref, f.Offset, f.DomID = uint32(e.Ref.Ref), e.Offset, uint16(e.Ref.Dom)
			o.Flags |= flag
		}
		set(&o.Source, s.Source, xen.GNTCOPY_source_gref, true)
		set(&o.Dest, s.Dest, xen.GNTCOPY_dest_gref, false)
	}
	req := uapi.IoctlGntdevGrantCopy{Count: uint32(n), Segments: uintptr(unsafe.Pointer(unsafe.SliceData(out)))}
	_, err := k.f.Ioctl(uapi.IOCTL_GNTDEV_GRANT_COPY, unsafe.Pointer(&req))
	runtime.KeepAlive(out)
	runtime.KeepAlive(bounce)
	if err != nil {
		return err
	}
	for i := range segs {
		segs[i].Status = xen.GNTST(out[i].Status)
		if segs[i].Dest.Local != nil && segs[i].Status == xen.GNTST_okay {
			copy(segs[i].Dest.Local, bounce[i])
		}
	}
	return nil
}

func (k *kernel) Close() error { return k.f.Close() }
