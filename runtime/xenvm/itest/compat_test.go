//go:build xenvm

package itest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// plainWords is what hypercall.Compat32Error says first.
const plainWords = "a 32-bit process on a 64-bit kernel cannot use privcmd"

// TestCompat32 checks what a 32-bit process on a 64-bit dom0 (GOARCH=386
// on x86_64, arm on arm64) gets. Linux's privcmd has no compat ioctl, so
// the kernel refuses every IOCTL_PRIVCMD_HYPERCALL with ENOTTY before it
// looks at the hypercall; the runtime says so in plain words when it
// opens the device, and so does xeninfo.
func TestCompat32(t *testing.T) {
	if !compat32() {
		t.Skip("not a 32-bit process on a 64-bit kernel")
	}
	// The kernel's answer, without the runtime, to harmless queries of
	// each hypercall the wrappers use.
	fd := rawOpen(t)
	for _, r := range []struct {
		name string
		op   uint64
		args []uint64
	}{
		{"xen_version(XENVER_version)", xen.HYPERVISOR_xen_version, []uint64{xen.XENVER_version}},
		{"xen_version(XENVER_pagesize)", xen.HYPERVISOR_xen_version, []uint64{xen.XENVER_pagesize}},
		{"memory_op(XENMEM_maximum_ram_page)", xen.HYPERVISOR_memory_op, []uint64{xen.XENMEM_maximum_ram_page}},
		{"memory_op(XENMEM_get_sharing_freed_pages)", xen.HYPERVISOR_memory_op, []uint64{xen.XENMEM_get_sharing_freed_pages}},
		{"grant_table_op(GNTTABOP_query_size, NULL, 0)", xen.HYPERVISOR_grant_table_op, []uint64{xen.GNTTABOP_query_size, 0, 0}},
		{"hypercall 63 (unassigned)", 63, nil},
	} {
		_, err := rawHypercall(fd, r.op, r.args...)
		t.Logf("raw %s: %v", r.name, err)
		if !errors.Is(err, unix.ENOTTY) {
			t.Errorf("raw %s from a 32-bit process on a 64-bit kernel = %v, want ENOTTY: privcmd has no compat ioctl", r.name, err)
		}
	}

	// The runtime's answer.
	_, err := privcmd.Open()
	t.Logf("privcmd.Open: %v", err)
	if !errors.As(err, new(hypercall.Compat32Error)) || !strings.Contains(err.Error(), plainWords) {
		t.Errorf("privcmd.Open in a 32-bit process on a 64-bit kernel = %v, want a hypercall.Compat32Error saying %q", err, plainWords)
	}

	// xeninfo's, built for this process's GOARCH.
	bin := filepath.Join(vm.tools, "xeninfo-"+runtime.GOARCH)
	out, err := exec.Command(bin).CombinedOutput()
	t.Logf("%s: %v\n%s", bin, err, out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.HasPrefix(string(out), "xeninfo: ") || !strings.Contains(string(out), plainWords) {
		t.Errorf("%s = %v, %q; want exit status 1 and \"xeninfo: ...%s...\"", bin, err, out, plainWords)
	}
}
