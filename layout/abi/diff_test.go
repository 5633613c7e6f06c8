package abi

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/parser"
)

var (
	all   = parser.Targets
	x86   = []parser.Target{parser.X86_32, parser.X86_64}
	arm   = []parser.Target{parser.ARM32, parser.ARM64}
	arm32 = []parser.Target{parser.ARM32}
)

// expect is a finding a diff must have: its kind, name and targets, and
// text its member changes or meanings must include.
type expect struct {
	kind    Kind
	name    string
	targets []parser.Target
	detail  string
}

func checkFindings(t *testing.T, rep *DiffReport, want []expect) {
	t.Helper()
	for _, w := range want {
		var got []string
		found := false
		for _, f := range rep.Find(w.name) {
			if f.Kind != w.kind {
				continue
			}
			got = append(got, f.Summary())
			if !slices.Equal(f.Targets, w.targets) {
				continue
			}
			if w.detail == "" || strings.Contains(findingText(f), w.detail) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s %s [%s] with %q; have %q", w.kind, w.name, targetList(w.targets), w.detail, got)
		}
	}
}

// findingText is what a finding says beyond its kind and name.
func findingText(f *Finding) string {
	var parts []string
	for _, c := range f.Changes {
		parts = append(parts, c.String())
	}
	parts = append(parts, meanings(f.Means), f.Old+" -> "+f.New)
	return strings.Join(parts, "\n")
}

// TestLinuxAgainstXen compares Linux 6.1's copy of the three main headers
// (new) with Xen 4.17's (old): what a Linux guest's view lacks (removed),
// names differently and lays out differently.
func TestLinuxAgainstXen(t *testing.T) {
	old := load(t, xenTree(t), "xen-4.17", parser.XenDialect, parser.Guest, true)
	new := load(t, linuxTree(t, "6.1"), "linux-6.1", parser.LinuxDialect, parser.Guest, false)
	rep, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, rep, []expect{
		// Same numbers, other names: Linux kept the names Xen retired.
		{NumberReused, "XENMEM_add_to_physmap_range", all, "XENMEM_add_to_physmap_batch (gone from the new tree: renamed?)"},
		{NumberReused, "__HYPERVISOR_xc_reserved_op", all, "__HYPERVISOR_argo_op (gone"},
		{NumberReused, "VIRQ_XC_RESERVED", all, "VIRQ_ARGO (gone"},
		{RecordRemoved, "struct xen_add_to_physmap_batch", all, ""},
		{RecordAdded, "struct xen_add_to_physmap_range", all, ""},
		// Commands and types Linux does not know.
		{ConstantRemoved, "XENMEM_get_vnumainfo", all, "26"},
		{ConstantRemoved, "XENMEM_add_to_physmap_batch", all, "23"},
		{ConstantRemoved, "__HYPERVISOR_hypfs_op", all, "42"},
		{RecordRemoved, "struct xen_vnuma_topology_info", all, ""},
		// Members Linux names differently, at the same place.
		{RecordChanged, "struct xen_memory_reservation", []parser.Target{parser.X86_32}, "mem_flags: renamed to address_bits"},
		{RecordChanged, "struct xen_memory_reservation", []parser.Target{parser.X86_64, parser.ARM32, parser.ARM64}, "mem_flags: renamed to address_bits"},
		{RecordChanged, "struct xen_mem_acquire_resource", []parser.Target{parser.X86_64, parser.ARM32, parser.ARM64}, "pad: renamed to flags"},
		{RecordChanged, "struct vcpu_info", arm, "pad0: renamed to evtchn_upcall_mask"},
		// Layouts that differ. Linux's ARM shared_info has wc (with its
		// own sec_hi) and then wc_sec_hi: 8 bytes more than Xen's.
		{RecordChanged, "struct shared_info", arm, "wc_sec_hi: offset 1084 -> 1088"},
		{RecordChanged, "struct shared_info", arm, "(record): size 1088 -> 1096"},
		// Linux declares vcpumask a plain pointer: 4 bytes on arm32, where
		// Xen's 64-bit guest handle has 8.
		{RecordChanged, "struct mmuext_op", arm32, "arg2.vcpumask: size 8 -> 4, type __guest_handle_64_const_void -> void *"},
		// Linux keeps the pre-4.7 vcpu_time_info: pad1[3], no flags.
		{RecordChanged, "struct vcpu_time_info", all, "flags: removed offset 29"},
		{RecordChanged, "struct multicall_entry", []parser.Target{parser.X86_64, parser.ARM32, parser.ARM64}, "result: type xen_ulong_t -> xen_long_t"},
	})
	var reused []string
	for _, f := range rep.Findings {
		if f.Kind == NumberReused {
			reused = append(reused, f.Name)
		}
	}
	// Flags (XENMEM_rsrc_acq_caller_owned = 1u << 0) and aliases
	// (__HYPERVISOR_platform_op_raw) are not command numbers.
	if want := []string{"VIRQ_XC_RESERVED", "XENMEM_add_to_physmap_range", "__HYPERVISOR_xc_reserved_op"}; !slices.Equal(reused, want) {
		t.Errorf("reused numbers %q, want %q", reused, want)
	}
	if n := len(rep.Failing(GateChanged)); n == 0 {
		t.Error("-fail-on changed does not trip on Linux against Xen")
	}
}

