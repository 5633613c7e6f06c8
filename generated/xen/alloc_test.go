package xen_test

import (
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// allocCases are wrapped calls of each shape: a NULL argument, a struct
// built from parameters, a struct copied in and back with a list, a value
// returned, and a batch.
// heapResult is how many allocations receiving a T costs the caller: gc
// puts a variable whose type is aligned above the pointer size on the heap
// ("too aligned for stack"), and on 386 and arm the structs C aligns to 8
// are such (they hold align8 for that alignment). Elsewhere none.
func heapResult[T any]() float64 {
	if unsafe.Alignof(*new(T)) > unsafe.Sizeof(uintptr(0)) {
		return 1
	}
	return 0
}

// allocCases are calls that should not allocate; heap is what the
// caller's temporary for a struct result costs on this GOARCH.
func allocCases(c hypercall.Caller) []struct {
	name string
	call func() error
	heap float64
} {
	res := xen.MemoryReservation{DomID: xen.DOMID_SELF}
	ext := make([]xen.PFN, 16)
	ops := make([]xen.GnttabCopy, 8)
	infos := make([]xen.DomctlGetdomaininfo, 8)
	cfg := xen.DomctlCreatedomain{MaxVCPUs: 1}
	return []struct {
		name string
		call func() error
		heap float64
	}{
		{"XenmemMaximumRAMPage", func() error { _, err := xen.XenmemMaximumRAMPage(c); return err }, 0},
		{"XenmemCurrentReservation", func() error { _, err := xen.XenmemCurrentReservation(c, xen.DOMID_SELF); return err }, 0},
		{"GnttabopQuerySize", func() error { _, _, err := xen.GnttabopQuerySize(c, xen.DOMID_SELF); return err }, 0},
		{"XenverExtraversion", func() error { _, err := xen.XenverExtraversion(c); return err }, 0},
		{"XenmemDecreaseReservation", func() error { _, err := xen.XenmemDecreaseReservation(c, &res, ext); return err }, 0},
		{"GnttabopCopy", func() error { return xen.GnttabopCopy(c, ops) }, 0},
		// The dom0 families: an envelope with a struct returned, a list,
		// a struct copied in and back with the domain returned, members
		// in and out, a struct returned from members.
		{"XenSysctlPhysinfo", func() error { _, err := xen.XenSysctlPhysinfo(c); return err }, heapResult[xen.SysctlPhysinfo]()},
		{"XenDomctlGetdomaininfo", func() error { _, err := xen.XenDomctlGetdomaininfo(c, 0); return err }, heapResult[xen.DomctlGetdomaininfo]()},
		{"XenSysctlGetdomaininfolist", func() error { _, err := xen.XenSysctlGetdomaininfolist(c, 0, infos); return err }, 0},
		{"XenDomctlCreatedomain", func() error { _, err := xen.XenDomctlCreatedomain(c, 0, &cfg); return err }, 0},
		{"EvtchnopAllocUnbound", func() error { _, err := xen.EvtchnopAllocUnbound(c, xen.DOMID_SELF, 0); return err }, 0},
		{"EvtchnopStatus", func() error { _, err := xen.EvtchnopStatus(c, xen.DOMID_SELF, 1); return err }, heapResult[xen.EvtchnStatus]()},
		{"SchedopYield", func() error { return xen.SchedopYield(c) }, 0},
		{"VcpuopIsUp", func() error { _, err := xen.VcpuopIsUp(c, 0); return err }, 0},
	}
}

// TestWrappersDoNotAllocate checks that a wrapped call allocates nothing on
// the Go heap once the Caller's pool is warm, over the test double.
func TestWrappersDoNotAllocate(t *testing.T) {
	hv := xentest.New(xentest.WithoutRecording())
	answer := func(args [5]uint64) (uint64, error) { return 0, nil }
	// The double does not simulate these two; any answer will do.
	hv.Handle(xen.HYPERVISOR_grant_table_op, func(args [5]uint64) (uint64, error) {
		if args[0] == xen.GNTTABOP_query_size {
			return 0, nil
		}
		return answer(args)
	})
	hv.Handle(xen.HYPERVISOR_memory_op, func(args [5]uint64) (uint64, error) {
		if args[0] == xen.XENMEM_current_reservation || args[0] == xen.XENMEM_maximum_ram_page {
			return 131072, nil
		}
		return answer(args)
	})
	// Nor these: the simulation itself allocates (the domain list).
	for _, op := range []uint64{xen.HYPERVISOR_domctl, xen.HYPERVISOR_sysctl, xen.HYPERVISOR_event_channel_op, xen.HYPERVISOR_sched_op, xen.HYPERVISOR_vcpu_op} {
		hv.Handle(op, answer)
	}
	for _, tc := range allocCases(hv) {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = tc.call() }); n != tc.heap {
			t.Errorf("%s allocates %v times per call, want %v", tc.name, n, tc.heap)
		}
	}
}

// BenchmarkXenmemCurrentReservation measures a typed wrapper (a struct
// built in an arena, one hypercall, a result) over the test double.
func BenchmarkXenmemCurrentReservation(b *testing.B) {
	hv := xentest.New(xentest.WithoutRecording())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGnttabopQuerySize is the same for a grant-table command with a
// status.
func BenchmarkGnttabopQuerySize(b *testing.B) {
	hv := xentest.New(xentest.WithoutRecording())
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := xen.GnttabopQuerySize(hv, xen.DOMID_SELF); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXenSysctlPhysinfo measures a sysctl: the envelope filled,
// one hypercall, the payload returned, over the test double's simulation.
func BenchmarkXenSysctlPhysinfo(b *testing.B) {
	hv := xentest.New(xentest.WithoutRecording())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.XenSysctlPhysinfo(hv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXenDomctlGetdomaininfo is the same for a domctl.
func BenchmarkXenDomctlGetdomaininfo(b *testing.B) {
	hv := xentest.New(xentest.WithoutRecording())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.XenDomctlGetdomaininfo(hv, 0); err != nil {
			b.Fatal(err)
		}
	}
}
