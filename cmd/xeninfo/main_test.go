package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// useCaller makes run open c instead of privcmd for the rest of the test.
func useCaller(t *testing.T, c hypercall.Caller, openErr, closeErr error) {
	t.Helper()
	saved := open
	open = func() (hypercall.Caller, func() error, error) {
		if openErr != nil {
			return nil, nil, openErr
		}
		return c, func() error { return closeErr }, nil
	}
	t.Cleanup(func() { open = saved })
}

// arm64Dom0 is the hypervisor DESIGN.md records under QEMU on arm64.
func arm64Dom0() *xentest.Hypervisor {
	return xentest.New(
		xentest.WithVersion(4, 17),
		xentest.WithExtraversion(".5"),
		xentest.WithCapabilities("xen-3.0-aarch64 xen-3.0-armv7l "),
		xentest.WithMaxRAMPage(0x4ffff),
		xentest.WithDomain(0, xentest.Domain{CurrentPages: 65536, MaxPages: 65536, GrantFrames: 1, MaxGrantFrames: 64, GrantVersion: 1}),
	)
}

func TestText(t *testing.T) {
	useCaller(t, arm64Dom0(), nil, nil)
	var out strings.Builder
	if err := run(nil, &out); err != nil {
		t.Fatal(err)
	}
	want := `Xen version:          4.17.5
Capabilities:         xen-3.0-aarch64 xen-3.0-armv7l
Page size:            4096 bytes
Current reservation:  65536 pages (256 MiB)
Maximum reservation:  65536 pages (256 MiB)
Maximum RAM page:     0x4ffff
Grant table:          1 of 64 frames, version 1
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestJSON(t *testing.T) {
	hv := arm64Dom0()
	useCaller(t, hv, nil, nil)
	var out strings.Builder
	if err := run([]string{"-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	want := map[string]any{
		"version": "4.17", "extra_version": ".5",
		"capabilities": []any{"xen-3.0-aarch64", "xen-3.0-armv7l"},
		"page_size":    4096.0, "current_reservation_pages": 65536.0, "maximum_reservation_pages": 65536.0,
		"maximum_ram_page": float64(0x4ffff), "grant_table_frames": 1.0, "grant_table_max_frames": 64.0,
		"grant_table_version": 1.0,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JSON\n%v\nwant\n%v", got, want)
	}
	// Every query went through the hypervisor's buffers, DOMID_SELF for
	// this domain.
	if n := len(hv.Calls()); n != 9 {
		t.Errorf("%d hypercalls, want 9", n)
	}
}

func TestNoLimit(t *testing.T) {
	useCaller(t, xentest.New(xentest.WithDomain(0, xentest.Domain{CurrentPages: 1, MaxPages: 1<<64 - 1})), nil, nil)
	var out strings.Builder
	if err := run(nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Maximum reservation:  18446744073709551615 pages (no limit)") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-bogus"}, {"extra"}, {"-json", "x"}} {
		err := run(args, &strings.Builder{})
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), "usage: xeninfo [-json]") {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestFailures checks the messages for what a user can fix, and that a
// failing query names itself and keeps Xen's errno.
func TestFailures(t *testing.T) {
	eperm := xentest.New()
	eperm.Handle(xen.HYPERVISOR_memory_op, func([5]uint64) (uint64, error) { return 0, hypercall.EPERM })
	tests := []struct {
		name     string
		c        hypercall.Caller
		openErr  error
		closeErr error
		want     string
		wantIs   error
	}{
		{"not on Xen", nil, fmt.Errorf("privcmd: open /dev/xen/privcmd: %w", fs.ErrNotExist), nil,
			"not running on Xen (no privcmd device)", fs.ErrNotExist},
		{"no privilege", nil, fmt.Errorf("privcmd: open /dev/xen/privcmd: %w", fs.ErrPermission), nil,
			"no privilege: run xeninfo as root in dom0", fs.ErrPermission},
		{"32-bit on 64-bit", nil, fmt.Errorf("privcmd: open /dev/xen/privcmd: %w", hypercall.Compat32Error{}), nil,
			"build the program for the kernel's own architecture", hypercall.Compat32Error{}},
		{"query refused", eperm, nil, nil,
			"query this domain's current reservation: XENMEM_current_reservation: EPERM", hypercall.EPERM},
		{"close fails", xentest.New(), nil, hypercall.EBADF, "close: EBADF", hypercall.EBADF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useCaller(t, tt.c, tt.openErr, tt.closeErr)
			var out strings.Builder
			err := run(nil, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want one saying %q and matching %v", err, tt.want, tt.wantIs)
			}
			var u usageError
			if errors.As(err, &u) {
				t.Errorf("%v is a usage error", err)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q on failure", out.String())
			}
		})
	}
}
