package dom0_test

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/dom0"
	xen417 "github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// TestDispatchDoesNotAllocate: choosing the release and converting a
// request and its answer cost no allocation: a dispatched call allocates
// what the per-release wrapper it ends in allocates (none, except what the
// double's own simulation of a new domain costs); only slices of structs
// are copied. On 386 and arm, gc puts a variable whose type is aligned
// above the pointer size on the heap ("too aligned for stack"), and the
// release structs C aligns to 8 are such there (they hold align8):
// receiving one costs the caller of the release's wrapper one allocation,
// and a dispatched call holds one more (the release's answer before it is
// converted); extra counts that one.
func TestDispatchDoesNotAllocate(t *testing.T) {
	defer dom0.Override(4, 17)()
	h := xentest.New(xentest.WithoutRecording())
	id, err := dom0.XenDomctlCreatedomain(h, 0, &dom0.DomctlCreatedomain{MaxVCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var req dom0.DomctlCreatedomain
	var req417 xen417.DomctlCreatedomain
	heap := func(align uintptr) float64 {
		if align > unsafe.Sizeof(uintptr(0)) {
			return 1
		}
		return 0
	}
	for _, c := range []struct {
		name      string
		dom0, xen func()
		extra     float64
	}{
		{"XenDomctlGetdomaininfo", func() { _, _ = dom0.XenDomctlGetdomaininfo(h, id) }, func() { _, _ = xen417.XenDomctlGetdomaininfo(h, xen417.DomID(id)) }, heap(unsafe.Alignof(xen417.DomctlGetdomaininfo{}))},
		{"XenDomctlMaxMem", func() { _ = dom0.XenDomctlMaxMem(h, id, 1024) }, func() { _ = xen417.XenDomctlMaxMem(h, xen417.DomID(id), 1024) }, 0},
		{"XenSysctlPhysinfo", func() { _, _ = dom0.XenSysctlPhysinfo(h) }, func() { _, _ = xen417.XenSysctlPhysinfo(h) }, heap(unsafe.Alignof(xen417.SysctlPhysinfo{}))},
		{"XenDomctlCreatedomain+Destroydomain", func() {
			req = dom0.DomctlCreatedomain{MaxVCPUs: 1}
			d, _ := dom0.XenDomctlCreatedomain(h, 0, &req)
			_ = dom0.XenDomctlDestroydomain(h, d)
		}, func() {
			req417 = xen417.DomctlCreatedomain{MaxVCPUs: 1}
			d, _ := xen417.XenDomctlCreatedomain(h, 0, &req417)
			_ = xen417.XenDomctlDestroydomain(h, d)
		}, 0},
	} {
		got, want := testing.AllocsPerRun(100, c.dom0), testing.AllocsPerRun(100, c.xen)
		if got != want+c.extra {
			t.Errorf("%s: %v allocations per dispatched call, %v per call of xen's wrapper (+%v for the answer on %s)", c.name, got, want, c.extra, runtime.GOARCH)
		}
		if c.name == "XenDomctlGetdomaininfo" && got != 2*c.extra {
			t.Errorf("%s: %v allocations per call, want %v", c.name, got, 2*c.extra)
		}
	}
}

// BenchmarkGetdomaininfo compares a dispatched call with the per-release
// wrapper it ends in (go test -bench Getdomaininfo -benchmem).
func BenchmarkGetdomaininfo(b *testing.B) {
	defer dom0.Override(4, 17)()
	h := xentest.New(xentest.WithoutRecording())
	b.Run("dom0", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dom0.XenDomctlGetdomaininfo(h, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := xen417.XenDomctlGetdomaininfo(h, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dom0-list16", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]dom0.DomctlGetdomaininfo, 16)
		for b.Loop() {
			if _, err := dom0.XenSysctlGetdomaininfolist(h, 0, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
