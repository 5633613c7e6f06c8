package xen

import (
	"errors"
	"runtime"
	"testing"
	"unsafe"
)

// These tests run on every GOARCH (natively on amd64 and 386, under
// qemu-user on arm and arm64: make test-cross). The build itself already
// checks every size and offset (the guards in z*.go); here the numbers
// everyone working on Xen knows are checked once more, against the
// GOARCH the test runs on.

func perArch[T any](t *testing.T, m map[string]T) T {
	t.Helper()
	v, ok := m[runtime.GOARCH]
	if !ok {
		t.Skipf("no expectation for GOARCH=%s", runtime.GOARCH)
	}
	return v
}

func TestKnownSizes(t *testing.T) {
	tests := []struct {
		name string
		got  uintptr
		want map[string]uintptr
	}{
		{"struct shared_info", unsafe.Sizeof(SharedInfo{}), map[string]uintptr{"386": 2344, "amd64": 3136, "arm": 1088, "arm64": 1088}},
		{"struct xen_memory_reservation", unsafe.Sizeof(MemoryReservation{}), map[string]uintptr{"386": 20, "amd64": 32, "arm": 32, "arm64": 32}},
		{"struct vcpu_time_info", unsafe.Sizeof(VCPUTimeInfo{}), map[string]uintptr{"386": 32, "amd64": 32, "arm": 32, "arm64": 32}},
		{"XEN_GUEST_HANDLE_64", unsafe.Sizeof(Handle64[PFN]{}), map[string]uintptr{"386": 8, "amd64": 8, "arm": 8, "arm64": 8}},
		{"XEN_GUEST_HANDLE", unsafe.Sizeof(MemoryReservation{}.ExtentStart), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		{"xen_pfn_t", unsafe.Sizeof(PFN(0)), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		{"xen_ulong_t", unsafe.Sizeof(Ulong(0)), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		{"domid_t", unsafe.Sizeof(DomID(0)), map[string]uintptr{"386": 2, "amd64": 2, "arm": 2, "arm64": 2}},
	}
	for _, tt := range tests {
		if want := perArch(t, tt.want); tt.got != want {
			t.Errorf("%s is %d bytes on %s, want %d", tt.name, tt.got, runtime.GOARCH, want)
		}
	}
}

// TestKnownAlignments checks, as compiled for the GOARCH the test runs on,
// that the types have C's alignment, where Go's own would be lower on 386
// and arm (uint64 aligned to 4): a Go value of them, in a slice or in a
// struct of the user's, is placed where C would place it.
func TestKnownAlignments(t *testing.T) {
	type embed struct {
		b byte
		r MemoryReservation
	}
	s := make([]MemoryReservation, 3)
	tests := []struct {
		name string
		got  uintptr
		want map[string]uintptr
	}{
		{"XEN_GUEST_HANDLE", unsafe.Alignof(Handle[PFN]{}), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		{"XEN_GUEST_HANDLE_64", unsafe.Alignof(Handle64[PFN]{}), map[string]uintptr{"386": 8, "amd64": 8, "arm": 8, "arm64": 8}},
		{"struct xen_memory_reservation", unsafe.Alignof(MemoryReservation{}), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		// Plain uint64_t members: 4 on x86_32, 8 under arm's EABI.
		{"struct vcpu_time_info", unsafe.Alignof(VCPUTimeInfo{}), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		// uint64_aligned_t members: 8 on x86_32 too, in tools mode.
		{"struct xen_domctl_getdomaininfo", unsafe.Alignof(DomctlGetdomaininfo{}), map[string]uintptr{"386": 8, "amd64": 8, "arm": 8, "arm64": 8}},
		{"a struct embedding xen_memory_reservation after a byte: offset", unsafe.Offsetof(embed{}.r), map[string]uintptr{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}},
		{"a Go-allocated slice's second element: address modulo 8", uintptr(unsafe.Pointer(&s[1])) % 8, map[string]uintptr{"386": 4, "amd64": 0, "arm": 0, "arm64": 0}},
	}
	for _, tt := range tests {
		if want := perArch(t, tt.want); tt.got != want {
			t.Errorf("%s: %d on %s, want %d", tt.name, tt.got, runtime.GOARCH, want)
		}
	}
}

// TestReservationOffsets checks the members whose placement differs by
// architecture: on arm32 the handle is 8 bytes and 8-aligned although Go
// aligns uint64 to 4 there, so the struct carries explicit padding.
func TestReservationOffsets(t *testing.T) {
	var r MemoryReservation
	got := []uintptr{unsafe.Offsetof(r.ExtentStart), unsafe.Offsetof(r.NrExtents), unsafe.Offsetof(r.ExtentOrder), unsafe.Offsetof(r.MemFlags), unsafe.Offsetof(r.DomID)}
	want := perArch(t, map[string][]uintptr{
		"386":   {0, 4, 8, 12, 16},
		"amd64": {0, 8, 16, 20, 24},
		"arm":   {0, 8, 16, 20, 24},
		"arm64": {0, 8, 16, 20, 24},
	})
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("offsets %v, want %v", got, want)
			break
		}
	}
}

func TestHandle(t *testing.T) {
	var r MemoryReservation
	var h Handle64[PFN]
	h.Set(0x1234_5678_9abc)
	if h.Addr() != 0x1234_5678_9abc {
		t.Fatalf("Addr = %#x", h.Addr())
	}
	r.ExtentStart.Set(0x9abc_def0)
	raw := (*[4]byte)(unsafe.Pointer(&r.ExtentStart))
	if raw[0] != 0xf0 || raw[3] != 0x9a {
		t.Fatalf("handle bytes % x: not little-endian at offset 0", raw[:])
	}
}

func TestGrantStatus(t *testing.T) {
	tests := []struct {
		st   GNTST
		want string
	}{
		{GNTST_okay, "okay"},
		{GNTST_general_error, "undefined error"},
		{GNTST_bad_domain, "unrecognised domain id"},
		{GNTST_eagain, "operation not done; try again"},
		{GNTST(-100), "GNTST(-100)"},
	}
	for _, tt := range tests {
		if got := tt.st.Error(); got != tt.want {
			t.Errorf("%d: %q, want %q", int(tt.st), got, tt.want)
		}
	}
	var err error = GNTST_permission_denied
	if !errors.Is(err, GNTST_permission_denied) {
		t.Fatal("a status does not match itself as an error")
	}
}

func TestUnionAccessors(t *testing.T) {
	var op MMUExtOp
	*op.Arg1.MFN() = 0x42
	if *op.Arg1.LinearAddr() != 0x42 {
		t.Fatal("union members do not share storage")
	}
}
