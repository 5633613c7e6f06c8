//go:build linux

package gntalloc

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/internal/devfile"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// DevicePath is Linux's grant allocation device.
const DevicePath = "/dev/xen/gntalloc"

// Open opens the gntalloc device. It fails with an error matching
// fs.ErrNotExist where there is none (not a Xen domain, or the
// xen-gntalloc module is not loaded).
func Open() (*Device, error) {
	f, err := devfile.Open(DevicePath, "xen-gntalloc")
	if err != nil {
		return nil, err
	}
	return New(&kernel{f: f}), nil
}

type kernel struct{ f *devfile.File }

func (k *kernel) Alloc(dom DomID, count int, writable bool) (uint64, []GrantRef, error) {
	// The request ends in gref_ids[count]: allocate it whole, on the heap
	// (a size known only at run time), 8-aligned for the 64-bit index.
	hdr := unsafe.Offsetof(uapi.IoctlGntallocAllocGRef{}.GRefIds)
	size := max(hdr+4*uintptr(count), unsafe.Sizeof(uapi.IoctlGntallocAllocGRef{}))
	buf := make([]uint64, (size+7)/8)
	req := (*uapi.IoctlGntallocAllocGRef)(unsafe.Pointer(&buf[0]))
	req.DomID, req.Count = uint16(dom), uint32(count)
	if writable {
		req.Flags = uapi.GNTALLOC_FLAG_WRITABLE
	}
	if _, err := k.f.Ioctl(uapi.IOCTL_GNTALLOC_ALLOC_GREF, unsafe.Pointer(req)); err != nil {
		return 0, nil, err
	}
	ids := unsafe.Slice((*uint32)(unsafe.Add(unsafe.Pointer(req), hdr)), count)
	refs := make([]GrantRef, count)
	for i, id := range ids {
		refs[i] = GrantRef(id)
	}
	runtime.KeepAlive(buf)
	return req.Index, refs, nil
}

func (k *kernel) Map(index uint64, count int) ([]byte, error) {
	return k.f.Mmap(int64(index), count*PageSize, unix.PROT_READ|unix.PROT_WRITE)
}

func (k *kernel) Unmap(mem []byte) error { return unix.Munmap(mem) }

func (k *kernel) Dealloc(index uint64, count int) error {
	req := uapi.IoctlGntallocDeallocGRef{Index: index, Count: uint32(count)}
	_, err := k.f.Ioctl(uapi.IOCTL_GNTALLOC_DEALLOC_GREF, unsafe.Pointer(&req))
	return err
}

func (k *kernel) SetUnmapNotify(index uint64, action UnmapAction, port uint32) error {
	req := uapi.IoctlGntallocUnmapNotify{Index: index, Action: uint32(action), EventChannelPort: port}
	_, err := k.f.Ioctl(uapi.IOCTL_GNTALLOC_SET_UNMAP_NOTIFY, unsafe.Pointer(&req))
	return err
}

func (k *kernel) Close() error { return k.f.Close() }
