package xen_test

import (
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/xenbind/xenbind/golden"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The wrapper tests play the hypervisor: a handler installed on the
// xentest double reads what a wrapper hands Xen at the offsets real C
// compilers give (the golden layouts, gcc's and clang's word, not the
// generated types'), and writes Xen's answers the same way.

var (
	layoutOnce sync.Once
	layoutRecs map[string]layout.Record
	layoutErr  error
)

// cLayouts returns the golden C layouts of every record for this GOARCH in
// tools mode, by name.
func cLayouts(t *testing.T) map[string]layout.Record {
	t.Helper()
	layoutOnce.Do(func() {
		var target parser.Target
		for _, a := range layout.ABIs {
			if a.GOARCH == runtime.GOARCH {
				target = a.Target
			}
		}
		if target == "" {
			layoutErr = errNoTarget
			return
		}
		_, recs, err := golden.Load("all", target, parser.Tools)
		if err != nil {
			layoutErr = err
			return
		}
		layoutRecs = map[string]layout.Record{}
		for _, r := range recs {
			layoutRecs[r.Name] = r
		}
	})
	if layoutErr != nil {
		t.Skipf("no C layouts for GOARCH %s: %v", runtime.GOARCH, layoutErr)
	}
	return layoutRecs
}

var errNoTarget = errors.New("not a Xen architecture")

// member finds a member of a C record by dotted path and returns its
// offset and size.
func member(t *testing.T, record, path string) (off, size int64) {
	t.Helper()
	recs := cLayouts(t)
	name := record
	for _, part := range strings.Split(path, ".") {
		r, ok := recs[name]
		if !ok {
			t.Fatalf("no C record %s", name)
		}
		var f *layout.Field
		for i := range r.Fields {
			if r.Fields[i].Name == part {
				f = &r.Fields[i]
			}
		}
		if f == nil {
			t.Fatalf("%s has no member %s", name, part)
		}
		off += f.Offset
		size = f.Size
		switch {
		case strings.HasSuffix(f.Type, "{...}"):
			name = name + "." + part
		default:
			name = f.Type
		}
	}
	return off, size
}

// sizeOf is the size of a C record.
func sizeOf(t *testing.T, record string) int {
	t.Helper()
	r, ok := cLayouts(t)[record]
	if !ok {
		t.Fatalf("no C record %s", record)
	}
	return int(r.Size)
}

// cmem is a C record in the double's memory, as Xen sees it.
type cmem struct {
	t      *testing.T
	record string
	mem    []byte
}

// at resolves the record at a hypercall argument.
func at(t *testing.T, hv *xentest.Hypervisor, addr uint64, record string) cmem {
	t.Helper()
	mem, err := hv.Resolve(addr, sizeOf(t, record))
	if err != nil {
		t.Fatalf("%s at %#x: %v (not in a hypervisor buffer)", record, addr, err)
	}
	return cmem{t: t, record: record, mem: mem}
}

// get reads an integer member (1, 2, 4 or 8 bytes, a guest handle
// included) in the host's byte order, as Xen does.
func (c cmem) get(path string) uint64 {
	c.t.Helper()
	off, size := member(c.t, c.record, path)
	b := c.mem[off:]
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b))
	case 8:
		return binary.NativeEndian.Uint64(b)
	}
	c.t.Fatalf("%s.%s: %d bytes is not an integer", c.record, path, size)
	return 0
}

// set writes an integer member.
func (c cmem) set(path string, v uint64) {
	c.t.Helper()
	off, size := member(c.t, c.record, path)
	b := c.mem[off:]
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(b, uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(b, uint32(v))
	case 8:
		binary.NativeEndian.PutUint64(b, v)
	default:
		c.t.Fatalf("%s.%s: %d bytes is not an integer", c.record, path, size)
	}
}

// words is an array of n integers of size bytes at addr in the double's
// memory: the elements of a guest handle.
type words struct {
	t    *testing.T
	mem  []byte
	size int
}

func array(t *testing.T, hv *xentest.Hypervisor, addr uint64, n, size int) words {
	t.Helper()
	mem, err := hv.Resolve(addr, n*size)
	if err != nil {
		t.Fatalf("array of %d at %#x: %v (not in a hypervisor buffer)", n, addr, err)
	}
	return words{t: t, mem: mem[:n*size], size: size}
}

func (w words) get(i int) uint64 {
	b := w.mem[i*w.size:]
	switch w.size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b))
	}
	return binary.NativeEndian.Uint64(b)
}

func (w words) set(i int, v uint64) {
	b := w.mem[i*w.size:]
	switch w.size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(b, uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(b, uint32(v))
	default:
		binary.NativeEndian.PutUint64(b, v)
	}
}

// ulong is sizeof(xen_ulong_t) and sizeof(xen_pfn_t): unsigned long on x86,
// 8 bytes on ARM.
func ulong() int {
	if runtime.GOARCH == "386" {
		return 4
	}
	return 8
}

// script makes fn answer hypercall op and fails the test if it is never
// called. fn sees the arguments; t.Helper-style failures inside it are
// reported against the test.
func script(t *testing.T, hv *xentest.Hypervisor, op uint64, fn xentest.HandlerFunc) *int {
	t.Helper()
	n := new(int)
	hv.Handle(op, func(args [5]uint64) (uint64, error) {
		*n++
		return fn(args)
	})
	t.Cleanup(func() {
		if *n == 0 && !t.Failed() {
			t.Errorf("hypercall %d was never made", op)
		}
	})
	return n
}

// noCalls fails unless hv saw no hypercall: a refused argument must not
// reach Xen.
func noCalls(t *testing.T, hv *xentest.Hypervisor) {
	t.Helper()
	if calls := hv.Calls(); len(calls) != 0 {
		t.Errorf("%d hypercalls reached the hypervisor, want none (op %d)", len(calls), calls[0].Op)
	}
}

// wantArgError checks that err is an *hypercall.ArgError about field.
func wantArgError(t *testing.T, err error, op, field string) {
	t.Helper()
	ae, ok := err.(*hypercall.ArgError)
	if !ok {
		t.Fatalf("error %v (%T), want *hypercall.ArgError", err, err)
	}
	if ae.Op != op || ae.Field != field {
		t.Errorf("ArgError{Op: %q, Field: %q}, want %q, %q (%v)", ae.Op, ae.Field, op, field, err)
	}
}
