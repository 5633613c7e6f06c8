package xen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// batchCase is a grant-table command that takes a batch: run fills one
// IN member of each entry from in, issues the command, and returns one
// OUT member of each entry (nil if it has none).
type batchCase struct {
	name   string
	cmd    uint64
	record string
	in     string // the C member run sets
	out    string // the C member the hypervisor writes, or ""
	status bool   // the struct has a status member
	run    func(c hypercall.Caller, in []uint64) ([]uint64, error)
}

var batchCases = []batchCase{
	{"GnttabopMapGrantRef", xen.GNTTABOP_map_grant_ref, "struct gnttab_map_grant_ref", "ref", "handle", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabMapGrantRef, len(in))
			for i := range ops {
				ops[i].Ref = xen.GrantRef(in[i])
				ops[i].Dom = 7
				ops[i].Flags = uint32(xen.GNTMAP_host_map)
			}
			err := xen.GnttabopMapGrantRef(c, ops)
			out := make([]uint64, len(ops))
			for i := range ops {
				out[i] = uint64(ops[i].Handle)
			}
			return out, err
		}},
	{"GnttabopUnmapGrantRef", xen.GNTTABOP_unmap_grant_ref, "struct gnttab_unmap_grant_ref", "handle", "", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabUnmapGrantRef, len(in))
			for i := range ops {
				ops[i].Handle = xen.GrantHandle(in[i])
			}
			return nil, xen.GnttabopUnmapGrantRef(c, ops)
		}},
	{"GnttabopTransfer", xen.GNTTABOP_transfer, "struct gnttab_transfer", "ref", "", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabTransfer, len(in))
			for i := range ops {
				ops[i].Ref = xen.GrantRef(in[i])
			}
			return nil, xen.GnttabopTransfer(c, ops)
		}},
	{"GnttabopCopy", xen.GNTTABOP_copy, "struct gnttab_copy", "len", "", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabCopy, len(in))
			for i := range ops {
				ops[i].Len = uint16(in[i])
				ops[i].Source.Offset = 100
				ops[i].Dest.Offset = 200
			}
			return nil, xen.GnttabopCopy(c, ops)
		}},
	{"GnttabopUnmapAndReplace", xen.GNTTABOP_unmap_and_replace, "struct gnttab_unmap_and_replace", "new_addr", "", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabUnmapAndReplace, len(in))
			for i := range ops {
				ops[i].NewAddr = in[i]
			}
			return nil, xen.GnttabopUnmapAndReplace(c, ops)
		}},
	{"GnttabopSwapGrantRef", xen.GNTTABOP_swap_grant_ref, "struct gnttab_swap_grant_ref", "ref_b", "", true,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabSwapGrantRef, len(in))
			for i := range ops {
				ops[i].RefB = xen.GrantRef(in[i])
			}
			return nil, xen.GnttabopSwapGrantRef(c, ops)
		}},
	{"GnttabopCacheFlush", xen.GNTTABOP_cache_flush, "struct gnttab_cache_flush", "length", "", false,
		func(c hypercall.Caller, in []uint64) ([]uint64, error) {
			ops := make([]xen.GnttabCacheFlush, len(in))
			for i := range ops {
				ops[i].Length = uint16(in[i])
			}
			return nil, xen.GnttabopCacheFlush(c, ops)
		}},
}

