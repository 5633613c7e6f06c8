package xen_test

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The XENMEM commands with sub-commands, lists of their own, or results
// reported in the argument on failure.

func TestXenmemPaging(t *testing.T) {
	page := make([]uint8, 4096)
	page[4095] = 0x77
	tests := []struct {
		name   string
		op     uint64
		buffer bool
		call   func(c hypercall.Caller) error
	}{
		{"XenmemPagingOpNominate", xen.XENMEM_paging_op_nominate, false, func(c hypercall.Caller) error { return xen.XenmemPagingOpNominate(c, 4, 0x99) }},
		{"XenmemPagingOpEvict", xen.XENMEM_paging_op_evict, false, func(c hypercall.Caller) error { return xen.XenmemPagingOpEvict(c, 4, 0x99) }},
		{"XenmemPagingOpPrep", xen.XENMEM_paging_op_prep, true, func(c hypercall.Caller) error { return xen.XenmemPagingOpPrep(c, 4, 0x99, page) }},
		{"XenmemPagingOp", xen.XENMEM_paging_op_prep, true, func(c hypercall.Caller) error {
			arg := xen.MemPagingOp{Op: xen.XENMEM_paging_op_prep, Domain: 4, GFN: 0x99}
			return xen.XenmemPagingOp(c, &arg, page)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, xen.XENMEM_paging_op, "struct xen_mem_paging_op", func(m cmem) (uint64, error) {
				if m.get("op") != tc.op || m.get("domain") != 4 || m.get("gfn") != 0x99 {
					t.Errorf("op %d domain %d gfn %#x; want %d 4 0x99", m.get("op"), m.get("domain"), m.get("gfn"), tc.op)
				}
				switch b := m.get("buffer"); {
				case !tc.buffer && b != 0:
					t.Errorf("buffer %#x, want NULL", b)
				case tc.buffer && array(t, hv, b, 4096, 1).get(4095) != 0x77:
					t.Errorf("the page's last byte did not reach the hypervisor")
				}
				return 0, nil
			})
			if err := tc.call(hv); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("short page", func(t *testing.T) {
		hv := xentest.New()
		wantArgError(t, xen.XenmemPagingOpPrep(hv, 4, 0x99, make([]uint8, 100)), "XENMEM_paging_op_prep", "buffer")
		wantArgError(t, xen.XenmemPagingOp(hv, &xen.MemPagingOp{}, make([]uint8, 4097)), "XENMEM_paging_op", "buffer")
		noCalls(t, hv)
	})
}

func TestXenmemAccess(t *testing.T) {
	t.Run("XenmemAccessOpSetAccess", func(t *testing.T) {
		hv := xentest.New()
		memoryOp(t, hv, xen.XENMEM_access_op, "struct xen_mem_access_op", func(m cmem) (uint64, error) {
			if m.get("op") != xen.XENMEM_access_op_set_access || m.get("domid") != 3 || m.get("access") != xen.XENMEM_access_rx || m.get("pfn") != 0x10 || m.get("nr") != 8 {
				t.Errorf("op %d domid %d access %d pfn %#x nr %d", m.get("op"), m.get("domid"), m.get("access"), m.get("pfn"), m.get("nr"))
			}
			return 0, nil
		})
		if err := xen.XenmemAccessOpSetAccess(hv, 3, uint8(xen.XENMEM_access_rx), 0x10, 8); err != nil {
			t.Error(err)
		}
	})
	t.Run("XenmemAccessOpGetAccess", func(t *testing.T) {
		hv := xentest.New()
		memoryOp(t, hv, xen.XENMEM_access_op, "struct xen_mem_access_op", func(m cmem) (uint64, error) {
			if m.get("op") != xen.XENMEM_access_op_get_access || m.get("pfn") != 0x10 {
				t.Errorf("op %d pfn %#x", m.get("op"), m.get("pfn"))
			}
			m.set("access", uint64(xen.XENMEM_access_rw))
			return 0, nil
		})
		if a, err := xen.XenmemAccessOpGetAccess(hv, 3, 0x10); err != nil || a != uint8(xen.XENMEM_access_rw) {
			t.Errorf("access %d, %v; want rw", a, err)
		}
	})
	for _, tc := range []struct {
		name string
		call func(c hypercall.Caller, pfns []uint64, acc []uint8) error
	}{
		{"XenmemAccessOpSetAccessMulti", func(c hypercall.Caller, pfns []uint64, acc []uint8) error {
			return xen.XenmemAccessOpSetAccessMulti(c, 3, pfns, acc)
		}},
		{"XenmemAccessOp", func(c hypercall.Caller, pfns []uint64, acc []uint8) error {
			arg := xen.MemAccessOp{Op: xen.XENMEM_access_op_set_access_multi, DomID: 3}
			return xen.XenmemAccessOp(c, &arg, pfns, acc)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, xen.XENMEM_access_op, "struct xen_mem_access_op", func(m cmem) (uint64, error) {
				if m.get("op") != xen.XENMEM_access_op_set_access_multi || m.get("nr") != 2 || m.get("domid") != 3 {
					t.Errorf("op %d nr %d domid %d", m.get("op"), m.get("nr"), m.get("domid"))
				}
				pfns := array(t, hv, m.get("pfn_list"), 2, 8)
				acc := array(t, hv, m.get("access_list"), 2, 1)
				if pfns.get(0) != 5 || pfns.get(1) != 6 || acc.get(0) != 1 || acc.get(1) != 7 {
					t.Errorf("pfns %d %d access %d %d", pfns.get(0), pfns.get(1), acc.get(0), acc.get(1))
				}
				return 0, nil
			})
			if err := tc.call(hv, []uint64{5, 6}, []uint8{1, 7}); err != nil {
				t.Error(err)
			}
			hv2 := xentest.New()
			err := tc.call(hv2, []uint64{5, 6}, []uint8{1})
			if ae, ok := err.(*hypercall.ArgError); !ok || ae.Field != "access_list" {
				t.Errorf("lists of different lengths: error %v, want an ArgError about access_list", err)
			}
			noCalls(t, hv2)
		})
	}
}

func TestXenmemClaimPages(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_claim_pages, "struct xen_memory_reservation", func(m cmem) (uint64, error) {
		if m.get("domid") != 8 || m.get("nr_extents") != 4096 || m.get("extent_start") != 0 {
			t.Errorf("domid %d nr_extents %d extent_start %#x; want 8 4096 NULL", m.get("domid"), m.get("nr_extents"), m.get("extent_start"))
		}
		return 0, hypercall.ENOMEM
	})
	if err := xen.XenmemClaimPages(hv, 8, 4096); !errors.Is(err, hypercall.ENOMEM) {
		t.Errorf("error %v, want ENOMEM", err)
	}
}

