package xenvm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
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

// TestBoot boots every machine (Xen 4.17 and 4.20) and runs the
// integration tests in dom0: the binary for dom0's own GOARCH and, in the
// same boot, the 32-bit one where dom0 runs it (which must get ENOTTY from
// privcmd). Each GOARCH's binaries are built once and the same files go to
// every machine that runs them: one binary, proven on both Xen releases.
// It then checks from the console that each native binary ran every test
// but TestCompat32, the same ones on every machine (arm32's 32-bit binary
// included), that each 32-bit binary on a 64-bit dom0 ran TestCompat32,
// that Xen's banner names the machine's release, and that dom0 hashed
// each binary to the SHA-256 of the file built here, on every machine.
func TestBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots VMs (-short)")
	}
	dir := t.TempDir()
	builds := map[string]Build{}
	build := func(t *testing.T, goarch string) Build {
		t.Helper()
		if b, ok := builds[goarch]; ok {
			return b
		}
		b, err := BuildFor(context.Background(), goarch, dir)
		if err != nil {
			t.Fatal(err)
		}
		builds[goarch] = b
		return b
	}
	passed := map[string][]string{} // the native binary's passed tests, by machine
	type run struct{ machine, sha string }
	ran := map[string][]run{} // by test binary
	for _, m := range Machines {
		t.Run(m.Name(), func(t *testing.T) {
			prepare(t, m)
			cfg := Config{
				Machine:  m,
				Progress: testWriter{t},
				// LogFile: the default, out/NAME.log, which outlives a failure.
			}
			for _, goarch := range nonEmpty(m.GOARCH, m.Compat32) {
				cfg.Builds = append(cfg.Builds, build(t, goarch))
			}
			res, err := Run(context.Background(), cfg)
			if res != nil {
				t.Logf("%s: Xen %s, boot %v, tests %v, total %v, powered off by itself: %v",
					m.Name(), res.XenVersion, res.Boot, res.Run, res.Total, res.PoweredOff)
				for _, r := range res.Tests {
					t.Logf("%s: exit status %d, sha256 %s, passed %q, skipped %q", r.Name, r.Status, r.SHA256, r.Passed, r.Skipped)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := string(m.Xen) + m.XenExtraversion; res.XenVersion != want {
				t.Errorf("Xen's banner says version %q, want %q (the machine's Xen and XenExtraversion)", res.XenVersion, want)
			}
			for _, r := range res.Tests {
				ran[r.Name] = append(ran[r.Name], run{m.Name(), r.SHA256})
				switch r.Name {
				case "itest-" + m.GOARCH + ".test":
					if len(r.Passed) == 0 || !slices.Equal(r.Skipped, []string{"TestCompat32"}) {
						t.Errorf("%s on %s skipped %q; want only TestCompat32 skipped, every other test run", r.Name, m.Name(), r.Skipped)
					}
					passed[m.Name()] = r.Passed
				case "itest-" + m.Compat32 + ".test":
					if !slices.Equal(r.Passed, []string{"TestCompat32"}) {
						t.Errorf("%s on %s passed %q; want TestCompat32 alone: the 32-bit binary's hypercalls must all fail", r.Name, m.Name(), r.Passed)
					}
				default:
					t.Errorf("unexpected test binary %s on %s", r.Name, m.Name())
				}
			}
		})
	}
	var first string
	for _, m := range Machines {
		p, ok := passed[m.Name()]
		if !ok {
			continue
		}
		if first == "" {
			first = m.Name()
		} else if !slices.Equal(p, passed[first]) {
			t.Errorf("the integration tests passed on %s, %q, differ from those on %s, %q: every machine must run the same", m.Name(), p, first, passed[first])
		}
	}
	for goarch, b := range builds {
		data, err := os.ReadFile(b.Tests)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%x", sha256.Sum256(data))
		name := filepath.Base(b.Tests)
		var on []string
		for _, r := range ran[name] {
			on = append(on, r.machine)
			if r.sha != want {
				t.Errorf("%s: dom0 of %s hashed the binary to %q, want %s, the file built once for GOARCH=%s", name, r.machine, r.sha, want, goarch)
			}
		}
		t.Logf("%s (sha256 %s) ran on %s", name, want, strings.Join(on, ", "))
	}
}

// TestBootReportsFailures breaks a boot on purpose, twice, on the fastest
// machine, and checks that the harness says why with the console lines
// that show it.
func TestBootReportsFailures(t *testing.T) {
	m, _ := Lookup("arm64-4.20") // the fastest boot
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
