//go:build xenvm

package itest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The XENVER_* wrappers against what the harness booted: Debian's Xen
// (4.17.5 or 4.20.5-pre, XENVM_XEN_VERSION and XENVM_XEN_EXTRAVERSION),
// with the command line the harness passed.

func TestXenverVersion(t *testing.T) {
	c := caller(t)
	v, err := xen.XenverVersion(c)
	must(t, "XenverVersion(c)", "XENVER_version", err)
	t.Logf("XENVER_version: %#x (%s)", uint32(v), v)
	why := fmt.Sprintf("the harness booted Xen %d.%d", vm.xenMajor, vm.xenMinor)
	expect(t, "XenverVersion(c)", "XENVER_version", uint64(v), vm.xenMajor<<16|vm.xenMinor, why+" (major<<16 | minor)")
	expect(t, "XenverVersion(c).Major()", "XENVER_version", uint64(v.Major()), vm.xenMajor, why)
	expect(t, "XenverVersion(c).Minor()", "XENVER_version", uint64(v.Minor()), vm.xenMinor, why)
	expect(t, "XenverVersion(c).String()", "XENVER_version", v.String(), fmt.Sprintf("%d.%d", vm.xenMajor, vm.xenMinor), why)
}

func TestXenverExtraversion(t *testing.T) {
	c := caller(t)
	ev, err := xen.XenverExtraversion(c)
	must(t, "XenverExtraversion(c)", "XENVER_extraversion", err)
	got := hypercall.CString(ev[:])
	t.Logf("XENVER_extraversion: %q", got)
	expect(t, "XenverExtraversion(c)", "XENVER_extraversion", got, vm.xenExtra, fmt.Sprintf("what the harness's pinned Xen %d.%d build reports", vm.xenMajor, vm.xenMinor))
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
