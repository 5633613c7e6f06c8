//go:build xenvm

package itest

import (
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// TestUntouchedBuffer shows why the runtime writes every page of a buffer
// before Xen sees it: a page of /dev/xen/hypercall that was mapped but
// never written gives EFAULT on Arm (see xenFacts.untouchedFault). The
// hypercall goes through a raw ioctl, since the runtime never hands out
// such a page.
func TestUntouchedBuffer(t *testing.T) {
	if compat32() {
		t.Skip("no hypercalls from a 32-bit process on a 64-bit kernel")
	}
	fd := rawOpen(t)
	page := rawHypercallPage(t)
	_, err := rawHypercall(fd, xen.HYPERVISOR_xen_version, xen.XENVER_capabilities, uint64(uintptr(unsafe.Pointer(&page[0]))))
	t.Logf("raw xen_version(XENVER_capabilities) into an untouched page: %v", err)
	if vm.facts.untouchedFault {
		if !errors.Is(err, unix.EFAULT) {
			t.Errorf("raw xen_version(XENVER_capabilities) into an untouched page = %v, want EFAULT: Xen on %s does not fault guest pages in", err, vm.arch)
		}
	} else if err != nil {
		t.Errorf("raw xen_version(XENVER_capabilities) into an untouched page = %v, want success: on %s the page is mapped writable at mmap time", err, vm.arch)
	}
}

// TestFreshBuffers checks that the runtime's buffers work on first use:
// a new Device (a new pool, so new mappings) answers a wrapped call that
// writes to its buffer, and Xen can write into every page of a fresh
// multi-page buffer, not just the first.
func TestFreshBuffers(t *testing.T) {
	c := caller(t)
	caps, err := xen.XenverCapabilities(c)
	must(t, "XenverCapabilities(c) on a new Device", "XENVER_capabilities", err)
	if got := hypercall.CString(caps[:]); !hasWord(got, vm.capability) {
		t.Errorf("XenverCapabilities(c) [XENVER_capabilities] on a new Device = %q, want it to name %q", got, vm.capability)
	}

	const pages = 8
	buf, err := c.Alloc(pages * pageSize)
	if err != nil {
		t.Fatalf("Device.Alloc(%d): %v", pages*pageSize, err)
	}
	defer buf.Release()
	for p := 0; p < pages; p++ {
		addr := buf.Addr() + uint64(p*pageSize)
		if _, err := xen.HypervisorXenVersion(c, xen.XENVER_capabilities, addr); err != nil {
			t.Errorf("HypervisorXenVersion(c, XENVER_capabilities, page %d of a fresh %d-page buffer): %v; every page must be usable at once", p, pages, err)
			continue
		}
		if got := hypercall.CString(buf.Bytes()[p*pageSize : (p+1)*pageSize]); !hasWord(got, vm.capability) {
			t.Errorf("HypervisorXenVersion(c, XENVER_capabilities) into page %d wrote %q, want it to name %q", p, got, vm.capability)
		}
	}
}
