//go:build xenvm

package itest

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/dom0"
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The dom0 surface through the generated wrappers: XEN_SYSCTL_physinfo
// against the machine the harness built, dom0 in XEN_SYSCTL_getdomaininfolist,
// a domain created, configured, listed and destroyed from Go, event
// channels, sched_op, vcpu_op and an HVM parameter, and the errors Xen
// gives. Every value seen is logged (go test -v) for the record.
//
// domctl and sysctl go through generated/dom0, which speaks the interface
// version of the running hypervisor: one binary on Xen 4.17 (domctl
// 0x15) and 4.20 (0x17), whose xen_domctl_createdomain differs
// (altp2m_opts, new in 4.20, moves every later member by 4 bytes). The
// other hypercalls keep their layout and come from generated/xen.

func TestPhysinfo(t *testing.T) {
	c := caller(t)
	pi, err := dom0.XenSysctlPhysinfo(c)
	must(t, "XenSysctlPhysinfo(c)", "XEN_SYSCTL_physinfo", err)
	t.Logf("XEN_SYSCTL_physinfo: nr_cpus %d max_cpu_id %d threads/core %d cores/socket %d nr_nodes %d cpu_khz %d capabilities %#x total_pages %d (%d MiB) free_pages %d max_mfn %#x",
		pi.NrCpus, pi.MaxCPUID, pi.ThreadsPerCore, pi.CoresPerSocket, pi.NrNodes, pi.CPUKhz, pi.Capabilities, pi.TotalPages, pi.TotalPages*pageSize>>20, pi.FreePages, pi.MaxMFN)
	expect(t, "XenSysctlPhysinfo(c).NrCpus", "XEN_SYSCTL_physinfo", uint64(pi.NrCpus), vm.cpus, "the harness gave QEMU that many processors (-smp)")
	expect(t, "XenSysctlPhysinfo(c).NrNodes", "XEN_SYSCTL_physinfo", pi.NrNodes, 1, "QEMU's machine has one NUMA node")
	// Xen counts the RAM its allocator manages: the machine's, less what
	// firmware keeps and Xen's own image (a few MiB).
	ram := (vm.ramEnd - vm.ramBase) / pageSize
	if pi.TotalPages > ram || pi.TotalPages < ram-ram/16 {
		t.Errorf("XenSysctlPhysinfo(c).TotalPages [XEN_SYSCTL_physinfo] = %d, want at most %d and within 1/16 of it: QEMU's -m is %d MiB",
			pi.TotalPages, ram, ram*pageSize>>20)
	}
	if pi.FreePages == 0 || pi.FreePages >= pi.TotalPages-vm.dom0Pages {
		t.Errorf("XenSysctlPhysinfo(c).FreePages = %d, want some, and less than total_pages %d minus dom0's %d", pi.FreePages, pi.TotalPages, vm.dom0Pages)
	}
}

func TestDomainList(t *testing.T) {
	c := caller(t)
	buf := make([]dom0.DomctlGetdomaininfo, 16)
	n, err := dom0.XenSysctlGetdomaininfolist(c, 0, buf)
	must(t, "XenSysctlGetdomaininfolist(c, 0, buf[16])", "XEN_SYSCTL_getdomaininfolist", err)
	if n == 0 {
		t.Fatalf("XenSysctlGetdomaininfolist(c, 0, buf[16]) [XEN_SYSCTL_getdomaininfolist] = 0 domains, want dom0 at least")
	}
	d0 := buf[0]
	cur, err := xen.XenmemCurrentReservation(c, xen.DOMID_SELF)
	must(t, "XenmemCurrentReservation(c, DOMID_SELF)", "XENMEM_current_reservation", err)
	t.Logf("XEN_SYSCTL_getdomaininfolist: %d domain(s); dom0: domain %d flags %#x tot_pages %d max_pages %d online vCPUs %d max_vcpu_id %d cpupool %d gpaddr_bits %d cpu_time %d ns; XENMEM_current_reservation %d",
		n, d0.Domain, d0.Flags, d0.TotPages, d0.MaxPages, d0.NrOnlineVCPUs, d0.MaxVCPUID, d0.Cpupool, d0.GpaddrBits, d0.CPUTime, cur)
	expect(t, "XenSysctlGetdomaininfolist(c, 0, buf)[0].Domain", "XEN_SYSCTL_getdomaininfolist", d0.Domain, 0, "dom0 is the first domain")
	expect(t, "XenSysctlGetdomaininfolist(c, 0, buf)[0].TotPages", "XEN_SYSCTL_getdomaininfolist", d0.TotPages, cur, "dom0's tot_pages is its current reservation")
	expect(t, "XenSysctlGetdomaininfolist(c, 0, buf)[0].NrOnlineVCPUs", "XEN_SYSCTL_getdomaininfolist", d0.NrOnlineVCPUs, 1, "dom0_max_vcpus=1")
	if d0.Flags&xen.XEN_DOMINF_running == 0 || d0.Flags&xen.XEN_DOMINF_paused != 0 {
		t.Errorf("dom0's flags %#x: want running (it is making this call), not paused", d0.Flags)
	}
	one, err := dom0.XenDomctlGetdomaininfo(c, 0)
	must(t, "XenDomctlGetdomaininfo(c, 0)", "XEN_DOMCTL_getdomaininfo", err)
	expect(t, "XenDomctlGetdomaininfo(c, 0).TotPages", "XEN_DOMCTL_getdomaininfo", one.TotPages, d0.TotPages, "the same domain as the list's")
	expect(t, "XenDomctlGetdomaininfo(c, 0).MaxPages", "XEN_DOMCTL_getdomaininfo", one.MaxPages, d0.MaxPages, "the same domain as the list's")
}