// TestLinux612AgainstXen420 compares trixie's pair as TestLinuxAgainstXen
// compares bookworm's: Linux 6.12's copy of the interface (new) with Xen
// 4.20's (old), on the three main headers and version.h, vcpu.h,
// features.h, platform.h and physdev.h. Linux 6.12's xen.h, memory.h and
// grant_table.h lay out every record as 6.1's did, so what the 6.1 test
// found is still there; what is new is what Xen added in 4.18 to 4.20 and
// Linux's copy has not taken.
func TestLinux612AgainstXen420(t *testing.T) {
	includes := append(slices.Clone(parser.DefaultIncludes), "version.h", "vcpu.h", "features.h", "platform.h", "physdev.h")
	old := loadHeaders(t, debianTree(t, "4.20"), "xen-4.20", parser.XenDialect, parser.Guest, true, includes)
	new := loadHeaders(t, linuxTree(t, "6.12"), "linux-6.12", parser.LinuxDialect, parser.Guest, false, includes)
	rep, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	x86_64 := []parser.Target{parser.X86_64}
	checkFindings(t, rep, []expect{
		// As on 6.1 against 4.17: Linux keeps the names Xen retired
		// (XENMEM_add_to_physmap_range, VIRQ_XC_RESERVED,
		// __HYPERVISOR_xc_reserved_op for Xen's batch, VIRQ_ARGO and
		// argo_op), its ARM shared_info has a struct pvclock_wall_clock
		// with its own sec_hi before wc_sec_hi, mmuext_op's vcpumask is a
		// plain pointer and vcpu_time_info has pad1[3] where Xen has
		// flags and pad1[2].
		{NumberReused, "XENMEM_add_to_physmap_range", all, "XENMEM_add_to_physmap_batch (gone from the new tree: renamed?)"},
		{NumberReused, "__HYPERVISOR_xc_reserved_op", all, "__HYPERVISOR_argo_op (gone"},
		{NumberReused, "VIRQ_XC_RESERVED", all, "VIRQ_ARGO (gone"},
		{RecordChanged, "struct shared_info", arm, "wc_sec_hi: offset 1084 -> 1088"},
		{RecordChanged, "struct shared_info", arm, "(record): size 1088 -> 1096"},
		{RecordChanged, "struct mmuext_op", arm32, "arg2.vcpumask: size 8 -> 4, type __guest_handle_64_const_void -> void *"},
		{RecordChanged, "struct vcpu_time_info", all, "flags: removed offset 29"},
		// Xen 4.20's version.h adds the variable-length XENVER_*2
		// commands (11 to 14) on struct xen_varbuf; Linux 6.12's
		// version.h stops at XENVER_commandline (9) and build_id (10).
		{ConstantRemoved, "XENVER_extraversion2", all, "11"},
		{ConstantRemoved, "XENVER_capabilities2", all, "12"},
		{ConstantRemoved, "XENVER_changeset2", all, "13"},
		{ConstantRemoved, "XENVER_commandline2", all, "14"},
		{RecordRemoved, "struct xen_varbuf", all, ""},
		// Xen 4.18-4.20's platform.h: XENPF_get_ucode_revision (65) and
		// XENPF_microcode_update2 (66) with their union members, which
		// Linux's xen_platform_op does not have.
		{ConstantRemoved, "XENPF_get_ucode_revision", all, "65"},
		{ConstantRemoved, "XENPF_microcode_update2", all, "66"},
		{RecordRemoved, "struct xenpf_ucode_revision", all, ""},
		{RecordChanged, "struct xen_platform_op", x86_64, "u.microcode2: removed offset 8, size 16, type xenpf_microcode_update2_t"},
		// Xen 4.18's physical-address registration of the runstate and
		// time areas (vcpu.h, features.h) and 4.20's XENFEAT 20.
		{ConstantRemoved, "VCPUOP_register_runstate_phys_area", all, "14"},
		{ConstantRemoved, "VCPUOP_register_vcpu_time_phys_area", all, "15"},
		{ConstantRemoved, "XENFEAT_runstate_phys_area", all, "18"},
		{ConstantRemoved, "XENFEAT_vcpu_time_phys_area", all, "19"},
		{ConstantRemoved, "XENFEAT_dm_msix_all_writes", all, "20"},
		// Linux's physdev.h declares set_iobitmap's bitmap "uint8_t *",
		// Xen's XEN_GUEST_HANDLE(uint8): 8 bytes aligned to 8 on arm32,
		// so on arm32 Linux's record and the physdev_op union holding it
		// are 8 bytes shorter.
		{RecordChanged, "struct physdev_set_iobitmap", arm32, "bitmap: size 8 -> 4, type __guest_handle_64_uint8 -> uint8_t *"},
		{RecordChanged, "struct physdev_op", arm32, "(record): size 24 -> 16"},
		// Linux's xen.h defines no interface version.
		{ConstantRemoved, "__XEN_LATEST_INTERFACE_VERSION__", all, "267008"},
	})
	// XENPF_get_dom0_console (64) was in Linux 6.1 but not in Xen 4.17;
	// Xen 4.18 took it with the same number and layout: no finding now.
	if got := rep.Find("XENPF_get_dom0_console"); len(got) != 0 {
		t.Errorf("XENPF_get_dom0_console: %s, want no finding (same in both)", summaries(got))
	}
	var reused []string
	for _, f := range rep.Findings {
		if f.Kind == NumberReused {
			reused = append(reused, f.Name)
		}
	}
	if want := []string{"VIRQ_XC_RESERVED", "XENMEM_add_to_physmap_range", "__HYPERVISOR_xc_reserved_op"}; !slices.Equal(reused, want) {
		t.Errorf("reused numbers %q, want %q", reused, want)
	}
}

