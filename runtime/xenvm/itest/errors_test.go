//go:build xenvm

package itest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// TestUnknownCommand checks that Xen answers a command it does not have
// with ENOSYS, through the generated raw functions and the runtime.
func TestUnknownCommand(t *testing.T) {
	c := caller(t)
	for _, u := range []struct {
		call string
		do   func() (uint64, error)
	}{
		// memory_op's command is its low 6 bits (MEMOP_CMD_MASK); 63 is
		// unassigned.
		{"HypervisorMemoryOp(c, 63, 0)", func() (uint64, error) { return xen.HypervisorMemoryOp(c, 63, 0) }},
		{"HypervisorXenVersion(c, 1000, 0)", func() (uint64, error) { return xen.HypervisorXenVersion(c, 1000, 0) }},
		{"HypervisorGrantTableOp(c, 1000, 0, 0)", func() (uint64, error) { return xen.HypervisorGrantTableOp(c, 1000, 0, 0) }},
		// Hypercall 63 is below NR_hypercalls (64) and unassigned.
		{"c.Call(63, {})", func() (uint64, error) { return c.Call(63, [5]uint64{}) }},
	} {
		r, err := u.do()
		t.Logf("%s: %d, %v", u.call, r, err)
		if !errors.Is(err, hypercall.ENOSYS) {
			t.Errorf("%s = %d, %v; want ENOSYS: Xen has no such command", u.call, r, err)
		}
	}
}

// TestNoSuchDomain asks about domains that do not exist: an id never used
// (12345) and the highest ordinary id, DOMID_FIRST_RESERVED-1. Xen looks
// the domain up first (rcu_lock_domain_by_any_id) and fails with ESRCH;
// GNTTABOP_query_size instead succeeds and puts GNTST_bad_domain in the
// argument's status, which the wrapper returns as its error.
func TestNoSuchDomain(t *testing.T) {
	c := caller(t)
	for _, dom := range []xen.DomID{12345, xen.DOMID_FIRST_RESERVED - 1} {
		d := fmt.Sprintf("%d", dom)
		for _, q := range []struct {
			call, cmd string
			do        func() error
		}{
			{"XenmemCurrentReservation(c, " + d + ")", "XENMEM_current_reservation",
				func() error { _, err := xen.XenmemCurrentReservation(c, dom); return err }},
			{"XenmemMaximumReservation(c, " + d + ")", "XENMEM_maximum_reservation",
				func() error { _, err := xen.XenmemMaximumReservation(c, dom); return err }},
			{"XenmemMaximumGPFN(c, " + d + ")", "XENMEM_maximum_gpfn",
				func() error { _, err := xen.XenmemMaximumGPFN(c, dom); return err }},
			{"GnttabopGetVersion(c, " + d + ")", "GNTTABOP_get_version",
				func() error { _, err := xen.GnttabopGetVersion(c, dom); return err }},
		} {
			err := q.do()
			t.Logf("%s: %v", q.call, err)
			if !errors.Is(err, hypercall.ESRCH) || !strings.HasPrefix(err.Error(), q.cmd+": ") {
				t.Errorf("%s [%s] = %v, want %q: no domain %d exists", q.call, q.cmd, err, q.cmd+": "+hypercall.ESRCH.Error(), dom)
			}
		}
		nr, max, err := xen.GnttabopQuerySize(c, dom)
		t.Logf("GnttabopQuerySize(c, %d): %d, %d, %v", dom, nr, max, err)
		if !errors.Is(err, xen.GNTST_bad_domain) {
			t.Errorf("GnttabopQuerySize(c, %d) [GNTTABOP_query_size] = %v, want status GNTST_bad_domain (%q): no domain %d exists", dom, err, xen.GNTST_bad_domain.Error(), dom)
		}
	}
}

// TestValidationBeforeHypercall gives wrappers arguments the headers
// forbid and checks, through a recording Caller around privcmd, that each
// is refused with a *hypercall.ArgError naming the command and the member
// at fault, and that no hypercall was issued. A valid call through the
// same recorder shows the recorder sees hypercalls.
func TestValidationBeforeHypercall(t *testing.T) {
	rec := &recorder{Caller: caller(t)}

	if _, err := xen.XenverVersion(rec); err != nil {
		t.Fatalf("XenverVersion(recorder) [XENVER_version]: %v", err)
	}
	calls := rec.take()
	if len(calls) != 1 || calls[0].op != xen.HYPERVISOR_xen_version || calls[0].args[0] != xen.XENVER_version {
		t.Fatalf("XenverVersion(recorder) issued %v, want one xen_version(XENVER_version): the recorder does not see hypercalls", calls)
	}

	extents := make([]xen.PFN, 4)
	for _, v := range []struct {
		call  string
		do    func() error
		op    string
		field string
		entry int
	}{
		{"XenmemExchange with in 1<<0 pages, out 1<<1", func() error {
			arg := xen.MemoryExchange{}
			arg.In.DomID, arg.Out.DomID = xen.DOMID_SELF, xen.DOMID_SELF
			arg.Out.ExtentOrder = 1
			return xen.XenmemExchange(rec, &arg, extents[0:1], extents[1:2])
		}, "XENMEM_exchange", "out.nr_extents", -1},
		{"XenmemExchange with overlapping extent lists", func() error {
			arg := xen.MemoryExchange{}
			arg.In.DomID, arg.Out.DomID = xen.DOMID_SELF, xen.DOMID_SELF
			return xen.XenmemExchange(rec, &arg, extents[0:2], extents[1:3])
		}, "XENMEM_exchange", "out.extent_start", -1},
		{"XenmemExchange with in.domid != out.domid", func() error {
			arg := xen.MemoryExchange{}
			arg.In.DomID, arg.Out.DomID = xen.DOMID_SELF, 0
			return xen.XenmemExchange(rec, &arg, extents[0:1], extents[1:2])
		}, "XENMEM_exchange", "out.domid", -1},
		{"GnttabopCopy with entry 1's source crossing a page", func() error {
			ops := make([]xen.GnttabCopy, 2)
			ops[0].Len = 100
			ops[1].Source.Offset, ops[1].Len = 4000, 200
			return xen.GnttabopCopy(rec, ops)
		}, "GNTTABOP_copy", "source.offset", 1},
		{"GnttabopCopy with entry 0's dest crossing a page", func() error {
			ops := make([]xen.GnttabCopy, 1)
			ops[0].Dest.Offset, ops[0].Len = 4095, 2
			return xen.GnttabopCopy(rec, ops)
		}, "GNTTABOP_copy", "dest.offset", 0},
		{"XenmemPagingOp with a 100-byte buffer", func() error {
			return xen.XenmemPagingOp(rec, &xen.MemPagingOp{Domain: xen.DOMID_SELF}, make([]uint8, 100))
		}, "XENMEM_paging_op", "buffer", -1},
	} {
		err := v.do()
		t.Logf("%s: %v", v.call, err)
		var ae *hypercall.ArgError
		if !errors.As(err, &ae) {
			t.Errorf("%s = %v, want a *hypercall.ArgError (%s: %s: ...)", v.call, err, v.op, v.field)
		} else if ae.Op != v.op || ae.Field != v.field || ae.Entry != v.entry {
			t.Errorf("%s = ArgError{Op: %q, Field: %q, Entry: %d}, want {%q, %q, %d}", v.call, ae.Op, ae.Field, ae.Entry, v.op, v.field, v.entry)
		}
		if calls := rec.take(); len(calls) != 0 {
			t.Errorf("%s issued %d hypercall(s) (%v), want none: the wrapper must refuse before Xen sees the argument", v.call, len(calls), calls)
		}
	}
}