// listed returns domain id's entry in the domain list, if it is there.
func listed(t *testing.T, c hypercall.Caller, id dom0.DomID) (dom0.DomctlGetdomaininfo, bool) {
	t.Helper()
	buf := make([]dom0.DomctlGetdomaininfo, 32)
	n, err := dom0.XenSysctlGetdomaininfolist(c, 0, buf)
	must(t, "XenSysctlGetdomaininfolist(c, 0, buf[32])", "XEN_SYSCTL_getdomaininfolist", err)
	for _, d := range buf[:n] {
		if d.Domain == id {
			return d, true
		}
	}
	return dom0.DomctlGetdomaininfo{}, false
}

func TestCreateDomain(t *testing.T) {
	c := caller(t)
	cfg := domainConfig(t, c)
	cfg.MaxVCPUs = 1
	cfg.MaxEvtchnPort = 1023
	cfg.MaxGrantFrames = -1
	cfg.MaxMaptrackFrames = -1
	cfg.GrantOpts = 1 // XEN_DOMCTL_GRANT_version(1)
	cfg.Handle = dom0.DomainHandle{0x78, 0x65, 0x6e, 0x62, 0x69, 0x6e, 0x64, 15: 0x11}
	refuseMissingMember(t, c, cfg)
	id, err := dom0.XenDomctlCreatedomain(c, 0, &cfg)
	must(t, "XenDomctlCreatedomain(c, 0, &cfg)", "XEN_DOMCTL_createdomain", err)
	t.Logf("XEN_DOMCTL_createdomain: domain %d (flags %#x)", id, cfg.Flags)
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_ = dom0.XenDomctlDestroydomain(c, id)
		}
	})
	if id == 0 || id >= xen.DOMID_FIRST_RESERVED {
		t.Fatalf("XenDomctlCreatedomain(c, 0, &cfg) [XEN_DOMCTL_createdomain] = domain %d, want a new domain's id", id)
	}
	must(t, "XenDomctlMaxVCPUs(c, id, 1)", "XEN_DOMCTL_max_vcpus", dom0.XenDomctlMaxVCPUs(c, id, 1))
	const maxKiB = 64 << 10
	must(t, "XenDomctlMaxMem(c, id, 64 MiB)", "XEN_DOMCTL_max_mem", dom0.XenDomctlMaxMem(c, id, maxKiB))
	checkCreated(t, c, id, cfg)

	d, ok := listed(t, c, id)
	if !ok {
		t.Fatalf("domain %d is not in XEN_SYSCTL_getdomaininfolist", id)
	}
	t.Logf("created domain in the list: domain %d flags %#x tot_pages %d max_pages %d online vCPUs %d max_vcpu_id %d handle % x gpaddr_bits %d arch %+v",
		d.Domain, d.Flags, d.TotPages, d.MaxPages, d.NrOnlineVCPUs, d.MaxVCPUID, d.Handle[:], d.GpaddrBits, d.ArchConfig)
	expect(t, "the new domain's MaxPages", "XEN_SYSCTL_getdomaininfolist", d.MaxPages, maxKiB/4, "XEN_DOMCTL_max_mem set 64 MiB, in 4 KiB pages")
	expect(t, "the new domain's MaxVCPUID", "XEN_SYSCTL_getdomaininfolist", d.MaxVCPUID, 0, "max_vcpus 1")
	expect(t, "the new domain's Handle", "XEN_SYSCTL_getdomaininfolist", d.Handle, cfg.Handle, "the handle createdomain was given")
	if d.Flags&xen.XEN_DOMINF_paused == 0 {
		t.Errorf("the new domain's flags %#x: want XEN_DOMINF_paused, a new domain is paused", d.Flags)
	}
	if hvm := cfg.Flags&xen.XEN_DOMCTL_CDF_hvm != 0; hvm != (d.Flags&xen.XEN_DOMINF_hvm_guest != 0) {
		t.Errorf("the new domain's flags %#x: XEN_DOMINF_hvm_guest should be %v, as createdomain asked", d.Flags, hvm)
	}
	if hap := cfg.Flags&xen.XEN_DOMCTL_CDF_hap != 0; hap != (d.Flags&xen.XEN_DOMINF_hap != 0) {
		t.Errorf("the new domain's flags %#x: XEN_DOMINF_hap should be %v, as createdomain asked", d.Flags, hap)
	}
	checkArch(t, d)

	vi, err := dom0.XenDomctlGetvcpuinfo(c, id, 0)
	must(t, "XenDomctlGetvcpuinfo(c, id, 0)", "XEN_DOMCTL_getvcpuinfo", err)
	t.Logf("XEN_DOMCTL_getvcpuinfo(vcpu 0): online %d blocked %d running %d cpu_time %d cpu %d", vi.Online, vi.Blocked, vi.Running, vi.CPUTime, vi.CPU)
	expect(t, "XenDomctlGetvcpuinfo(c, id, 0).Running", "XEN_DOMCTL_getvcpuinfo", vi.Running, 0, "the domain is paused")
	if _, err := dom0.XenDomctlGetvcpuinfo(c, id, 1); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlGetvcpuinfo(c, id, 1) [XEN_DOMCTL_getvcpuinfo] error %v, want EINVAL: vCPU 1 is beyond max_vcpus", err)
	}

	// Pausing adds to the pause count; unpausing takes it back.
	must(t, "XenDomctlPausedomain(c, id)", "XEN_DOMCTL_pausedomain", dom0.XenDomctlPausedomain(c, id))
	must(t, "XenDomctlUnpausedomain(c, id)", "XEN_DOMCTL_unpausedomain", dom0.XenDomctlUnpausedomain(c, id))
	if d, _ := listed(t, c, id); d.Flags&xen.XEN_DOMINF_paused == 0 {
		t.Errorf("after pause and unpause the domain's flags are %#x: want still paused (its creation pause)", d.Flags)
	}

	must(t, "XenDomctlDestroydomain(c, id)", "XEN_DOMCTL_destroydomain", dom0.XenDomctlDestroydomain(c, id))
	destroyed = true
	// A domain without memory or vCPUs running goes at once; a dying one
	// would still be listed with XEN_DOMINF_dying.
	for i := 0; i < 100; i++ {
		if _, ok := listed(t, c, id); !ok {
			break
		}
		must(t, "SchedopYield(c)", "SCHEDOP_yield", xen.SchedopYield(c))
	}
	if d, ok := listed(t, c, id); ok {
		t.Errorf("domain %d still listed after XEN_DOMCTL_destroydomain (flags %#x)", id, d.Flags)
	}
	if _, err := dom0.XenDomctlGetdomaininfo(c, id); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("XenDomctlGetdomaininfo(c, %d) after destroy: error %v, want ESRCH", id, err)
	}
}

