package xen_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// memoryOp makes fn answer XENMEM command cmd, with the argument resolved
// as C record record ("" for a NULL argument, which it checks).
func memoryOp(t *testing.T, hv *xentest.Hypervisor, cmd uint64, record string, fn func(a cmem) (uint64, error)) {
	t.Helper()
	script(t, hv, xen.HYPERVISOR_memory_op, func(args [5]uint64) (uint64, error) {
		if args[0] != cmd {
			t.Errorf("memory_op command %d, want %d", args[0], cmd)
			return 0, hypercall.ENOSYS
		}
		if record == "" {
			if args[1] != 0 {
				t.Errorf("argument %#x, want NULL", args[1])
			}
			return fn(cmem{})
		}
		return fn(at(t, hv, args[1], record))
	})
}

func TestXenmemReservations(t *testing.T) {
	type call func(hypercall.Caller, *xen.MemoryReservation, []xen.PFN) (uint64, error)
	tests := []struct {
		name    string
		cmd     uint64
		in, out bool // Xen reads the list, writes it
		call    call
	}{
		{"XenmemIncreaseReservation", xen.XENMEM_increase_reservation, false, true, xen.XenmemIncreaseReservation},
		{"XenmemDecreaseReservation", xen.XENMEM_decrease_reservation, true, false, xen.XenmemDecreaseReservation},
		{"XenmemPopulatePhysmap", xen.XENMEM_populate_physmap, true, true, xen.XenmemPopulatePhysmap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, tc.cmd, "struct xen_memory_reservation", func(r cmem) (uint64, error) {
				if r.get("nr_extents") != 3 || r.get("extent_order") != 9 || r.get("mem_flags") != 5 || r.get("domid") != 3 {
					t.Errorf("nr_extents %d extent_order %d mem_flags %d domid %d, want 3 9 5 3",
						r.get("nr_extents"), r.get("extent_order"), r.get("mem_flags"), r.get("domid"))
				}
				list := array(t, hv, r.get("extent_start"), 3, ulong())
				for i := 0; i < 3; i++ {
					want := uint64(10 + i)
					if !tc.in {
						want = 0 // OUT only: nothing copied in
					}
					if got := list.get(i); got != want {
						t.Errorf("extent %d = %d, want %d", i, got, want)
					}
					list.set(i, uint64(100+i))
				}
				return 2, nil
			})
			arg := xen.MemoryReservation{ExtentOrder: 9, MemFlags: 5, DomID: 3}
			ext := []xen.PFN{10, 11, 12}
			n, err := tc.call(hv, &arg, ext)
			if err != nil || n != 2 {
				t.Fatalf("%s = %d, %v; want 2", tc.name, n, err)
			}
			for i, e := range ext {
				want := xen.PFN(10 + i)
				if tc.out {
					want = xen.PFN(100 + i)
				}
				if e != want {
					t.Errorf("extent %d after the call = %d, want %d", i, e, want)
				}
			}
			if arg.NrExtents != 3 || arg.ExtentStart.Addr() != 0 {
				t.Errorf("arg after the call: nr_extents %d, extent_start %#x; want 3 and the caller's 0", arg.NrExtents, arg.ExtentStart.Addr())
			}
		})
	}
	// An empty list is a NULL handle with no extents.
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_increase_reservation, "struct xen_memory_reservation", func(r cmem) (uint64, error) {
		if r.get("extent_start") != 0 || r.get("nr_extents") != 0 {
			t.Errorf("extent_start %#x nr_extents %d, want NULL and 0", r.get("extent_start"), r.get("nr_extents"))
		}
		return 0, nil
	})
	if _, err := xen.XenmemIncreaseReservation(hv, &xen.MemoryReservation{}, nil); err != nil {
		t.Error(err)
	}
}

