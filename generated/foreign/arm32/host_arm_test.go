//go:build arm

package arm32_test

import (
	"bytes"
	"encoding"
	"testing"
	"unsafe"

	xen "github.com/xenbind/xenbind/generated/foreign/arm32"
	host "github.com/xenbind/xenbind/generated/xen"
)

// On arm the host package's types have arm32's C layout in memory (its
// build guards check that): the same values must give the host's memory
// and the foreign encoding, byte for byte, padding included. On other
// machines, run it under qemu-user: GOARCH=arm go test -exec qemu-arm.

func memory[T any](p *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}

func hostSharedInfo() *host.SharedInfo {
	var s host.SharedInfo
	v := &s.VCPUInfo[0]
	v.EvtchnUpcallPending = 1
	v.Pad0 = 2
	v.EvtchnPendingSel = 1<<40 | 0x5A
	v.Time.Version = 2
	v.Time.TSCTimestamp = 1 << 50
	v.Time.SystemTime = 1e9 + 7
	v.Time.TSCToSystemMul = 0x8000_0000
	v.Time.TSCShift = -3
	v.Time.Flags = 1
	for i := range s.EvtchnPending {
		s.EvtchnPending[i] = host.Ulong(i) | 1<<63
		s.EvtchnMask[i] = ^host.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.WcSecHi = 1
	return &s
}

func TestHostMemory(t *testing.T) {
	var fc xen.GnttabCopy
	fc.Source.U.SetGMFN(0x0123_4567_89AB)
	fc.Source.DomID = xen.DOMID_SELF
	fc.Dest.U.SetRef(77)
	fc.Len, fc.Status = 4096, -1
	var hc host.GnttabCopy
	*hc.Source.U.GMFN() = 0x0123_4567_89AB
	hc.Source.DomID = host.DOMID_SELF
	*hc.Dest.U.Ref() = 77
	hc.Len, hc.Status = 4096, -1

	var fr xen.MemoryReservation
	fr.ExtentStart.Set(0x7F00_DEAD_B000)
	fr.NrExtents, fr.ExtentOrder, fr.DomID = 3, 9, xen.DOMID_SELF
	var hr host.MemoryReservation
	hr.ExtentStart.Set(0x7F00_DEAD_B000)
	hr.NrExtents, hr.ExtentOrder, hr.DomID = 3, 9, host.DOMID_SELF

	fa := xen.PhysdevAPIC{APICPhysbase: 0x8000_1000, Reg: 7, Value: 9}
	ha := host.PhysdevAPIC{APICPhysbase: 0x8000_1000, Reg: 7, Value: 9}

	for _, c := range []struct {
		name    string
		foreign encoding.BinaryMarshaler
		host    []byte
	}{
		{"shared_info", sharedInfo(), memory(hostSharedInfo())},
		{"gnttab_copy", &fc, memory(&hc)},
		{"xen_memory_reservation", &fr, memory(&hr)},
		{"physdev_apic", &fa, memory(&ha)},
	} {
		b, err := c.foreign.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, c.host) {
			t.Errorf("%s: the encoding (%d bytes) differs from host memory (%d bytes)", c.name, len(b), len(c.host))
		}
	}
	var back xen.SharedInfo
	if err := back.UnmarshalBinary(memory(hostSharedInfo())); err != nil || back != *sharedInfo() {
		t.Errorf("decoding host memory: %v", err)
	}
}
