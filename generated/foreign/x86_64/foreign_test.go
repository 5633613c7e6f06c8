package x86_64_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	xen "github.com/xenbind/xenbind/generated/foreign/x86_64"
)

// The offsets in these tests are gcc's (golden/layouts/all/x86_64-tools.txt).
// emit's TestForeignPackages checks every member of every record the same
// way; these tests show the API on the records a tool is likely to use.

// at is a value expected at a C offset.
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
	for i := range s.VCPUInfo {
		v := &s.VCPUInfo[i]
		v.EvtchnUpcallPending = 1
		v.EvtchnUpcallMask = uint8(i)
		v.EvtchnPendingSel = xen.Ulong(i)<<40 | 0x5A
		v.Arch.Cr2 = 0xFFFF_8000_0000_0000 + uint64(i)
		v.Time.Version = uint32(2 * i)
		v.Time.TSCTimestamp = 1 << 50
		v.Time.SystemTime = uint64(i)*1e9 + 7
		v.Time.TSCToSystemMul = 0x8000_0000
		v.Time.TSCShift = -3
		v.Time.Flags = 1
	}
	for i := range s.EvtchnPending {
		s.EvtchnPending[i] = xen.Ulong(i) | 1<<63
		s.EvtchnMask[i] = ^xen.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.WcSecHi = 1
	s.Arch.MaxPFN = 0x12345
	s.Arch.P2mGeneration = 9
	return &s
}

// TestSharedInfo encodes the structure a 32- or 64-bit tool reads from a
// guest: nested records, arrays of records and of scalars.
func TestSharedInfo(t *testing.T) {
	s := sharedInfo()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != xen.SizeofSharedInfo || xen.SizeofSharedInfo != 3136 {
		t.Fatalf("%d bytes, SizeofSharedInfo %d, want 3136", len(b), xen.SizeofSharedInfo)
	}
	checkAt(t, b, []at{
		{64 + 0, []byte{1, 1, 0, 0, 0, 0, 0, 0}, "vcpu_info[1] pending, mask and padding"},
		{64 + 8, le64(1<<40 | 0x5A), "vcpu_info[1].evtchn_pending_sel"},
		{64 + 16, le64(0xFFFF_8000_0000_0001), "vcpu_info[1].arch.cr2"},
		{64 + 32 + 16, le64(1e9 + 7), "vcpu_info[1].time.system_time"},
		{64 + 32 + 28, []byte{0xFD, 1, 0, 0}, "vcpu_info[1].time.tsc_shift, flags, pad1"},
		{31*64 + 8, le64(31<<40 | 0x5A), "vcpu_info[31].evtchn_pending_sel"},
		{2048 + 3*8, le64(3 | 1<<63), "evtchn_pending[3]"},
		{2560 + 63*8, le64(^uint64(63)), "evtchn_mask[63]"},
		{3072, le32(4), "wc_version"},
		{3076, le32(1_700_000_000), "wc_sec"},
		{3084, le32(1), "wc_sec_hi"},
		{3088, le64(0x12345), "arch.max_pfn"},
		{3088 + 40, le64(9), "arch.p2m_generation"},
	})
	var back xen.SharedInfo
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back != *s {
		t.Errorf("round trip changed the value")
	}
	// A page holds more than the structure: the rest is ignored.
	page := make([]byte, 4096)
	copy(page, b)
	back = xen.SharedInfo{}
	if err := back.UnmarshalBinary(page); err != nil || back != *s {
		t.Errorf("decoding from a page: %v", err)
	}
}

// TestUnion goes through struct gnttab_copy, whose source and dest hold a
// union of a grant reference and a frame number.
func TestUnion(t *testing.T) {
	var c xen.GnttabCopy
	c.Source.U.SetGMFN(0x0123_4567_89AB)
	c.Source.DomID = xen.DOMID_SELF
	c.Source.Offset = 0x10
	c.Dest.U.SetRef(77)
	c.Dest.DomID = 5
	c.Len = 4096
	c.Flags = xen.GNTCOPY_source_gref
	c.Status = -1
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	checkAt(t, b, []at{
		{0, le64(0x0123_4567_89AB), "source.u.gmfn"},
		{8, le16(xen.DOMID_SELF), "source.domid"},
		{10, le16(0x10), "source.offset"},
		{16, []byte{77, 0, 0, 0, 0, 0, 0, 0}, "dest.u.ref"},
		{24, le16(5), "dest.domid"},
		{32, le16(4096), "len"},
		{34, le16(xen.GNTCOPY_source_gref), "flags"},
		{36, []byte{0xFF, 0xFF, 0, 0}, "status and trailing padding"},
	})
	var back xen.GnttabCopy
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back != c || back.Source.U.GMFN() != 0x0123_4567_89AB || back.Dest.U.Ref() != 77 {
		t.Errorf("round trip: %+v, want %+v", back, c)
	}
	// Setting a narrower member leaves the union's other bytes alone, as
	// a store in C does.
	back.Source.U.SetRef(1)
	if got := back.Source.U.GMFN(); got != 0x0123_0000_0001 {
		t.Errorf("after SetRef(1): gmfn %#x", got)
	}
}

// TestHandle encodes a guest handle: the address, 8 bytes on x86_64.
func TestHandle(t *testing.T) {
	var r xen.MemoryReservation
	r.ExtentStart.Set(0x7F00_DEAD_B000)
	r.NrExtents = 3
	r.ExtentOrder = 9
	r.MemFlags = 1 << 8
	r.DomID = xen.DOMID_SELF
	b, err := r.AppendBinary([]byte("head"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "head" || len(b) != 4+xen.SizeofMemoryReservation {
		t.Fatalf("AppendBinary: %x", b)
	}
	b = b[4:]
	checkAt(t, b, []at{
		{0, le64(0x7F00_DEAD_B000), "extent_start"},
		{8, le64(3), "nr_extents"},
		{16, le32(9), "extent_order"},
		{20, le32(1 << 8), "mem_flags"},
		{24, []byte{0xF0, 0x7F, 0, 0, 0, 0, 0, 0}, "domid and trailing padding"},
	})
	var back xen.MemoryReservation
	if err := back.UnmarshalBinary(b); err != nil || back != r || back.ExtentStart.Addr() != 0x7F00_DEAD_B000 {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestShortInput(t *testing.T) {
	var s xen.SharedInfo
	err := s.UnmarshalBinary(make([]byte, 100))
	var se *xen.SizeError
	if !errors.As(err, &se) || se.Type != "SharedInfo" || se.Want != 3136 || se.Got != 100 {
		t.Fatalf("UnmarshalBinary of 100 bytes: %v", err)
	}
	if want := "x86_64: SharedInfo needs 3136 bytes, got 100"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var r xen.MemoryReservation
	if err := r.UnmarshalBinary(nil); !errors.As(err, &se) || se.Got != 0 {
		t.Errorf("UnmarshalBinary(nil): %v", err)
	}
}
