//go:build amd64

package x86_64_test

import (
	"bytes"
	"encoding"
	"testing"
	"unsafe"

	xen "github.com/xenbind/xenbind/generated/foreign/x86_64"
	host "github.com/xenbind/xenbind/generated/xen"
)

// On amd64 the host package's types have x86_64's C layout in memory (its
// build guards check that). The same values set in a host value and in a
// foreign one must give the host's memory and the foreign encoding, byte
// for byte, padding included.

func memory[T any](p *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}

func hostSharedInfo() *host.SharedInfo {
	var s host.SharedInfo
	for i := range s.VCPUInfo {
		v := &s.VCPUInfo[i]
		v.EvtchnUpcallPending = 1
		v.EvtchnUpcallMask = uint8(i)
		v.EvtchnPendingSel = host.Ulong(i)<<40 | 0x5A
		v.Arch.Cr2 = 0xFFFF_8000_0000_0000 + uint64(i)
		v.Time.Version = uint32(2 * i)
		v.Time.TSCTimestamp = 1 << 50
		v.Time.SystemTime = uint64(i)*1e9 + 7
		v.Time.TSCToSystemMul = 0x8000_0000
		v.Time.TSCShift = -3
		v.Time.Flags = 1
	}
	for i := range s.EvtchnPending {
		s.EvtchnPending[i] = host.Ulong(i) | 1<<63
		s.EvtchnMask[i] = ^host.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.WcSecHi = 1
	s.Arch.MaxPFN = 0x12345
	s.Arch.P2mGeneration = 9
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
			for i := range b {
				if i >= len(c.host) || b[i] != c.host[i] {
					t.Errorf("%s: the encoding differs from host memory at byte %d (%d and %d bytes)", c.name, i, len(b), len(c.host))
					break
				}
			}
		}
	}

	// And the other way: host memory decodes to the same value.
	var back xen.SharedInfo
	if err := back.UnmarshalBinary(memory(hostSharedInfo())); err != nil || back != *sharedInfo() {
		t.Errorf("decoding host memory: %v", err)
	}
}
