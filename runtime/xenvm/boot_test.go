package xenvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// prepare makes m's VM available or skips the test saying exactly why it
// cannot be had. Under CI (CI set) it fails instead: CI installs QEMU and
// fetches the packages, so a skip there would hide a broken set-up.
func prepare(t *testing.T, m Machine) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a VM (-short)")
	}
	_, err := Prepare(m, testWriter{t})
	var unavailable *UnavailableError
	switch {
	case errors.As(err, &unavailable) && os.Getenv("CI") == "":
		t.Skipf("real Xen on %s cannot be had here: %v", m.Arch, err)
	case err != nil:
		t.Fatal(err)
	}
}

// TestBoot boots Xen on every architecture and runs the integration tests
// in dom0: the binary for dom0's own GOARCH and, in the same boot, the
// 32-bit one where dom0 runs it (which must get ENOTTY from privcmd). It
// then checks from the console that each native binary ran every test but
// TestCompat32, the same ones on every architecture (arm32's 32-bit binary
// included), and that each 32-bit binary on a 64-bit dom0 ran TestCompat32.
func TestBoot(t *testing.T) {
	passed := map[Arch][]string{} // the native binary's passed tests
	for _, m := range Machines {
		t.Run(string(m.Arch), func(t *testing.T) {
			prepare(t, m)
			cfg := Config{
				Machine:  m,
				GOARCHes: nonEmpty(m.GOARCH, m.Compat32),
				Progress: testWriter{t},
				// LogFile: the default, out/ARCH.log, which outlives a failure.
			}
			res, err := Run(context.Background(), cfg)
			if res != nil {
				t.Logf("%s: boot %v, tests %v, total %v, powered off by itself: %v",
					m.Arch, res.Boot, res.Run, res.Total, res.PoweredOff)
				for _, r := range res.Tests {
					t.Logf("%s: exit status %d, passed %q, skipped %q", r.Name, r.Status, r.Passed, r.Skipped)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Tests {
				switch r.Name {
				case "itest-" + m.GOARCH + ".test":
					if len(r.Passed) == 0 || !slices.Equal(r.Skipped, []string{"TestCompat32"}) {
						t.Errorf("%s on %s skipped %q; want only TestCompat32 skipped, every other test run", r.Name, m.Arch, r.Skipped)
					}
					passed[m.Arch] = r.Passed
				case "itest-" + m.Compat32 + ".test":
					if !slices.Equal(r.Passed, []string{"TestCompat32"}) {
						t.Errorf("%s on %s passed %q; want TestCompat32 alone: the 32-bit binary's hypercalls must all fail", r.Name, m.Arch, r.Passed)
					}
				default:
					t.Errorf("unexpected test binary %s on %s", r.Name, m.Arch)
				}
			}
		})
	}
	var first Arch
	for _, m := range Machines {
		p, ok := passed[m.Arch]
		if !ok {
			continue
		}
		if first == "" {
			first = m.Arch
		} else if !slices.Equal(p, passed[first]) {
			t.Errorf("the integration tests passed on %s, %q, differ from those on %s, %q: every architecture must run the same", m.Arch, p, first, passed[first])
		}
	}
}

// TestBootReportsFailures breaks a boot on purpose, twice, on the fastest
// machine, and checks that the harness says why with the console lines
// that show it.
func TestBootReportsFailures(t *testing.T) {
	m, _ := Lookup(string(ARM64))
	prepare(t, m)

	t.Run("test fails", func(t *testing.T) {
		_, err := Run(context.Background(), Config{
			Machine:  m,
			Env:      map[string]string{"XENVM_CAPABILITY": "xen-3.0-bogus"},
			TestArgs: []string{"-test.run=TestXenverCapabilities"},
			LogFile:  filepath.Join(t.TempDir(), "console.log"),
		})
		var e *BootError
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want a *BootError", err)
		}
		t.Logf("reported:\n%v", err)
		if e.Status() != 1 || len(e.Problems) != 1 || e.Problems[0].Kind != TestFailed {
			t.Errorf("status %d, problems %v: want status 1 and one failed test", e.Status(), e.Problems)
		}
		if msg := err.Error(); !strings.Contains(msg, "--- FAIL: TestXenverCapabilities") || !strings.Contains(msg, `want it to name "xen-3.0-bogus"`) {
			t.Errorf("the report does not show the failing test and its message")
		}
	})

	t.Run("dom0 panics", func(t *testing.T) {
		broken := m
		broken.Dom0Options += " rdinit=/no-such-init" // no init: the kernel panics
		_, err := Run(context.Background(), Config{
			Machine: broken,
			LogFile: filepath.Join(t.TempDir(), "console.log"),
		})
		var e *BootError
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want a *BootError", err)
		}
		t.Logf("reported:\n%v", err)
		if len(e.Problems) == 0 || e.Problems[0].Kind != Dom0Panic {
			t.Fatalf("problems %v, want a dom0 kernel panic first", e.Problems)
		}
		if !strings.Contains(err.Error(), "Kernel panic - not syncing") {
			t.Errorf("the report does not show the panic line")
		}
	})
}

// testWriter sends the harness's progress messages to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
