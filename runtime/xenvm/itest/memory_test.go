//go:build xenvm

package itest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The XENMEM_* wrappers against dom0's memory as the harness set it
// (dom0_mem) and the machine's (QEMU's -m).

func TestXenmemReservation(t *testing.T) {
	c := caller(t)
	cur, err := xen.XenmemCurrentReservation(c, xen.DOMID_SELF)
	must(t, "XenmemCurrentReservation(c, DOMID_SELF)", "XENMEM_current_reservation", err)
	max, err := xen.XenmemMaximumReservation(c, xen.DOMID_SELF)
	must(t, "XenmemMaximumReservation(c, DOMID_SELF)", "XENMEM_maximum_reservation", err)
	t.Logf("XENMEM_current_reservation(DOMID_SELF): %d pages; XENMEM_maximum_reservation: %d pages (%s)", cur, max, dom0Mem())
	expect(t, "XenmemCurrentReservation(c, DOMID_SELF)", "XENMEM_current_reservation", cur, vm.dom0Pages,
		fmt.Sprintf("%s gives dom0 %d MiB, %d pages of 4 KiB", dom0Mem(), vm.dom0MiB, vm.dom0Pages))
	expect(t, "XenmemMaximumReservation(c, DOMID_SELF)", "XENMEM_maximum_reservation", max, vm.dom0MaxPages,
		fmt.Sprintf("%s caps dom0 at %d MiB, %d pages of 4 KiB", dom0Mem(), vm.dom0MaxMiB, vm.dom0MaxPages))

	// DOMID_SELF and dom0's own id name the same domain.
	cur0, err := xen.XenmemCurrentReservation(c, 0)
	must(t, "XenmemCurrentReservation(c, 0)", "XENMEM_current_reservation", err)
	expect(t, "XenmemCurrentReservation(c, 0)", "XENMEM_current_reservation", cur0, cur, "domain 0 is DOMID_SELF here")
}

func TestXenmemMaximumRAMPage(t *testing.T) {
	c := caller(t)
	top, err := xen.XenmemMaximumRAMPage(c)
	must(t, "XenmemMaximumRAMPage(c)", "XENMEM_maximum_ram_page", err)
	// Xen returns max_page, one past the highest RAM frame. The machine's
	// RAM ends at ramEnd; firmware may keep its last pages (QEMU's PC
	// reserves 128 KiB there), so allow up to 1 MiB below.
	end := vm.ramEnd / pageSize
	const slack = 1 << 20 / pageSize
	t.Logf("XENMEM_maximum_ram_page: %#x (RAM ends at frame %#x)", top, end)
	if top > end || top < end-slack {
		t.Errorf("XenmemMaximumRAMPage(c) [XENMEM_maximum_ram_page] = %#x, want within 1 MiB below %#x: the machine's RAM is %d MiB at %#x",
			top, end, (vm.ramEnd-vm.ramBase)>>20, vm.ramBase)
	}
}

func TestXenmemMaximumGPFN(t *testing.T) {
	c := caller(t)
	gpfn, err := xen.XenmemMaximumGPFN(c, xen.DOMID_SELF)
	must(t, "XenmemMaximumGPFN(c, DOMID_SELF)", "XENMEM_maximum_gpfn", err)
	cur, err := xen.XenmemCurrentReservation(c, xen.DOMID_SELF)
	must(t, "XenmemCurrentReservation(c, DOMID_SELF)", "XENMEM_current_reservation", err)
	t.Logf("XENMEM_maximum_gpfn(DOMID_SELF): %#x", gpfn)
	var lo, hi uint64
	var why string
	if vm.facts.directMapped {
		// dom0's RAM lies 1:1 inside the machine's, so its top frame is at
		// least RAM's first frame plus dom0's pages; device memory mapped
		// above stays inside the guest-physical address space.
		lo = vm.ramBase/pageSize + cur - 1
		hi = 1<<(vm.facts.ipaBits-12) - 1
		why = fmt.Sprintf("Arm's dom0 is mapped 1:1: its %d pages lie in RAM from %#x, and nothing lies past the %d-bit guest-physical space", cur, vm.ramBase, vm.facts.ipaBits)
	} else {
		// The PV dom0's pseudo-physical frames count from 0 and cover its
		// pages, plus the first MiB's holes it keeps, up to its maximum.
		lo = cur - 1
		hi = vm.dom0MaxPages + 1<<20/pageSize - 1
		why = fmt.Sprintf("the PV dom0 numbers its %d pages from 0, and may hold at most %d pages plus the first MiB", cur, vm.dom0MaxPages)
	}
	if gpfn < lo || gpfn > hi {
		t.Errorf("XenmemMaximumGPFN(c, DOMID_SELF) [XENMEM_maximum_gpfn] = %#x, want %#x to %#x: %s", gpfn, lo, hi, why)
	}
	self, err := xen.XenmemMaximumGPFN(c, 0)
	must(t, "XenmemMaximumGPFN(c, 0)", "XENMEM_maximum_gpfn", err)
	expect(t, "XenmemMaximumGPFN(c, 0)", "XENMEM_maximum_gpfn", self, gpfn, "domain 0 is DOMID_SELF here")
}

