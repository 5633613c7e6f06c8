package x86_32_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	xen "github.com/xenbind/xenbind/generated/foreign/x86_32"
)

// The offsets in these tests are gcc's (golden/layouts/all/x86_32-tools.txt).
// emit's TestForeignPackages checks every member of every record the same
// way; these tests show the API on the records a tool is likely to use,
// here a 64-bit tool reading what a 32-bit x86 guest wrote.

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
		v.EvtchnPendingSel = xen.Ulong(i)<<24 | 0x5A
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
		s.EvtchnPending[i] = xen.Ulong(i) | 1<<31
		s.EvtchnMask[i] = ^xen.Ulong(i)
	}
	s.WcVersion = 4
	s.WcSec = 1_700_000_000
	s.WcNsec = 999_999_999
	s.Arch.MaxPFN = 0x12345
	s.Arch.P2mGeneration = 9
	s.Arch.WcSecHi = 1
	return &s
}

// TestSharedInfo: 2344 bytes with 4-byte longs and 32 event channel words.
func TestSharedInfo(t *testing.T) {
	s := sharedInfo()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != xen.SizeofSharedInfo || xen.SizeofSharedInfo != 2344 {
		t.Fatalf("%d bytes, SizeofSharedInfo %d, want 2344", len(b), xen.SizeofSharedInfo)
	}
	checkAt(t, b, []at{
		{64 + 0, []byte{1, 1, 0, 0}, "vcpu_info[1] pending, mask and padding"},
		{64 + 4, le32(1<<24 | 0x5A), "vcpu_info[1].evtchn_pending_sel"},
		{64 + 8, le32(0xC000_0001), "vcpu_info[1].arch.cr2"},
		{64 + 8 + 4 + 16, le32(0xEEEE_EEEE), "vcpu_info[1].arch.pad[4]"},
		{64 + 32 + 16, le64(1e9 + 7), "vcpu_info[1].time.system_time"},
		{64 + 32 + 28, []byte{0xFD, 1, 0, 0}, "vcpu_info[1].time.tsc_shift, flags, pad1"},
		{2048 + 3*4, le32(3 | 1<<31), "evtchn_pending[3]"},
		{2176 + 31*4, le32(^uint32(31)), "evtchn_mask[31]"},
		{2304, le32(4), "wc_version"},
		{2308, le32(1_700_000_000), "wc_sec"},
		{2316, le32(0x12345), "arch.max_pfn"},
		{2316 + 20, le32(9), "arch.p2m_generation"},
		{2316 + 24, le32(1), "arch.wc_sec_hi"},
	})
	var back xen.SharedInfo
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back != *s {
		t.Errorf("round trip changed the value")
	}
}

// TestUnion: struct gnttab_copy, 4-byte frame numbers on x86_32.
func TestUnion(t *testing.T) {
	var c xen.GnttabCopy
	c.Source.U.SetGMFN(0x89AB_CDEF)
	c.Source.DomID = xen.DOMID_SELF
	c.Source.Offset = 0x10
	c.Dest.U.SetRef(77)
	c.Len = 4096
	c.Flags = xen.GNTCOPY_source_gref
	c.Status = -1
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 24 {
		t.Fatalf("%d bytes, want 24", len(b))
	}
	checkAt(t, b, []at{
		{0, le32(0x89AB_CDEF), "source.u.gmfn"},
		{4, le16(xen.DOMID_SELF), "source.domid"},
		{6, le16(0x10), "source.offset"},
		{8, le32(77), "dest.u.ref"},
		{16, le16(4096), "len"},
		{18, le16(xen.GNTCOPY_source_gref), "flags"},
		{20, []byte{0xFF, 0xFF, 0, 0}, "status and trailing padding"},
	})
	var back xen.GnttabCopy
	if err := back.UnmarshalBinary(b); err != nil || back != c || back.Dest.U.Ref() != 77 {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestHandle: XEN_GUEST_HANDLE is 4 bytes on x86_32; Set keeps the low 32
// bits of an address.
func TestHandle(t *testing.T) {
	var r xen.MemoryReservation
	r.ExtentStart.Set(0x1_0804_B000)
	r.NrExtents = 3
	r.ExtentOrder = 9
	r.DomID = xen.DOMID_SELF
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 20 || r.ExtentStart.Addr() != 0x0804_B000 {
		t.Fatalf("%d bytes, address %#x", len(b), r.ExtentStart.Addr())
	}
	checkAt(t, b, []at{
		{0, le32(0x0804_B000), "extent_start"},
		{4, le32(3), "nr_extents"},
		{8, le32(9), "extent_order"},
		{16, []byte{0xF0, 0x7F, 0, 0}, "domid and trailing padding"},
	})
}

func TestShortInput(t *testing.T) {
	var s xen.SharedInfo
	err := s.UnmarshalBinary(make([]byte, 2343))
	var se *xen.SizeError
	if !errors.As(err, &se) || se.Type != "SharedInfo" || se.Want != 2344 || se.Got != 2343 {
		t.Fatalf("UnmarshalBinary of 2343 bytes: %v", err)
	}
	if want := "x86_32: SharedInfo needs 2344 bytes, got 2343"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
