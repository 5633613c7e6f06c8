//go:build linux

package privcmd

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// Hypercall numbers the fake privcmd understands (xen.h, version.h).
const (
	opXenVersion  = 17
	xenverVersion = 0
)

// fakePrivcmd stands in for the kernel driver and the hypervisor behind it:
// it answers XENVER_version with 4.17 and everything else with ENOSYS,
// unless told to fail. It records the last request it was given.
type fakePrivcmd struct {
	mu     sync.Mutex
	last   request
	calls  int
	errno  unix.Errno // returned instead of an answer when set
	closed bool
}

func (f *fakePrivcmd) hypercall(req *request) (uintptr, unix.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last.Op, f.last.Arg = req.Op, req.Arg // field by field: on arm the struct holds align8
	f.calls++
	switch {
	case f.closed:
		return 0, unix.EBADF
	case f.errno != 0:
		return 0, f.errno
	case req.Op == opXenVersion && req.Arg[0] == xenverVersion:
		return 4<<16 | 17, 0
	default:
		return 0, unix.ENOSYS // the driver turns Xen's -ENOSYS into errno
	}
}

func (f *fakePrivcmd) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func newFakeDevice(t testing.TB, compat32 bool) (*Device, *fakePrivcmd) {
	t.Helper()
	f := &fakePrivcmd{}
	d, err := newDevice(f, lockedMemory{}, nil, unix.Getpagesize(), compat32)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, f
}

func TestRequestLayout(t *testing.T) {
	if got := unsafe.Sizeof(request{}); got != 48 {
		t.Errorf("sizeof(request) = %d, want 48", got)
	}
	if got := unsafe.Offsetof(request{}.Arg); got != 8 {
		t.Errorf("offsetof(request.arg) = %d, want 8", got)
	}
	// The bytes the kernel copies: op then five arguments, each a
	// little-endian u64 on all four targets.
	req := request{Op: 0x1122334455667788, Arg: [5]uint64{1, 2, 3, 0xffffffffffffffff, 5 << 40}}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&req)), unsafe.Sizeof(req))
	want := []uint64{0x1122334455667788, 1, 2, 3, 0xffffffffffffffff, 5 << 40}
	for i, w := range want {
		var got uint64
		for j := 7; j >= 0; j-- {
			got = got<<8 | uint64(raw[i*8+j])
		}
		if got != w {
			t.Errorf("word %d of the request = %#x, want %#x", i, got, w)
		}
	}
}

// ioc is _IOC from Linux's asm-generic/ioctl.h, written out independently
// of the package's constants.
func ioc(dir, typ, nr, size uint) uint {
	return dir<<30 | size<<16 | typ<<8 | nr
}

func TestIoctlNumber(t *testing.T) {
	// Check ioc against ioctl numbers x/sys/unix took from this GOARCH's
	// kernel headers, so that the encoding below is the target's own.
	const iocWrite, iocRead = 1, 2
	checks := []struct {
		name string
		got  uint
		want uint
	}{
		{"PERF_EVENT_IOC_ENABLE = _IO('$', 0)", ioc(0, '$', 0, 0), uint(unix.PERF_EVENT_IOC_ENABLE)},
		{"PERF_EVENT_IOC_SET_BPF = _IOW('$', 8, __u32)", ioc(iocWrite, '$', 8, 4), uint(unix.PERF_EVENT_IOC_SET_BPF)},
		{"RTC_RD_TIME = _IOR('p', 9, struct rtc_time)", ioc(iocRead, 'p', 9, uint(unsafe.Sizeof(unix.RTCTime{}))), uint(unix.RTC_RD_TIME)},
		{"IOCTL_PRIVCMD_HYPERCALL", ioctlHypercall, ioc(0, 'P', 0, 48)},
		{"IOCTL_PRIVCMD_HYPERCALL literal", ioctlHypercall, 0x00305000},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestCall(t *testing.T) {
	tests := []struct {
		name     string
		compat32 bool
		errno    unix.Errno
		op       uint64
		args     [5]uint64
		want     uint64
		wantErr  error
	}{
		{name: "result", op: opXenVersion, args: [5]uint64{xenverVersion}, want: 0x40011},
		{name: "xen errno", op: opXenVersion, args: [5]uint64{99, 0xdead}, wantErr: hypercall.ENOSYS},
		{name: "permission", errno: unix.EPERM, op: 1, wantErr: hypercall.EPERM},
		{name: "enotty in a 64-bit process", errno: unix.ENOTTY, op: 1, wantErr: hypercall.Errno(unix.ENOTTY)},
		{name: "enotty in a 32-bit process", compat32: true, errno: unix.ENOTTY, op: 1, wantErr: hypercall.Compat32Error{}},
		{name: "other errno in a 32-bit process", compat32: true, errno: unix.EFAULT, op: 1, wantErr: hypercall.EFAULT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, f := newFakeDevice(t, tt.compat32)
			f.errno = tt.errno
			got, err := d.Call(tt.op, tt.args)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Call(%d, %v) = %#x, %v; want %#x, %v", tt.op, tt.args, got, err, tt.want, tt.wantErr)
			}
			if f.last.Op != tt.op || f.last.Arg != tt.args {
				t.Errorf("privcmd got op %d args %v, want %d %v", f.last.Op, f.last.Arg, tt.op, tt.args)
			}
		})
	}
}