// TestXenmemSharingCounters checks the memory-sharing counters. memory.h
// says of both "the call never fails", and with nothing shared (no HVM
// guest exists) both are 0. Xen gets there two ways: on x86,
// mem_sharing_get_nr_saved_mfns and _shared_mfns are stubs returning 0 in
// a build without CONFIG_MEM_SHARING (Debian's, see its
// boot/xen-4.17-amd64.config); Arm's arch_memory_op answers both with 0
// ("memsharing not working yet").
func TestXenmemSharingCounters(t *testing.T) {
	c := caller(t)
	freed, err := xen.XenmemGetSharingFreedPages(c)
	must(t, "XenmemGetSharingFreedPages(c)", "XENMEM_get_sharing_freed_pages", err)
	shared, err := xen.XenmemGetSharingSharedPages(c)
	must(t, "XenmemGetSharingSharedPages(c)", "XENMEM_get_sharing_shared_pages", err)
	t.Logf("XENMEM_get_sharing_freed_pages: %d; XENMEM_get_sharing_shared_pages: %d", freed, shared)
	expect(t, "XenmemGetSharingFreedPages(c)", "XENMEM_get_sharing_freed_pages", freed, 0, "nothing is shared")
	expect(t, "XenmemGetSharingSharedPages(c)", "XENMEM_get_sharing_shared_pages", shared, 0, "nothing is shared")
}

// TestXenmemSharingOps checks what each XENMEM_sharing_op sub-command
// gives on these dom0s: ENOSYS, from every one, on every architecture.
// Memory sharing is for HVM guests with HAP, and Xen compiles
// XENMEM_sharing_op in only with CONFIG_MEM_SHARING, which Debian's x86
// build leaves out, so the command falls to subarch_memory_op's default,
// -ENOSYS. On Arm arch_memory_op knows no XENMEM_sharing_op at all:
// -ENOSYS again. In particular no call gets as far as a handle check, so
// none may come back as XENMEM_SHARING_OP_S_HANDLE_INVALID or
// _C_HANDLE_INVALID.
func TestXenmemSharingOps(t *testing.T) {
	c := caller(t)
	const self = xen.DOMID_SELF
	for _, s := range []struct {
		call, cmd string
		do        func() error
	}{
		{"XenmemSharingOpNominateGFN(c, DOMID_SELF, 0)", "XENMEM_sharing_op_nominate_gfn",
			func() error { _, err := xen.XenmemSharingOpNominateGFN(c, self, 0); return err }},
		{"XenmemSharingOpNominateGRef(c, DOMID_SELF, 0)", "XENMEM_sharing_op_nominate_gref",
			func() error { _, err := xen.XenmemSharingOpNominateGRef(c, self, 0); return err }},
		{"XenmemSharingOpShare(c, DOMID_SELF, 0, 1, DOMID_SELF, 1, 2)", "XENMEM_sharing_op_share",
			func() error { return xen.XenmemSharingOpShare(c, self, 0, 1, self, 1, 2) }},
		{"XenmemSharingOpShareGRefs(c, DOMID_SELF, 0, 1, DOMID_SELF, 1, 2)", "XENMEM_sharing_op_share",
			func() error { return xen.XenmemSharingOpShareGRefs(c, self, 0, 1, self, 1, 2) }},
		{"XenmemSharingOpAddPhysmap(c, DOMID_SELF, 0, 1, DOMID_SELF, 1)", "XENMEM_sharing_op_add_physmap",
			func() error { return xen.XenmemSharingOpAddPhysmap(c, self, 0, 1, self, 1) }},
		{"XenmemSharingOpDebugGFN(c, DOMID_SELF, 0)", "XENMEM_sharing_op_debug_gfn",
			func() error { _, err := xen.XenmemSharingOpDebugGFN(c, self, 0); return err }},
		{"XenmemSharingOpDebugMFN(c, DOMID_SELF, 0)", "XENMEM_sharing_op_debug_mfn",
			func() error { _, err := xen.XenmemSharingOpDebugMFN(c, self, 0); return err }},
		{"XenmemSharingOpDebugGRef(c, DOMID_SELF, 0)", "XENMEM_sharing_op_debug_gref",
			func() error { _, err := xen.XenmemSharingOpDebugGRef(c, self, 0); return err }},
		{"XenmemSharingOpAudit(c)", "XENMEM_sharing_op_audit",
			func() error { _, err := xen.XenmemSharingOpAudit(c); return err }},
		{"XenmemSharingOpRangeShare(c, DOMID_SELF, DOMID_SELF, 0, 1)", "XENMEM_sharing_op_range_share",
			func() error { return xen.XenmemSharingOpRangeShare(c, self, self, 0, 1) }},
		{"XenmemSharingOpFork(c, DOMID_SELF, 0, 0)", "XENMEM_sharing_op_fork",
			func() error { return xen.XenmemSharingOpFork(c, self, 0, 0) }},
		{"XenmemSharingOpForkReset(c, DOMID_SELF, 0)", "XENMEM_sharing_op_fork_reset",
			func() error { return xen.XenmemSharingOpForkReset(c, self, 0) }},
		{"XenmemSharingOp(c, &{Op: XENMEM_sharing_op_audit})", "XENMEM_sharing_op",
			func() error {
				_, err := xen.XenmemSharingOp(c, &xen.MemSharingOp{Op: xen.XENMEM_sharing_op_audit})
				return err
			}},
	} {
		err := s.do()
		t.Logf("%s: %v", s.call, err)
		if !errors.Is(err, hypercall.ENOSYS) {
			t.Errorf("%s [%s] = %v, want ENOSYS: XENMEM_sharing_op is not compiled into Xen on %s", s.call, s.cmd, err, vm.arch)
		}
		if errors.Is(err, xen.ErrSharingOpSHandleInvalid) || errors.Is(err, xen.ErrSharingOpCHandleInvalid) {
			t.Errorf("%s [%s] = %v: a handle error from a command Xen does not implement", s.call, s.cmd, err)
		}
	}
}