// TestGrantBatches checks each batched command: the entries Xen reads (at
// the C offsets, count as the third argument), the members it writes
// copied back, and failed entries reported as a BatchError of GNTST
// values with the header's messages.
func TestGrantBatches(t *testing.T) {
	in := []uint64{21, 22, 23}
	for _, tc := range batchCases {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			size := sizeOf(t, tc.record)
			script(t, hv, xen.HYPERVISOR_grant_table_op, func(args [5]uint64) (uint64, error) {
				if args[0] != tc.cmd || args[2] != uint64(len(in)) {
					t.Errorf("cmd %d count %d, want %d, %d", args[0], args[2], tc.cmd, len(in))
				}
				for i := range in {
					e := at(t, hv, args[1]+uint64(i*size), tc.record)
					if got := e.get(tc.in); got != in[i] {
						t.Errorf("entry %d: %s = %d, want %d", i, tc.in, got, in[i])
					}
					if tc.out != "" {
						e.set(tc.out, 100+uint64(i))
					}
					if tc.status && i == 1 {
						e.set("status", statusWord(xen.GNTST_bad_gntref))
					}
				}
				return 0, nil
			})
			out, err := tc.run(hv, in)
			if tc.out != "" {
				for i, v := range out {
					if v != 100+uint64(i) {
						t.Errorf("entry %d: %s not copied back: %d", i, tc.out, v)
					}
				}
			}
			if !tc.status {
				if err != nil {
					t.Errorf("error %v, want nil", err)
				}
				return
			}
			var be *hypercall.BatchError
			if !errors.As(err, &be) || len(be.Entries) != 1 || be.Entries[0].Index != 1 {
				t.Fatalf("error %v, want a BatchError for entry 1", err)
			}
			if !errors.Is(err, xen.GNTST_bad_gntref) || errors.Is(err, xen.GNTST_bad_domain) {
				t.Errorf("errors.Is does not see entry 1's GNTST_bad_gntref in %v", err)
			}
			if !strings.Contains(err.Error(), "[1] invalid grant reference") {
				t.Errorf("error %q lacks the header's message for entry 1", err)
			}
			// A hypercall that fails as a whole is an error of its own.
			hv.Handle(xen.HYPERVISOR_grant_table_op, func([5]uint64) (uint64, error) { return 0, hypercall.ENOSYS })
			if _, err := tc.run(hv, in); !errors.Is(err, hypercall.ENOSYS) {
				t.Errorf("error %v, want ENOSYS", err)
			}
		})
	}
}

func TestGrantEmptyBatch(t *testing.T) {
	hv := xentest.New()
	if err := xen.GnttabopMapGrantRef(hv, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	noCalls(t, hv)
}

// TestGrantCopyCrossesPage checks that a copy crossing a page, on either
// side, is refused before Xen sees it, naming the entry.
func TestGrantCopyCrossesPage(t *testing.T) {
	tests := []struct {
		name        string
		src, dst, n uint16
		field       string
	}{
		{"source", 4000, 0, 200, "source.offset"},
		{"dest", 0, 4095, 2, "dest.offset"},
		{"both", 4096, 4096, 1, "source.offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hv := xentest.New()
			ops := make([]xen.GnttabCopy, 3)
			ops[2].Source.Offset, ops[2].Dest.Offset, ops[2].Len = tt.src, tt.dst, tt.n
			err := xen.GnttabopCopy(hv, ops)
			wantArgError(t, err, "GNTTABOP_copy", tt.field)
			if ae, ok := err.(*hypercall.ArgError); ok && ae.Entry != 2 {
				t.Errorf("ArgError.Entry = %d, want 2", ae.Entry)
			}
			noCalls(t, hv)
		})
	}
	// Exactly up to the end of the page is allowed.
	hv := xentest.New()
	script(t, hv, xen.HYPERVISOR_grant_table_op, func([5]uint64) (uint64, error) { return 0, nil })
	if err := xen.GnttabopCopy(hv, []xen.GnttabCopy{{Source: xen.GnttabCopyPtr{Offset: 4000}, Dest: xen.GnttabCopyPtr{Offset: 96}, Len: 96}}); err != nil {
		t.Errorf("copy to the end of a page: %v", err)
	}
}

func TestGrantSimulated(t *testing.T) {
	hv := xentest.New(xentest.WithGrantTable(3, 32, 1), xentest.WithMaxGrantVersion(2))
	n, max, err := xen.GnttabopQuerySize(hv, xen.DOMID_SELF)
	if err != nil || n != 3 || max != 32 {
		t.Errorf("GnttabopQuerySize = %d, %d, %v; want 3, 32", n, max, err)
	}
	// An unknown domain comes back in status, as a GNTST error.
	if _, _, err := xen.GnttabopQuerySize(hv, 9); !errors.Is(err, xen.GNTST_bad_domain) || !strings.Contains(err.Error(), "unrecognised domain id") {
		t.Errorf("GnttabopQuerySize(9) error = %v, want GNTST_bad_domain", err)
	}
	if v, err := xen.GnttabopSetVersion(hv, 2); err != nil || v != 2 {
		t.Errorf("GnttabopSetVersion(2) = %d, %v", v, err)
	}
	if v, err := xen.GnttabopGetVersion(hv, xen.DOMID_SELF); err != nil || v != 2 {
		t.Errorf("GnttabopGetVersion = %d, %v; want 2", v, err)
	}
	// Xen writes the version in force back, even when it refuses.
	if v, err := xen.GnttabopSetVersion(hv, 3); !errors.Is(err, hypercall.EINVAL) || v != 2 {
		t.Errorf("GnttabopSetVersion(3) = %d, %v; want 2, EINVAL", v, err)
	}
	if _, err := xen.GnttabopGetVersion(hv, 9); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("GnttabopGetVersion(9) error = %v, want ESRCH", err)
	}
}