func TestXenmemReservedDeviceMemoryMap(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_reserved_device_memory_map, "struct xen_reserved_device_memory_map", func(m cmem) (uint64, error) {
		if m.get("flags") != xen.XENMEM_RDM_ALL {
			t.Errorf("flags %d", m.get("flags"))
		}
		if n := m.get("nr_entries"); n < 3 {
			// Too small: Xen says how many it needs, with ERANGE.
			m.set("nr_entries", 3)
			return 0, hypercall.ERANGE
		}
		size := sizeOf(t, "struct xen_reserved_device_memory")
		for i := 0; i < 3; i++ {
			e := at(t, hv, m.get("buffer")+uint64(i*size), "struct xen_reserved_device_memory")
			e.set("start_pfn", uint64(0x100*(i+1)))
			e.set("nr_pages", uint64(i+1))
		}
		return 0, nil
	})
	arg := xen.ReservedDeviceMemoryMap{Flags: xen.XENMEM_RDM_ALL}
	err := xen.XenmemReservedDeviceMemoryMap(hv, &arg, make([]xen.ReservedDeviceMemory, 1))
	if !errors.Is(err, hypercall.ERANGE) || arg.NrEntries != 3 {
		t.Fatalf("first call: nr_entries %d, %v; want 3, ERANGE", arg.NrEntries, err)
	}
	buf := make([]xen.ReservedDeviceMemory, arg.NrEntries)
	if err := xen.XenmemReservedDeviceMemoryMap(hv, &arg, buf); err != nil {
		t.Fatal(err)
	}
	if buf[2].StartPFN != 0x300 || buf[2].NrPages != 3 {
		t.Errorf("entry 2 = %+v", &buf[2])
	}
}