func TestCallErrorsMatchUnix(t *testing.T) {
	d, f := newFakeDevice(t, false)
	f.errno = unix.ESRCH
	_, err := d.Call(12, [5]uint64{3})
	if !errors.Is(err, unix.ESRCH) || !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("Call error %v does not match both unix.ESRCH and hypercall.ESRCH", err)
	}
}

func TestClose(t *testing.T) {
	d, f := newFakeDevice(t, false)
	b, err := d.Alloc(10)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !f.closed {
		t.Error("Close did not close the privcmd file")
	}
	if _, err := d.Call(opXenVersion, [5]uint64{}); !errors.Is(err, hypercall.ErrClosed) {
		t.Errorf("Call after Close = %v, want ErrClosed", err)
	}
	if f.calls != 0 {
		t.Errorf("a call after Close reached privcmd")
	}
	if _, err := d.Alloc(10); !errors.Is(err, hypercall.ErrClosed) {
		t.Errorf("Alloc after Close = %v, want ErrClosed", err)
	}
	b.Bytes()[9] = 1 // still mapped
	b.Release()
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestAllocLockedMemory(t *testing.T) {
	d, _ := newFakeDevice(t, false)
	page := unix.Getpagesize()
	emu := emulated(t)
	if emu {
		t.Log("under an emulator, whose /proc/self/smaps describes its own mappings: not checking the lock and fork flags")
	}
	for _, n := range []int{1, page, 3*page + 5} {
		b, err := d.Alloc(n)
		if err != nil {
			t.Fatalf("Alloc(%d): %v", n, err)
		}
		mem := b.Bytes()
		if len(mem) != n {
			t.Errorf("Alloc(%d): %d bytes", n, len(mem))
		}
		if got := uint64(uintptr(unsafe.Pointer(&mem[0]))); got != b.Addr() {
			t.Errorf("Alloc(%d): Addr %#x, but the bytes are at %#x", n, b.Addr(), got)
		}
		if b.Addr()%uint64(page) != 0 {
			t.Errorf("Alloc(%d): address %#x not page-aligned", n, b.Addr())
		}
		for i, c := range mem {
			if c != 0 {
				t.Fatalf("Alloc(%d): byte %d = %#x, want 0", n, i, c)
			}
		}
		flags, ok := vmFlags(t, b.Addr())
		switch {
		case emu:
		case !ok:
			t.Errorf("Alloc(%d): no VmFlags for %#x in /proc/self/smaps", n, b.Addr())
		default:
			for _, f := range []string{"lo", "dc"} { // locked, do not copy on fork
				if !strings.Contains(" "+flags+" ", " "+f+" ") {
					t.Errorf("Alloc(%d): mapping flags %q lack %q", n, flags, f)
				}
			}
		}
		copy(mem, "dirty")
		b.Release()
	}
}

// vmFlags returns the VmFlags of the mapping that holds addr.
func vmFlags(t *testing.T, addr uint64) (string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", false
	}
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uint64
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			found = lo <= addr && addr < hi
			continue
		}
		if found && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), true
		}
	}
	return "", false
}

