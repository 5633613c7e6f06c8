//go:build xenvm

package itest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// Concurrency: goroutines × calls wrapped hypercalls at once.
const (
	goroutines = 32
	callsEach  = 200
)

// gogcChild marks the copy of the test binary TestConcurrentGOGC1 runs.
const gogcChild = "XENVM_ITEST_GOGC_CHILD"

// TestConcurrentGOGC1 runs concurrentCalls in a copy of this test binary
// started with GOGC=1, so that the collector runs all the time, as it
// would set it from the start of a real program.
func TestConcurrentGOGC1(t *testing.T) {
	if os.Getenv(gogcChild) != "" {
		concurrentCalls(t)
		return
	}
	if compat32() {
		t.Skip("a 32-bit process on a 64-bit kernel cannot use privcmd (TestCompat32 checks that)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The child's own time limit, below the harness's, makes a hang
	// print its goroutines.
	cmd := exec.Command(exe, "-test.run=^TestConcurrentGOGC1$", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "GOGC=1", gogcChild+"=1")
	out, err := cmd.CombinedOutput()
	// The child's output, indented, shows with ours.
	t.Logf("GOGC=1 %s -test.run=^TestConcurrentGOGC1$:\n%s", exe, indent(string(out)))
	if err != nil {
		t.Errorf("the GOGC=1 run of %d goroutines × %d wrapped calls failed (%v); its messages are above", goroutines, callsEach, err)
	}
}

// concurrentCall is one wrapped hypercall with a known answer.
type concurrentCall struct {
	name string // the wrapper and the C command, for messages
	do   func(hypercall.Caller) (string, error)
}

// concurrentCalls issues goroutines×callsEach wrapped hypercalls from as
// many goroutines at once, in a process with GOGC=1, each at a varying
// stack depth so that goroutine stacks grow and move, with garbage made
// between calls so that the collector keeps running; every answer must
// equal the one a single call gave before.
func concurrentCalls(t *testing.T) {
	if old := debug.SetGCPercent(1); old != 1 {
		t.Fatalf("GOGC is %d, want 1: the parent test sets GOGC=1", old)
	}
	c := caller(t)
	calls := []concurrentCall{
		{"XenverVersion [XENVER_version]", func(c hypercall.Caller) (string, error) {
			v, err := xen.XenverVersion(c)
			return fmt.Sprint(v), err
		}},
		{"XenverCapabilities [XENVER_capabilities]", func(c hypercall.Caller) (string, error) {
			v, err := xen.XenverCapabilities(c)
			return hypercall.CString(v[:]), err
		}},
		{"XenverCommandline [XENVER_commandline]", func(c hypercall.Caller) (string, error) {
			v, err := xen.XenverCommandline(c)
			return hypercall.CString(v[:]), err
		}},
		{"XenmemCurrentReservation(DOMID_SELF) [XENMEM_current_reservation]", func(c hypercall.Caller) (string, error) {
			v, err := xen.XenmemCurrentReservation(c, xen.DOMID_SELF)
			return fmt.Sprint(v), err
		}},
		{"XenmemMaximumReservation(DOMID_SELF) [XENMEM_maximum_reservation]", func(c hypercall.Caller) (string, error) {
			v, err := xen.XenmemMaximumReservation(c, xen.DOMID_SELF)
			return fmt.Sprint(v), err
		}},
		{"GnttabopQuerySize(DOMID_SELF) [GNTTABOP_query_size]", func(c hypercall.Caller) (string, error) {
			n, m, err := xen.GnttabopQuerySize(c, xen.DOMID_SELF)
			return fmt.Sprint(n, m), err
		}},
		{"GnttabopGetVersion(DOMID_SELF) [GNTTABOP_get_version]", func(c hypercall.Caller) (string, error) {
			v, err := xen.GnttabopGetVersion(c, xen.DOMID_SELF)
			return fmt.Sprint(v), err
		}},
	}
	want := make([]string, len(calls))
	for i, cc := range calls {
		v, err := cc.do(c)
		if err != nil {
			t.Fatalf("%s alone: %v", cc.name, err)
		}
		want[i] = v
	}

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var garbage [][]byte
			for i := 0; i < callsEach; i++ {
				k := (g + i) % len(calls)
				got, err := atDepth(i%24, func() (string, error) { return calls[k].do(c) })
				if err == nil && got != want[k] {
					err = fmt.Errorf("got %q, want %q", got, want[k])
				}
				if err != nil {
					errs[g] = fmt.Errorf("goroutine %d, call %d: %s: %w", g, i, calls[k].name, err)
					return
				}
				// Keep a few allocations alive and drop the rest.
				garbage = append(garbage, make([]byte, 4096+i))
				if len(garbage) == 8 {
					garbage = garbage[:0]
				}
			}
		}()
	}
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	gcs := after.NumGC - before.NumGC
	t.Logf("%d goroutines × %d wrapped calls with GOGC=1: %d collections meanwhile", goroutines, callsEach, gcs)
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d goroutines got a wrong answer or an error", failed, goroutines)
	}
	// The point is calls racing the collector: make sure it ran.
	if gcs < 10 {
		t.Errorf("only %d collections ran during the calls, want at least 10: GOGC=1 did not keep the collector busy", gcs)
	}
}

// atDepth calls f below depth frames of over 1 KiB each, so that the
// goroutine's stack grows (and is copied) between calls.
//
//go:noinline
func atDepth(depth int, f func() (string, error)) (string, error) {
	var pad [1024]byte
	pad[depth%len(pad)] = 1
	if depth == 0 {
		return f()
	}
	s, err := atDepth(depth-1, f)
	if pad[depth*7%len(pad)] > 1 { // never; keeps pad in the frame
		return "", nil
	}
	return s, err
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t")
}