func TestXenmemAcquireResource(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_acquire_resource, "struct xen_mem_acquire_resource", func(m cmem) (uint64, error) {
		if m.get("domid") != 2 || m.get("type") != xen.XENMEM_resource_grant_table || m.get("id") != 1 || m.get("frame") != 0 || m.get("nr_frames") != 2 {
			t.Errorf("domid %d type %d id %d frame %d nr_frames %d", m.get("domid"), m.get("type"), m.get("id"), m.get("frame"), m.get("nr_frames"))
		}
		l := array(t, hv, m.get("frame_list"), 2, ulong())
		if l.get(0) != 0x10 {
			t.Errorf("frame_list[0] = %#x, want the caller's 0x10", l.get(0))
		}
		l.set(0, 0x1000)
		l.set(1, 0x2000)
		return 0, nil
	})
	arg := xen.MemAcquireResource{DomID: 2, Type: xen.XENMEM_resource_grant_table, ID: 1}
	frames := []xen.PFN{0x10, 0x11}
	if err := xen.XenmemAcquireResource(hv, &arg, frames); err != nil || frames[0] != 0x1000 || frames[1] != 0x2000 {
		t.Errorf("frames %#x, %v", frames, err)
	}
}

func TestXenmemGetVNUMAInfo(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_get_vnumainfo, "struct xen_vnuma_topology_info", func(m cmem) (uint64, error) {
		if m.get("domid") != 1 || m.get("nr_vnodes") != 2 || m.get("nr_vcpus") != 3 || m.get("nr_vmemranges") != 1 {
			t.Errorf("domid %d nr_vnodes %d nr_vcpus %d nr_vmemranges %d", m.get("domid"), m.get("nr_vnodes"), m.get("nr_vcpus"), m.get("nr_vmemranges"))
		}
		d := array(t, hv, m.get("vdistance.h"), 4, 4)
		v := array(t, hv, m.get("vcpu_to_vnode.h"), 3, 4)
		r := at(t, hv, m.get("vmemrange.h"), "struct xen_vmemrange")
		d.set(3, 20)
		v.set(2, 1)
		r.set("end", 0x8000)
		r.set("nid", 1)
		return 0, nil
	})
	arg := xen.VNUMATopologyInfo{DomID: 1, NrVnodes: 2}
	dist, cpus, ranges := make([]uint32, 4), make([]uint32, 3), make([]xen.Vmemrange, 1)
	if err := xen.XenmemGetVNUMAInfo(hv, &arg, dist, cpus, ranges); err != nil {
		t.Fatal(err)
	}
	if dist[3] != 20 || cpus[2] != 1 || ranges[0].End != 0x8000 || ranges[0].Nid != 1 {
		t.Errorf("vdistance %v vcpu_to_vnode %v vmemrange %+v", dist, cpus, &ranges[0])
	}
	// vdistance holds nr_vnodes*nr_vnodes entries.
	hv2 := xentest.New()
	err := xen.XenmemGetVNUMAInfo(hv2, &xen.VNUMATopologyInfo{NrVnodes: 2}, make([]uint32, 3), cpus, ranges)
	wantArgError(t, err, "XENMEM_get_vnumainfo", "vdistance.h")
	noCalls(t, hv2)
}
