package parser

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowPipe: the pipes to a child hold childPipeSize bytes, where the
// system lets a process ask for that much.
func TestGrowPipe(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if err != nil {
		t.Skipf("no pipe-max-size: %v", err)
	}
	if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || max < childPipeSize {
		t.Skipf("the system allows pipes of %s bytes at most", strings.TrimSpace(string(b)))
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	growPipe(w)
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size int
	rc.Control(func(fd uintptr) { size, err = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
	if err != nil || size < childPipeSize {
		t.Fatalf("pipe of %d bytes (%v), want %d", size, err, childPipeSize)
	}
}
