package gntdev_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/gntdev"
	"github.com/xenbind/xenbind/runtime/granttest"
)

func TestCopy(t *testing.T) {
	tab := granttest.NewTable()
	a, b := tab.Gntalloc(1), tab.Gntdev(2)
	defer a.Close()
	defer b.Close()
	s, err := a.Share(2, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := a.Share(2, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	ref := gntdev.Ref{Dom: 1, Ref: gntdev.GrantRef(s.Refs[0])}
	in := []byte("through the grant")
	out := make([]byte, len(in))
	segs := []gntdev.CopySegment{
		{Source: gntdev.CopyEnd{Local: in}, Dest: gntdev.CopyEnd{Ref: ref, Offset: 100}, Len: uint16(len(in))},
	}
	if err := b.Copy(segs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Mem[100:100+len(in)], in) {
		t.Errorf("page holds %q", s.Mem[100:100+len(in)])
	}
	segs = []gntdev.CopySegment{
		{Source: gntdev.CopyEnd{Ref: ref, Offset: 100}, Dest: gntdev.CopyEnd{Local: out}, Len: uint16(len(in))},
		{Source: gntdev.CopyEnd{Local: in}, Dest: gntdev.CopyEnd{Ref: gntdev.Ref{Dom: 1, Ref: gntdev.GrantRef(ro.Refs[0])}}, Len: 4},
		{Source: gntdev.CopyEnd{Ref: gntdev.Ref{Dom: 1, Ref: 9999}}, Dest: gntdev.CopyEnd{Local: out}, Len: 4},
	}
	err = b.Copy(segs)
	var ce *gntdev.CopyError
	if !errors.As(err, &ce) || len(ce.Failed) != 2 || ce.Failed[0] != 1 || ce.Failed[1] != 2 {
		t.Fatalf("Copy with a read-only destination and a bad reference: %v", err)
	}
	if !errors.Is(err, xen.GNTST_permission_denied) || !errors.Is(err, xen.GNTST_bad_gntref) {
		t.Errorf("statuses %v, want permission_denied and bad_gntref", ce.Status)
	}
	if !bytes.Equal(out, in) {
		t.Errorf("copied back %q, want %q", out, in)
	}
}

func TestCopyChecks(t *testing.T) {
	b := granttest.NewTable().Gntdev(2)
	defer b.Close()
	for _, segs := range [][]gntdev.CopySegment{
		{{Source: gntdev.CopyEnd{Local: make([]byte, 8)}, Dest: gntdev.CopyEnd{Local: make([]byte, 8)}, Len: 8}},
		{{Source: gntdev.CopyEnd{Local: make([]byte, 8)}, Dest: gntdev.CopyEnd{Ref: gntdev.Ref{Dom: 1, Ref: 8}, Offset: 4090}, Len: 8}},
		{{Source: gntdev.CopyEnd{Local: make([]byte, 4)}, Dest: gntdev.CopyEnd{Ref: gntdev.Ref{Dom: 1, Ref: 8}}, Len: 8}},
	} {
		var e *gntdev.Error
		if err := b.Copy(segs); !errors.As(err, &e) {
			t.Errorf("Copy(%+v): %v, want a *gntdev.Error before any copy", segs, err)
		}
	}
}

func TestMapRefused(t *testing.T) {
	tab := granttest.NewTable()
	a, b, c := tab.Gntalloc(1), tab.Gntdev(2), tab.Gntdev(3)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	s, _ := a.Share(2, 1, false)
	ref := []gntdev.Ref{{Dom: 1, Ref: gntdev.GrantRef(s.Refs[0])}}
	if _, err := c.Map(ref, false); err == nil {
		t.Error("domain 3 mapped a grant to domain 2")
	}
	if _, err := b.Map(ref, true); err == nil {
		t.Error("a read-only grant mapped writable")
	}
	m, err := b.Map(ref, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); !errors.Is(err, gntdev.ErrClosed) {
		t.Errorf("Mapping.Close after Device.Close: %v, want ErrClosed (Device.Close unmapped it)", err)
	}
}
