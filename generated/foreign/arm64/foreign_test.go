package arm64_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	xen "github.com/xenbind/xenbind/generated/foreign/arm64"
)

// The offsets in these tests are gcc's (golden/layouts/all/arm64-tools.txt).
// emit's TestForeignPackages checks every member of every record the same
// way; these tests show the API on the records a tool is likely to use.
// ARM's interface is meant to be the same on arm32 and arm64 (xen_ulong_t
// and guest handles are 8 bytes on both); unsigned long is not.

type at struct {
	off  int
	want []byte
	what string
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func checkAt(t *testing.T, b []byte, checks []at) {
	t.Helper()
	for _, c := range checks {
		if got := b[c.off : c.off+len(c.want)]; !bytes.Equal(got, c.want) {
			t.Errorf("%s at %d: %x, want %x", c.what, c.off, got, c.want)
		}
	}
}

func sharedInfo() *xen.SharedInfo {
	var s xen.SharedInfo
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
		s.EvtchnPending[i] = xen.Ulong(i) | 1<<63
		s.EvtchnMask[i] = ^xen.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.WcSecHi = 1
	return &s
}

// TestSharedInfo: one vcpu_info, 64 event channel words of 8 bytes, and
// empty arch parts.
func TestSharedInfo(t *testing.T) {
	s := sharedInfo()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != xen.SizeofSharedInfo || xen.SizeofSharedInfo != 1088 || xen.SizeofArchSharedInfo != 0 {
		t.Fatalf("%d bytes, SizeofSharedInfo %d, want 1088", len(b), xen.SizeofSharedInfo)
	}
	checkAt(t, b, []at{
		{0, []byte{1, 2, 0, 0, 0, 0, 0, 0}, "vcpu_info[0] pending, pad0 and padding"},
		{8, le64(1<<40 | 0x5A), "vcpu_info[0].evtchn_pending_sel"},
		{16 + 16, le64(1e9 + 7), "vcpu_info[0].time.system_time"},
		{16 + 28, []byte{0xFD, 1, 0, 0}, "vcpu_info[0].time.tsc_shift, flags, pad1"},
		{48 + 3*8, le64(3 | 1<<63), "evtchn_pending[3]"},
		{560 + 63*8, le64(^uint64(63)), "evtchn_mask[63]"},
		{1072, le32(4), "wc_version"},
		{1076, le32(1_700_000_000), "wc_sec"},
		{1084, le32(1), "wc_sec_hi"},
	})
	var back xen.SharedInfo
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back != *s {
		t.Errorf("round trip changed the value")
	}
}

// TestUnion: struct gnttab_copy, 8-byte frame numbers on ARM.
func TestUnion(t *testing.T) {
	var c xen.GnttabCopy
	c.Source.U.SetGMFN(0x0123_4567_89AB)
	c.Source.DomID = xen.DOMID_SELF
	c.Dest.U.SetRef(77)
	c.Len = 4096
	c.Status = -1
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 40 {
		t.Fatalf("%d bytes, want 40", len(b))
	}
	checkAt(t, b, []at{
		{0, le64(0x0123_4567_89AB), "source.u.gmfn"},
		{8, le16(xen.DOMID_SELF), "source.domid"},
		{16, []byte{77, 0, 0, 0, 0, 0, 0, 0}, "dest.u.ref"},
		{32, le16(4096), "len"},
		{36, []byte{0xFF, 0xFF, 0, 0}, "status and trailing padding"},
	})
	var back xen.GnttabCopy
	if err := back.UnmarshalBinary(b); err != nil || back != c || back.Source.U.GMFN() != 0x0123_4567_89AB {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestWidths: guest handles are 8 bytes on ARM, unsigned long is 8.
func TestWidths(t *testing.T) {
	var r xen.MemoryReservation
	r.ExtentStart.Set(0x7F00_DEAD_B000)
	r.NrExtents = 3
	r.DomID = xen.DOMID_SELF
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	checkAt(t, b, []at{
		{0, le64(0x7F00_DEAD_B000), "extent_start"},
		{8, le64(3), "nr_extents"},
		{24, []byte{0xF0, 0x7F, 0, 0, 0, 0, 0, 0}, "domid and trailing padding"},
	})
	a := xen.PhysdevAPIC{APICPhysbase: 0xFFFF_0000_8000_1000, Reg: 7, Value: 9}
	if b, err = a.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	if len(b) != 16 {
		t.Fatalf("physdev_apic: %d bytes, want 16", len(b))
	}
	checkAt(t, b, []at{{0, le64(0xFFFF_0000_8000_1000), "apic_physbase"}, {8, le32(7), "reg"}, {8 + 4, le32(9), "value"}})
}

func TestShortInput(t *testing.T) {
	var s xen.SharedInfo
	err := s.UnmarshalBinary(make([]byte, 1087))
	var se *xen.SizeError
	if !errors.As(err, &se) || se.Type != "SharedInfo" || se.Want != 1088 || se.Got != 1087 {
		t.Fatalf("UnmarshalBinary of 1087 bytes: %v", err)
	}
	if want := "arm64: SharedInfo needs 1088 bytes, got 1087"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
