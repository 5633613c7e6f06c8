//go:build xenvm && (amd64 || 386)

package itest

import (
	"testing"

	"github.com/xenbind/xenbind/generated/dom0"
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// domainConfig is a PVH guest's: HVM with hardware-assisted paging and
// only the local APIC emulated, if Xen offers HVM; a PV guest otherwise.
func domainConfig(t *testing.T, c hypercall.Caller) dom0.DomctlCreatedomain {
	t.Helper()
	pi, err := dom0.XenSysctlPhysinfo(c)
	must(t, "XenSysctlPhysinfo(c)", "XEN_SYSCTL_physinfo", err)
	var cfg dom0.DomctlCreatedomain
	if pi.Capabilities&xen.XEN_SYSCTL_PHYSCAP_hvm == 0 || pi.Capabilities&xen.XEN_SYSCTL_PHYSCAP_hap == 0 {
		t.Logf("Xen offers no HVM with HAP here (physinfo capabilities %#x): creating a PV domain", pi.Capabilities)
		return cfg
	}
	cfg.Flags = xen.XEN_DOMCTL_CDF_hvm | xen.XEN_DOMCTL_CDF_hap
	cfg.Arch.EmulationFlags = xen.XEN_X86_EMU_LAPIC
	return cfg
}

// checkCreated sets and reads back an HVM parameter of the new domain.
func checkCreated(t *testing.T, c hypercall.Caller, id dom0.DomID, cfg dom0.DomctlCreatedomain) {
	t.Helper()
	if cfg.Flags&xen.XEN_DOMCTL_CDF_hvm == 0 {
		t.Log("a PV domain has no HVM parameters")
		return
	}
	must(t, "HvmopSetParam(c, id, HVM_PARAM_STORE_EVTCHN, 5)", "HVMOP_set_param", xen.HvmopSetParam(c, xen.DomID(id), xen.HVM_PARAM_STORE_EVTCHN, 5))
	v, err := xen.HvmopGetParam(c, xen.DomID(id), xen.HVM_PARAM_STORE_EVTCHN)
	must(t, "HvmopGetParam(c, id, HVM_PARAM_STORE_EVTCHN)", "HVMOP_get_param", err)
	expect(t, "HvmopGetParam(c, id, HVM_PARAM_STORE_EVTCHN)", "HVMOP_get_param", v, 5, "set just before")
}

// checkArch checks the x86 part of the created domain's info.
func checkArch(t *testing.T, d dom0.DomctlGetdomaininfo) {
	t.Helper()
	if d.Flags&xen.XEN_DOMINF_hvm_guest != 0 {
		expect(t, "the new domain's arch_config.emulation_flags", "XEN_SYSCTL_getdomaininfolist", d.ArchConfig.EmulationFlags, xen.XEN_X86_EMU_LAPIC, "a PVH guest emulates only the local APIC")
	}
}
