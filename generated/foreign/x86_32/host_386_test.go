//go:build 386

package x86_32_test

import (
	"bytes"
	"encoding"
	"testing"
	"unsafe"

	xen "github.com/xenbind/xenbind/generated/foreign/x86_32"
	host "github.com/xenbind/xenbind/generated/xen"
)

// On 386 the host package's types have x86_32's C layout in memory (its
// build guards check that): the same values must give the host's memory
// and the foreign encoding, byte for byte, padding included.

func memory[T any](p *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}

func hostSharedInfo() *host.SharedInfo {
	var s host.SharedInfo
	for i := range s.VCPUInfo {
		v := &s.VCPUInfo[i]
		v.EvtchnUpcallPending = 1
		v.EvtchnUpcallMask = uint8(i)
		v.EvtchnPendingSel = host.Ulong(i)<<24 | 0x5A
		v.Arch.Cr2 = 0xC000_0000 + uint32(i)
		v.Arch.Pad[4] = 0xEEEE_EEEE
		v.Time.Version = uint32(2 * i)
		v.Time.TSCTimestamp = 1 << 50
		v.Time.SystemTime = uint64(i)*1e9 + 7
		v.Time.TSCToSystemMul = 0x8000_0000
		v.Time.TSCShift = -3
		v.Time.Flags = 1
	}
	for i := range s.EvtchnPending {
		s.EvtchnPending[i] = host.Ulong(i) | 1<<31
		s.EvtchnMask[i] = ^host.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.Arch.MaxPFN = 0x12345
	s.Arch.P2mGeneration = 9
	s.Arch.WcSecHi = 1
	return &s
}

func TestHostMemory(t *testing.T) {
	var fc xen.GnttabCopy
	fc.Source.U.SetGMFN(0x89AB_CDEF)
	fc.Source.DomID = xen.DOMID_SELF
	fc.Dest.U.SetRef(77)
	fc.Len, fc.Status = 4096, -1
	var hc host.GnttabCopy
	*hc.Source.U.GMFN() = 0x89AB_CDEF
	hc.Source.DomID = host.DOMID_SELF
	*hc.Dest.U.Ref() = 77
	hc.Len, hc.Status = 4096, -1

	var fr xen.MemoryReservation
	fr.ExtentStart.Set(0x0804_B000)
	fr.NrExtents, fr.ExtentOrder, fr.DomID = 3, 9, xen.DOMID_SELF
	var hr host.MemoryReservation
	hr.ExtentStart.Set(0x0804_B000)
	hr.NrExtents, hr.ExtentOrder, hr.DomID = 3, 9, host.DOMID_SELF

	for _, c := range []struct {
		name    string
		foreign encoding.BinaryMarshaler
		host    []byte
	}{
		{"shared_info", sharedInfo(), memory(hostSharedInfo())},
		{"gnttab_copy", &fc, memory(&hc)},
		{"xen_memory_reservation", &fr, memory(&hr)},
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
