package xen_test

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The memory-sharing interface (memory.h's XENMEM_sharing_op, as libxc's
// xc_memshr_* calls use it).

const gref = uint64(xen.XENMEM_SHARING_OP_FIELD_IS_GREF_FLAG)

func TestXenmemSharing(t *testing.T) {
	tests := []struct {
		name   string
		op     uint64
		want   map[string]uint64 // C members of struct xen_mem_sharing_op Xen must see
		write  map[string]uint64 // members Xen writes
		result uint64
		call   func(c hypercall.Caller) (uint64, error)
		wantR  uint64 // what the wrapper returns
	}{
		{"XenmemSharingOpNominateGFN", xen.XENMEM_sharing_op_nominate_gfn,
			map[string]uint64{"domain": 3, "u.nominate.u.gfn": 0x1234},
			map[string]uint64{"u.nominate.handle": 0xfeed}, 0,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpNominateGFN(c, 3, 0x1234) }, 0xfeed},
		{"XenmemSharingOpNominateGRef", xen.XENMEM_sharing_op_nominate_gref,
			map[string]uint64{"domain": 3, "u.nominate.u.grant_ref": 17},
			map[string]uint64{"u.nominate.handle": 0xbeef}, 0,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpNominateGRef(c, 3, 17) }, 0xbeef},
		{"XenmemSharingOpShare", xen.XENMEM_sharing_op_share,
			map[string]uint64{"domain": 3, "u.share.source_gfn": 0x10, "u.share.source_handle": 0x11, "u.share.client_domain": 4, "u.share.client_gfn": 0x20, "u.share.client_handle": 0x21},
			nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpShare(c, 3, 0x10, 0x11, 4, 0x20, 0x21)
			}, 0},
		{"XenmemSharingOpShareGRefs", xen.XENMEM_sharing_op_share,
			map[string]uint64{"domain": 3, "u.share.source_gfn": gref | 7, "u.share.source_handle": 0x11, "u.share.client_domain": 4, "u.share.client_gfn": gref | 8, "u.share.client_handle": 0x21},
			nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpShareGRefs(c, 3, 7, 0x11, 4, 8, 0x21)
			}, 0},
		{"XenmemSharingOpAddPhysmap", xen.XENMEM_sharing_op_add_physmap,
			map[string]uint64{"domain": 3, "u.share.source_gfn": 0x10, "u.share.source_handle": 0x11, "u.share.client_domain": 4, "u.share.client_gfn": 0x20},
			nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpAddPhysmap(c, 3, 0x10, 0x11, 4, 0x20)
			}, 0},
		{"XenmemSharingOpDebugGFN", xen.XENMEM_sharing_op_debug_gfn,
			map[string]uint64{"domain": 3, "u.debug.u.gfn": 0x99}, nil, 2,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpDebugGFN(c, 3, 0x99) }, 2},
		{"XenmemSharingOpDebugMFN", xen.XENMEM_sharing_op_debug_mfn,
			map[string]uint64{"domain": 3, "u.debug.u.mfn": 0x98}, nil, 1,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpDebugMFN(c, 3, 0x98) }, 1},
		{"XenmemSharingOpDebugGRef", xen.XENMEM_sharing_op_debug_gref,
			map[string]uint64{"domain": 3, "u.debug.u.gref": 12}, nil, 3,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpDebugGRef(c, 3, 12) }, 3},
		{"XenmemSharingOpAudit", xen.XENMEM_sharing_op_audit, map[string]uint64{}, nil, 0,
			func(c hypercall.Caller) (uint64, error) { return xen.XenmemSharingOpAudit(c) }, 0},
		{"XenmemSharingOpRangeShare", xen.XENMEM_sharing_op_range_share,
			map[string]uint64{"domain": 3, "u.range.client_domain": 4, "u.range.first_gfn": 0x100, "u.range.last_gfn": 0x1ff, "u.range.opaque": 0}, nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpRangeShare(c, 3, 4, 0x100, 0x1ff)
			}, 0},
		{"XenmemSharingOpFork", xen.XENMEM_sharing_op_fork,
			map[string]uint64{"domain": 5, "u.fork.parent_domain": 3, "u.fork.flags": xen.XENMEM_FORK_BLOCK_INTERRUPTS, "u.fork.pad": 0}, nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpFork(c, 5, 3, xen.XENMEM_FORK_BLOCK_INTERRUPTS)
			}, 0},
		{"XenmemSharingOpForkReset", xen.XENMEM_sharing_op_fork_reset,
			map[string]uint64{"domain": 5, "u.fork.flags": xen.XENMEM_FORK_RESET_MEMORY}, nil, 0,
			func(c hypercall.Caller) (uint64, error) {
				return 0, xen.XenmemSharingOpForkReset(c, 5, xen.XENMEM_FORK_RESET_MEMORY)
			}, 0},
		{"XenmemSharingOp", xen.XENMEM_sharing_op_audit, map[string]uint64{}, nil, 5,
			func(c hypercall.Caller) (uint64, error) {
				arg := xen.MemSharingOp{Op: xen.XENMEM_sharing_op_audit}
				return xen.XenmemSharingOp(c, &arg)
			}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, xen.XENMEM_sharing_op, "struct xen_mem_sharing_op", func(m cmem) (uint64, error) {
				if m.get("op") != tc.op {
					t.Errorf("op %d, want %d", m.get("op"), tc.op)
				}
				for path, want := range tc.want {
					if got := m.get(path); got != want {
						t.Errorf("%s = %#x, want %#x", path, got, want)
					}
				}
				for path, v := range tc.write {
					m.set(path, v)
				}
				return tc.result, nil
			})
			got, err := tc.call(hv)
			if err != nil || got != tc.wantR {
				t.Errorf("%s = %#x, %v; want %#x", tc.name, got, err, tc.wantR)
			}
		})
	}
}