func TestXenmemExchange(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_exchange, "struct xen_memory_exchange", func(m cmem) (uint64, error) {
		if m.get("nr_exchanged") != 0 {
			t.Errorf("nr_exchanged = %d, want 0: the wrapper must zero it", m.get("nr_exchanged"))
		}
		if m.get("in.nr_extents") != 2 || m.get("out.nr_extents") != 1 || m.get("out.extent_order") != 1 || m.get("in.domid") != 4 {
			t.Errorf("in.nr_extents %d out.nr_extents %d out.extent_order %d in.domid %d",
				m.get("in.nr_extents"), m.get("out.nr_extents"), m.get("out.extent_order"), m.get("in.domid"))
		}
		in := array(t, hv, m.get("in.extent_start"), 2, ulong())
		out := array(t, hv, m.get("out.extent_start"), 1, ulong())
		if in.get(0) != 1 || in.get(1) != 2 || out.get(0) != 9 {
			t.Errorf("lists %d %d / %d, want 1 2 / 9", in.get(0), in.get(1), out.get(0))
		}
		out.set(0, 77)
		m.set("nr_exchanged", 2)
		return 0, nil
	})
	arg := xen.MemoryExchange{NrExchanged: 99}
	arg.In.DomID, arg.Out.DomID, arg.Out.ExtentOrder = 4, 4, 1
	in, out := []xen.PFN{1, 2}, []xen.PFN{9}
	if err := xen.XenmemExchange(hv, &arg, in, out); err != nil {
		t.Fatal(err)
	}
	if arg.NrExchanged != 2 || out[0] != 77 || in[0] != 1 || arg.In.ExtentStart.Addr() != 0 || arg.Out.ExtentStart.Addr() != 0 {
		t.Errorf("after the call: nr_exchanged %d out %v in %v handles %#x %#x", arg.NrExchanged, out, in, arg.In.ExtentStart.Addr(), arg.Out.ExtentStart.Addr())
	}
}

func TestXenmemExchangeRefused(t *testing.T) {
	shared := make([]xen.PFN, 4)
	tests := []struct {
		name    string
		inDom   xen.DomID
		outDom  xen.DomID
		inOrd   uint32
		outOrd  uint32
		in, out []xen.PFN
		field   string
	}{
		{"overlap", 0, 0, 0, 1, shared[0:2], shared[1:2], "out.extent_start"},
		{"same list", 0, 0, 0, 0, shared[0:2], shared[0:2], "out.extent_start"},
		{"domains differ", 1, 2, 0, 0, make([]xen.PFN, 1), make([]xen.PFN, 1), "out.domid"},
		{"sizes differ", 0, 0, 0, 0, make([]xen.PFN, 2), make([]xen.PFN, 1), "out.nr_extents"},
		{"orders differ", 0, 0, 1, 0, make([]xen.PFN, 2), make([]xen.PFN, 2), "out.nr_extents"},
		{"shift overflows", 0, 0, 64, 0, make([]xen.PFN, 1), make([]xen.PFN, 1), "out.nr_extents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hv := xentest.New()
			var arg xen.MemoryExchange
			arg.In.DomID, arg.Out.DomID, arg.In.ExtentOrder, arg.Out.ExtentOrder = tt.inDom, tt.outDom, tt.inOrd, tt.outOrd
			wantArgError(t, xen.XenmemExchange(hv, &arg, tt.in, tt.out), "XENMEM_exchange", tt.field)
			noCalls(t, hv)
		})
	}
}