// emulated reports whether the test runs under a user-mode emulator
// (qemu-user) rather than on a Linux kernel of its own architecture: the
// kernel rejects an unknown ioctl on a regular file with ENOTTY, qemu-user
// with ENOSYS. Checks of what only the kernel does (ENOTTY, the flags of a
// mapping in /proc/self/smaps) are skipped there.
func emulated(t *testing.T) bool {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var req request
	_, errno := fdHypercaller{fd}.hypercall(&req)
	return errno == unix.ENOSYS
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	notPrivcmd := filepath.Join(dir, "privcmd")
	if err := os.WriteFile(notPrivcmd, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "unreadable")
	if err := os.WriteFile(unreadable, nil, 0); err != nil {
		t.Fatal(err)
	}

	t.Run("no device", func(t *testing.T) {
		_, err := open([]string{missing, missing + "2"}, missing)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "xen-privcmd") {
			t.Errorf("open = %v, want a not-exist error naming the module", err)
		}
	})
	t.Run("no permission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root opens files regardless of their mode")
		}
		_, err := open([]string{unreadable}, missing)
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("open = %v, want a permission error", err)
		}
	})
	t.Run("hypercall device unusable", func(t *testing.T) {
		// It exists but cannot be opened read-write: an error, not a
		// silent fallback to locked memory.
		_, err := open([]string{notPrivcmd}, dir)
		if !errors.Is(err, unix.EISDIR) || !strings.Contains(err.Error(), dir) {
			t.Errorf("open = %v, want EISDIR naming %s", err, dir)
		}
	})
	// A regular file is no privcmd: the real ioctl reaches the kernel
	// and fails with ENOTTY, as it does for a 32-bit process on a 64-bit
	// kernel.
	t.Run("falls back to the second path", func(t *testing.T) {
		if emulated(t) {
			t.Skip("under an emulator, which answers an unknown ioctl with ENOSYS rather than the kernel's ENOTTY")
		}
		d, err := open([]string{missing, notPrivcmd}, missing)
		if unsafe.Sizeof(uintptr(0)) == 4 {
			var c hypercall.Compat32Error
			if !errors.As(err, &c) {
				t.Fatalf("open in a 32-bit process = %v, want Compat32Error", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer d.Close()
		_, err = d.Call(opXenVersion, [5]uint64{xenverVersion})
		if !errors.Is(err, unix.ENOTTY) {
			t.Errorf("Call on a regular file = %v, want ENOTTY", err)
		}
		b, err := d.Alloc(100)
		if err != nil {
			t.Fatalf("Alloc with the locked-memory fallback: %v", err)
		}
		b.Release()
	})
}

func TestConcurrentCalls(t *testing.T) {
	d, f := newFakeDevice(t, false)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				v, err := d.Call(opXenVersion, [5]uint64{xenverVersion})
				if err != nil || v != 0x40011 {
					t.Errorf("Call = %#x, %v", v, err)
					return
				}
				b, err := d.Alloc(64 + g*i)
				if err != nil {
					t.Error(err)
					return
				}
				b.Bytes()[0] = byte(i)
				b.Release()
			}
		})
	}
	wg.Wait()
	if f.calls != 800 {
		t.Errorf("privcmd saw %d calls, want 800", f.calls)
	}
}

func TestCallDoesNotAllocate(t *testing.T) {
	d, _ := newFakeDevice(t, false)
	d.Call(opXenVersion, [5]uint64{}) // warm the request pool
	n := testing.AllocsPerRun(1000, func() {
		d.Call(opXenVersion, [5]uint64{xenverVersion})
		d.Call(opXenVersion, [5]uint64{42}) // the error path too
	})
	if n != 0 {
		t.Errorf("Call allocates %v times per run", n)
	}
}

// BenchmarkCall measures a call through a fake privcmd: the Device's own
// cost (request pool, lock, error mapping), without the kernel.
func BenchmarkCall(b *testing.B) {
	d, _ := newFakeDevice(b, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Call(opXenVersion, [5]uint64{xenverVersion}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallIoctl issues the real ioctl on a regular file, which the
// kernel rejects with ENOTTY: the syscall path without Xen.
func BenchmarkCallIoctl(b *testing.B) {
	if unsafe.Sizeof(uintptr(0)) == 4 {
		b.Skip("a 32-bit process treats ENOTTY as the compat failure and cannot open the stand-in")
	}
	path := filepath.Join(b.TempDir(), "privcmd")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	d, err := open([]string{path}, filepath.Join(b.TempDir(), "missing"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Call(opXenVersion, [5]uint64{xenverVersion}); !errors.Is(err, unix.ENOTTY) {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllocRelease(b *testing.B) {
	d, _ := newFakeDevice(b, false)
	b.ReportAllocs()
	for b.Loop() {
		buf, err := d.Alloc(128)
		if err != nil {
			b.Fatal(err)
		}
		buf.Release()
	}
}