// TestDMABufPatch compares Xen 4.17 (old) with the same tree carrying the
// XENMEM_get_dma_buf patch (new): both numbers are taken in 4.17.
func TestDMABufPatch(t *testing.T) {
	tests := []struct {
		mode   parser.Mode
		put    string // how the diff says what 27 already means
		failOn Gate
		fails  int
	}{
		// XENMEM_reserved_device_memory_map is for the toolstack only.
		{parser.Guest, "XENMEM_reserved_device_memory_map (in tools mode)", GateChanged, 2},
		{parser.Tools, "XENMEM_reserved_device_memory_map", GateRemoved, 0},
	}
	for _, tt := range tests {
		old := load(t, xenTree(t), "xen-4.17", parser.XenDialect, tt.mode, true)
		new := load(t, patchedTree(t), "xen-4.17+dma_buf", parser.XenDialect, tt.mode, false)
		rep, err := Diff(old, new)
		if err != nil {
			t.Fatal(err)
		}
		for name, means := range map[string]string{"XENMEM_get_dma_buf": "XENMEM_get_vnumainfo", "XENMEM_put_dma_buf": tt.put} {
			var got []string
			for _, f := range rep.Find(name) {
				if f.Kind == NumberReused {
					got = append(got, meanings(f.Means)+" ["+targetList(f.Targets)+"]")
				}
			}
			if want := means + " [all targets]"; !slices.Equal(got, []string{want}) {
				t.Errorf("%s: %s already means %q, want %q", tt.mode, name, got, want)
			}
		}
		checkFindings(t, rep, []expect{
			{ConstantAdded, "XENMEM_get_dma_buf", all, "26"},
			{ConstantAdded, "XENMEM_put_dma_buf", all, "27"},
			{RecordAdded, "struct xen_get_dma_buf", all, ""},
			{RecordAdded, "struct xen_put_dma_buf", all, ""},
		})
		if len(rep.Findings) != 6 {
			t.Errorf("%s: %d findings, want the 6 of the patch:\n%s", tt.mode, len(rep.Findings), summaries(rep.Findings))
		}
		if n := len(rep.Failing(tt.failOn)); n != tt.fails {
			t.Errorf("%s: -fail-on %s: %d findings, want %d", tt.mode, tt.failOn, n, tt.fails)
		}
		var text strings.Builder
		rep.WriteText(&text)
		if !strings.Contains(text.String(), "! XENMEM_get_dma_buf = 26: 26 already means XENMEM_get_vnumainfo [all targets]") {
			t.Errorf("%s: the text report does not call out 26:\n%s", tt.mode, text.String())
		}
	}
	// The other way round, the patch's records and numbers are removed.
	rep, err := Diff(load(t, patchedTree(t), "xen-4.17+dma_buf", parser.XenDialect, parser.Guest, false),
		load(t, xenTree(t), "xen-4.17", parser.XenDialect, parser.Guest, false))
	if err != nil {
		t.Fatal(err)
	}
	if got := summaries(rep.Failing(GateRemoved)); !strings.Contains(got, "record-removed struct xen_get_dma_buf [all targets]") ||
		!strings.Contains(got, "constant-removed XENMEM_put_dma_buf [all targets]") {
		t.Errorf("-fail-on removed, patched against plain:\n%s", got)
	}
}