func TestEventChannels(t *testing.T) {
	c := caller(t)
	a, err := xen.EvtchnopAllocUnbound(c, xen.DOMID_SELF, xen.DOMID_SELF)
	must(t, "EvtchnopAllocUnbound(c, DOMID_SELF, DOMID_SELF)", "EVTCHNOP_alloc_unbound", err)
	st, err := xen.EvtchnopStatus(c, xen.DOMID_SELF, a)
	must(t, "EvtchnopStatus(c, DOMID_SELF, a)", "EVTCHNOP_status", err)
	expect(t, "EvtchnopStatus(c, DOMID_SELF, a).Status", "EVTCHNOP_status", st.Status, xen.EVTCHNSTAT_unbound, "port a was just allocated unbound")
	expect(t, "EvtchnopStatus(c, DOMID_SELF, a) unbound.dom", "EVTCHNOP_status", st.U.Unbound().Dom, 0, "dom0 may bind it (remote_dom DOMID_SELF)")

	b, err := xen.EvtchnopBindInterdomain(c, xen.DOMID_SELF, a)
	must(t, "EvtchnopBindInterdomain(c, DOMID_SELF, a)", "EVTCHNOP_bind_interdomain", err)
	t.Logf("EVTCHNOP_alloc_unbound: port %d; EVTCHNOP_bind_interdomain: port %d", a, b)
	for _, e := range [][2]xen.EvtchnPort{{a, b}, {b, a}} {
		st, err := xen.EvtchnopStatus(c, xen.DOMID_SELF, e[0])
		must(t, "EvtchnopStatus(c, DOMID_SELF, port)", "EVTCHNOP_status", err)
		t.Logf("EVTCHNOP_status(port %d): status %d vcpu %d interdomain dom %d port %d", e[0], st.Status, st.VCPU, st.U.Interdomain().Dom, st.U.Interdomain().Port)
		expect(t, "EvtchnopStatus(c, DOMID_SELF, port).Status", "EVTCHNOP_status", st.Status, xen.EVTCHNSTAT_interdomain, "the two ports are bound to each other")
		expect(t, "EvtchnopStatus(c, DOMID_SELF, port) interdomain.port", "EVTCHNOP_status", st.U.Interdomain().Port, e[1], "the other end")
		expect(t, "EvtchnopStatus(c, DOMID_SELF, port) interdomain.dom", "EVTCHNOP_status", st.U.Interdomain().Dom, 0, "both ends are dom0's")
	}
	must(t, "EvtchnopSend(c, b)", "EVTCHNOP_send", xen.EvtchnopSend(c, b))
	must(t, "EvtchnopClose(c, b)", "EVTCHNOP_close", xen.EvtchnopClose(c, b))
	st, err = xen.EvtchnopStatus(c, xen.DOMID_SELF, a)
	must(t, "EvtchnopStatus(c, DOMID_SELF, a)", "EVTCHNOP_status", err)
	expect(t, "EvtchnopStatus(c, DOMID_SELF, a).Status after closing b", "EVTCHNOP_status", st.Status, xen.EVTCHNSTAT_unbound, "closing one end leaves the other unbound")
	must(t, "EvtchnopClose(c, a)", "EVTCHNOP_close", xen.EvtchnopClose(c, a))
	if err := xen.EvtchnopClose(c, a); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopClose(c, a) a second time: error %v, want EINVAL", err)
	}
	if err := xen.EvtchnopSend(c, a); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("EvtchnopSend(c, a) on a closed port: error %v, want EINVAL", err)
	}
}

