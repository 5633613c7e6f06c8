package evtchn_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/xenbind/xenbind/runtime/evtchn"
	"github.com/xenbind/xenbind/runtime/evtchn/evtchntest"
)

func pair(t *testing.T) (a, b *evtchn.Device, pa, pb evtchn.Port) {
	t.Helper()
	a, b, pa, pb, err := evtchntest.Pair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, pa, pb
}

func wait(t *testing.T, d *evtchn.Device) evtchn.Port {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := d.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return p
}

func TestNotifyBothWays(t *testing.T) {
	a, b, pa, pb := pair(t)
	if got := wait(t, b); got != pb {
		t.Fatalf("b's first event on port %d, want %d (set pending by the bind, as Xen does)", got, pb)
	}
	if err := a.Notify(pa); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, b); got != pb {
		t.Errorf("b got port %d, want %d", got, pb)
	}
	if err := b.Notify(pb); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, a); got != pa {
		t.Errorf("a got port %d, want %d", got, pa)
	}
}

// TestPendingIsABit: two notifications before delivery are one event; after
// delivery (and the unmask that follows it) the next one is delivered.
func TestPendingIsABit(t *testing.T) {
	a, b, pa, pb := pair(t)
	wait(t, b) // the bind's event
	a.Notify(pa)
	a.Notify(pa)
	if got := wait(t, b); got != pb {
		t.Fatalf("got %d, want %d", got, pb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if p, err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Wait = %d, %v; want the context's deadline (one event for two notifications)", p, err)
	}
	a.Notify(pa)
	if got := wait(t, b); got != pb {
		t.Fatalf("after unmask: got %d, want %d", got, pb)
	}
}

func TestWaitCancelled(t *testing.T) {
	_, b, _, _ := pair(t)
	wait(t, b) // the bind's event
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context: %v", err)
	}
}

func TestEvents(t *testing.T) {
	a, b, pa, pb := pair(t)
	ev := b.Events()
	<-ev // the bind's event
	for i := 0; i < 3; i++ {
		a.Notify(pa)
		select {
		case p := <-ev:
			if p != pb {
				t.Fatalf("event on %d, want %d", p, pb)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ev; ok {
		t.Error("Events channel still open after Close")
	}
}

func TestBindErrors(t *testing.T) {
	h := evtchntest.NewHub()
	a, b, c := h.Open(1), h.Open(2), h.Open(3)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	pa, err := a.BindUnbound(2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BindInterdomain(1, pa)
	var e *evtchn.Error
	if !errors.As(err, &e) || e.Op != "bind interdomain" || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("domain 3 binding a port offered to domain 2: %v, want an *evtchn.Error wrapping EINVAL", err)
	}
	if err := b.Notify(99); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("Notify of a port not bound: %v", err)
	}
}

// TestCloseUnbinds: Close releases every port the Device bound.
func TestCloseUnbinds(t *testing.T) {
	h := evtchntest.NewHub()
	a, b := h.Open(1), h.Open(2)
	defer b.Close()
	pa, _ := a.BindUnbound(2)
	if _, err := a.BindVIRQ(1); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.BindInterdomain(1, pa); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("binding to a port of a closed Device: %v, want EINVAL (unbound by Close)", err)
	}
	a2 := h.Open(1)
	defer a2.Close()
	if _, err := a2.BindVIRQ(1); err != nil {
		t.Errorf("VIRQ 1 still bound after Close: %v", err)
	}
	if err := a.Notify(pa); !errors.Is(err, evtchn.ErrClosed) {
		t.Errorf("Notify after Close: %v", err)
	}
}

func TestVIRQ(t *testing.T) {
	h := evtchntest.NewHub()
	d := h.Open(0)
	defer d.Close()
	p, err := d.BindVIRQ(3)
	if err != nil {
		t.Fatal(err)
	}
	h.Raise(0, 3)
	if got := wait(t, d); got != p {
		t.Errorf("VIRQ on port %d, want %d", got, p)
	}
}