func TestXenmemSimulated(t *testing.T) {
	hv := xentest.New(
		xentest.WithMaxRAMPage(0x12345),
		xentest.WithSharing(7, 3),
		xentest.WithDomain(0, xentest.Domain{CurrentPages: 100, MaxPages: 200, MaxGPFN: 300}),
		xentest.WithDomain(5, xentest.Domain{CurrentPages: 1, MaxPages: 2, MaxGPFN: 3}),
	)
	tests := []struct {
		name string
		call func() (uint64, error)
		want uint64
	}{
		{"XenmemMaximumRAMPage", func() (uint64, error) { return xen.XenmemMaximumRAMPage(hv) }, 0x12345},
		{"XenmemCurrentReservation", func() (uint64, error) { return xen.XenmemCurrentReservation(hv, xen.DOMID_SELF) }, 100},
		{"XenmemMaximumReservation", func() (uint64, error) { return xen.XenmemMaximumReservation(hv, xen.DOMID_SELF) }, 200},
		{"XenmemMaximumGPFN", func() (uint64, error) { return xen.XenmemMaximumGPFN(hv, 5) }, 3},
		{"XenmemGetSharingFreedPages", func() (uint64, error) { return xen.XenmemGetSharingFreedPages(hv) }, 7},
		{"XenmemGetSharingSharedPages", func() (uint64, error) { return xen.XenmemGetSharingSharedPages(hv) }, 3},
	}
	for _, tt := range tests {
		if got, err := tt.call(); err != nil || got != tt.want {
			t.Errorf("%s = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	if _, err := xen.XenmemCurrentReservation(hv, 9); !errors.Is(err, hypercall.ESRCH) || err.Error() != "XENMEM_current_reservation: ESRCH: no such process" {
		t.Errorf("XenmemCurrentReservation(9) error = %v, want ESRCH", err)
	}
	unpriv := xentest.New(xentest.WithoutPrivilege(), xentest.WithDomain(5, xentest.Domain{}))
	if _, err := xen.XenmemMaximumReservation(unpriv, 5); !errors.Is(err, hypercall.EPERM) {
		t.Errorf("unprivileged XenmemMaximumReservation(5) error = %v, want EPERM", err)
	}
}

func TestXenmemMachphysLists(t *testing.T) {
	tests := []struct {
		name string
		cmd  uint64
		call func(hypercall.Caller, *xen.MachphysMFNList, []xen.PFN) error
	}{
		{"XenmemMachphysMFNList", xen.XENMEM_machphys_mfn_list, xen.XenmemMachphysMFNList},
		{"XenmemMachphysCompatMFNList", xen.XENMEM_machphys_compat_mfn_list, xen.XenmemMachphysCompatMFNList},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, tc.cmd, "struct xen_machphys_mfn_list", func(m cmem) (uint64, error) {
				if m.get("max_extents") != 3 {
					t.Errorf("max_extents %d, want 3", m.get("max_extents"))
				}
				l := array(t, hv, m.get("extent_start"), 3, ulong())
				l.set(0, 0x400)
				l.set(1, 0x600)
				m.set("nr_extents", 2)
				return 0, nil
			})
			var arg xen.MachphysMFNList
			list := []xen.PFN{1, 1, 1}
			if err := tc.call(hv, &arg, list); err != nil {
				t.Fatal(err)
			}
			if arg.NrExtents != 2 || list[0] != 0x400 || list[1] != 0x600 || list[2] != 0 {
				t.Errorf("nr_extents %d list %#x; want 2 [0x400 0x600 0]", arg.NrExtents, list)
			}
		})
	}
}

func TestXenmemMachphysMapping(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_machphys_mapping, "struct xen_machphys_mapping", func(m cmem) (uint64, error) {
		m.set("v_start", 0x1000)
		m.set("v_end", 0x2000)
		m.set("max_mfn", 0x3000)
		return 0, nil
	})
	got, err := xen.XenmemMachphysMapping(hv)
	if err != nil || got.VStart != 0x1000 || got.VEnd != 0x2000 || got.MaxMFN != 0x3000 {
		t.Errorf("XenmemMachphysMapping = %+v, %v", &got, err)
	}
}