func TestSchedVCPU(t *testing.T) {
	c := caller(t)
	must(t, "SchedopYield(c)", "SCHEDOP_yield", xen.SchedopYield(c))
	up, err := xen.VcpuopIsUp(c, 0)
	if vm.facts.vcpuOpLimited {
		// Arm's vcpu_op takes register_vcpu_info and
		// register_runstate_memory_area only (arch/arm/domain.c).
		if !errors.Is(err, hypercall.EINVAL) {
			t.Errorf("VcpuopIsUp(c, 0) [VCPUOP_is_up] = %d, %v; want EINVAL on %s", up, err, vm.arch)
		}
		return
	}
	must(t, "VcpuopIsUp(c, 0)", "VCPUOP_is_up", err)
	expect(t, "VcpuopIsUp(c, 0)", "VCPUOP_is_up", up, 1, "dom0's vCPU 0 is making this call")
	if up, err := xen.VcpuopIsUp(c, 1); !errors.Is(err, hypercall.ENOENT) {
		t.Errorf("VcpuopIsUp(c, 1) [VCPUOP_is_up] = %d, %v; want ENOENT: dom0_max_vcpus=1", up, err)
	}
}

func TestDom0Errors(t *testing.T) {
	c := caller(t)
	if _, err := dom0.XenDomctlGetdomaininfo(c, 1234); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("XenDomctlGetdomaininfo(c, 1234) error %v, want ESRCH: no such domain", err)
	}
	iv, err := dom0.Detect(c)
	must(t, "dom0.Detect(c)", "XENVER_version", err)
	d := xen.Domctl{Cmd: xen.XEN_DOMCTL_getdomaininfo, InterfaceVersion: iv.Domctl + 1}
	err = xen.XenDomctl(c, &d)
	var ve *hypercall.VersionError
	if !errors.As(err, &ve) || !errors.Is(err, hypercall.EACCES) || ve.Sent != iv.Domctl+1 {
		t.Errorf("XenDomctl(c, getdomaininfo at version %#x) error %v (%T), want a *hypercall.VersionError wrapping EACCES", d.InterfaceVersion, err, err)
	} else {
		t.Logf("wrong interface version: %v", err)
	}
	_, err = dom0.XenSysctlGetdomaininfolist(c, 0, nil)
	var ae *hypercall.ArgError
	if !errors.As(err, &ae) || ae.Field != "buffer" {
		t.Errorf("XenSysctlGetdomaininfolist(c, 0, nil) error %v, want an *hypercall.ArgError about buffer", err)
	}
	if err := dom0.XenDomctlPausedomain(c, xen.DOMID_SELF); !errors.As(err, &ae) {
		t.Errorf("XenDomctlPausedomain(c, DOMID_SELF) error %v, want an *hypercall.ArgError: a domctl names no domain by DOMID_SELF", err)
	}
	if err := dom0.XenDomctlPausedomain(c, 0); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenDomctlPausedomain(c, 0) error %v, want EINVAL: a domain cannot pause itself", err)
	}
}