// TestXenmemSharingHandleErrors checks that the sharing-specific codes
// come back as their own errors rather than as the errnos of the same
// numbers (ECHILD, EBADF), and only from the calls that return them.
func TestXenmemSharingHandleErrors(t *testing.T) {
	calls := []struct {
		name string
		call func(c hypercall.Caller) error
	}{
		{"XenmemSharingOpShare", func(c hypercall.Caller) error { return xen.XenmemSharingOpShare(c, 1, 2, 3, 4, 5, 6) }},
		{"XenmemSharingOpShareGRefs", func(c hypercall.Caller) error { return xen.XenmemSharingOpShareGRefs(c, 1, 2, 3, 4, 5, 6) }},
		{"XenmemSharingOpAddPhysmap", func(c hypercall.Caller) error { return xen.XenmemSharingOpAddPhysmap(c, 1, 2, 3, 4, 5) }},
		{"XenmemSharingOp", func(c hypercall.Caller) error {
			_, err := xen.XenmemSharingOp(c, &xen.MemSharingOp{Op: xen.XENMEM_sharing_op_share})
			return err
		}},
	}
	codes := []struct {
		code     int
		want     error
		notWant  error
		wantText string
	}{
		{xen.XENMEM_SHARING_OP_S_HANDLE_INVALID, xen.ErrSharingOpSHandleInvalid, xen.ErrSharingOpCHandleInvalid, "XENMEM_SHARING_OP_S_HANDLE_INVALID: the source handle is not valid"},
		{xen.XENMEM_SHARING_OP_C_HANDLE_INVALID, xen.ErrSharingOpCHandleInvalid, xen.ErrSharingOpSHandleInvalid, "XENMEM_SHARING_OP_C_HANDLE_INVALID: the client handle (or the client's physmap entry) is not valid"},
	}
	for _, c := range calls {
		for _, code := range codes {
			hv := xentest.New()
			hv.Handle(xen.HYPERVISOR_memory_op, func([5]uint64) (uint64, error) { return 0, hypercall.Errno(-code.code) })
			err := c.call(hv)
			if !errors.Is(err, code.want) || errors.Is(err, code.notWant) {
				t.Errorf("%s with %d: error %v, want %v", c.name, code.code, err, code.want)
			}
			var ce *hypercall.CodeError
			if !errors.As(err, &ce) || ce.Error() != code.wantText || ce.Code != code.code {
				t.Errorf("%s with %d: %v is not the CodeError %q", c.name, code.code, err, code.wantText)
			}
			if errors.Is(err, hypercall.Errno(-code.code)) {
				t.Errorf("%s with %d: %v still matches errno %v", c.name, code.code, err, hypercall.Errno(-code.code))
			}
		}
	}
	// Other sub-commands do not report these codes: an errno of the same
	// number is just that errno.
	hv := xentest.New()
	hv.Handle(xen.HYPERVISOR_memory_op, func([5]uint64) (uint64, error) { return 0, hypercall.EBADF })
	if _, err := xen.XenmemSharingOpNominateGFN(hv, 1, 2); !errors.Is(err, hypercall.EBADF) || errors.Is(err, xen.ErrSharingOpCHandleInvalid) {
		t.Errorf("nominate with EBADF: error %v, want EBADF", err)
	}
}
