//go:build linux

package privcmd

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// openMemory returns the buffer memory for a Device: /dev/xen/hypercall
// when the kernel has it, else locked anonymous memory. Like libxencall, it
// falls back only when the device is absent (ENOENT, ENXIO, ENODEV), not when
// it exists but cannot be opened.
func openMemory(path string) (hypercall.Memory, func() error, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	switch {
	case err == nil:
		return hypercallMemory{fd: fd}, func() error { return unix.Close(fd) }, nil
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV):
		return lockedMemory{}, nil, nil
	default:
		return nil, nil, fmt.Errorf("privcmd: open %s: %w", path, err)
	}
}

// addrOf is the user-space address of mem, which privcmd hands to Xen as is.
func addrOf(mem []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
}

// hypercallMemory maps buffers from /dev/xen/hypercall: for each mapping
// Linux allocates pages that are never swapped, migrated or shared with a
// child after fork. The driver accepts only shared mappings at offset 0.
type hypercallMemory struct {
	fd int
}

func (m hypercallMemory) Map(size int) ([]byte, uint64, error) {
	mem, err := unix.Mmap(m.fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, 0, fmt.Errorf("mmap %d bytes of %s: %w", size, hypercallPath, err)
	}
	return mem, addrOf(mem), nil
}

func (hypercallMemory) Unmap(mem []byte) error {
	return unix.Munmap(mem)
}

// lockedMemory is the fallback for kernels without /dev/xen/hypercall:
// anonymous memory, populated and locked so that it is never paged out, and
// excluded from fork so that a child's copy-on-write cannot move a page the
// hypervisor is writing to.
type lockedMemory struct{}

func (lockedMemory) Map(size int) ([]byte, uint64, error) {
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_LOCKED|unix.MAP_POPULATE)
	if err != nil {
		return nil, 0, fmt.Errorf("mmap %d bytes of locked memory: %w", size, err)
	}
	// MAP_LOCKED does not report a failure to populate or lock every page;
	// mlock does.
	if err := unix.Mlock(mem); err != nil {
		unix.Munmap(mem)
		return nil, 0, fmt.Errorf("mlock %d bytes (RLIMIT_MEMLOCK too low?): %w", size, err)
	}
	if err := unix.Madvise(mem, unix.MADV_DONTFORK); err != nil {
		unix.Munmap(mem)
		return nil, 0, fmt.Errorf("madvise %d bytes MADV_DONTFORK: %w", size, err)
	}
	return mem, addrOf(mem), nil
}

func (lockedMemory) Unmap(mem []byte) error {
	return unix.Munmap(mem)
}
