package dom0_test

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/dom0"
	xen420 "github.com/xenbind/xenbind/generated/xen420"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// TestUnionPassedAsIs: monitor_op's union, which dispatch cannot convert
// member by member, is laid out alike in both releases and reaches the
// hypervisor byte for byte, after op and event, under 4.17 and 4.20.
func TestUnionPassedAsIs(t *testing.T) {
	var req dom0.DomctlMonitorOp
	req.Op, req.Event = 3, 4
	cr := req.U.MovToCR()
	cr.Index, cr.Sync, cr.Onchangeonly = 5, 1, 1
	want := slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&req.U)), unsafe.Sizeof(req.U)))
	off := unsafe.Offsetof(xen420.DomctlMonitorOp{}.U)
	for _, rel := range [][2]uint16{{4, 17}, {4, 20}} {
		restore := dom0.Override(uint32(rel[0]), uint32(rel[1]))
		h := xentest.New(xentest.WithVersion(rel[0], rel[1]))
		_ = dom0.XenDomctlMonitorOp(h, 1, &req) // the double answers ENOSYS
		restore()
		p := lastDomctl(t, h)[envelopePayload:]
		if got := p[off : off+uintptr(len(want))]; !slices.Equal(got, want) {
			t.Errorf("Xen %d.%d: the union reached Xen as %x, want %x", rel[0], rel[1], got, want)
		}
		if p[0] != 3 || p[4] != 4 {
			t.Errorf("Xen %d.%d: op %d event %d, want 3 and 4", rel[0], rel[1], p[0], p[4])
		}
	}
}
