package xen_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The XENVER_* commands: xentest simulates all of them, reading and
// writing version.h's structures at their C offsets itself.

func TestXenverScalars(t *testing.T) {
	hv := xentest.New(xentest.WithVersion(4, 19), xentest.WithFeatures(0xa5))
	tests := []struct {
		name string
		call func() (uint64, error)
		want uint64
	}{
		{"XenverVersion", func() (uint64, error) { v, err := xen.XenverVersion(hv); return uint64(v), err }, 4<<16 | 19},
		{"XenverPagesize", func() (uint64, error) { return xen.XenverPagesize(hv) }, 4096},
		{"XenverGetFeatures", func() (uint64, error) { v, err := xen.XenverGetFeatures(hv, 0); return uint64(v), err }, 0xa5},
	}
	for _, tt := range tests {
		got, err := tt.call()
		if err != nil || got != tt.want {
			t.Errorf("%s = %#x, %v; want %#x", tt.name, got, err, tt.want)
		}
	}
	// A submap Xen does not have: EINVAL, wrapped with the command's name.
	_, err := xen.XenverGetFeatures(hv, 7)
	if !errors.Is(err, hypercall.EINVAL) || err.Error() != "XENVER_get_features: EINVAL: invalid argument" {
		t.Errorf("XenverGetFeatures(7) error = %v", err)
	}
}

func TestXenverStrings(t *testing.T) {
	hv := xentest.New(
		xentest.WithExtraversion(".5-xen"),
		xentest.WithCapabilities("xen-3.0-aarch64 xen-3.0-armv7l"),
		xentest.WithChangeset("abc123"),
		xentest.WithCommandline("console=com1 dom0_mem=512M"),
		xentest.WithCompileInfo(xentest.CompileInfo{Compiler: "gcc 12", CompileBy: "me", CompileDomain: "example.org", CompileDate: "today"}),
		xentest.WithVirtStart(0xF5800000),
		xentest.WithDomain(0, xentest.Domain{Handle: [16]byte{1, 2, 3, 15: 16}, CurrentPages: 1, MaxPages: 1}),
	)
	ev, err := xen.XenverExtraversion(hv)
	check(t, "XenverExtraversion", hypercall.CString(ev[:]), ".5-xen", err)
	caps, err := xen.XenverCapabilities(hv)
	check(t, "XenverCapabilities", hypercall.CString(caps[:]), "xen-3.0-aarch64 xen-3.0-armv7l", err)
	cs, err := xen.XenverChangeset(hv)
	check(t, "XenverChangeset", hypercall.CString(cs[:]), "abc123", err)
	cl, err := xen.XenverCommandline(hv)
	check(t, "XenverCommandline", hypercall.CString(cl[:]), "console=com1 dom0_mem=512M", err)
	ci, err := xen.XenverCompileInfo(hv)
	check(t, "XenverCompileInfo", hypercall.CString(ci.Compiler[:])+"|"+hypercall.CString(ci.CompileBy[:])+"|"+
		hypercall.CString(ci.CompileDomain[:])+"|"+hypercall.CString(ci.CompileDate[:]), "gcc 12|me|example.org|today", err)
	pp, err := xen.XenverPlatformParameters(hv)
	if err != nil || uint64(pp.VirtStart) != 0xF5800000 {
		t.Errorf("XenverPlatformParameters = %#x, %v; want 0xF5800000", pp.VirtStart, err)
	}
	h, err := xen.XenverGuestHandle(hv)
	if err != nil || h != (xen.DomainHandle{1, 2, 3, 15: 16}) {
		t.Errorf("XenverGuestHandle = %v, %v", h, err)
	}
}

func check(t *testing.T, what, got, want string, err error) {
	t.Helper()
	if err != nil || got != want {
		t.Errorf("%s = %q, %v; want %q", what, got, err, want)
	}
}

func TestXenverBuildID(t *testing.T) {
	id := []byte("0123456789abcdefghij")
	hv := xentest.New(xentest.WithBuildID(id))
	// No buffer: a NULL argument asks for the size.
	data, n, err := xen.XenverBuildID(hv, nil)
	if err != nil || n != uint64(len(id)) || data != nil {
		t.Fatalf("XenverBuildID(nil) = %q, %d, %v; want nil, %d", data, n, err, len(id))
	}
	if calls := hv.Calls(); calls[0].Args[1] != 0 {
		t.Errorf("XenverBuildID(nil) passed %#x, want NULL", calls[0].Args[1])
	}
	// A larger buffer than needed: data is the part Xen wrote.
	buf := make([]byte, n+8)
	data, n, err = xen.XenverBuildID(hv, buf)
	if err != nil || n != uint64(len(id)) || !bytes.Equal(data, id) || &data[0] != &buf[0] {
		t.Errorf("XenverBuildID = %q, %d, %v; want %q in buf", data, n, err, id)
	}
	// len, the size of buf[], is what Xen reads first; the copy the double
	// recorded is of the argument before the call.
	rec := cmem{t: t, record: "struct xen_build_id", mem: hv.Calls()[1].Mem[1]}
	if l := rec.get("len"); l != uint64(len(id))+8 {
		t.Errorf("xen_build_id.len = %d, want %d", l, len(id)+8)
	}
	// Too small: Xen's ENOBUFS, wrapped in an error saying so.
	data, _, err = xen.XenverBuildID(hv, make([]byte, 4))
	if !errors.Is(err, hypercall.ENOBUFS) || !strings.Contains(err.Error(), "buf of 4 bytes is too small") || data != nil {
		t.Errorf("XenverBuildID(4 bytes) = %q, %v; want ENOBUFS saying buf is too small", data, err)
	}
}

// XenVersion splits what XENVER_version returns (major:minor, 16:16).
func TestXenVersion(t *testing.T) {
	hv := xentest.New(xentest.WithVersion(4, 19))
	v, err := xen.XenverVersion(hv)
	if err != nil {
		t.Fatal(err)
	}
	if v.Major() != 4 || v.Minor() != 19 || v.String() != "4.19" || fmt.Sprint(v) != "4.19" {
		t.Errorf("XenverVersion = %#x: Major %d, Minor %d, String %q; want 4, 19, \"4.19\"", uint32(v), v.Major(), v.Minor(), v.String())
	}
	for _, c := range []struct {
		v     xen.XenVersion
		major uint16
		minor uint16
		text  string
	}{
		{0x0004_0011, 4, 17, "4.17"},
		{0x000a_0000, 10, 0, "10.0"},
		{0xffff_ffff, 65535, 65535, "65535.65535"},
	} {
		if c.v.Major() != c.major || c.v.Minor() != c.minor || c.v.String() != c.text {
			t.Errorf("XenVersion(%#x) = %d, %d, %q; want %d, %d, %q", uint32(c.v), c.v.Major(), c.v.Minor(), c.v.String(), c.major, c.minor, c.text)
		}
	}
}
