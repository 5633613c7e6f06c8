//go:build xenvm

package itest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/xenbind/xenbind/generated/dom0"
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/evtchn"
	"github.com/xenbind/xenbind/runtime/foreignmem"
	"github.com/xenbind/xenbind/runtime/gntalloc"
	"github.com/xenbind/xenbind/runtime/gntdev"
)

// The Linux devices (runtime/evtchn, gntalloc, gntdev, foreignmem) on
// dom0's own event channels, grants and memory. dom0 is domain 0.
//
// This file's name sorts last so that its tests run after the others:
// mapping a grant or a foreign frame makes Linux take unpopulated pages
// above dom0's RAM for the mapping, which raises dom0's maximum GPFN
// (0xffff to 0x1ffff on x86_64) and would break TestXenmemMaximumGPFN's
// view of dom0's memory.

// devicesUsable skips in a 32-bit process on a 64-bit kernel: Linux's Xen
// devices have no 32-bit compat ioctls (TestCompat32 checks that).
func devicesUsable(t *testing.T) {
	t.Helper()
	if compat32() {
		t.Skip("32-bit process on a 64-bit dom0: the Xen devices have no compat ioctls")
	}
}

func waitPort(t *testing.T, d *evtchn.Device, want evtchn.Port) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := d.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait for port %d: %v", want, err)
	}
	if got != want {
		t.Fatalf("Wait = port %d, want %d", got, want)
	}
}

