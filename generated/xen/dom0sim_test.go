package xen_test

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The dom0 wrappers against xentest's simulation of domains, physinfo and
// event channels: the same sequence the real-Xen tests run
// (runtime/xenvm/itest), with Xen's documented errors.

func TestSimDomains(t *testing.T) {
	hv := xentest.New(xentest.WithPhysinfo(xentest.Physinfo{NrCPUs: 4, CPUkHz: 3000000, TotalPages: 1 << 20}))
	pi, err := xen.XenSysctlPhysinfo(hv)
	if err != nil || pi.NrCpus != 4 || pi.MaxCPUID != 3 || pi.CPUKhz != 3000000 || pi.TotalPages != 1<<20 || pi.FreePages != 1<<20-131072 {
		t.Fatalf("XenSysctlPhysinfo = %+v, %v", &pi, err)
	}
	cfg := xen.DomctlCreatedomain{Flags: xen.XEN_DOMCTL_CDF_hvm | xen.XEN_DOMCTL_CDF_hap, MaxVCPUs: 2, Handle: xen.DomainHandle{1, 2, 3}}
	id, err := xen.XenDomctlCreatedomain(hv, 0, &cfg)
	if err != nil || id != 1 {
		t.Fatalf("XenDomctlCreatedomain = %d, %v; want domain 1", id, err)
	}
	if _, err := xen.XenDomctlCreatedomain(hv, 1, &cfg); !errors.Is(err, hypercall.EEXIST) {
		t.Errorf("XenDomctlCreatedomain(domain 1 again) error %v, want EEXIST", err)
	}
	if _, err := xen.XenDomctlCreatedomain(hv, 0, &xen.DomctlCreatedomain{}); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlCreatedomain(max_vcpus 0) error %v, want EINVAL", err)
	}
	if err := xen.XenDomctlMaxVCPUs(hv, id, 1); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlMaxVCPUs(1 of 2) error %v, want EINVAL: 4.17 wants createdomain's max_vcpus", err)
	}
	if err := xen.XenDomctlMaxVCPUs(hv, id, 2); err != nil {
		t.Error(err)
	}
	if err := xen.XenDomctlMaxMem(hv, id, 8192); err != nil {
		t.Error(err)
	}
	buf := make([]xen.DomctlGetdomaininfo, 4)
	n, err := xen.XenSysctlGetdomaininfolist(hv, 0, buf)
	if err != nil || n != 2 || buf[0].Domain != 0 || buf[0].TotPages != 131072 || buf[0].Flags&xen.XEN_DOMINF_running == 0 {
		t.Fatalf("XenSysctlGetdomaininfolist = %d, %+v, %v", n, buf[:n], err)
	}
	d := &buf[1]
	if d.Domain != id || d.MaxPages != 2048 || d.Flags != xen.XEN_DOMINF_paused|xen.XEN_DOMINF_hvm_guest|xen.XEN_DOMINF_hap || d.MaxVCPUID != 1 || d.Handle != cfg.Handle {
		t.Errorf("the new domain: %+v", d)
	}
	if n, err := xen.XenSysctlGetdomaininfolist(hv, 1, buf[:1]); err != nil || n != 1 || buf[0].Domain != 1 {
		t.Errorf("XenSysctlGetdomaininfolist(from 1, 1 entry) = %d, %v, domain %d", n, err, buf[0].Domain)
	}
	if err := xen.XenDomctlPausedomain(hv, 0); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlPausedomain(self) error %v, want EINVAL", err)
	}
	if err := xen.XenDomctlUnpausedomain(hv, id); err != nil {
		t.Error(err)
	}
	if err := xen.XenDomctlUnpausedomain(hv, id); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlUnpausedomain(not paused) error %v, want EINVAL", err)
	}
	if err := xen.XenDomctlPausedomain(hv, id); err != nil {
		t.Error(err)
	}
	info, err := xen.XenDomctlGetdomaininfo(hv, id)
	if err != nil || info.Flags&xen.XEN_DOMINF_paused == 0 {
		t.Errorf("XenDomctlGetdomaininfo = %+v, %v; want paused", &info, err)
	}
	if err := xen.XenDomctlDestroydomain(hv, 0); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlDestroydomain(self) error %v, want EINVAL", err)
	}
	if err := xen.XenDomctlDestroydomain(hv, id); err != nil {
		t.Error(err)
	}
	if _, err := xen.XenDomctlGetdomaininfo(hv, id); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("XenDomctlGetdomaininfo(destroyed) error %v, want ESRCH", err)
	}
	if err := xen.XenDomctlMaxMem(hv, 77, 1); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("XenDomctlMaxMem(no such domain) error %v, want ESRCH", err)
	}
	// Another interface version: EACCES, as a VersionError.
	dc := xen.Domctl{Cmd: xen.XEN_DOMCTL_getdomaininfo, InterfaceVersion: 0x14}
	var ve *hypercall.VersionError
	if err := xen.XenDomctl(hv, &dc); !errors.As(err, &ve) || ve.Sent != 0x14 {
		t.Errorf("XenDomctl(version 0x14) error %v, want a VersionError", err)
	}
	sc := xen.Sysctl{Cmd: xen.XEN_SYSCTL_physinfo, InterfaceVersion: 0x16}
	if err := xen.XenSysctl(hv, &sc); !errors.As(err, &ve) || ve.Interface != "XEN_SYSCTL_INTERFACE_VERSION" {
		t.Errorf("XenSysctl(version 0x16) error %v, want a VersionError", err)
	}
	// Only the control domain may use domctl and sysctl.
	if _, err := xen.XenSysctlPhysinfo(xentest.New(xentest.WithoutPrivilege())); !errors.Is(err, hypercall.EPERM) {
		t.Errorf("XenSysctlPhysinfo unprivileged: error %v, want EPERM", err)
	}
}

