package xenvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
// 32-bit one where dom0 runs it (which must get ENOTTY from privcmd).
func TestBoot(t *testing.T) {
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
				t.Logf("%s: boot %v, tests %v, total %v, powered off by itself: %v, results %v",
					m.Arch, res.Boot, res.Run, res.Total, res.PoweredOff, res.Tests)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
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
			TestArgs: []string{"-test.run=TestCapabilities"},
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
		if msg := err.Error(); !strings.Contains(msg, "--- FAIL: TestCapabilities") || !strings.Contains(msg, `want it to name "xen-3.0-bogus"`) {
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