// TestGrantFrameLists checks the two single commands with a frame list:
// dom and nr_frames at the C offsets, the frames Xen writes copied back,
// and a failing status returned as a GNTST error.
func TestGrantFrameLists(t *testing.T) {
	tests := []struct {
		name, record string
		cmd          uint64
		elem         int
		run          func(c hypercall.Caller, n int) ([]uint64, error)
	}{
		{"GnttabopSetupTable", "struct gnttab_setup_table", xen.GNTTABOP_setup_table, ulong(), func(c hypercall.Caller, n int) ([]uint64, error) {
			frames := make([]xen.PFN, n)
			err := xen.GnttabopSetupTable(c, 5, frames)
			out := make([]uint64, n)
			for i, f := range frames {
				out[i] = uint64(f)
			}
			return out, err
		}},
		{"GnttabopGetStatusFrames", "struct gnttab_get_status_frames", xen.GNTTABOP_get_status_frames, 8, func(c hypercall.Caller, n int) ([]uint64, error) {
			frames := make([]uint64, n)
			err := xen.GnttabopGetStatusFrames(c, 5, frames)
			return frames, err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			status := uint64(0)
			script(t, hv, xen.HYPERVISOR_grant_table_op, func(args [5]uint64) (uint64, error) {
				if args[0] != tc.cmd || args[2] != 1 {
					t.Errorf("cmd %d count %d, want %d, 1", args[0], args[2], tc.cmd)
				}
				a := at(t, hv, args[1], tc.record)
				if a.get("dom") != 5 || a.get("nr_frames") != 2 {
					t.Errorf("dom %d nr_frames %d, want 5, 2", a.get("dom"), a.get("nr_frames"))
				}
				fl := array(t, hv, a.get("frame_list"), 2, tc.elem)
				fl.set(0, 0x1234)
				fl.set(1, 0x5678)
				a.set("status", status)
				return 0, nil
			})
			frames, err := tc.run(hv, 2)
			if err != nil || frames[0] != 0x1234 || frames[1] != 0x5678 {
				t.Errorf("frames %#x, %v; want 0x1234 0x5678", frames, err)
			}
			status = statusWord(xen.GNTST_permission_denied)
			if _, err := tc.run(hv, 2); !errors.Is(err, xen.GNTST_permission_denied) {
				t.Errorf("error %v, want GNTST_permission_denied", err)
			}
		})
	}
}

func TestGrantDumpTable(t *testing.T) {
	hv := xentest.New()
	script(t, hv, xen.HYPERVISOR_grant_table_op, func(args [5]uint64) (uint64, error) {
		a := at(t, hv, args[1], "struct gnttab_dump_table")
		if args[0] != xen.GNTTABOP_dump_table || a.get("dom") != 3 {
			t.Errorf("cmd %d dom %d, want %d, 3", args[0], a.get("dom"), xen.GNTTABOP_dump_table)
		}
		a.set("status", statusWord(xen.GNTST_bad_domain))
		return 0, nil
	})
	if err := xen.GnttabopDumpTable(hv, 3); !errors.Is(err, xen.GNTST_bad_domain) {
		t.Errorf("GnttabopDumpTable error = %v, want GNTST_bad_domain", err)
	}
}

// statusWord is a GNTST value as the int16_t status member holds it.
func statusWord(s xen.GNTST) uint64 {
	return uint64(uint16(s))
}
