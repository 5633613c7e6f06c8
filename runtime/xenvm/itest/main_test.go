//go:build xenvm

package itest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// vm is what the harness set up, read from its XENVM_ variables (see the
// package documentation).
var vm struct {
	arch    string // x86_64, arm64 or arm32
	machine string // the harness's name of the machine, "x86_64-4.20"
	// xenMajor and xenMinor are the release Xen must report
	// (XENVER_version), xenExtra its extra version (XENVER_extraversion).
	xenMajor, xenMinor uint64
	xenExtra           string
	xenCmdline         string // Xen's command line
	// dom0Pages and dom0MaxPages are dom0_mem and its maximum in 4 KiB
	// pages; dom0MiB and dom0MaxMiB the same in MiB, for messages.
	dom0Pages, dom0MaxPages uint64
	dom0MiB, dom0MaxMiB     uint64
	// ramBase and ramEnd bound the machine's RAM (QEMU's -m).
	ramBase, ramEnd uint64
	cpus            uint64 // the machine's processors (QEMU's -smp)
	capability      string // the word XENVER_capabilities must hold
	tools           string // the directory holding xeninfo-GOARCH
	facts           xenFacts
}

// xenFacts is what Xen 4.17 (Debian's build, as the harness boots it) does
// differently on each architecture, for the tests to assert exactly.
type xenFacts struct {
	// grantV2: dom0 may switch its grant table to version 2. Xen allows
	// GNTTABOP_set_version(2) only for a domain whose max_version is 2;
	// gnttab_max_version defaults to 2 on x86 and 1 on Arm, and there
	// set_version(2) fails with ENOSYS, "as before set_version was
	// introduced" (common/grant_table.c).
	grantV2 bool
	// untouchedFault: Xen fails with EFAULT a hypercall that writes to a
	// buffer mapped but never written. On Arm Xen translates the guest's
	// address with the MMU's own walk and never lets the guest fault a
	// page in: a page Linux keeps old or clean (so that its first access
	// or write traps to Linux) cannot be written. On x86 Xen walks the PV
	// dom0's page tables, where /dev/xen/hypercall's pages are mapped
	// writable at mmap time.
	untouchedFault bool
	// directMapped: dom0's guest frames are machine frames. Arm's dom0 is
	// mapped 1:1 (RAM, and the host's MMIO too, which can lie far above
	// RAM); the x86 PV dom0 numbers its pseudo-physical frames from 0.
	directMapped bool
	// ipaBits bounds the guest-physical address space on Arm: 40 bits
	// with LPAE on arm32, 48 at most on arm64.
	ipaBits int
	// vcpuOpLimited: Arm's vcpu_op accepts only
	// VCPUOP_register_vcpu_info and VCPUOP_register_runstate_memory_area
	// (do_arm_vcpu_op) and answers EINVAL to the rest.
	vcpuOpLimited bool
}

var facts = map[string]xenFacts{
	"x86_64": {grantV2: true},
	"arm64":  {untouchedFault: true, directMapped: true, ipaBits: 48, vcpuOpLimited: true},
	"arm32":  {untouchedFault: true, directMapped: true, ipaBits: 40, vcpuOpLimited: true},
}

// pageSize is Xen's page size on every architecture it runs on here.
const pageSize = 4096

func TestMain(m *testing.M) {
	if err := readEnv(); err != nil {
		fmt.Fprintf(os.Stderr, "itest: %v\nitest: these tests run in dom0 of a Xen booted by runtime/xenvm (go run ./cmd/xenvm), not here\n", err)
		os.Exit(2)
	}
	fmt.Printf("itest: GOARCH=%s (%d-bit process) in dom0 of Xen %d.%d on %s\n", runtime.GOARCH, 8*unsafe.Sizeof(uintptr(0)), vm.xenMajor, vm.xenMinor, vm.arch)
	os.Exit(m.Run())
}

// readEnv fills vm from the environment /init sets.
func readEnv() error {
	str := func(k string) (string, error) {
		v := os.Getenv(k)
		if v == "" {
			return "", fmt.Errorf("%s is not set", k)
		}
		return v, nil
	}
	num := func(k string) (uint64, error) {
		v, err := str(k)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", k, err)
		}
		return n, nil
	}
	var err error
	if vm.arch, err = str("XENVM_ARCH"); err != nil {
		return err
	}
	if vm.machine, err = str("XENVM_MACHINE"); err != nil {
		return err
	}
	rel, err := str("XENVM_XEN_VERSION")
	if err != nil {
		return err
	}
	if _, err := fmt.Sscanf(rel, "%d.%d", &vm.xenMajor, &vm.xenMinor); err != nil {
		return fmt.Errorf("XENVM_XEN_VERSION=%q: %w", rel, err)
	}
	if vm.xenExtra, err = str("XENVM_XEN_EXTRAVERSION"); err != nil {
		return err
	}
	var ok bool
	if vm.facts, ok = facts[vm.arch]; !ok {
		return fmt.Errorf("XENVM_ARCH=%q: not an architecture these tests know", vm.arch)
	}
	if vm.xenCmdline, err = str("XENVM_XEN_CMDLINE"); err != nil {
		return err
	}
	if vm.capability, err = str("XENVM_CAPABILITY"); err != nil {
		return err
	}
	if vm.tools, err = str("XENVM_TOOLS"); err != nil {
		return err
	}
	if vm.dom0MiB, err = num("XENVM_DOM0_MIB"); err != nil {
		return err
	}
	if vm.dom0MaxMiB, err = num("XENVM_DOM0_MAX_MIB"); err != nil {
		return err
	}
	if vm.ramBase, err = num("XENVM_RAM_BASE"); err != nil {
		return err
	}
	if vm.cpus, err = num("XENVM_CPUS"); err != nil {
		return err
	}
	ramMiB, err := num("XENVM_RAM_MIB")
	if err != nil {
		return err
	}
	vm.dom0Pages = vm.dom0MiB << 20 / pageSize
	vm.dom0MaxPages = vm.dom0MaxMiB << 20 / pageSize
	vm.ramEnd = vm.ramBase + ramMiB<<20
	return nil
}

// compat32 reports whether this is a 32-bit process on a 64-bit kernel,
// which privcmd cannot serve (TestCompat32).
func compat32() bool {
	return unsafe.Sizeof(uintptr(0)) == 4 && (vm.arch == "x86_64" || vm.arch == "arm64")
}

// dom0Mem describes dom0_mem as the harness set it, for messages.
func dom0Mem() string {
	if vm.dom0MaxMiB == vm.dom0MiB {
		return fmt.Sprintf("dom0_mem=%dM", vm.dom0MiB)
	}
	return fmt.Sprintf("dom0_mem=%dM,max:%dM", vm.dom0MiB, vm.dom0MaxMiB)
}

// expect reports got != want as a wrong answer from call (the Go wrapper
// and its arguments) for cmd (the C command), saying why want is right.
func expect[T comparable](t *testing.T, call, cmd string, got, want T, why string) bool {
	t.Helper()
	if got != want {
		t.Errorf("%s [%s] = %v, want %v: %s", call, cmd, got, want, why)
		return false
	}
	return true
}

// must fails the test when call [cmd] failed, which it should not.
func must(t *testing.T, call, cmd string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s [%s] failed: %v", call, cmd, err)
	}
}

// hasWord reports whether the space-separated list s holds w.
func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
