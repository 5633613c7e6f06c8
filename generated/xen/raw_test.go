package xen_test

import (
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// split32 says whether a 64-bit hypercall argument takes two argument
// words: on targets whose registers (and unsigned long) are 32 bits.
var split32 = unsafe.Sizeof(uintptr(0)) == 4

// wide returns the argument words of a 64-bit value v followed by rest.
func wide(v uint64, rest ...uint64) []uint64 {
	if split32 {
		return append([]uint64{v & 0xffffffff, v >> 32}, rest...)
	}
	return append([]uint64{v}, rest...)
}

func words5(ws ...uint64) [5]uint64 {
	var a [5]uint64
	copy(a[:], ws)
	return a
}

// rawCase is one raw hypercall function called with distinct arguments.
type rawCase struct {
	name string
	op   uint64
	call func(c hypercall.Caller) (uint64, error)
	want [5]uint64
}

var rawCases = []rawCase{
	{"HypervisorSetTrapTable", xen.HYPERVISOR_set_trap_table, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSetTrapTable(c, 11) }, words5(11)},
	{"HypervisorMMUUpdate", xen.HYPERVISOR_mmu_update, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorMMUUpdate(c, 11, 12, 13, 14) }, words5(11, 12, 13, 14)},
	{"HypervisorSetGDT", xen.HYPERVISOR_set_gdt, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSetGDT(c, 11, 12) }, words5(11, 12)},
	{"HypervisorStackSwitch", xen.HYPERVISOR_stack_switch, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorStackSwitch(c, 11, 12) }, words5(11, 12)},
	setCallbacksCase,
	{"HypervisorFPUTaskswitch", xen.HYPERVISOR_fpu_taskswitch, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorFPUTaskswitch(c, 1) }, words5(1)},
	{"HypervisorSchedOpCompat", xen.HYPERVISOR_sched_op_compat, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSchedOpCompat(c, 11, 12) }, words5(11, 12)},
	{"HypervisorPlatformOp", xen.HYPERVISOR_platform_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorPlatformOp(c, 11) }, words5(11)},
	{"HypervisorSetDebugreg", xen.HYPERVISOR_set_debugreg, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSetDebugreg(c, 7, 12) }, words5(7, 12)},
	{"HypervisorGetDebugreg", xen.HYPERVISOR_get_debugreg, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorGetDebugreg(c, 7) }, words5(7)},
	{"HypervisorUpdateDescriptor", xen.HYPERVISOR_update_descriptor, func(c hypercall.Caller) (uint64, error) {
		return xen.HypervisorUpdateDescriptor(c, 0x1_0000_0002, 0x3_0000_0004)
	}, words5(append(wide(0x1_0000_0002), wide(0x3_0000_0004)...)...)},
	{"HypervisorMemoryOp", xen.HYPERVISOR_memory_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorMemoryOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorMulticall", xen.HYPERVISOR_multicall, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorMulticall(c, 11, 12) }, words5(11, 12)},
	{"HypervisorUpdateVAMapping", xen.HYPERVISOR_update_va_mapping, func(c hypercall.Caller) (uint64, error) {
		return xen.HypervisorUpdateVAMapping(c, 11, 0x5_0000_0006, 13)
	}, words5(append([]uint64{11}, wide(0x5_0000_0006, 13)...)...)},
	{"HypervisorSetTimerOp", xen.HYPERVISOR_set_timer_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSetTimerOp(c, 0x7_0000_0008) }, words5(wide(0x7_0000_0008)...)},
	{"HypervisorEventChannelOpCompat", xen.HYPERVISOR_event_channel_op_compat, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorEventChannelOpCompat(c, 11) }, words5(11)},
	{"HypervisorXenVersion", xen.HYPERVISOR_xen_version, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorXenVersion(c, 11, 12) }, words5(11, 12)},
	{"HypervisorConsoleIO", xen.HYPERVISOR_console_io, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorConsoleIO(c, 11, 12, 13) }, words5(11, 12, 13)},
	{"HypervisorPhysdevOpCompat", xen.HYPERVISOR_physdev_op_compat, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorPhysdevOpCompat(c, 11) }, words5(11)},
	{"HypervisorGrantTableOp", xen.HYPERVISOR_grant_table_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorGrantTableOp(c, 11, 12, 13) }, words5(11, 12, 13)},
	{"HypervisorVMAssist", xen.HYPERVISOR_vm_assist, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorVMAssist(c, 11, 12) }, words5(11, 12)},
	{"HypervisorUpdateVAMappingOtherdomain", xen.HYPERVISOR_update_va_mapping_otherdomain, func(c hypercall.Caller) (uint64, error) {
		return xen.HypervisorUpdateVAMappingOtherdomain(c, 11, 0x9_0000_000a, 13, 14)
	}, words5(append([]uint64{11}, wide(0x9_0000_000a, 13, 14)...)...)},
	{"HypervisorIret", xen.HYPERVISOR_iret, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorIret(c) }, words5()},
	{"HypervisorVCPUOp", xen.HYPERVISOR_vcpu_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorVCPUOp(c, 11, 12, 13) }, words5(11, 12, 13)},
	{"HypervisorSetSegmentBase", xen.HYPERVISOR_set_segment_base, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSetSegmentBase(c, 11, 12) }, words5(11, 12)},
	{"HypervisorMMUExtOp", xen.HYPERVISOR_mmuext_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorMMUExtOp(c, 11, 12, 13, 14) }, words5(11, 12, 13, 14)},
	{"HypervisorXSMOp", xen.HYPERVISOR_xsm_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorXSMOp(c, 11) }, words5(11)},
	{"HypervisorNMIOp", xen.HYPERVISOR_nmi_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorNMIOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorSchedOp", xen.HYPERVISOR_sched_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSchedOp(c, 11, 12, 13) }, words5(11, 12, 13)},
	{"HypervisorCallbackOp", xen.HYPERVISOR_callback_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorCallbackOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorXenoprofOp", xen.HYPERVISOR_xenoprof_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorXenoprofOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorEventChannelOp", xen.HYPERVISOR_event_channel_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorEventChannelOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorPhysdevOp", xen.HYPERVISOR_physdev_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorPhysdevOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorHVMOp", xen.HYPERVISOR_hvm_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorHVMOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorSysctl", xen.HYPERVISOR_sysctl, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorSysctl(c, 11) }, words5(11)},
	{"HypervisorDomctl", xen.HYPERVISOR_domctl, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorDomctl(c, 11) }, words5(11)},
	{"HypervisorKexecOp", xen.HYPERVISOR_kexec_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorKexecOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorTmemOp", xen.HYPERVISOR_tmem_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorTmemOp(c, 11) }, words5(11)},
	{"HypervisorArgoOp", xen.HYPERVISOR_argo_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArgoOp(c, 11, 12, 13, 14, 15) }, words5(11, 12, 13, 14, 15)},
	{"HypervisorXenpmuOp", xen.HYPERVISOR_xenpmu_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorXenpmuOp(c, 11, 12) }, words5(11, 12)},
	{"HypervisorDMOp", xen.HYPERVISOR_dm_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorDMOp(c, 11, 12, 13) }, words5(11, 12, 13)},
	{"HypervisorHypfsOp", xen.HYPERVISOR_hypfs_op, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorHypfsOp(c, 11, 12, 13, 14, 15) }, words5(11, 12, 13, 14, 15)},
	{"HypervisorArch0", xen.HYPERVISOR_arch_0, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch0(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch1", xen.HYPERVISOR_arch_1, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch1(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch2", xen.HYPERVISOR_arch_2, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch2(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch3", xen.HYPERVISOR_arch_3, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch3(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch4", xen.HYPERVISOR_arch_4, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch4(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch5", xen.HYPERVISOR_arch_5, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch5(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch6", xen.HYPERVISOR_arch_6, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch6(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
	{"HypervisorArch7", xen.HYPERVISOR_arch_7, func(c hypercall.Caller) (uint64, error) { return xen.HypervisorArch7(c, 1, 2, 3, 4, 5) }, words5(1, 2, 3, 4, 5)},
}

// TestRawHypercalls calls every raw function and checks the operation and
// the argument words the hypervisor receives, and that Xen's result and
// errors come back unchanged.
func TestRawHypercalls(t *testing.T) {
	for _, tc := range rawCases {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			var got [5]uint64
			script(t, hv, tc.op, func(args [5]uint64) (uint64, error) {
				got = args
				return 1000 + tc.op, nil
			})
			r, err := tc.call(hv)
			if err != nil || r != 1000+tc.op {
				t.Fatalf("%s = %d, %v; want %d, nil", tc.name, r, err, 1000+tc.op)
			}
			if got != tc.want {
				t.Errorf("%s passed %v, want %v", tc.name, got, tc.want)
			}
			hv.Handle(tc.op, func([5]uint64) (uint64, error) { return 0, hypercall.EPERM })
			if _, err := tc.call(hv); !errors.Is(err, hypercall.EPERM) {
				t.Errorf("%s error = %v, want EPERM", tc.name, err)
			}
		})
	}
}

// generatedFuncs lists the exported functions of the generated call files
// that this GOARCH builds.
func generatedFuncs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("zcalls*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no zcalls*.go: %v", err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if ok, err := build.Default.MatchFile(".", f); err != nil || !ok {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() {
				names = append(names, fd.Name.Name)
			}
		}
	}
	return names
}

// TestEveryWrapperIsTested fails when no test calls (or passes on) a
// generated function: a new command or hypercall needs a test of its own.
func TestEveryWrapperIsTested(t *testing.T) {
	tests, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(b)
	}
	all := text.String()
	for _, name := range generatedFuncs(t) {
		if !regexp.MustCompile(`\bxen\.` + name + `\b`).MatchString(all) {
			t.Errorf("xen.%s is called by no test", name)
		}
	}
}
