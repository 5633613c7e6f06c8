package xen_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// fakePrivcmd is a privcmd Device whose kernel is a function: buffers are
// real locked memory from the Device's pool, the ioctl answers 131072
// pages and leaves statuses at GNTST_okay.
func fakePrivcmd(tb testing.TB) *privcmd.Device {
	tb.Helper()
	d, err := privcmd.NewFake(func(op uint64, args [5]uint64) (uintptr, unix.Errno) {
		if op == xen.HYPERVISOR_memory_op && (args[0] == xen.XENMEM_current_reservation || args[0] == xen.XENMEM_maximum_ram_page) {
			return 131072, 0
		}
		return 0, 0
	})
	if err != nil {
		tb.Skipf("no locked memory for a fake privcmd: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// TestWrappersDoNotAllocatePrivcmd checks the same calls as
// TestWrappersDoNotAllocate through a privcmd Device.
func TestWrappersDoNotAllocatePrivcmd(t *testing.T) {
	d := fakePrivcmd(t)
	for _, tc := range allocCases(d) {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = tc.call() }); n != tc.heap {
			t.Errorf("%s allocates %v times per call, want %v", tc.name, n, tc.heap)
		}
	}
}

// BenchmarkXenmemCurrentReservationPrivcmd measures the typed wrapper
// through a privcmd Device with a fake ioctl.
func BenchmarkXenmemCurrentReservationPrivcmd(b *testing.B) {
	d := fakePrivcmd(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.XenmemCurrentReservation(d, xen.DOMID_SELF); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGnttabopQuerySizePrivcmd is the same for GNTTABOP_query_size.
func BenchmarkGnttabopQuerySizePrivcmd(b *testing.B) {
	d := fakePrivcmd(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := xen.GnttabopQuerySize(d, xen.DOMID_SELF); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXenSysctlGetdomaininfolistPrivcmd measures a list command (a
// 16-entry slice bounced through a hypervisor buffer) through a privcmd
// Device with a fake ioctl.
func BenchmarkXenSysctlGetdomaininfolistPrivcmd(b *testing.B) {
	d := fakePrivcmd(b)
	infos := make([]xen.DomctlGetdomaininfo, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.XenSysctlGetdomaininfolist(d, 0, infos); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvtchnopStatusPrivcmd is the same for an event channel command.
func BenchmarkEvtchnopStatusPrivcmd(b *testing.B) {
	d := fakePrivcmd(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xen.EvtchnopStatus(d, xen.DOMID_SELF, 1); err != nil {
			b.Fatal(err)
		}
	}
}
