package xenvm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is what a console line means to the harness.
type Event int

const (
	NoEvent Event = iota
	// Started: dom0's /init is running.
	Started
	// Finished: a test binary exited (its status is in Console.Results).
	Finished
	// Done: every test has run; dom0 is powering off.
	Done
	// Fatal: the boot cannot go on (Xen or dom0 crashed). A few more lines
	// may still explain it; then the machine should be stopped.
	Fatal
)

// ProblemKind classifies what went wrong in a boot.
type ProblemKind string

const (
	XenPanic     ProblemKind = "Xen panicked"
	Dom0Crash    ProblemKind = "dom0 crashed"
	Dom0Panic    ProblemKind = "dom0 kernel panic"
	Dom0Oops     ProblemKind = "dom0 kernel oops"
	ModuleFailed ProblemKind = "a kernel module failed to load"
	MountFailed  ProblemKind = "a file system failed to mount"
	ServiceDown  ProblemKind = "a service did not start"
	TestFailed   ProblemKind = "test failed"
	TestPanicked ProblemKind = "test binary panicked"
	NoResult     ProblemKind = "no test result"
	QEMUFailed   ProblemKind = "QEMU failed"
	DeadlineUp   ProblemKind = "time limit reached"
	Interrupted  ProblemKind = "interrupted"
	Stopped      ProblemKind = "stopped by the harness"
)

const (
	maxContext    = 6   // lines kept before a panic
	maxFollowing  = 30  // lines kept after the start of a problem
	tailLines     = 40  // lines shown when nothing else says why
	maxProblemRun = 200 // lines kept of one failing test's messages
)