// TestXenmemStructs covers the commands that pass one struct and nothing
// else: the members Xen reads at their C offsets, and those it writes
// copied back.
func TestXenmemStructs(t *testing.T) {
	t.Run("XenmemAddToPhysmap", func(t *testing.T) {
		hv := xentest.New()
		memoryOp(t, hv, xen.XENMEM_add_to_physmap, "struct xen_add_to_physmap", func(m cmem) (uint64, error) {
			if m.get("domid") != 1 || m.get("size") != 2 || m.get("space") != xen.XENMAPSPACE_gmfn_range || m.get("idx") != 4 || m.get("gpfn") != 5 {
				t.Errorf("domid %d size %d space %d idx %d gpfn %d", m.get("domid"), m.get("size"), m.get("space"), m.get("idx"), m.get("gpfn"))
			}
			return 0, nil
		})
		arg := xen.AddToPhysmap{DomID: 1, Size: 2, Space: xen.XENMAPSPACE_gmfn_range, Idx: 4, GPFN: 5}
		if err := xen.XenmemAddToPhysmap(hv, &arg); err != nil {
			t.Error(err)
		}
	})
	t.Run("XenmemRemoveFromPhysmap", func(t *testing.T) {
		hv := xentest.New()
		memoryOp(t, hv, xen.XENMEM_remove_from_physmap, "struct xen_remove_from_physmap", func(m cmem) (uint64, error) {
			if m.get("domid") != 1 || m.get("gpfn") != 0x55 {
				t.Errorf("domid %d gpfn %d", m.get("domid"), m.get("gpfn"))
			}
			return 0, hypercall.ENOENT
		})
		if err := xen.XenmemRemoveFromPhysmap(hv, &xen.RemoveFromPhysmap{DomID: 1, GPFN: 0x55}); !errors.Is(err, hypercall.ENOENT) {
			t.Errorf("error %v, want ENOENT", err)
		}
	})
	for _, tc := range []struct {
		name string
		cmd  uint64
		call func(hypercall.Caller, *xen.PodTarget) error
	}{
		{"XenmemSetPodTarget", xen.XENMEM_set_pod_target, xen.XenmemSetPodTarget},
		{"XenmemGetPodTarget", xen.XENMEM_get_pod_target, xen.XenmemGetPodTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, tc.cmd, "struct xen_pod_target", func(m cmem) (uint64, error) {
				if m.get("domid") != 6 || m.get("target_pages") != 1000 {
					t.Errorf("domid %d target_pages %d", m.get("domid"), m.get("target_pages"))
				}
				m.set("tot_pages", 900)
				m.set("pod_cache_pages", 80)
				m.set("pod_entries", 70)
				return 0, nil
			})
			arg := xen.PodTarget{DomID: 6, TargetPages: 1000}
			if err := tc.call(hv, &arg); err != nil {
				t.Fatal(err)
			}
			if arg.TotPages != 900 || arg.PodCachePages != 80 || arg.PodEntries != 70 || arg.TargetPages != 1000 {
				t.Errorf("after the call %+v", &arg)
			}
		})
	}
}

func TestXenmemAddToPhysmapBatch(t *testing.T) {
	hv := xentest.New()
	memoryOp(t, hv, xen.XENMEM_add_to_physmap_batch, "struct xen_add_to_physmap_batch", func(m cmem) (uint64, error) {
		if m.get("domid") != 2 || m.get("space") != xen.XENMAPSPACE_gmfn_foreign || m.get("size") != 2 || m.get("u") != 9 {
			t.Errorf("domid %d space %d size %d foreign_domid %d", m.get("domid"), m.get("space"), m.get("size"), m.get("u"))
		}
		idxs := array(t, hv, m.get("idxs"), 2, ulong())
		gpfns := array(t, hv, m.get("gpfns"), 2, ulong())
		errs := array(t, hv, m.get("errs"), 2, 4)
		if idxs.get(0) != 1 || idxs.get(1) != 2 || gpfns.get(0) != 10 || gpfns.get(1) != 20 {
			t.Errorf("idxs %d %d gpfns %d %d", idxs.get(0), idxs.get(1), gpfns.get(0), gpfns.get(1))
		}
		errs.set(1, uint64(uint32(0xffffffea))) // -EINVAL
		return 0, nil
	})
	arg := xen.AddToPhysmapBatch{DomID: 2, Space: xen.XENMAPSPACE_gmfn_foreign}
	*arg.U.ForeignDomID() = 9
	errs := []int32{5, 5}
	if err := xen.XenmemAddToPhysmapBatch(hv, &arg, []xen.Ulong{1, 2}, []xen.PFN{10, 20}, errs); err != nil {
		t.Fatal(err)
	}
	if errs[0] != 0 || errs[1] != -22 {
		t.Errorf("errs %v, want [0 -22]", errs)
	}

	t.Run("lengths differ", func(t *testing.T) {
		hv := xentest.New()
		err := xen.XenmemAddToPhysmapBatch(hv, &xen.AddToPhysmapBatch{}, []xen.Ulong{1, 2}, []xen.PFN{1}, make([]int32, 2))
		wantArgError(t, err, "XENMEM_add_to_physmap_batch", "gpfns")
		noCalls(t, hv)
	})
	t.Run("too many for size", func(t *testing.T) {
		// size is a uint16_t: 65536 entries cannot be counted.
		hv := xentest.New()
		n := 1 << 16
		err := xen.XenmemAddToPhysmapBatch(hv, &xen.AddToPhysmapBatch{}, make([]xen.Ulong, n), make([]xen.PFN, n), make([]int32, n))
		wantArgError(t, err, "XENMEM_add_to_physmap_batch", "idxs")
		noCalls(t, hv)
	})
}

