//go:build xenvm

package itest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// Hypercall numbers and commands, from Xen's public headers (xen.h,
// version.h, memory.h, grant_table.h). The generated package replaces
// these when the tests move onto it.
const (
	hypercallMemoryOp   = 12
	hypercallXenVersion = 17
	hypercallGrantTable = 20

	xenverVersion      = 0
	xenverExtraversion = 1 // char[16]
	xenverCapabilities = 3 // char[1024]
	xenverPagesize     = 7
	xenverCommandline  = 9 // char[1024]

	xenmemCurrentReservation = 3
	xenmemMaximumReservation = 4

	gnttabopQuerySize = 6

	domidSelf = 0x7FF0
)

func TestMain(m *testing.M) {
	if os.Getenv("XENVM_ARCH") == "" {
		fmt.Fprintln(os.Stderr, "itest: these tests run in dom0 of a Xen booted by runtime/xenvm (go run ./cmd/xenvm), not here")
		os.Exit(2)
	}
	fmt.Printf("itest: GOARCH=%s in dom0 of Xen on %s\n", runtime.GOARCH, os.Getenv("XENVM_ARCH"))
	os.Exit(m.Run())
}

func TestVersion(t *testing.T) {
	c := caller(t)
	v, err := c.Call(hypercallXenVersion, [5]uint64{xenverVersion})
	if err != nil {
		t.Fatalf("xen_version(XENVER_version): %v", err)
	}
	major, minor := v>>16, v&0xffff
	t.Logf("xen_version: %d.%d", major, minor)
	if major != 4 || minor != 17 {
		t.Errorf("xen_version(XENVER_version) = %#x (%d.%d), want 4.17", v, major, minor)
	}

	buf := alloc(t, c, 16)
	if _, err := c.Call(hypercallXenVersion, [5]uint64{xenverExtraversion, buf.Addr()}); err != nil {
		t.Fatalf("xen_version(XENVER_extraversion): %v", err)
	}
	extra := hypercall.CString(buf.Bytes()[:16])
	t.Logf("extra version: %q", extra)
	if !strings.HasPrefix(extra, ".") {
		t.Errorf("XENVER_extraversion = %q, want a point release (\".N...\")", extra)
	}
}

func TestCapabilities(t *testing.T) {
	c := caller(t)
	buf := alloc(t, c, 1024)
	if _, err := c.Call(hypercallXenVersion, [5]uint64{xenverCapabilities, buf.Addr()}); err != nil {
		t.Fatalf("xen_version(XENVER_capabilities): %v", err)
	}
	caps := hypercall.CString(buf.Bytes()[:1024])
	t.Logf("capabilities: %q", caps)
	want := os.Getenv("XENVM_CAPABILITY")
	if !strings.Contains(" "+caps+" ", " "+want+" ") {
		t.Errorf("XENVER_capabilities = %q, want it to name %q", caps, want)
	}
}

func TestPageSize(t *testing.T) {
	c := caller(t)
	n, err := c.Call(hypercallXenVersion, [5]uint64{xenverPagesize})
	if err != nil {
		t.Fatalf("xen_version(XENVER_pagesize): %v", err)
	}
	if n != 4096 {
		t.Errorf("XENVER_pagesize = %d, want 4096", n)
	}
}

func TestCommandLine(t *testing.T) {
	c := caller(t)
	buf := alloc(t, c, 1024)
	if _, err := c.Call(hypercallXenVersion, [5]uint64{xenverCommandline, buf.Addr()}); err != nil {
		t.Fatalf("xen_version(XENVER_commandline): %v", err)
	}
	got := strings.TrimSpace(hypercall.CString(buf.Bytes()[:1024]))
	t.Logf("Xen's command line: %q", got)
	if want := os.Getenv("XENVM_XEN_CMDLINE"); got != want {
		t.Errorf("XENVER_commandline = %q, want what the harness passed, %q", got, want)
	}
}

func TestReservation(t *testing.T) {
	c := caller(t)
	mib, err := strconv.Atoi(os.Getenv("XENVM_DOM0_MIB"))
	if err != nil {
		t.Fatalf("XENVM_DOM0_MIB: %v", err)
	}
	want := uint64(mib) << 20 / 4096
	for _, r := range []struct {
		name string
		cmd  uint64
	}{
		{"XENMEM_current_reservation", xenmemCurrentReservation},
		{"XENMEM_maximum_reservation", xenmemMaximumReservation},
	} {
		domid := alloc(t, c, 2)
		binary.NativeEndian.PutUint16(domid.Bytes(), domidSelf)
		pages, err := c.Call(hypercallMemoryOp, [5]uint64{r.cmd, domid.Addr()})
		if err != nil {
			t.Errorf("memory_op(%s, DOMID_SELF): %v", r.name, err)
			continue
		}
		t.Logf("%s(DOMID_SELF) = %d pages", r.name, pages)
		if pages != want {
			t.Errorf("%s(DOMID_SELF) = %d pages, want %d (dom0_mem=%dM)", r.name, pages, want, mib)
		}
	}
}

