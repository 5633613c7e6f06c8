package xen_test

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// Fault injection in the double, through the wrappers: one command fails,
// the hypercall's other commands keep their simulated answers.

func TestFailOneCommand(t *testing.T) {
	hv := xentest.New()
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_maximum_reservation), hypercall.EPERM)

	if _, err := xen.XenmemMaximumReservation(hv, xen.DOMID_SELF); !errors.Is(err, hypercall.EPERM) {
		t.Errorf("XenmemMaximumReservation: err = %v, want EPERM", err)
	}
	if pages, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF); err != nil || pages != 131072 {
		t.Errorf("XenmemCurrentReservation = %d, %v; want the simulated 131072", pages, err)
	}
	if v, err := xen.XenverVersion(hv); err != nil || v.String() != "4.17" {
		t.Errorf("XenverVersion = %v, %v; other hypercalls must be untouched", v, err)
	}

	hv.Fail(xentest.Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_maximum_reservation), nil)
	if pages, err := xen.XenmemMaximumReservation(hv, xen.DOMID_SELF); err != nil || pages != 131072 {
		t.Errorf("after Fail(nil): XenmemMaximumReservation = %d, %v; want the simulation back", pages, err)
	}
}

func TestFailWholeHypercallAndPrecedence(t *testing.T) {
	hv := xentest.New()
	hv.Fail(xentest.Hypercall(xen.HYPERVISOR_xen_version), hypercall.ENOSYS)
	hv.HandleCommand(xentest.Cmd(xen.HYPERVISOR_xen_version, xen.XENVER_pagesize), func([5]uint64) (uint64, error) {
		return 65536, nil
	})
	if _, err := xen.XenverVersion(hv); !errors.Is(err, hypercall.ENOSYS) {
		t.Errorf("XenverVersion: err = %v, want the hypercall's ENOSYS", err)
	}
	if ps, err := xen.XenverPagesize(hv); err != nil || ps != 65536 {
		t.Errorf("XenverPagesize = %d, %v; the command's handler must win over the hypercall's fault", ps, err)
	}
	if _, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF); err != nil {
		t.Errorf("XenmemCurrentReservation: %v; memory_op is not faulted", err)
	}
}

func TestFailStatus(t *testing.T) {
	hv := xentest.New()
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_grant_table_op, xen.GNTTABOP_query_size), xen.GNTST_bad_domain)
	_, _, err := xen.GnttabopQuerySize(hv, xen.DOMID_SELF)
	if !errors.Is(err, xen.GNTST_bad_domain) {
		t.Errorf("GnttabopQuerySize: err = %v, want GNTST_bad_domain", err)
	}
	if v, err := xen.GnttabopGetVersion(hv, xen.DOMID_SELF); err != nil || v != 1 {
		t.Errorf("GnttabopGetVersion = %d, %v; want the simulated 1", v, err)
	}
}

// TestFailSub fails one sub-command: the double reads it from the
// command's structure at the offset the test names.
func TestFailSub(t *testing.T) {
	hv := xentest.New()
	cmd := xentest.Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_current_reservation)
	// struct xen_memory_domain's domid (offset 0, 2 bytes) as the
	// "sub-command": only queries about domain 5 fail.
	hv.Fail(cmd.Sub(0, 2, 5), hypercall.ESRCH)
	hv.Fail(cmd.Sub(0, 2, 6), hypercall.EACCES)
	if _, err := xen.XenmemCurrentReservation(hv, 5); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("domain 5: err = %v, want the injected ESRCH", err)
	}
	if _, err := xen.XenmemCurrentReservation(hv, 6); !errors.Is(err, hypercall.EACCES) {
		t.Errorf("domain 6: err = %v, want the injected EACCES", err)
	}
	if _, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF); err != nil {
		t.Errorf("DOMID_SELF: %v; not the faulted sub-command", err)
	}
}

// statusOf runs GNTTABOP command cmd over a batch of two T under a
// FailStatus fault and returns the status members the double wrote.
func statusOf[T any](t *testing.T, cmd uint64, status func(*T) int16) [2]int16 {
	t.Helper()
	hv := xentest.New()
	hv.FailStatus(xentest.Cmd(xen.HYPERVISOR_grant_table_op, cmd), int16(xen.GNTST_eagain))
	a := hypercall.NewArena(hv)
	defer a.Release()
	ps, addr := hypercall.Slice(&a, make([]T, 2), true)
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	if r, err := xen.HypervisorGrantTableOp(hv, cmd, addr, 2); err != nil || r != 0 {
		t.Fatalf("command %d = %d, %v; a status fault succeeds", cmd, r, err)
	}
	return [2]int16{status(&ps[0]), status(&ps[1])}
}

// TestFailStatusLayouts checks the double's table of status members and
// entry sizes against the generated types (which golden/ checks against
// gcc) on the GOARCH the test runs as: every entry of a batch gets the
// status, in its status member.
func TestFailStatusLayouts(t *testing.T) {
	want := [2]int16{int16(xen.GNTST_eagain), int16(xen.GNTST_eagain)}
	got := map[string][2]int16{
		"map_grant_ref":     statusOf(t, xen.GNTTABOP_map_grant_ref, func(p *xen.GnttabMapGrantRef) int16 { return int16(p.Status) }),
		"unmap_grant_ref":   statusOf(t, xen.GNTTABOP_unmap_grant_ref, func(p *xen.GnttabUnmapGrantRef) int16 { return int16(p.Status) }),
		"setup_table":       statusOf(t, xen.GNTTABOP_setup_table, func(p *xen.GnttabSetupTable) int16 { return int16(p.Status) }),
		"dump_table":        statusOf(t, xen.GNTTABOP_dump_table, func(p *xen.GnttabDumpTable) int16 { return int16(p.Status) }),
		"transfer":          statusOf(t, xen.GNTTABOP_transfer, func(p *xen.GnttabTransfer) int16 { return int16(p.Status) }),
		"copy":              statusOf(t, xen.GNTTABOP_copy, func(p *xen.GnttabCopy) int16 { return int16(p.Status) }),
		"query_size":        statusOf(t, xen.GNTTABOP_query_size, func(p *xen.GnttabQuerySize) int16 { return int16(p.Status) }),
		"unmap_and_replace": statusOf(t, xen.GNTTABOP_unmap_and_replace, func(p *xen.GnttabUnmapAndReplace) int16 { return int16(p.Status) }),
		"get_status_frames": statusOf(t, xen.GNTTABOP_get_status_frames, func(p *xen.GnttabGetStatusFrames) int16 { return int16(p.Status) }),
		"swap_grant_ref":    statusOf(t, xen.GNTTABOP_swap_grant_ref, func(p *xen.GnttabSwapGrantRef) int16 { return int16(p.Status) }),
	}
	for name, g := range got {
		if g != want {
			t.Errorf("GNTTABOP_%s: statuses %v, want %v in both entries", name, g, want)
		}
	}
}

// Members the headers annotate "=> enum grant_status" have the status
// type, so a test compares and injects them without conversions.
var (
	_ xen.GNTST = xen.GnttabQuerySize{}.Status
	_ xen.GNTST = xen.GnttabMapGrantRef{}.Status
	_ xen.GNTST = xen.GnttabSetupTable{}.Status
)
