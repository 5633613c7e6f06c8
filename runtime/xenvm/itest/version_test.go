//go:build xenvm

package itest

import (
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The XENVER_* wrappers against what the harness booted: Xen 4.17.5 from
// Debian, with the command line the harness passed.

func TestXenverVersion(t *testing.T) {
	c := caller(t)
	v, err := xen.XenverVersion(c)
	must(t, "XenverVersion(c)", "XENVER_version", err)
	t.Logf("XENVER_version: %#x (%s)", uint32(v), v)
	expect(t, "XenverVersion(c)", "XENVER_version", uint32(v), 4<<16|17, "the harness boots Xen 4.17 (major<<16 | minor)")
	expect(t, "XenverVersion(c).Major()", "XENVER_version", v.Major(), 4, "the harness boots Xen 4.17")
	expect(t, "XenverVersion(c).Minor()", "XENVER_version", v.Minor(), 17, "the harness boots Xen 4.17")
	expect(t, "XenverVersion(c).String()", "XENVER_version", v.String(), "4.17", "the harness boots Xen 4.17")
}

func TestXenverExtraversion(t *testing.T) {
	c := caller(t)
	ev, err := xen.XenverExtraversion(c)
	must(t, "XenverExtraversion(c)", "XENVER_extraversion", err)
	got := hypercall.CString(ev[:])
	t.Logf("XENVER_extraversion: %q", got)
	expect(t, "XenverExtraversion(c)", "XENVER_extraversion", got, ".5", "the pinned xen-hypervisor-4.17 package is 4.17.5")
}

func TestXenverCapabilities(t *testing.T) {
	c := caller(t)
	caps, err := xen.XenverCapabilities(c)
	must(t, "XenverCapabilities(c)", "XENVER_capabilities", err)
	got := hypercall.CString(caps[:])
	t.Logf("XENVER_capabilities: %q", got)
	if !hasWord(got, vm.capability) {
		t.Errorf("XenverCapabilities(c) [XENVER_capabilities] = %q, want it to name %q: Xen on %s runs guests of that ABI", got, vm.capability, vm.arch)
	}
}

func TestXenverPagesize(t *testing.T) {
	c := caller(t)
	n, err := xen.XenverPagesize(c)
	must(t, "XenverPagesize(c)", "XENVER_pagesize", err)
	t.Logf("XENVER_pagesize: %d", n)
	expect(t, "XenverPagesize(c)", "XENVER_pagesize", n, pageSize, "Xen's pages are 4 KiB on x86 and Arm")
}

func TestXenverCommandline(t *testing.T) {
	c := caller(t)
	cl, err := xen.XenverCommandline(c)
	must(t, "XenverCommandline(c)", "XENVER_commandline", err)
	// Xen keeps the command line as the boot loader gave it; QEMU's
	// multiboot loader may leave a trailing space.
	got := strings.TrimSpace(hypercall.CString(cl[:]))
	t.Logf("XENVER_commandline: %q", got)
	expect(t, "XenverCommandline(c)", "XENVER_commandline", got, vm.xenCmdline, "what the harness passed to Xen")
}
