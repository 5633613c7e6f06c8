//go:build xenvm

package itest

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/generated/xen420"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The XENVER_*2 calls (Xen 4.20's variable-length versions of the fixed
// ones) through generated/xen420's wrappers: on 4.20 each must say what
// its fixed-size counterpart (generated/xen, the 4.17 bindings: the guest
// interface is the same) says, with the size query and a short buffer
// behaving as version.h documents; on 4.17, which has no such command,
// each must fail with ENOSYS like any unknown XENVER_ command.

// varbufCall is one XENVER_*2 wrapper and its fixed-size counterpart's
// answer.
type varbufCall struct {
	name  string // the C command
	call  func(hypercall.Caller, []byte) ([]byte, uint64, error)
	fixed func(hypercall.Caller) (text string, capacity int, err error)
}

var varbufCalls = []varbufCall{
	{"XENVER_extraversion2", xen420.XenverExtraversion2, func(c hypercall.Caller) (string, int, error) {
		v, err := xen.XenverExtraversion(c)
		return hypercall.CString(v[:]), len(v), err
	}},
	{"XENVER_capabilities2", xen420.XenverCapabilities2, func(c hypercall.Caller) (string, int, error) {
		v, err := xen.XenverCapabilities(c)
		return hypercall.CString(v[:]), len(v), err
	}},
	{"XENVER_changeset2", xen420.XenverChangeset2, func(c hypercall.Caller) (string, int, error) {
		v, err := xen.XenverChangeset(c)
		return hypercall.CString(v[:]), len(v), err
	}},
	{"XENVER_commandline2", xen420.XenverCommandline2, func(c hypercall.Caller) (string, int, error) {
		v, err := xen.XenverCommandline(c)
		return hypercall.CString(v[:]), len(v), err
	}},
}

func TestXenverVarbuf(t *testing.T) {
	c := caller(t)
	for _, vc := range varbufCalls {
		t.Run(vc.name, func(t *testing.T) {
			if vm.xenMajor == 4 && vm.xenMinor < 20 {
				_, _, err := vc.call(c, nil)
				if !errors.Is(err, hypercall.ENOSYS) {
					t.Errorf("%s on Xen %d.%d: error %v, want ENOSYS: the command is new in 4.20", vc.name, vm.xenMajor, vm.xenMinor, err)
				}
				return
			}
			want, capacity, err := vc.fixed(c)
			must(t, "the fixed-size counterpart", vc.name[:len(vc.name)-1], err)

			_, n, err := vc.call(c, nil)
			must(t, vc.name+" size query", vc.name, err)
			buf := make([]byte, n+16) // room to spare: Xen says how much it wrote
			data, size, err := vc.call(c, buf)
			must(t, vc.name, vc.name, err)
			t.Logf("%s: size %d, %q; fixed-size: %q", vc.name, n, data, want)
			expect(t, vc.name, vc.name, size, n, "the size query's answer: the bytes Xen writes")
			if int(n) < capacity {
				expect(t, vc.name, vc.name, string(data), want, "the fixed-size call's text, without the NUL")
			} else if len(want) != capacity-1 || string(data[:len(want)]) != want {
				// The fixed-size call truncates what does not fit.
				t.Errorf("%s = %q (%d bytes), want it to start with the fixed-size call's %q (truncated to %d bytes)", vc.name, data, n, want, capacity-1)
			}
			if n > 0 {
				_, _, err := vc.call(c, make([]byte, n-1))
				if !errors.Is(err, hypercall.ENOBUFS) {
					t.Errorf("%s into %d bytes (of %d): error %v, want ENOBUFS", vc.name, n-1, n, err)
				}
			}
		})
	}
}
