//go:build xenvm

package itest

import (
	"errors"
	"strconv"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The GNTTABOP_* wrappers against dom0's own grant table.

// maxGrantFrames is Xen's default gnttab_max_frames, dom0's limit
// (docs/misc/xen-command-line.pandoc: "Default: 64").
const maxGrantFrames = 64

func TestGnttabopQuerySize(t *testing.T) {
	c := caller(t)
	nr, max, err := xen.GnttabopQuerySize(c, xen.DOMID_SELF)
	must(t, "GnttabopQuerySize(c, DOMID_SELF)", "GNTTABOP_query_size", err)
	t.Logf("GNTTABOP_query_size(DOMID_SELF): nr_frames %d, max_nr_frames %d", nr, max)
	expect(t, "GnttabopQuerySize(c, DOMID_SELF) max_nr_frames", "GNTTABOP_query_size", max, maxGrantFrames, "Xen's default gnttab_max_frames")
	if nr < 1 || nr > max {
		t.Errorf("GnttabopQuerySize(c, DOMID_SELF) nr_frames [GNTTABOP_query_size] = %d, want 1 to max_nr_frames (%d): Linux sets up at least one frame at boot", nr, max)
	}
}

// versionStep is one GNTTABOP_set_version and what Xen must answer.
type versionStep struct {
	set     uint32
	err     error  // what set_version returns, nil or an errno
	inForce uint32 // the version in force afterwards
	why     string
}

// TestGnttabopVersion reads dom0's grant table version, then sets each
// version the header defines and two it does not, and reads the version
// back after each. Xen writes the version in force back into
// set_version's argument, also when it refuses.
func TestGnttabopVersion(t *testing.T) {
	c := caller(t)
	v, err := xen.GnttabopGetVersion(c, xen.DOMID_SELF)
	must(t, "GnttabopGetVersion(c, DOMID_SELF)", "GNTTABOP_get_version", err)
	t.Logf("GNTTABOP_get_version(DOMID_SELF): %d", v)
	if !expect(t, "GnttabopGetVersion(c, DOMID_SELF)", "GNTTABOP_get_version", v, 1, "Linux's dom0 uses version 1") {
		return
	}
	t.Cleanup(func() {
		// Leave dom0's grant table as Linux set it up, whatever happened.
		if _, err := xen.GnttabopSetVersion(c, 1); err != nil {
			t.Errorf("GnttabopSetVersion(c, 1) [GNTTABOP_set_version] to restore version 1: %v", err)
		}
	})

	steps := []versionStep{
		{1, nil, 1, "version 1 is in force: nothing changes"},
		{0, hypercall.EINVAL, 1, "only versions 1 and 2 exist"},
		{3, hypercall.EINVAL, 1, "only versions 1 and 2 exist"},
	}
	if vm.facts.grantV2 {
		steps = append(steps,
			versionStep{2, nil, 2, "x86 lets dom0 use version 2 (gnttab_max_version defaults to 2) while no grant is in use"},
			versionStep{1, nil, 1, "back from version 2 to 1: no status frame is mapped"})
	} else {
		steps = append(steps,
			versionStep{2, hypercall.ENOSYS, 1, "Arm's gnttab_max_version is 1: set_version(2) fails as before set_version existed"})
	}
	for _, s := range steps {
		inForce, err := xen.GnttabopSetVersion(c, s.set)
		t.Logf("GNTTABOP_set_version(%d): version %d, %v", s.set, inForce, err)
		call := "GnttabopSetVersion(c, " + itoa(s.set) + ")"
		if s.err == nil {
			if err != nil {
				t.Errorf("%s [GNTTABOP_set_version] failed: %v; want success: %s", call, err, s.why)
			}
		} else if !errors.Is(err, s.err) {
			t.Errorf("%s [GNTTABOP_set_version] = %v, want %v: %s", call, err, s.err, s.why)
		}
		expect(t, call+" version", "GNTTABOP_set_version", inForce, s.inForce, s.why)
		got, err := xen.GnttabopGetVersion(c, xen.DOMID_SELF)
		must(t, "GnttabopGetVersion(c, DOMID_SELF)", "GNTTABOP_get_version", err)
		expect(t, "GnttabopGetVersion(c, DOMID_SELF) after "+call, "GNTTABOP_get_version", got, s.inForce, s.why)
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
