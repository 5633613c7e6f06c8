//go:build linux

package privcmd

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

func TestNewFake(t *testing.T) {
	var got [5]uint64
	d, err := NewFake(func(op uint64, args [5]uint64) (uintptr, unix.Errno) {
		got = args
		if op == 1 {
			return 0, unix.ESRCH
		}
		return 42, 0
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b, err := d.Alloc(100)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if r, err := d.Call(17, [5]uint64{b.Addr(), 2}); r != 42 || err != nil || got != [5]uint64{b.Addr(), 2} {
		t.Errorf("Call = %d, %v with %v; want 42, nil with the buffer's address", r, err, got)
	}
	if _, err := d.Call(1, [5]uint64{}); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("Call error = %v, want ESRCH", err)
	}
}
