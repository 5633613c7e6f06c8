package dom0_test

import (
	"testing"

	"github.com/xenbind/xenbind/generated/dom0"
	xen417 "github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// TestDispatchDoesNotAllocate: choosing the release and converting a
// request and its answer cost no allocation: a dispatched call allocates
// what the per-release wrapper it ends in allocates (none, except what the
// double's own simulation of a new domain costs); only slices of structs
// are copied.
func TestDispatchDoesNotAllocate(t *testing.T) {
	defer dom0.Override(4, 17)()
	h := xentest.New(xentest.WithoutRecording())
	id, err := dom0.XenDomctlCreatedomain(h, 0, &dom0.DomctlCreatedomain{MaxVCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var req dom0.DomctlCreatedomain
	var req417 xen417.DomctlCreatedomain
	for _, c := range []struct {
		name      string
		dom0, xen func()
	}{
		{"XenDomctlGetdomaininfo", func() { _, _ = dom0.XenDomctlGetdomaininfo(h, id) }, func() { _, _ = xen417.XenDomctlGetdomaininfo(h, xen417.DomID(id)) }},
		{"XenDomctlMaxMem", func() { _ = dom0.XenDomctlMaxMem(h, id, 1024) }, func() { _ = xen417.XenDomctlMaxMem(h, xen417.DomID(id), 1024) }},
		{"XenSysctlPhysinfo", func() { _, _ = dom0.XenSysctlPhysinfo(h) }, func() { _, _ = xen417.XenSysctlPhysinfo(h) }},
		{"XenDomctlCreatedomain+Destroydomain", func() {
			req = dom0.DomctlCreatedomain{MaxVCPUs: 1}
			d, _ := dom0.XenDomctlCreatedomain(h, 0, &req)
			_ = dom0.XenDomctlDestroydomain(h, d)
		}, func() {
			req417 = xen417.DomctlCreatedomain{MaxVCPUs: 1}
			d, _ := xen417.XenDomctlCreatedomain(h, 0, &req417)
			_ = xen417.XenDomctlDestroydomain(h, d)
		}},
	} {
		got, want := testing.AllocsPerRun(100, c.dom0), testing.AllocsPerRun(100, c.xen)
		if got != want {
			t.Errorf("%s: %v allocations per dispatched call, %v per call of xen's wrapper", c.name, got, want)
		}
		if c.name == "XenDomctlGetdomaininfo" && got != 0 {
			t.Errorf("%s: %v allocations per call, want 0", c.name, got)
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
