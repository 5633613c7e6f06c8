package xenvm

import (
	"strings"
	"testing"
	"time"
)

// Console text as the VMs print it (trimmed from real boots).
const (
	consolePass = `(XEN) Xen version 4.17.5 (Debian 4.17.5+72-g01140da4e8-1)
[    6.662540] Freeing unused kernel image (text/rodata gap) memory: 2040K
XENVM-INIT: start
XENVM-BINARY: itest-amd64.test 4f3c0cbd7e8d50b4b4f0e1bd1ed4ed7e6fb66a4a0b3ee50b3d3a3b5b8c0a1d2e
=== RUN   TestVersion
    xen_test.go:55: xen_version: 4.17
--- PASS: TestVersion (0.01s)
PASS

XENVM-RESULT: itest-amd64.test 0
XENVM-DONE
[   10.786338] reboot: Power down
(XEN) Entering ACPI S5 state.`

	consoleTestFails = `XENVM-INIT: start
=== RUN   TestVersion
    xen_test.go:55: xen_version: 4.17
--- PASS: TestVersion (0.01s)
=== RUN   TestCapabilities
    xen_test.go:78: capabilities: "xen-3.0-aarch64 xen-3.0-armv7l "
    xen_test.go:81: XENVER_capabilities = "xen-3.0-aarch64 xen-3.0-armv7l ", want it to name "xen-3.0-bogus"
--- FAIL: TestCapabilities (0.00s)
=== RUN   TestPageSize
--- PASS: TestPageSize (0.00s)
FAIL

XENVM-RESULT: itest-arm64.test 1
XENVM-DONE`

	consoleXenPanic = `(XEN)  Xen  kernel: 64-bit, lsb
(XEN)  Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x4a00000
(XEN) 
(XEN) ****************************************
(XEN) Panic on CPU 0:
(XEN) Domain 0 allocation is too small for kernel image
(XEN) ****************************************
(XEN) 
(XEN) Reboot in five seconds...`

	consoleDom0Panic = `(XEN) d0v0: vGICD: unhandled word write 0x000000ffffffff to ICACTIVER28
[    0.110973] Grant table initialized
[    1.700920] List of all partitions:
[    1.701183] No filesystem could mount root, tried: 
[    1.701198] 
[    1.701548] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
[    1.706104] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-50-arm64 #1  Debian 6.1.176-1
[    1.706431] Hardware name: linux,dummy-virt (DT)
[    1.706695] Call trace:
[    1.706800]  dump_backtrace+0xe4/0x140
[    1.706900]  show_stack+0x20/0x30`

	consoleInsmod = `XENVM-INIT: start
insmod: can't insert '/lib/modules/xen/xen_privcmd.ko': invalid module format
XENVM-INSMOD-FAILED: xen_privcmd
insmod: can't insert '/lib/modules/xen/xenfs.ko': unknown symbol in module, or unknown parameter
XENVM-INSMOD-FAILED: xenfs
mount: mounting xenfs on /proc/xen failed: No such device
XENVM-MOUNT-FAILED: xenfs
=== RUN   TestVersion
    xen_test.go:52: open /dev/xen/privcmd: no such file or directory
--- FAIL: TestVersion (0.00s)
FAIL

XENVM-RESULT: itest-amd64.test 1
XENVM-DONE`

	consoleGoPanic = `XENVM-INIT: start
=== RUN   TestVersion
panic: runtime error: index out of range [16] with length 16

goroutine 7 [running]:
github.com/xenbind/xenbind/runtime/xenvm/itest.(*hypervisor).cstring(...)
	/work/main/runtime/xenvm/itest/privcmd_test.go:110
github.com/xenbind/xenbind/runtime/xenvm/itest.TestVersion(0x1)
	/work/main/runtime/xenvm/itest/xen_test.go:64 +0x1f4
testing.tRunner(0x1, 0x2)
	/usr/local/go/src/testing/testing.go:1934 +0xc8
FAIL	github.com/xenbind/xenbind/runtime/xenvm/itest	0.022s

XENVM-RESULT: itest-arm.test 2
XENVM-DONE`

	consoleHang = `(XEN) Xen version 4.17.5 (Debian 4.17.5+72-g01140da4e8-1)
[    0.000000] Booting Linux on physical CPU 0x0
[    1.234567] pci-host-generic 3f000000.pcie: host bridge /pcie@10000000 ranges:`
)

func feed(text string) (*Console, []Event) {
	var c Console
	var events []Event
	for _, l := range strings.Split(text, "\n") {
		if ev := c.Line(l); ev != NoEvent {
			events = append(events, ev)
		}
	}
	return &c, events
}