func summaries(fs []*Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Summary())
	}
	return strings.Join(s, "\n")
}

// TestBadInput: unreadable trees and trees of the wrong dialect are plain
// errors, never panics.
func TestBadInput(t *testing.T) {
	broken := fstest.MapFS{
		"xen.h":        {Data: []byte("struct a { int x; };\nstruct b { struct nope n; };\n")},
		"xen-compat.h": {Data: []byte("#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040700\n")},
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")
	tests := []struct {
		name string
		cfg  parser.Config
		want string
		is   error
	}{
		{"no such tree", parser.Config{Tree: os.DirFS(missing), TreeName: missing, Dialect: parser.XenDialect},
			"does not look like the Xen dialect: no xen.h", parser.ErrDialect},
		{"xen tree as linux", parser.Config{Tree: os.DirFS(xenTree(t)), TreeName: "xen", Dialect: parser.LinuxDialect},
			"tree xen does not look like the Linux dialect: no include/xen/interface/xen.h (it has xen.h: the Xen dialect?)", parser.ErrDialect},
		{"linux tree as xen", parser.Config{Tree: os.DirFS(linuxTree(t, "6.1")), TreeName: "linux", Dialect: parser.XenDialect},
			"tree linux does not look like the Xen dialect: no xen.h (it has include/xen/interface/xen.h: the Linux dialect?)", parser.ErrDialect},
		{"missing header", parser.Config{Tree: os.DirFS(linuxTree(t, "6.1")), TreeName: "linux", Dialect: parser.LinuxDialect, Includes: []string{"no_such.h"}},
			"linux/include/xen/interface/no_such.h: file does not exist", os.ErrNotExist},
		{"broken header", parser.Config{Tree: broken, TreeName: "broken"}, "broken/xen.h:2:", nil},
	}
	for _, tt := range tests {
		tt.cfg.Mode = parser.Guest
		tree, err := Load(tt.cfg, parser.Targets)
		if err == nil {
			t.Errorf("%s: loaded %d layouts, want an error", tt.name, len(tree.Layouts))
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	a := load(t, xenTree(t), "xen", parser.XenDialect, parser.Guest, false)
	b := *a
	b.Targets = x86
	if _, err := Diff(a, &b); err == nil {
		t.Error("Diff of trees loaded for other targets: no error")
	}
}

func TestFamilies(t *testing.T) {
	c := func(name string, num int64) constant {
		return constant{name: name, num: num, isNum: true}
	}
	cs := []constant{
		c("XENMEM_increase_reservation", 0), c("XENMEM_decrease_reservation", 1),
		c("XENMEM_get_pod_target", 17), c("XENMEM_get_vnumainfo", 26),
		c("XENMEM_paging_op", 20), c("XENMEM_paging_op_nominate", 0), c("XENMEM_paging_op_evict", 1),
		c("XENMEM_sharing_op", 22), c("XENMEM_sharing_op_fork", 9), c("XENMEM_sharing_op_fork_reset", 10),
		c("XENMEM_sharing_op_nominate_gfn", 0),
		c("XENMEM_resource_ioreq_server", 0), c("XENMEM_resource_grant_table", 1), c("XENMEM_resource_vmtrace_buf", 2),
		c("XENMEM_add_to_physmap", 7), c("XENMEM_add_to_physmap_batch", 23),
		c("XENMEM_RDM_ALL", 1), c("__HYPERVISOR_set_trap_table", 0),
	}
	f := newFamilies(cs)
	tests := []struct{ name, family string }{
		{"XENMEM_get_dma_buf", "XENMEM_"},          // XENMEM_get_ continues XENMEM_'s numbers
		{"XENMEM_add_to_physmap_range", "XENMEM_"}, // so does XENMEM_add_to_physmap_
		{"XENMEM_paging_op_prep", "XENMEM_paging_op_"},
		{"XENMEM_sharing_op_fork_reset", "XENMEM_sharing_op_"},
		{"XENMEM_resource_foo", "XENMEM_resource_"},
		{"XENMEM_RDM_ALL", ""},          // a flag, no command
		{"XEN_DOMCTL_ALTP2M_mixed", ""}, // a member's value, no command
		{"__HYPERVISOR_foo", "__HYPERVISOR_"},
		{"DOMID", ""},
	}
	for _, tt := range tests {
		if got := f.of(tt.name); got != tt.family {
			t.Errorf("family of %s: %q, want %q", tt.name, got, tt.family)
		}
	}
}
