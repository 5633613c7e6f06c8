package gntalloc_test

import (
	"errors"
	"testing"

	"github.com/xenbind/xenbind/runtime/gntalloc"
	"github.com/xenbind/xenbind/runtime/gntdev"
	"github.com/xenbind/xenbind/runtime/granttest"
)

// TestShareSeenByPeer: domain 1 shares two pages with domain 2, which maps
// them through gntdev: writes through either mapping show in the other.
func TestShareSeenByPeer(t *testing.T) {
	tab := granttest.NewTable()
	a, b := tab.Gntalloc(1), tab.Gntdev(2)
	defer a.Close()
	defer b.Close()
	s, err := a.Share(2, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Refs) != 2 || len(s.Mem) != 2*gntalloc.PageSize {
		t.Fatalf("share: %d refs, %d bytes", len(s.Refs), len(s.Mem))
	}
	m, err := b.Map([]gntdev.Ref{{Dom: 1, Ref: gntdev.GrantRef(s.Refs[0])}, {Dom: 1, Ref: gntdev.GrantRef(s.Refs[1])}}, true)
	if err != nil {
		t.Fatal(err)
	}
	s.Mem[gntalloc.PageSize+5] = 0xab
	if m.Mem[gntalloc.PageSize+5] != 0xab {
		t.Error("a write through the share is not seen through the mapping")
	}
	m.Mem[7] = 0xcd
	if s.Mem[7] != 0xcd {
		t.Error("a write through the mapping is not seen through the share")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := tab.Active(); n != 0 {
		t.Errorf("%d grants still active after Close", n)
	}
	if err := s.Close(); !errors.Is(err, gntalloc.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func TestUnmapNotifyClearsByte(t *testing.T) {
	tab := granttest.NewTable()
	a := tab.Gntalloc(1)
	defer a.Close()
	s, err := a.Share(2, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	mem := s.Mem
	mem[100] = 1
	if err := s.NotifyOnUnmap(100, gntalloc.ClearByte, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyOnUnmap(gntalloc.PageSize, gntalloc.ClearByte, 0); err == nil {
		t.Error("NotifyOnUnmap past the share: no error")
	}
	s.Close()
	if mem[100] != 0 {
		t.Error("the byte was not cleared on unmap")
	}
}

// TestCloseReleasesShares: Device.Close ends every grant of its shares.
func TestCloseReleasesShares(t *testing.T) {
	tab := granttest.NewTable()
	a := tab.Gntalloc(1)
	for i := 0; i < 3; i++ {
		if _, err := a.Share(2, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := tab.Active(); n != 3 {
		t.Fatalf("%d grants active, want 3", n)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := tab.Active(); n != 0 {
		t.Errorf("%d grants active after Device.Close", n)
	}
	if _, err := a.Share(2, 1, false); !errors.Is(err, gntalloc.ErrClosed) {
		t.Errorf("Share after Close: %v", err)
	}
}

func TestShareBadSize(t *testing.T) {
	a := granttest.NewTable().Gntalloc(1)
	defer a.Close()
	for _, n := range []int{0, -1, gntalloc.MaxPages + 1} {
		var e *gntalloc.Error
		if _, err := a.Share(2, n, true); !errors.As(err, &e) {
			t.Errorf("Share of %d pages: %v, want a *gntalloc.Error", n, err)
		}
	}
}