// e820Entry is the 20-byte entry of XENMEM_memory_map's buffer.
const e820Entry = 20

func TestXenmemMemoryMaps(t *testing.T) {
	if n := unsafe.Sizeof(xen.E820Entry{}); n != e820Entry {
		t.Fatalf("E820Entry is %d bytes, want %d", n, e820Entry)
	}
	tests := []struct {
		name, op string
		cmd      uint64
		call     func(hypercall.Caller, *xen.MemoryMap, []xen.E820Entry) error
		room     uint64 // the elements the wrapper passes for a slice of 2
	}{
		{"XenmemMemoryMap", "XENMEM_memory_map", xen.XENMEM_memory_map, xen.XenmemMemoryMap, 2},
		// Xen needs room for one entry more than it writes.
		{"XenmemMachineMemoryMap", "XENMEM_machine_memory_map", xen.XENMEM_machine_memory_map, xen.XenmemMachineMemoryMap, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hv := xentest.New()
			memoryOp(t, hv, tc.cmd, "struct xen_memory_map", func(m cmem) (uint64, error) {
				if m.get("buffer") == 0 {
					// A NULL buffer asks for the number of entries.
					m.set("nr_entries", 7)
					return 0, nil
				}
				if m.get("nr_entries") != tc.room {
					t.Errorf("nr_entries %d, want %d", m.get("nr_entries"), tc.room)
				}
				b := array(t, hv, m.get("buffer"), int(tc.room)*e820Entry, 1)
				for i := range e820Entry {
					b.set(i, uint64(i+1))    // entry 0: bytes 1..20
					b.set(e820Entry+i, 0xbb) // entry 1
				}
				m.set("nr_entries", 1)
				return 0, nil
			})
			var arg xen.MemoryMap
			buf := make([]xen.E820Entry, 2)
			if err := tc.call(hv, &arg, buf); err != nil {
				t.Fatal(err)
			}
			// The fields at their offsets, in the host's byte order.
			var want [e820Entry]byte
			for i := range want {
				want[i] = byte(i + 1)
			}
			if arg.NrEntries != 1 || buf[0] != xen.E820Entry(want) || buf[1][0] != 0xbb {
				t.Errorf("nr_entries %d buf %x", arg.NrEntries, buf)
			}
			if buf[0].Addr() != binary.NativeEndian.Uint64(want[0:]) || buf[0].Size() != binary.NativeEndian.Uint64(want[8:]) || buf[0].Type() != binary.NativeEndian.Uint32(want[16:]) {
				t.Errorf("entry 0: addr %#x size %#x type %#x", buf[0].Addr(), buf[0].Size(), buf[0].Type())
			}
			if err := tc.call(hv, &arg, nil); err != nil || arg.NrEntries != 7 {
				t.Errorf("with no buffer: nr_entries %d, %v; want 7", arg.NrEntries, err)
			}
		})
	}
	t.Run("XenmemSetMemoryMap", func(t *testing.T) {
		hv := xentest.New()
		memoryOp(t, hv, xen.XENMEM_set_memory_map, "struct xen_foreign_memory_map", func(m cmem) (uint64, error) {
			if m.get("domid") != 3 || m.get("map.nr_entries") != 1 {
				t.Errorf("domid %d map.nr_entries %d", m.get("domid"), m.get("map.nr_entries"))
			}
			if b := array(t, hv, m.get("map.buffer"), e820Entry, 1); b.get(19) != 0x5a {
				t.Errorf("entry byte 19 = %#x, want 0x5a", b.get(19))
			}
			return 0, nil
		})
		buf := make([]xen.E820Entry, 1)
		buf[0].SetType(0x5a000000)
		if err := xen.XenmemSetMemoryMap(hv, &xen.ForeignMemoryMap{DomID: 3}, buf); err != nil {
			t.Error(err)
		}
	})
}