func TestSimEventChannels(t *testing.T) {
	hv := xentest.New()
	a, err := xen.EvtchnopAllocUnbound(hv, xen.DOMID_SELF, xen.DOMID_SELF)
	if err != nil || a != 1 {
		t.Fatalf("EvtchnopAllocUnbound = %d, %v; want port 1", a, err)
	}
	st, err := xen.EvtchnopStatus(hv, xen.DOMID_SELF, a)
	if err != nil || st.Status != xen.EVTCHNSTAT_unbound || st.U.Unbound().Dom != 0 {
		t.Errorf("EvtchnopStatus(unbound) = %+v, %v", st, err)
	}
	b, err := xen.EvtchnopBindInterdomain(hv, xen.DOMID_SELF, a)
	if err != nil || b != 2 {
		t.Fatalf("EvtchnopBindInterdomain = %d, %v; want port 2", b, err)
	}
	if _, err := xen.EvtchnopBindInterdomain(hv, xen.DOMID_SELF, a); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopBindInterdomain(bound port) error %v, want EINVAL", err)
	}
	for _, e := range [][2]xen.EvtchnPort{{a, b}, {b, a}} {
		st, err := xen.EvtchnopStatus(hv, xen.DOMID_SELF, e[0])
		if err != nil || st.Status != xen.EVTCHNSTAT_interdomain || st.U.Interdomain().Port != e[1] || st.U.Interdomain().Dom != 0 {
			t.Errorf("EvtchnopStatus(%d) = %+v, %v", e[0], st, err)
		}
	}
	if err := xen.EvtchnopSend(hv, b); err != nil {
		t.Error(err)
	}
	if ch, _ := hv.EventChannel(0, uint32(a)); ch.Pending != 1 {
		t.Errorf("port %d pending %d after a send on %d, want 1", a, ch.Pending, b)
	}
	if err := xen.EvtchnopClose(hv, b); err != nil {
		t.Error(err)
	}
	if st, _ := xen.EvtchnopStatus(hv, xen.DOMID_SELF, a); st.Status != xen.EVTCHNSTAT_unbound {
		t.Errorf("the other end after close: status %d, want unbound", st.Status)
	}
	if st, _ := xen.EvtchnopStatus(hv, xen.DOMID_SELF, b); st.Status != xen.EVTCHNSTAT_closed {
		t.Errorf("a closed port: status %d, want closed", st.Status)
	}
	if err := xen.EvtchnopClose(hv, b); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopClose(closed) error %v, want EINVAL", err)
	}
	if err := xen.EvtchnopSend(hv, 99); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopSend(never opened) error %v, want EINVAL", err)
	}
	if _, err := xen.EvtchnopStatus(hv, xen.DOMID_SELF, 5000); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopStatus(beyond the last port) error %v, want EINVAL", err)
	}
	if _, err := xen.EvtchnopAllocUnbound(hv, 9, 0); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("EvtchnopAllocUnbound(no such domain) error %v, want ESRCH", err)
	}
	if _, err := xen.EvtchnopStatus(xentest.New(xentest.WithoutPrivilege(), xentest.WithDomain(3, xentest.Domain{})), 3, 1); !errors.Is(err, hypercall.EPERM) {
		t.Errorf("EvtchnopStatus(another domain, unprivileged) error %v, want EPERM", err)
	}
}

// TestSimOneCommandFails: one command made to fail (xentest's Fail) while
// the others of the same hypercall keep their simulated behaviour.
func TestSimOneCommandFails(t *testing.T) {
	hv := xentest.New()
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_domctl, xen.XEN_DOMCTL_max_mem), hypercall.ENOMEM)
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_event_channel_op, xen.EVTCHNOP_send), hypercall.EBUSY)
	id, err := xen.XenDomctlCreatedomain(hv, 0, &xen.DomctlCreatedomain{MaxVCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := xen.XenDomctlMaxMem(hv, id, 1024); !errors.Is(err, hypercall.ENOMEM) {
		t.Errorf("XenDomctlMaxMem error %v, want the injected ENOMEM", err)
	}
	if info, err := xen.XenDomctlGetdomaininfo(hv, id); err != nil || info.Domain != id || info.MaxPages != 0 {
		t.Errorf("XenDomctlGetdomaininfo = %+v, %v: want the simulated domain, max_mem untouched", &info, err)
	}
	p, err := xen.EvtchnopAllocUnbound(hv, xen.DOMID_SELF, xen.DOMID_SELF)
	if err != nil {
		t.Fatal(err)
	}
	if err := xen.EvtchnopSend(hv, p); !errors.Is(err, hypercall.EBUSY) {
		t.Errorf("EvtchnopSend error %v, want the injected EBUSY", err)
	}
	if err := xen.EvtchnopClose(hv, p); err != nil {
		t.Errorf("EvtchnopClose: %v (simulated, not failed)", err)
	}
}
