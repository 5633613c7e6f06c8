//go:build xenvm

package itest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xenbind/xenbind/generated/dom0"
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/generated/xen420"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// One binary, two releases: generated/dom0 learns the interface versions
// the running hypervisor speaks and issues each domctl and sysctl in that
// version's layout, while each per-release package speaks only its own.

// perRelease is what the per-release packages say about each release the
// harness boots: the interface versions they were generated for, and a
// domctl in their layout.
var perRelease = map[string]struct {
	domctl, sysctl uint32
	getdomaininfo  func(hypercall.Caller, uint16) error
}{
	"4.17": {xen.XEN_DOMCTL_INTERFACE_VERSION, xen.XEN_SYSCTL_INTERFACE_VERSION, func(c hypercall.Caller, d uint16) error {
		_, err := xen.XenDomctlGetdomaininfo(c, xen.DomID(d))
		return err
	}},
	"4.20": {xen420.XEN_DOMCTL_INTERFACE_VERSION, xen420.XEN_SYSCTL_INTERFACE_VERSION, func(c hypercall.Caller, d uint16) error {
		_, err := xen420.XenDomctlGetdomaininfo(c, xen420.DomID(d))
		return err
	}},
}

// TestInterfaceVersions: dom0.Detect finds the release the harness booted
// and the interface versions of that release's bindings; the per-release
// package of that release is answered, and the other one's domctl is
// refused (EACCES) with a *hypercall.VersionError naming the version it
// sent: what a tool built for one release meets on the other. A release
// generated/dom0 has no bindings for gets a *hypercall.InterfaceError and
// no hypercall.
func TestInterfaceVersions(t *testing.T) {
	c := caller(t)
	iv, err := dom0.Detect(c)
	must(t, "dom0.Detect(c)", "XENVER_version", err)
	rel := fmt.Sprintf("%d.%d", vm.xenMajor, vm.xenMinor)
	t.Logf("dom0.Detect: Xen %d.%d, domctl %#x, sysctl %#x", iv.Major, iv.Minor, iv.Domctl, iv.Sysctl)
	expect(t, "dom0.Detect(c).Release()", "XENVER_version", iv.Release(), rel, "the release the harness booted")
	own, ok := perRelease[rel]
	if !ok {
		t.Fatalf("no per-release package for Xen %s in this test", rel)
	}
	expect(t, "dom0.Detect(c).Domctl", "XENVER_version", iv.Domctl, own.domctl, "XEN_DOMCTL_INTERFACE_VERSION of Xen "+rel+"'s headers")
	expect(t, "dom0.Detect(c).Sysctl", "XENVER_version", iv.Sysctl, own.sysctl, "XEN_SYSCTL_INTERFACE_VERSION of Xen "+rel+"'s headers")

	for r, p := range perRelease {
		err := p.getdomaininfo(c, 0)
		switch {
		case p.domctl == iv.Domctl:
			must(t, "Xen "+r+"'s XenDomctlGetdomaininfo(c, 0)", "XEN_DOMCTL_getdomaininfo", err)
		default:
			var ve *hypercall.VersionError
			if !errors.As(err, &ve) || !errors.Is(err, hypercall.EACCES) || ve.Sent != p.domctl {
				t.Errorf("Xen %s's XenDomctlGetdomaininfo(c, 0) on Xen %s: error %v, want a *hypercall.VersionError for %#x wrapping EACCES", r, rel, err, p.domctl)
			} else {
				t.Logf("Xen %s's bindings on Xen %s: %v", r, rel, err)
			}
		}
	}

	restore := dom0.Override(4, 18) // domctl 0x16: no bindings
	_, err = dom0.XenDomctlGetdomaininfo(c, 0)
	restore()
	var ie *hypercall.InterfaceError
	if !errors.As(err, &ie) || ie.Speaks != 0x16 {
		t.Errorf("XenDomctlGetdomaininfo(c, 0) as if on Xen 4.18: error %v, want an InterfaceError for 0x16", err)
	}
}

// refuseMissingMember: on a release whose createdomain lacks altp2m_opts
// (new in 4.20), setting it fails before anything is sent, with a
// *hypercall.MemberError naming it; where the member exists there is
// nothing to refuse (TestCreateDomain then proves that the members after
// it land where Xen reads them).
func refuseMissingMember(t *testing.T, c hypercall.Caller, cfg dom0.DomctlCreatedomain) {
	t.Helper()
	iv, err := dom0.Detect(c)
	must(t, "dom0.Detect(c)", "XENVER_version", err)
	if iv.Domctl != xen.XEN_DOMCTL_INTERFACE_VERSION {
		return // Xen 4.20: altp2m_opts exists
	}
	count := func() uint32 {
		n, err := dom0.XenSysctlGetdomaininfolist(c, 0, make([]dom0.DomctlGetdomaininfo, 32))
		must(t, "XenSysctlGetdomaininfolist(c, 0, buf[32])", "XEN_SYSCTL_getdomaininfolist", err)
		return n
	}
	before := count()
	cfg.Altp2mOpts = 1
	id, err := dom0.XenDomctlCreatedomain(c, 0, &cfg)
	var me *hypercall.MemberError
	if !errors.As(err, &me) || me.Speaks != iv.Domctl {
		if err == nil {
			_ = dom0.XenDomctlDestroydomain(c, id)
		}
		t.Fatalf("XenDomctlCreatedomain(c, 0, &cfg with Altp2mOpts 1) on Xen %s: domain %d, error %v (%T); want a *hypercall.MemberError", iv.Release(), id, err, err)
	}
	t.Logf("Altp2mOpts on Xen %s: %v", iv.Release(), err)
	expect(t, "the number of domains after the refused createdomain", "XEN_SYSCTL_getdomaininfolist", count(), before, "nothing was sent")
}
