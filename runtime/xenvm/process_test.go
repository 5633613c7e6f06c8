//go:build linux

package xenvm

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests drive boot with /bin/sh standing in for QEMU: a script that
// prints a console and then behaves as a machine might.

// fakeBoot runs script as the machine and returns how the boot went and
// the pid of a child the script started in the background ("$!" printed
// as "CHILD <pid>"), 0 if none.
func fakeBoot(t *testing.T, ctx context.Context, timeout time.Duration, script string) (booted, *Console, int) {
	t.Helper()
	var cons Console
	var out strings.Builder
	b := boot(ctx, timeout, "/bin/sh", []string{"-c", script}, &cons, &out)
	child := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if s, ok := strings.CutPrefix(l, "CHILD "); ok {
			child, _ = strconv.Atoi(s)
		}
	}
	return b, &cons, child
}

// gone reports whether pid ends within a few seconds. SIGKILL to a process
// group returns before its members have died, so it waits for the exit
// through a pidfd, which becomes readable when the process exits.
func gone(pid int) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return true
	}
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 10_000)
	return err == nil && n == 1
}

func TestBootPowersOff(t *testing.T) {
	b, cons, _ := fakeBoot(t, context.Background(), time.Minute,
		"echo XENVM-INIT: start; echo 'XENVM-RESULT: a.test 0'; echo XENVM-DONE")
	if b.err != nil || b.stopped != "" || b.killed {
		t.Errorf("boot = %+v, want a machine that ended by itself", b)
	}
	if cons.Failure([]string{"a.test"}, b.stopped, b.why) != nil || b.init == 0 || b.done == 0 || b.total == 0 {
		t.Errorf("results %v, times %v %v %v", cons.Results, b.init, b.done, b.total)
	}
}

func TestBootTimeLimit(t *testing.T) {
	b, cons, child := fakeBoot(t, context.Background(), 500*time.Millisecond,
		"sleep 600 & echo CHILD $!; echo '(XEN) Xen version 4.17.5'; wait")
	if b.stopped != DeadlineUp || !b.killed {
		t.Errorf("boot = %+v, want stopped at the time limit", b)
	}
	if child == 0 || !gone(child) {
		t.Errorf("the machine's child process %d outlived the boot", child)
	}
	e := cons.Failure([]string{"a.test"}, b.stopped, b.why)
	if e == nil || !strings.Contains(e.Error(), "Xen version 4.17.5") || !strings.Contains(e.Error(), "time limit") {
		t.Errorf("report %v: want the time limit and the console's last lines", e)
	}
}

func TestBootCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _, _ := fakeBoot(t, ctx, time.Minute, "sleep 600")
	if b.stopped != Interrupted || !b.killed {
		t.Errorf("boot = %+v, want stopped as interrupted", b)
	}
}

// TestBootStopsAfterPanic: once the lines explaining a Xen panic are in,
// the harness ends the machine instead of waiting for Xen's reboot.
func TestBootStopsAfterPanic(t *testing.T) {
	b, cons, child := fakeBoot(t, context.Background(), time.Minute,
		"sleep 600 & echo CHILD $!; printf '%s\\n' '(XEN) Panic on CPU 0:' '(XEN) Domain 0 allocation is too small for kernel image' '(XEN) Reboot in five seconds...'; wait")
	if b.stopped != Stopped || !b.killed {
		t.Errorf("boot = %+v, want stopped by the harness", b)
	}
	if !gone(child) {
		t.Errorf("the machine's child process %d outlived the boot", child)
	}
	if e := cons.Failure([]string{"a.test"}, b.stopped, b.why); e == nil || e.Problems[0].Kind != XenPanic {
		t.Errorf("report %v, want a Xen panic first", e)
	}
}

func TestBootQEMUFails(t *testing.T) {
	b, cons, _ := fakeBoot(t, context.Background(), time.Minute,
		"echo 'qemu-system-aarch64: -device guest-loader: could not load kernel' >&2; exit 1")
	if b.stopped != QEMUFailed {
		t.Errorf("boot = %+v, want QEMU failed", b)
	}
	e := cons.Failure([]string{"a.test"}, b.stopped, b.why)
	if e == nil || !strings.Contains(e.Error(), "could not load kernel") {
		t.Errorf("report %v: want QEMU's own message (its stderr is part of the console)", e)
	}

	var none Console
	if b := boot(context.Background(), time.Minute, "/no/such/qemu", nil, &none, io.Discard); !errors.Is(b.err, syscall.ENOENT) {
		t.Errorf("a missing emulator: err = %v", b.err)
	}
}