// TestEvtchnLoopback: an unbound port offered to dom0 itself, bound from
// dom0 (an interdomain loopback), events both ways through the device;
// the ports are unmasked after delivery (a second event arrives too).
func TestEvtchnLoopback(t *testing.T) {
	devicesUsable(t)
	d, err := evtchn.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	unbound, err := d.BindUnbound(evtchn.DomIDSelf)
	if err != nil {
		t.Fatal(err)
	}
	local, err := d.BindInterdomain(evtchn.DomIDSelf, unbound)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loopback: unbound port %d, bound to it: port %d", unbound, local)
	// Xen sets the new local port pending when it binds an interdomain
	// channel ("we may have lost notifications on the remote unbound
	// port", evtchn_bind_interdomain): that event comes first.
	waitPort(t, d, local)
	for i := 0; i < 2; i++ {
		if err := d.Notify(local); err != nil {
			t.Fatal(err)
		}
		waitPort(t, d, unbound)
		if err := d.Notify(unbound); err != nil {
			t.Fatal(err)
		}
		waitPort(t, d, local)
	}
	// Nothing else is pending: Wait gives up with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if p, err := d.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with nothing pending = %d, %v; want the context's deadline", p, err)
	}
	if err := d.Unbind(local); err != nil {
		t.Fatal(err)
	}
	if err := d.Notify(local); !errors.Is(err, syscall.ENOTCONN) && !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Notify of an unbound port: %v, want ENOTCONN or EINVAL", err)
	}
	// Events: one reader for every port.
	ev := d.Events()
	if err := d.Notify(unbound); err != nil { // its peer is gone: nothing arrives
		t.Logf("Notify of a port whose peer was unbound: %v", err)
	}
	l2, err := d.BindUnbound(evtchn.DomIDSelf)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d.BindInterdomain(evtchn.DomIDSelf, l2)
	if err != nil {
		t.Fatal(err)
	}
	// r2's own bind event first (see above), then l2's.
	select {
	case p := <-ev:
		if p != r2 {
			t.Errorf("Events gave port %d, want %d (the bind's event)", p, r2)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no event on the Events channel")
	}
	d.Notify(r2)
	select {
	case p := <-ev:
		if p != l2 {
			t.Errorf("Events gave port %d, want %d", p, l2)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no event on the Events channel")
	}
	// VIRQs: VIRQ_ENOMEM is free for dom0; Xen allows one port per VIRQ
	// and vCPU, so a second bind fails with EEXIST.
	vp, err := d.BindVIRQ(xen.VIRQ_ENOMEM)
	if err != nil {
		t.Errorf("BindVIRQ(VIRQ_ENOMEM): %v", err)
	} else {
		t.Logf("VIRQ_ENOMEM bound to port %d", vp)
	}
	if _, err := d.BindVIRQ(xen.VIRQ_ENOMEM); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("BindVIRQ(VIRQ_ENOMEM) again: %v, want EEXIST", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ev; ok {
		t.Error("Events channel open after Close")
	}
	// Close unbound VIRQ_ENOMEM: a new device may bind it again.
	d2, err := evtchn.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := d2.BindVIRQ(xen.VIRQ_ENOMEM); err != nil {
		t.Errorf("BindVIRQ(VIRQ_ENOMEM) after the first device's Close: %v", err)
	}
}

// TestUnmapNotifyEvent: a share's unmap notification of kind SendEvent
// signals an event channel: here the local end of a loopback, so the
// event arrives on the other end.
func TestUnmapNotifyEvent(t *testing.T) {
	devicesUsable(t)
	d, err := evtchn.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	unbound, err := d.BindUnbound(evtchn.DomIDSelf)
	if err != nil {
		t.Fatal(err)
	}
	local, err := d.BindInterdomain(evtchn.DomIDSelf, unbound)
	if err != nil {
		t.Fatal(err)
	}
	waitPort(t, d, local) // the bind's own event
	ga, err := gntalloc.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	s, err := ga.Share(0, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyOnUnmap(0, gntalloc.SendEvent, uint32(local)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitPort(t, d, unbound)
}

// grantEntryV1 reads entry ref of a version 1 grant table: struct
// grant_entry_v1 { uint16_t flags; domid_t domid; uint32_t frame; }.
func grantEntryV1(table []byte, ref uint32) (flags, domid uint16, frame uint32) {
	e := table[8*ref:]
	return binary.NativeEndian.Uint16(e), binary.NativeEndian.Uint16(e[2:]), binary.NativeEndian.Uint32(e[4:])
}

// TestGrantLoopback: a page dom0 shares with itself through gntalloc,
// mapped back through gntdev, shows through each mapping what was written
// through the other; a grant copy in both directions; dom0's own grant
// table mapped with MMAP_RESOURCE holds the grant; the granted frame
// mapped with MMAPBATCH_V2 is the same page, and a frame that does not
// exist fails on its own; the unmap notification clears its byte.
func TestGrantLoopback(t *testing.T) {
	devicesUsable(t)
	ga, err := gntalloc.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	gd, err := gntdev.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer gd.Close()

	const dom0 = 0
	s, err := ga.Share(dom0, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	ref := gntdev.Ref{Dom: dom0, Ref: gntdev.GrantRef(s.Refs[0])}
	t.Logf("gntalloc: page granted to domain 0, reference %d", s.Refs[0])
	m, err := gd.Map([]gntdev.Ref{ref}, true)
	if err != nil {
		t.Fatalf("gntdev map of dom0's own grant %d: %v", s.Refs[0], err)
	}
	copy(s.Mem[100:], "written through gntalloc")
	if got := string(m.Mem[100:124]); got != "written through gntalloc" {
		t.Errorf("through gntdev: %q", got)
	}
	copy(m.Mem[2000:], "written through gntdev")
	if got := string(s.Mem[2000:2022]); got != "written through gntdev" {
		t.Errorf("through gntalloc: %q", got)
	}

	// Grant copy: local -> grant, grant -> local.
	in := []byte("copied by IOCTL_GNTDEV_GRANT_COPY")
	if err := gd.Copy([]gntdev.CopySegment{{Source: gntdev.CopyEnd{Local: in}, Dest: gntdev.CopyEnd{Ref: ref, Offset: 3000}, Len: uint16(len(in))}}); err != nil {
		t.Fatalf("grant copy to the grant: %v", err)
	}
	if !bytes.Equal(s.Mem[3000:3000+len(in)], in) {
		t.Errorf("after the copy the page holds %q", s.Mem[3000:3000+len(in)])
	}
	out := make([]byte, 24)
	if err := gd.Copy([]gntdev.CopySegment{{Source: gntdev.CopyEnd{Ref: ref, Offset: 100}, Dest: gntdev.CopyEnd{Local: out}, Len: 24}}); err != nil {
		t.Fatalf("grant copy from the grant: %v", err)
	}
	if string(out) != "written through gntalloc" {
		t.Errorf("copied from the grant: %q", out)
	}
	err = gd.Copy([]gntdev.CopySegment{{Source: gntdev.CopyEnd{Ref: gntdev.Ref{Dom: dom0, Ref: 60000}}, Dest: gntdev.CopyEnd{Local: out}, Len: 8}})
	var ce *gntdev.CopyError
	if !errors.As(err, &ce) || !errors.Is(err, xen.GNTST_bad_gntref) {
		t.Errorf("grant copy from reference 60000: %v, want a CopyError with GNTST_bad_gntref", err)
	}

	// MMAP_RESOURCE: Xen's acquire_resource takes the domain with
	// rcu_lock_remote_domain_by_id, which refuses the caller's own domain
	// with EPERM: dom0 cannot map its own grant table this way.
	fm, err := foreignmem.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	if _, err := fm.MapResource(dom0, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 0, 1, false); !errors.Is(err, syscall.EPERM) {
		t.Errorf("MapResource(dom0's own grant table): %v, want EPERM (Xen refuses the caller's own domain)", err)
	}
	if _, err := fm.ResourceSize(dom0, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared); !errors.Is(err, syscall.EPERM) {
		t.Errorf("ResourceSize(dom0's own grant table): %v, want EPERM", err)
	}

	// MMAPBATCH_V2: a frame that cannot exist fails on its own page.
	const bogus = 0xfffffff0
	mb, err := fm.MapBatch(dom0, []uint64{bogus, bogus + 1}, false)
	var be *foreignmem.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("MapBatch(dom0, two frames that do not exist): %v, want a BatchError", err)
	}
	t.Logf("MMAPBATCH_V2 of frames %#x and %#x: per-page errors %v", uint64(bogus), uint64(bogus+1), be.Errs)
	if be.Failed != 2 {
		t.Errorf("%d pages failed, want 2", be.Failed)
	}
	if err := mb.Close(); err != nil {
		t.Fatal(err)
	}
	const frame = bogus

	// RESTRICT: a second device limited to domain 5 may not map dom0.
	fr, err := foreignmem.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	if err := fr.Restrict(5); err != nil {
		t.Fatalf("Restrict(5): %v", err)
	}
	if _, err := fr.MapBatch(dom0, []uint64{uint64(frame)}, false); !errors.Is(err, syscall.EPERM) {
		t.Errorf("MapBatch of dom0 after Restrict(5): %v, want EPERM", err)
	}

	// Unmap notification: clearing a byte when the gntalloc side unmaps;
	// gntdev's mapping still shows the page.
	s.Mem[50] = 0x77
	if err := s.NotifyOnUnmap(50, gntalloc.ClearByte, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if m.Mem[50] != 0 {
		t.Errorf("byte 50 is %#x after the share's unmap, want 0 (UNMAP_NOTIFY_CLEAR_BYTE)", m.Mem[50])
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestForeignGrantTable creates an empty domain (XEN_DOMCTL_createdomain,
// no memory, paused) and maps its grant table with MMAP_RESOURCE: two
// mappings of its first frame show the same bytes, written through one.
func TestForeignGrantTable(t *testing.T) {
	devicesUsable(t)
	c := caller(t)
	cfg := domainConfig(t, c)
	cfg.MaxVCPUs = 1
	cfg.MaxEvtchnPort = 1023
	cfg.MaxGrantFrames = -1
	cfg.MaxMaptrackFrames = -1
	cfg.GrantOpts = 1 // XEN_DOMCTL_GRANT_version(1)
	id, err := dom0.XenDomctlCreatedomain(c, 0, &cfg)
	must(t, "XenDomctlCreatedomain(c, 0, &cfg)", "XEN_DOMCTL_createdomain", err)
	defer func() {
		must(t, "XenDomctlDestroydomain(c, id)", "XEN_DOMCTL_destroydomain", dom0.XenDomctlDestroydomain(c, id))
	}()
	fm, err := foreignmem.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	dom := foreignmem.DomID(id)
	n, err := fm.ResourceSize(dom, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared)
	if err != nil {
		t.Fatalf("ResourceSize(domain %d's grant table): %v", id, err)
	}
	t.Logf("MMAP_RESOURCE: domain %d's grant table: %d frames", id, n)
	if n < 1 || n > maxGrantFrames {
		t.Fatalf("grant table of %d frames, want 1 to %d", n, maxGrantFrames)
	}
	a, err := fm.MapResource(dom, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 0, 1, true)
	if err != nil {
		t.Fatalf("MapResource(domain %d's grant table frame 0): %v", id, err)
	}
	b, err := fm.MapResource(dom, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 0, 1, false)
	if err != nil {
		t.Fatalf("second MapResource: %v", err)
	}
	flags, domid, frame := grantEntryV1(a.Mem, 10)
	t.Logf("entry 10 of the new table: flags %#x domid %d frame %#x", flags, domid, frame)
	if flags != 0 {
		t.Errorf("entry 10 of a new domain's grant table has flags %#x, want 0 (no grant)", flags)
	}
	copy(a.Mem[8*10:], []byte{0, 0, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12}) // flags 0: still no grant
	if _, domid, frame := grantEntryV1(b.Mem, 10); domid != 0x1234 || frame != 0x12345678 {
		t.Errorf("through the second mapping entry 10 reads domid %#x frame %#x, want 0x1234 0x12345678", domid, frame)
	}
	copy(a.Mem[8*10:], make([]byte, 8))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The domain's frames are not dom0's to map one by one.
	if _, err := fm.MapResource(dom, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, uint32(n), 1, false); err == nil {
		t.Errorf("MapResource of frame %d of a %d-frame table: no error", n, n)
	}
}
