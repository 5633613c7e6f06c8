//go:build xenvm && (arm || arm64)

package itest

import (
	"testing"

	"github.com/xenbind/xenbind/generated/dom0"
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// domainConfig is an Arm guest's: Arm guests are HVM with HAP, and
// XEN_DOMCTL_CONFIG_GIC_NATIVE asks Xen for the host's GIC version, which
// it writes back.
func domainConfig(t *testing.T, c hypercall.Caller) dom0.DomctlCreatedomain {
	t.Helper()
	var cfg dom0.DomctlCreatedomain
	cfg.Flags = xen.XEN_DOMCTL_CDF_hvm | xen.XEN_DOMCTL_CDF_hap
	cfg.Arch.GICVersion = xen.XEN_DOMCTL_CONFIG_GIC_NATIVE
	cfg.Arch.TeeType = xen.XEN_DOMCTL_CONFIG_TEE_NONE
	return cfg
}

// wantGIC is the GIC version of each machine (QEMU's gic-version).
var wantGIC = map[string]uint8{"arm64": xen.XEN_DOMCTL_CONFIG_GIC_V3, "arm32": xen.XEN_DOMCTL_CONFIG_GIC_V2}

// checkCreated checks the GIC version Xen chose for the new domain.
func checkCreated(t *testing.T, c hypercall.Caller, id dom0.DomID, cfg dom0.DomctlCreatedomain) {
	t.Helper()
	t.Logf("XEN_DOMCTL_createdomain wrote back gic_version %d, clock_frequency %d", cfg.Arch.GICVersion, cfg.Arch.ClockFrequency)
	expect(t, "XenDomctlCreatedomain's arch.gic_version", "XEN_DOMCTL_createdomain", cfg.Arch.GICVersion, wantGIC[vm.arch], "GIC_NATIVE picks the host's GIC (QEMU's gic-version)")
}

// checkArch checks the Arm part of the created domain's info. Xen 4.17
// on Arm leaves arch_config zero in getdomaininfo (arch_get_domain_info
// sets only XEN_DOMINF_hap and gpaddr_bits), so there the GIC version is
// known from createdomain's answer alone (checkCreated). Debian's Xen
// 4.20 (4.20.4+63, from the stable branch after RELEASE-4.20.4, whose
// source still leaves it zero) reports the domain's GIC version there:
// seen on the real thing, and what tools/ocaml's "Fill arch_config for
// ARM in domain_getinfo" on that branch expects.
func checkArch(t *testing.T, d dom0.DomctlGetdomaininfo) {
	t.Helper()
	if vm.xenMajor == 4 && vm.xenMinor < 20 {
		expect(t, "the new domain's arch_config.gic_version", "XEN_SYSCTL_getdomaininfolist", d.ArchConfig.GICVersion, 0, "Xen 4.17 on Arm does not report arch_config in getdomaininfo")
		return
	}
	expect(t, "the new domain's arch_config.gic_version", "XEN_SYSCTL_getdomaininfolist", d.ArchConfig.GICVersion, wantGIC[vm.arch], "Xen 4.20 on Arm reports the domain's GIC (the host's: QEMU's gic-version)")
}