func TestGrantTableQuerySize(t *testing.T) {
	c := caller(t)
	// struct gnttab_query_size { domid_t dom; uint32_t nr_frames;
	// uint32_t max_nr_frames; int16_t status; }: offsets 0, 4, 8, 12.
	buf := alloc(t, c, 16)
	q := buf.Bytes()
	binary.NativeEndian.PutUint16(q[0:], domidSelf)
	if _, err := c.Call(hypercallGrantTable, [5]uint64{gnttabopQuerySize, buf.Addr(), 1}); err != nil {
		t.Fatalf("grant_table_op(GNTTABOP_query_size): %v", err)
	}
	nr := binary.NativeEndian.Uint32(q[4:])
	max := binary.NativeEndian.Uint32(q[8:])
	status := int16(binary.NativeEndian.Uint16(q[12:]))
	t.Logf("grant table: nr_frames %d, max_nr_frames %d, status %d", nr, max, status)
	if status != 0 {
		t.Fatalf("GNTTABOP_query_size status %d, want 0 (GNTST_okay)", status)
	}
	if nr < 1 || max < nr {
		t.Errorf("GNTTABOP_query_size: nr_frames %d, max_nr_frames %d: want 1 <= nr <= max", nr, max)
	}
}

func TestUnknownCommand(t *testing.T) {
	c := caller(t)
	for _, u := range []struct {
		name    string
		op, cmd uint64
	}{
		{"xen_version", hypercallXenVersion, 1000},
		// memory_op's command is its low 6 bits; 63 is unassigned.
		{"memory_op", hypercallMemoryOp, 63},
	} {
		_, err := c.Call(u.op, [5]uint64{u.cmd})
		if !errors.Is(err, hypercall.ENOSYS) || !isErrno(err, unix.ENOSYS) {
			t.Errorf("%s(%d) = %v, want ENOSYS", u.name, u.cmd, err)
		}
	}
}

// TestUntouchedBuffer shows why buffers must be touched before use: on ARM
// Xen does not fault in a page that was never written, and the hypercall
// fails with EFAULT.
func TestUntouchedBuffer(t *testing.T) {
	if compat32() {
		t.Skip("no hypercalls from a 32-bit process on a 64-bit kernel")
	}
	fd := rawOpen(t)
	page := rawHypercallPage(t)
	_, err := rawHypercall(fd, hypercallXenVersion, xenverCapabilities, uint64(uintptr(unsafe.Pointer(&page[0]))))
	t.Logf("XENVER_capabilities into an untouched page: %v", err)
	switch os.Getenv("XENVM_ARCH") {
	case "arm64", "arm32":
		if !isErrno(err, unix.EFAULT) {
			t.Errorf("XENVER_capabilities into an untouched page = %v, want EFAULT", err)
		}
	}

	// The runtime's buffers work on first use.
	c := caller(t)
	buf := alloc(t, c, 1024)
	if _, err := c.Call(hypercallXenVersion, [5]uint64{xenverCapabilities, buf.Addr()}); err != nil {
		t.Errorf("XENVER_capabilities into a fresh runtime buffer: %v", err)
	}
}

// TestCompat32 checks what a 32-bit process on a 64-bit dom0 gets: Linux's
// privcmd has no compat ioctl, so every hypercall fails with ENOTTY.
func TestCompat32(t *testing.T) {
	if !compat32() {
		t.Skip("not a 32-bit process on a 64-bit kernel")
	}
	// The kernel's answer, without the runtime.
	fd := rawOpen(t)
	for _, r := range []struct {
		name    string
		op, cmd uint64
	}{
		{"xen_version(XENVER_version)", hypercallXenVersion, xenverVersion},
		{"memory_op(XENMEM_maximum_ram_page)", hypercallMemoryOp, 2},
	} {
		_, err := rawHypercall(fd, r.op, r.cmd)
		t.Logf("raw %s: %v", r.name, err)
		if !isErrno(err, unix.ENOTTY) {
			t.Errorf("raw %s from a 32-bit process on a 64-bit kernel = %v, want ENOTTY", r.name, err)
		}
	}

	// The runtime's: a plain-words error from Open.
	_, err := privcmd.Open()
	t.Logf("privcmd.Open: %v", err)
	if !errors.As(err, new(hypercall.Compat32Error)) {
		t.Errorf("privcmd.Open in a 32-bit process on a 64-bit kernel = %v, want a hypercall.Compat32Error", err)
	}
}