// Problem is one thing that went wrong, with the console lines that show it.
type Problem struct {
	Kind  ProblemKind
	Lines []string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(string(p.Kind))
	b.WriteString(":\n")
	for _, l := range p.Lines {
		b.WriteString("\t")
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// TestResult is a test binary's exit status as /init reported it, with
// the top-level tests it reported as passed and skipped (go test -v's
// "--- PASS: Name" and "--- SKIP: Name" lines), in order.
type TestResult struct {
	Name            string
	Status          int
	Passed, Skipped []string
	// SHA256 is the hex SHA-256 of the binary's file, computed in dom0
	// just before it ran ("" if /init did not report it).
	SHA256 string
}

// Console reads a VM's console one line at a time and keeps what tells how
// the boot went: the tests' results and the lines that explain a failure.
// It has no clock and does no I/O, so sample console text tests it.
type Console struct {
	Results  []TestResult
	Problems []Problem
	Init     bool // dom0's /init started
	Finished bool // /init ran every test
	Lines    int  // lines seen
	// Services are the services /init reported ready, with the time it
	// waited for each after starting it (in steps of 0.1 s).
	Services []ServiceStart

	recent []string // the last maxContext lines, oldest first
	tail   []string // the last tailLines lines
	// open is the index+1 in Problems of the problem collecting the
	// lines that follow its start, 0 if none.
	open      int
	openLeft  int
	openUntil func(string) bool // closes the problem early, line included
	// fail is the index+1 of the "--- FAIL" problem collecting its
	// indented messages, 0 if none.
	fail int
	// testOut is the running test's own output so far: go test -v
	// prints a test's messages (indented) before its "--- FAIL" line.
	testOut []string
	// passed and skipped are the running binary's top-level tests so
	// far, for its TestResult.
	passed, skipped []string
	// hashes are the test binaries' hashes /init reported, by name.
	hashes map[string]string
	// XenVersion is the version Xen's banner gave ("4.20.5-pre" of
	// "(XEN) Xen version 4.20.5-pre (Debian ...)"), "" before it.
	XenVersion string
}

// Line takes the next console line (without its newline).
func (c *Console) Line(line string) Event {
	line = strings.TrimRight(line, "\r")
	c.Lines++
	ev := c.classify(line)
	c.recent = push(c.recent, line, maxContext)
	c.tail = push(c.tail, line, tailLines)
	return ev
}

func push(s []string, line string, max int) []string {
	if len(s) == max {
		copy(s, s[1:])
		s = s[:max-1]
	}
	return append(s, line)
}

func (c *Console) classify(line string) Event {
	if c.open != 0 {
		p := &c.Problems[c.open-1]
		p.Lines = append(p.Lines, line)
		c.openLeft--
		if c.openLeft == 0 || (c.openUntil != nil && c.openUntil(line)) {
			c.open = 0
		}
		// A problem being collected can still hold a marker below.
	}
	if c.fail != 0 {
		if strings.HasPrefix(line, "    ") {
			p := &c.Problems[c.fail-1]
			if len(p.Lines) < maxProblemRun {
				p.Lines = append(p.Lines, line)
			}
			return NoEvent
		}
		c.fail = 0
	}

	if strings.HasPrefix(line, "=== RUN") || strings.HasPrefix(line, "=== CONT") || strings.HasPrefix(line, "--- PASS") || strings.HasPrefix(line, "--- SKIP") {
		c.testOut = c.testOut[:0]
		// Only top-level tests start in column 0; subtests are indented.
		if name, ok := testName(line, "--- PASS: "); ok {
			c.passed = append(c.passed, name)
		} else if name, ok := testName(line, "--- SKIP: "); ok {
			c.skipped = append(c.skipped, name)
		}
	} else if strings.HasPrefix(line, "    ") && len(c.testOut) < maxProblemRun {
		c.testOut = append(c.testOut, line)
	}

	switch {
	case strings.Contains(line, markInit):
		c.Init = true
		return Started
	case strings.Contains(line, markResult):
		f := strings.Fields(line[strings.Index(line, markResult)+len(markResult):])
		if len(f) != 2 {
			return NoEvent
		}
		st, err := strconv.Atoi(f[1])
		if err != nil {
			return NoEvent
		}
		c.Results = append(c.Results, TestResult{Name: f[0], Status: st, Passed: c.passed, Skipped: c.skipped, SHA256: c.hashes[f[0]]})
		c.passed, c.skipped = nil, nil
		return Finished
	case strings.Contains(line, markBinary):
		f := strings.Fields(line[strings.Index(line, markBinary)+len(markBinary):])
		if len(f) == 2 {
			if c.hashes == nil {
				c.hashes = map[string]string{}
			}
			c.hashes[f[0]] = f[1]
		}
	case c.XenVersion == "" && strings.Contains(line, xenBanner):
		if f := strings.Fields(line[strings.Index(line, xenBanner)+len(xenBanner):]); len(f) > 0 {
			c.XenVersion = f[0]
		}
	case strings.Contains(line, markDone):
		c.Finished = true
		return Done
	case strings.Contains(line, markServiceUp):
		f := strings.Fields(line[strings.Index(line, markServiceUp)+len(markServiceUp):])
		if len(f) == 2 {
			if n, err := strconv.Atoi(f[1]); err == nil {
				c.Services = append(c.Services, ServiceStart{Name: f[0], Wait: time.Duration(n) * 100 * time.Millisecond})
			}
		}
	case strings.Contains(line, markServiceDown):
		// The service's own output follows.
		c.open = c.add(Problem{Kind: ServiceDown, Lines: []string{line}})
		c.openLeft, c.openUntil = 10, nil
	case strings.Contains(line, markInsmodFailed):
		lines := []string{line}
		// busybox's own message ("insmod: can't insert ...") comes first.
		if n := len(c.recent); n > 0 && strings.Contains(c.recent[n-1], "insmod") {
			lines = []string{c.recent[n-1], line}
		}
		c.add(Problem{Kind: ModuleFailed, Lines: lines})
	case strings.Contains(line, markMountFailed):
		lines := []string{line}
		if n := len(c.recent); n > 0 && strings.Contains(c.recent[n-1], "mount") {
			lines = []string{c.recent[n-1], line}
		}
		c.add(Problem{Kind: MountFailed, Lines: lines})
	case strings.Contains(line, "Panic on CPU"):
		// Xen: a row of stars, "Panic on CPU n:", the message, stars,
		// then "Reboot in five seconds..." or "Manual reset required".
		c.open = c.add(Problem{Kind: XenPanic, Lines: []string{line}})
		c.openLeft, c.openUntil = maxFollowing, isXenPanicEnd
		return Fatal
	case strings.Contains(line, "Hardware Dom0 crashed") || strings.Contains(line, "Domain 0 crashed"):
		c.add(Problem{Kind: Dom0Crash, Lines: []string{line}})
		return Fatal
	case strings.Contains(line, "Kernel panic - not syncing"):
		lines := append(append([]string(nil), c.recent...), line)
		c.open = c.add(Problem{Kind: Dom0Panic, Lines: lines})
		c.openLeft, c.openUntil = 3, func(l string) bool { return strings.Contains(l, "end Kernel panic") }
		return Fatal
	case isOops(line):
		c.open = c.add(Problem{Kind: Dom0Oops, Lines: []string{line}})
		c.openLeft, c.openUntil = maxFollowing, func(l string) bool { return strings.Contains(l, "---[ end trace") }
	case strings.HasPrefix(strings.TrimSpace(line), "--- FAIL:"):
		lines := append([]string{strings.TrimSpace(line)}, c.testOut...)
		c.testOut = c.testOut[:0]
		c.fail = c.add(Problem{Kind: TestFailed, Lines: lines})
	case strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: "):
		// A Go panic: the message, then the goroutine that panicked.
		c.open = c.add(Problem{Kind: TestPanicked, Lines: []string{line}})
		c.openLeft, c.openUntil = 8, nil
	}
	return NoEvent
}

// xenBanner starts Xen's banner line on every architecture: "(XEN) Xen
// version 4.17.5 (Debian 4.17.5+72-g01140da4e8-1) ...".
const xenBanner = "(XEN) Xen version "

// ServiceStart is a service dom0's /init started and found ready.
type ServiceStart struct {
	Name string
	Wait time.Duration
}

// testName returns the test named by a go test -v line "PREFIXName (0.01s)".
func testName(line, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, " ")
	return name, name != ""
}

func isXenPanicEnd(l string) bool {
	return strings.Contains(l, "Reboot in five seconds") || strings.Contains(l, "Manual reset required")
}

func isOops(l string) bool {
	for _, s := range []string{"BUG: unable to handle", "Unable to handle kernel", "Internal error: Oops", "general protection fault", "BUG: kernel NULL pointer"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// add records a problem and returns its index+1. A new problem ends the
// one being collected.
func (c *Console) add(p Problem) int {
	c.open, c.fail = 0, 0
	c.Problems = append(c.Problems, p)
	return len(c.Problems)
}

// Tail returns the last lines seen, oldest first.
func (c *Console) Tail() []string { return append([]string(nil), c.tail...) }

// Failure reports why the boot did not give a passing result for each
// of want (the test binaries' names), or nil when it did. stopped says
// why the machine stopped when that was not the end of /init ("" if it
// was); it becomes a problem of its own.
func (c *Console) Failure(want []string, stopped ProblemKind, why string) *BootError {
	e := &BootError{Problems: append([]Problem(nil), c.Problems...)}
	got := map[string]int{}
	for _, r := range c.Results {
		got[r.Name] = r.Status
	}
	var missing []string
	for _, n := range want {
		if _, ok := got[n]; !ok {
			missing = append(missing, n)
		}
	}
	failed := false
	for _, r := range c.Results {
		if r.Status != 0 {
			failed = true
		}
	}
	if stopped != "" && (len(missing) > 0 || !c.Finished) {
		e.Problems = append(e.Problems, Problem{Kind: stopped, Lines: []string{why}})
	}
	if len(missing) > 0 {
		where := "before dom0 reached /init"
		if c.Init {
			where = "after dom0's /init started"
		}
		lines := []string{fmt.Sprintf("no %s line for %s: the console stopped %s", markResult, strings.Join(missing, ", "), where)}
		if len(c.Problems) == 0 {
			// Nothing recognisable went wrong: show how it ended.
			lines[0] += "; its last lines:"
			lines = append(lines, c.Tail()...)
		}
		e.Problems = append(e.Problems, Problem{Kind: NoResult, Lines: lines})
	}
	if len(missing) == 0 && !failed {
		return nil
	}
	e.Results = append([]TestResult(nil), c.Results...)
	return e
}

// BootError is a boot that did not end with every test passing.
type BootError struct {
	Arch     Arch
	Machine  string       // Machine.Name
	Results  []TestResult // the tests that did report
	Problems []Problem    // in the order they were seen
	Log      string       // the whole console
}

// Status is the exit status the harness should end with: the first failing
// test's, or 1 if a test never reported.
func (e *BootError) Status() int {
	for _, r := range e.Results {
		if r.Status != 0 {
			return r.Status
		}
	}
	return 1
}

func (e *BootError) Error() string {
	var b strings.Builder
	name := e.Machine
	if name == "" {
		name = string(e.Arch)
	}
	fmt.Fprintf(&b, "%s:", name)
	for _, r := range e.Results {
		fmt.Fprintf(&b, " %s exited %d;", r.Name, r.Status)
	}
	b.WriteString("\n")
	for _, p := range e.Problems {
		b.WriteString(p.String())
	}
	if e.Log != "" {
		fmt.Fprintf(&b, "whole console: %s", e.Log)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Collecting reports whether the lines that explain a problem are still
// coming: after a Fatal event the harness lets them arrive before it stops
// the machine.
func (c *Console) Collecting() bool { return c.open != 0 }