func TestConsole(t *testing.T) {
	for _, c := range []struct {
		name    string
		text    string
		want    []string // tests expected to report
		stopped ProblemKind
		events  []Event
		// kinds of the problems reported, in order; nil: no failure
		kinds  []ProblemKind
		status int
		// lines the report must show
		show []string
	}{
		{
			name:   "pass",
			text:   consolePass,
			want:   []string{"itest-amd64.test"},
			events: []Event{Started, Finished, Done},
		},
		{
			name:   "test fails",
			text:   consoleTestFails,
			want:   []string{"itest-arm64.test"},
			events: []Event{Started, Finished, Done},
			kinds:  []ProblemKind{TestFailed},
			status: 1,
			show: []string{
				"--- FAIL: TestCapabilities (0.00s)",
				`    xen_test.go:81: XENVER_capabilities = "xen-3.0-aarch64 xen-3.0-armv7l ", want it to name "xen-3.0-bogus"`,
			},
		},
		{
			name:    "Xen panics",
			text:    consoleXenPanic,
			want:    []string{"itest-amd64.test"},
			stopped: Stopped,
			events:  []Event{Fatal},
			kinds:   []ProblemKind{XenPanic, Stopped, NoResult},
			status:  1,
			show:    []string{"(XEN) Panic on CPU 0:", "(XEN) Domain 0 allocation is too small for kernel image", "before dom0 reached /init"},
		},
		{
			name:    "dom0 panics",
			text:    consoleDom0Panic,
			want:    []string{"itest-arm64.test"},
			stopped: Stopped,
			events:  []Event{Fatal},
			kinds:   []ProblemKind{Dom0Panic, Stopped, NoResult},
			status:  1,
			show:    []string{"No filesystem could mount root", "Kernel panic - not syncing: VFS: Unable to mount root fs"},
		},
		{
			name:   "modules fail",
			text:   consoleInsmod,
			want:   []string{"itest-amd64.test"},
			events: []Event{Started, Finished, Done},
			kinds:  []ProblemKind{ModuleFailed, ModuleFailed, MountFailed, TestFailed},
			status: 1,
			show: []string{
				"insmod: can't insert '/lib/modules/xen/xen_privcmd.ko': invalid module format",
				"XENVM-INSMOD-FAILED: xenfs",
				"mount: mounting xenfs on /proc/xen failed: No such device",
				"open /dev/xen/privcmd: no such file or directory",
			},
		},
		{
			name:   "test binary panics",
			text:   consoleGoPanic,
			want:   []string{"itest-arm.test"},
			events: []Event{Started, Finished, Done},
			kinds:  []ProblemKind{TestPanicked},
			status: 2,
			show:   []string{"panic: runtime error: index out of range [16] with length 16", "privcmd_test.go:110"},
		},
		{
			name:    "hangs",
			text:    consoleHang,
			want:    []string{"itest-arm.test"},
			stopped: DeadlineUp,
			kinds:   []ProblemKind{DeadlineUp, NoResult},
			status:  1,
			show:    []string{"its last lines:", "pci-host-generic 3f000000.pcie"},
		},
		{
			name:   "one of two tests reports",
			text:   consolePass,
			want:   []string{"itest-amd64.test", "itest-386.test"},
			events: []Event{Started, Finished, Done},
			kinds:  []ProblemKind{NoResult},
			status: 1,
			show:   []string{"no XENVM-RESULT: line for itest-386.test: the console stopped after dom0's /init started"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			cons, events := feed(c.text)
			if !equal(events, c.events) {
				t.Errorf("events %v, want %v", events, c.events)
			}
			e := cons.Failure(c.want, c.stopped, "why")
			if c.kinds == nil {
				if e != nil {
					t.Fatalf("Failure = %v, want none", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("Failure = nil, want %v", c.kinds)
			}
			var kinds []ProblemKind
			for _, p := range e.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !equal(kinds, c.kinds) {
				t.Errorf("problems %v, want %v", kinds, c.kinds)
			}
			if got := e.Status(); got != c.status {
				t.Errorf("Status() = %d, want %d", got, c.status)
			}
			report := e.Error()
			for _, s := range c.show {
				if !strings.Contains(report, s) {
					t.Errorf("report lacks %q:\n%s", s, report)
				}
			}
		})
	}
}

// TestConsoleCollecting: after a Xen panic the harness waits for the lines
// that explain it, and no longer.
func TestConsoleCollecting(t *testing.T) {
	var c Console
	lines := strings.Split(consoleXenPanic, "\n")
	for i, l := range lines {
		ev := c.Line(l)
		if strings.Contains(l, "Panic on CPU") && ev != Fatal {
			t.Errorf("%q: event %v, want Fatal", l, ev)
		}
		last := i == len(lines)-1
		panicking := i >= 4 // the "Panic on CPU" line
		if want := panicking && !last; c.Collecting() != want {
			t.Errorf("after %q: Collecting() = %v, want %v", l, c.Collecting(), want)
		}
	}
}

func TestConsoleResultAnywhereInLine(t *testing.T) {
	var c Console
	c.Line("ok  \tsome test output without a newlineXENVM-RESULT: a.test 3\r")
	c.Line("XENVM-RESULT: b.test notanumber")
	c.Line("XENVM-RESULT: too many fields 0")
	if len(c.Results) != 1 || c.Results[0].Name != "a.test" || c.Results[0].Status != 3 {
		t.Errorf("Results = %v, want [{a.test 3}]", c.Results)
	}
}

// TestConsolePassedSkipped: each result lists its binary's top-level
// tests that passed and were skipped, not its subtests, and not those of
// the binary before.
func TestConsolePassedSkipped(t *testing.T) {
	var c Console
	for _, l := range []string{
		"=== RUN   TestA",
		"--- PASS: TestA (0.00s)",
		"=== RUN   TestB",
		"    --- PASS: TestB/sub (0.00s)",
		"    b_test.go:9: skipping",
		"--- SKIP: TestB (0.00s)",
		"--- PASS: TestC (1.20s)",
		"XENVM-RESULT: one.test 0",
		"--- SKIP: TestA (0.00s)",
		"XENVM-RESULT: two.test 0",
	} {
		c.Line(l)
	}
	if len(c.Results) != 2 {
		t.Fatalf("Results = %v, want two", c.Results)
	}
	if r := c.Results[0]; !equal(r.Passed, []string{"TestA", "TestC"}) || !equal(r.Skipped, []string{"TestB"}) {
		t.Errorf("one.test: passed %q, skipped %q; want [TestA TestC], [TestB]", r.Passed, r.Skipped)
	}
	if r := c.Results[1]; len(r.Passed) != 0 || !equal(r.Skipped, []string{"TestA"}) {
		t.Errorf("two.test: passed %q, skipped %q; want none, [TestA]", r.Passed, r.Skipped)
	}
}

func TestConsoleTail(t *testing.T) {
	var c Console
	for i := 0; i < 100; i++ {
		c.Line(strings.Repeat("x", i))
	}
	tail := c.Tail()
	if len(tail) != tailLines || tail[len(tail)-1] != strings.Repeat("x", 99) {
		t.Errorf("Tail() has %d lines, the last %q", len(tail), tail[len(tail)-1])
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConsoleServices(t *testing.T) {
	var c Console
	for _, l := range []string{
		markServiceUp + " xenstored 2",
		markServiceDown + " other",
		"other: error while loading shared libraries: libx.so.1",
	} {
		c.Line(l)
	}
	if len(c.Services) != 1 || c.Services[0] != (ServiceStart{"xenstored", 200 * time.Millisecond}) {
		t.Errorf("Services = %+v, want xenstored after 200ms", c.Services)
	}
	if len(c.Problems) != 1 || c.Problems[0].Kind != ServiceDown || len(c.Problems[0].Lines) != 2 {
		t.Fatalf("Problems = %+v, want one %q with the service's output", c.Problems, ServiceDown)
	}
}

// TestConsoleFacts: the console gives Xen's version from its (first)
// banner and each test binary's hash as dom0 computed it.
func TestConsoleFacts(t *testing.T) {
	cons, _ := feed(consolePass + "\n(XEN) Xen version 4.99 (a second banner)")
	if cons.XenVersion != "4.17.5" {
		t.Errorf("XenVersion = %q, want 4.17.5", cons.XenVersion)
	}
	if len(cons.Results) != 1 || cons.Results[0].SHA256 != "4f3c0cbd7e8d50b4b4f0e1bd1ed4ed7e6fb66a4a0b3ee50b3d3a3b5b8c0a1d2e" {
		t.Errorf("Results = %+v, want itest-amd64.test with its hash", cons.Results)
	}
	cons, _ = feed(consoleTestFails)
	if cons.XenVersion != "" || cons.Results[0].SHA256 != "" {
		t.Errorf("XenVersion %q, hash %q from a console with neither", cons.XenVersion, cons.Results[0].SHA256)
	}
}
