package x86_64_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	xen "github.com/xenbind/xenbind/generated/foreign/x86_64"
)

// plainSharedInfo is struct shared_info of x86_64 as encoding/binary can
// handle it: fixed-size fields, padding spelled out as blank fields (which
// binary.Write writes as zeros and binary.Read skips).
type plainSharedInfo struct {
	VCPUInfo      [32]plainVCPUInfo
	EvtchnPending [64]uint64
	EvtchnMask    [64]uint64
	WcVersion     uint32
	WcSec         uint32
	WcNsec        uint32
	WcSecHi       uint32
	Arch          [6]uint64 // max_pfn ... p2m_generation
}

type plainVCPUInfo struct {
	EvtchnUpcallPending uint8
	EvtchnUpcallMask    uint8
	_                   [6]byte
	EvtchnPendingSel    uint64
	Cr2, ArchPad        uint64
	Time                struct {
		Version, Pad0            uint32
		TSCTimestamp, SystemTime uint64
		TSCToSystemMul           uint32
		TSCShift                 int8
		Flags                    uint8
		Pad1                     [2]uint8
	}
}

func plainFrom(s *xen.SharedInfo) *plainSharedInfo {
	var p plainSharedInfo
	for i, v := range s.VCPUInfo {
		q := &p.VCPUInfo[i]
		q.EvtchnUpcallPending, q.EvtchnUpcallMask = v.EvtchnUpcallPending, v.EvtchnUpcallMask
		q.EvtchnPendingSel = uint64(v.EvtchnPendingSel)
		q.Cr2, q.ArchPad = v.Arch.Cr2, v.Arch.Pad
		q.Time.Version, q.Time.Pad0 = v.Time.Version, v.Time.Pad0
		q.Time.TSCTimestamp, q.Time.SystemTime = v.Time.TSCTimestamp, v.Time.SystemTime
		q.Time.TSCToSystemMul, q.Time.TSCShift, q.Time.Flags, q.Time.Pad1 = v.Time.TSCToSystemMul, v.Time.TSCShift, v.Time.Flags, v.Time.Pad1
	}
	for i := range s.EvtchnPending {
		p.EvtchnPending[i], p.EvtchnMask[i] = uint64(s.EvtchnPending[i]), uint64(s.EvtchnMask[i])
	}
	p.WcVersion, p.WcSec, p.WcNsec, p.WcSecHi = s.WcVersion, s.WcSec, s.WcNsec, s.WcSecHi
	a := s.Arch
	p.Arch = [6]uint64{a.MaxPFN, uint64(a.PFNToMFNFrameListList), a.NMIReason, a.P2mCr3, a.P2mVaddr, a.P2mGeneration}
	return &p
}

// TestPlainAgrees makes sure the benchmark compares like with like:
// encoding/binary writes the same bytes from the plain struct.
func TestPlainAgrees(t *testing.T) {
	s := sharedInfo()
	want, _ := s.MarshalBinary()
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, plainFrom(s)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("encoding/binary writes %d bytes that differ from MarshalBinary's %d", buf.Len(), len(want))
	}
}

// sink keeps MarshalBinary's result on the heap, where a caller's would be.
var sink []byte

// BenchmarkSharedInfo compares the generated codec with encoding/binary's
// reflection on the same 3136 bytes. MarshalBinary and binary.Write each
// allocate the result; AppendBinary and binary.Append write into a reused
// buffer, which shows the encoding alone.
//
//	go test ./generated/foreign/x86_64 -run '^$' -bench SharedInfo -benchmem
func BenchmarkSharedInfo(b *testing.B) {
	s := sharedInfo()
	data, _ := s.MarshalBinary()
	p := plainFrom(s)
	b.Run("MarshalBinary", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		for b.Loop() {
			var err error
			if sink, err = s.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The allocation MarshalBinary and binary.Write both make, alone: a
	// floor for both.
	b.Run("make", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		for b.Loop() {
			sink = make([]byte, xen.SizeofSharedInfo)
		}
	})
	b.Run("AppendBinary", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		buf := make([]byte, 0, xen.SizeofSharedInfo)
		for b.Loop() {
			var err error
			if buf, err = s.AppendBinary(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UnmarshalBinary", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		var out xen.SharedInfo
		for b.Loop() {
			if err := out.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary.Write", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := binary.Write(&buf, binary.LittleEndian, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary.Read", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		var out plainSharedInfo
		for b.Loop() {
			if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary.Append", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		buf := make([]byte, 0, xen.SizeofSharedInfo)
		for b.Loop() {
			var err error
			if buf, err = binary.Append(buf[:0], binary.LittleEndian, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary.Decode", func(b *testing.B) {
		b.SetBytes(xen.SizeofSharedInfo)
		var out plainSharedInfo
		for b.Loop() {
			if _, err := binary.Decode(data, binary.LittleEndian, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
