//go:build linux

package foreignmem

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/internal/devfile"
	"github.com/xenbind/xenbind/runtime/uapi"
)

// DevicePath is Linux's privcmd device.
const DevicePath = "/dev/xen/privcmd"

// Open opens a privcmd device of its own (a restriction is per open
// file). It fails with an error matching fs.ErrNotExist where there is
// none (not a Xen domain, or the xen-privcmd module is not loaded).
func Open() (*Device, error) {
	f, err := devfile.Open(DevicePath, "xen-privcmd")
	if err != nil {
		return nil, err
	}
	return New(&kernel{f: f}), nil
}

type kernel struct{ f *devfile.File }

func prot(writable bool) int {
	if writable {
		return unix.PROT_READ | unix.PROT_WRITE
	}
	return unix.PROT_READ
}

func (k *kernel) MapBatch(dom DomID, gfns []uint64, writable bool) ([]byte, []error, error) {
	n := len(gfns)
	mem, err := k.f.Mmap(0, n*PageSize, prot(writable))
	if err != nil {
		return nil, nil, err
	}
	// Heap arrays (sizes known at run time) the kernel reads and writes
	// by address.
	arr := make([]xenPFN, n)
	for i, g := range gfns {
		arr[i] = xenPFN(g)
	}
	errs := make([]int32, n)
	req := uapi.PrivcmdMmapbatchV2{
		Num:  uint32(n),
		Dom:  uint16(dom),
		Addr: uint64(uintptr(unsafe.Pointer(&mem[0]))),
		Arr:  uintptr(unsafe.Pointer(&arr[0])),
		Err:  uintptr(unsafe.Pointer(&errs[0])),
	}
	_, err = k.f.Ioctl(uapi.IOCTL_PRIVCMD_MMAPBATCH_V2, unsafe.Pointer(&req))
	runtime.KeepAlive(arr)
	runtime.KeepAlive(errs)
	// ENOENT: some frames are paged out, which errs tells; anything else
	// is the whole call's failure.
	if err != nil && err != syscall.ENOENT {
		unix.Munmap(mem)
		return nil, nil, err
	}
	out := make([]error, n)
	for i, e := range errs {
		if e != 0 {
			out[i] = syscall.Errno(-e)
		}
	}
	return mem, out, nil
}

func (k *kernel) ResourceSize(dom DomID, typ, id uint32) (uint64, error) {
	req := uapi.PrivcmdMmapResource{Dom: uint16(dom), Type: typ, ID: id}
	if _, err := k.f.Ioctl(uapi.IOCTL_PRIVCMD_MMAP_RESOURCE, unsafe.Pointer(&req)); err != nil {
		return 0, err
	}
	return req.Num, nil
}

func (k *kernel) MapResource(dom DomID, typ, id, idx uint32, num int, writable bool) ([]byte, error) {
	mem, err := k.f.Mmap(0, num*PageSize, prot(writable))
	if err != nil {
		return nil, err
	}
	req := uapi.PrivcmdMmapResource{Dom: uint16(dom), Type: typ, ID: id, Idx: idx, Num: uint64(num),
		Addr: uint64(uintptr(unsafe.Pointer(&mem[0])))}
	if _, err := k.f.Ioctl(uapi.IOCTL_PRIVCMD_MMAP_RESOURCE, unsafe.Pointer(&req)); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	return mem, nil
}

func (k *kernel) Restrict(dom DomID) error {
	d := uint16(dom)
	_, err := k.f.Ioctl(uapi.IOCTL_PRIVCMD_RESTRICT, unsafe.Pointer(&d))
	return err
}

func (k *kernel) Unmap(mem []byte) error { return unix.Munmap(mem) }

func (k *kernel) Close() error { return k.f.Close() }