// The machine's memory map: on x86 Xen reports its number of entries for
// an empty buffer and then fills a buffer of that many, the wrapper adding
// the one entry Xen needs besides; without it Xen refuses the same buffer.
// Arm's Xen has neither memory map.
func TestXenmemMachineMemoryMap(t *testing.T) {
	c := caller(t)
	var m xen.MemoryMap
	err := xen.XenmemMachineMemoryMap(c, &m, nil)
	if vm.arch != "x86_64" {
		if !errors.Is(err, hypercall.ENOSYS) {
			t.Errorf("XenmemMachineMemoryMap(c, &m, nil) [XENMEM_machine_memory_map] = %v, want ENOSYS: Xen on %s has no machine memory map", err, vm.arch)
		}
		return
	}
	must(t, "XenmemMachineMemoryMap(c, &m, nil)", "XENMEM_machine_memory_map", err)
	n := m.NrEntries
	if n == 0 {
		t.Fatalf("XenmemMachineMemoryMap(c, &m, nil) [XENMEM_machine_memory_map]: 0 entries")
	}
	entries := make([]xen.E820Entry, n)
	must(t, "XenmemMachineMemoryMap(c, &m, entries)", "XENMEM_machine_memory_map", xen.XenmemMachineMemoryMap(c, &m, entries))
	expect(t, "XenmemMachineMemoryMap(c, &m, entries)", "XENMEM_machine_memory_map", m.NrEntries, n, "the entries Xen counted")
	var ramTop, prevEnd uint64
	for i, e := range entries[:m.NrEntries] {
		t.Logf("entry %d: %#012x-%#012x type %d", i, e.Addr(), e.Addr()+e.Size()-1, e.Type())
		if e.Size() == 0 || e.Addr() < prevEnd || e.Type() < 1 || e.Type() > 5 && e.Type() != 7 {
			t.Errorf("entry %d: %#x+%#x type %d: not a sorted e820 entry of a known type", i, e.Addr(), e.Size(), e.Type())
		}
		prevEnd = e.Addr() + e.Size()
		if e.Type() == 1 {
			ramTop = max(ramTop, e.Addr()+e.Size())
		}
	}
	// QEMU's PC keeps up to 128 KiB at the top of RAM for its firmware.
	if ramTop > vm.ramEnd || ramTop < vm.ramEnd-1<<20 {
		t.Errorf("XenmemMachineMemoryMap: RAM (type 1) ends at %#x, want within 1 MiB below %#x, the end of the machine's %d MiB", ramTop, vm.ramEnd, (vm.ramEnd-vm.ramBase)>>20)
	}

	// The same call without the wrapper's room for one entry more.
	a := hypercall.NewArena(c)
	defer a.Release()
	p, addr := hypercall.Value(&a, &xen.MemoryMap{})
	_, bufAddr := hypercall.Slice(&a, make([]xen.E820Entry, n), false)
	p.NrEntries = n
	p.Buffer.Set(bufAddr)
	must(t, "arena", "XENMEM_machine_memory_map", a.Err())
	_, err = xen.HypervisorMemoryOp(c, xen.XENMEM_machine_memory_map, addr)
	if !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("HypervisorMemoryOp(XENMEM_machine_memory_map) with room for exactly its %d entries = %v, want EINVAL (Xen needs one more)", n, err)
	}

	// The PV dom0's own (pseudo-physical) map, as far as Xen has one.
	own := make([]xen.E820Entry, 128)
	var om xen.MemoryMap
	err = xen.XenmemMemoryMap(c, &om, own)
	t.Logf("XenmemMemoryMap(c, &m, 128 entries): %d entries, %v", om.NrEntries, err)
}