// The memory maps on the double, which answers as Xen's x86 code does:
// XENMEM_machine_memory_map reports its number of entries for a NULL
// buffer and refuses a buffer of exactly that many (it needs room for one
// more); the wrapper passes that room itself.
func TestMemoryMapsOnTheDouble(t *testing.T) {
	machine := []xentest.E820{
		{Addr: 0, Size: 0x9fc00, Type: 1},
		{Addr: 0x9fc00, Size: 0x400, Type: 2},
		{Addr: 0x100000, Size: 0x7ff00000, Type: 1},
	}
	hv := xentest.New(xentest.WithMachineMemoryMap(machine))
	var m xen.MemoryMap
	err := xen.XenmemMachineMemoryMap(hv, &m, nil)
	if runtime.GOARCH != "386" && runtime.GOARCH != "amd64" {
		if !errors.Is(err, hypercall.ENOSYS) {
			t.Errorf("XenmemMachineMemoryMap on %s: %v, want ENOSYS (x86 only)", runtime.GOARCH, err)
		}
		return
	}
	if err != nil || m.NrEntries != 3 {
		t.Fatalf("XenmemMachineMemoryMap(nil): nr_entries %d, %v; want 3", m.NrEntries, err)
	}
	entries := make([]xen.E820Entry, m.NrEntries)
	if err := xen.XenmemMachineMemoryMap(hv, &m, entries); err != nil {
		t.Fatalf("XenmemMachineMemoryMap with %d entries: %v", len(entries), err)
	}
	if m.NrEntries != 3 {
		t.Errorf("nr_entries %d, want 3", m.NrEntries)
	}
	for i, e := range entries {
		if w := machine[i]; e.Addr() != w.Addr || e.Size() != w.Size || e.Type() != w.Type {
			t.Errorf("entry %d: %#x+%#x type %d, want %#x+%#x type %d", i, e.Addr(), e.Size(), e.Type(), w.Addr, w.Size, w.Type)
		}
	}
	// Without the wrapper's extra entry Xen refuses the same buffer.
	a := hypercall.NewArena(hv)
	defer a.Release()
	p, addr := hypercall.Value(&a, &xen.MemoryMap{})
	_, bufAddr := hypercall.Slice(&a, make([]xen.E820Entry, 3), false)
	p.NrEntries = 3
	p.Buffer.Set(bufAddr)
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := xen.HypervisorMemoryOp(hv, xen.XENMEM_machine_memory_map, addr); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("raw XENMEM_machine_memory_map with room for exactly 3 entries: %v, want EINVAL", err)
	}
	// A buffer too short for the map is Xen's EINVAL too.
	if err := xen.XenmemMachineMemoryMap(hv, &m, make([]xen.E820Entry, 2)); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("XenmemMachineMemoryMap with 2 entries for 3: %v, want EINVAL", err)
	}

	// XENMEM_memory_map: ENOSYS for a domain without a map (a PV dom0),
	// else as many entries as fit.
	if err := xen.XenmemMemoryMap(hv, &m, make([]xen.E820Entry, 4)); !errors.Is(err, hypercall.ENOSYS) {
		t.Errorf("XenmemMemoryMap without a map: %v, want ENOSYS", err)
	}
	hv = xentest.New(xentest.WithMemoryMap(machine[:2]))
	for _, c := range []struct{ room, want int }{{1, 1}, {2, 2}, {5, 2}} {
		buf := make([]xen.E820Entry, c.room)
		if err := xen.XenmemMemoryMap(hv, &m, buf); err != nil || int(m.NrEntries) != c.want || buf[0].Size() != machine[0].Size {
			t.Errorf("XenmemMemoryMap with room for %d: nr_entries %d, %v; want %d", c.room, m.NrEntries, err, c.want)
		}
	}
}

// Reading the machine's memory map: ask for the number of entries, then
// pass a buffer of that many (the wrapper adds the one Xen needs besides).
func ExampleXenmemMachineMemoryMap() {
	hv := xentest.New() // on x86, a small PC's map
	var m xen.MemoryMap
	if err := xen.XenmemMachineMemoryMap(hv, &m, nil); err != nil {
		fmt.Println(err)
		return
	}
	entries := make([]xen.E820Entry, m.NrEntries)
	if err := xen.XenmemMachineMemoryMap(hv, &m, entries); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries[:m.NrEntries] {
		fmt.Printf("%#010x-%#010x type %d\n", e.Addr(), e.Addr()+e.Size()-1, e.Type())
	}
}
