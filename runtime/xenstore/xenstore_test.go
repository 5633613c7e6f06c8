package xenstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/runtime/xenstore"
	"github.com/xenbind/xenbind/runtime/xenstore/xenstoretest"
)

func conn(t *testing.T, s *xenstoretest.Server) *xenstore.Conn {
	t.Helper()
	c := s.Dial()
	t.Cleanup(func() { c.Close() })
	return c
}

func TestReadWriteDirectory(t *testing.T) {
	ctx := context.Background()
	c := conn(t, xenstoretest.NewServer())
	if err := c.Write(ctx, "/a/b/c", []byte("value")); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(ctx, "/a/b/c")
	if err != nil || string(got) != "value" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if err := c.Mkdir(ctx, "/a/b/d"); err != nil {
		t.Fatal(err)
	}
	dir, err := c.Directory(ctx, "/a/b")
	if err != nil || !slices.Equal(dir, []string{"c", "d"}) {
		t.Fatalf("Directory = %q, %v", dir, err)
	}
	if err := c.Rm(ctx, "/a/b"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(ctx, "/a/b/c")
	var e *xenstore.Error
	if !errors.As(err, &e) || e.Name != "ENOENT" || !errors.Is(err, syscall.ENOENT) || e.Op != "XS_READ" || e.Path != "/a/b/c" {
		t.Fatalf("Read after Rm: %#v", err)
	}
	if d, err := c.Directory(ctx, "/a"); err != nil || len(d) != 0 {
		t.Errorf("Directory of an emptied node = %q, %v", d, err)
	}
}

func TestPerms(t *testing.T) {
	ctx := context.Background()
	c := conn(t, xenstoretest.NewServer())
	c.Write(ctx, "/p", nil)
	want := []xenstore.Perm{{Dom: 0, Access: xenstore.None}, {Dom: 5, Access: xenstore.Read}, {Dom: 7, Access: xenstore.ReadWrite}}
	if err := c.SetPerms(ctx, "/p", want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Perms(ctx, "/p")
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Perms = %v, %v; want %v", got, err, want)
	}
	if err := c.SetPerms(ctx, "/p", nil); err == nil {
		t.Error("SetPerms with no permission: no error")
	}
	for _, bad := range []string{"", "x1", "r", "r-1", "r70000"} {
		if _, err := xenstore.ParsePerm(bad); err == nil {
			t.Errorf("ParsePerm(%q): no error", bad)
		}
	}
}

func nextEvent(t *testing.T, w *xenstore.Watch) string {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatal("watch channel closed")
		}
		return ev.Path
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event")
	}
	return ""
}

// TestWatch: a watch fires once on registration, then for a write from
// another connection at or below its path.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	s := xenstoretest.NewServer()
	c, other := conn(t, s), conn(t, s)
	w, err := c.Watch(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	if p := nextEvent(t, w); p != "/w" {
		t.Fatalf("first event %q, want the registration's /w", p)
	}
	other.Write(ctx, "/w/x", []byte("1"))
	other.Write(ctx, "/elsewhere", []byte("1"))
	other.Write(ctx, "/w", []byte("2"))
	got := []string{nextEvent(t, w), nextEvent(t, w)}
	if !slices.Contains(got, "/w/x") {
		t.Errorf("events %q, want /w/x among them", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for range w.Events() {
	}
}

// TestTransactionRetry: a transaction whose node another connection
// changes before the commit gets EAGAIN; Transaction runs it again and the
// second attempt commits.
func TestTransactionRetry(t *testing.T) {
	ctx := context.Background()
	s := xenstoretest.NewServer()
	c, other := conn(t, s), conn(t, s)
	c.Write(ctx, "/n", []byte("1"))
	attempts, err := c.Transaction(ctx, func(tx *xenstore.Tx) error {
		v, err := tx.Read(ctx, "/n")
		if err != nil {
			return err
		}
		if string(v) == "1" {
			// The first attempt: someone else changes the node.
			if err := other.Write(ctx, "/n", []byte("10")); err != nil {
				return err
			}
		}
		return tx.Write(ctx, "/n", append(v, '+'))
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2", attempts)
	}
	if v, _ := c.Read(ctx, "/n"); string(v) != "10+" {
		t.Errorf("/n = %q, want 10+ (the retry read the other write)", v)
	}
	if ok, conflicts := s.Commits(); ok != 1 || conflicts != 1 {
		t.Errorf("server saw %d commits, %d conflicts; want 1 and 1", ok, conflicts)
	}
	// An error from the function aborts without a retry.
	boom := errors.New("boom")
	attempts, err = c.Transaction(ctx, func(tx *xenstore.Tx) error {
		tx.Write(ctx, "/n", []byte("lost"))
		return boom
	})
	if err != boom || attempts != 1 {
		t.Errorf("Transaction with a failing function = %d, %v", attempts, err)
	}
	if v, _ := c.Read(ctx, "/n"); string(v) != "10+" {
		t.Errorf("an aborted transaction's write is visible: %q", v)
	}
}

func TestClosed(t *testing.T) {
	s := xenstoretest.NewServer()
	c := s.Dial()
	w, err := c.Watch(context.Background(), "/")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for range w.Events() {
	}
	if _, err := c.Read(context.Background(), "/"); !errors.Is(err, xenstore.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

// TestErrorNamesFromHeader: every error name of xs_wire.h's xsd_errors
// table is a Linux errno name the client knows.
func TestErrorNamesFromHeader(t *testing.T) {
	tree, err := headers.Tree()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tree, "io", "xs_wire.h"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`XSD_ERROR\((E[A-Z0-9]+)\)`).FindAllStringSubmatch(string(b), -1)
	if len(names) < 10 {
		t.Fatalf("only %d XSD_ERROR entries in xs_wire.h", len(names))
	}
	for _, n := range names {
		if _, ok := xenstore.ErrnoOf(n[1]); !ok {
			t.Errorf("%s (xs_wire.h) is no errno name the client knows", n[1])
		}
	}
	if e, _ := xenstore.ErrnoOf("EAGAIN"); e != syscall.EAGAIN {
		t.Errorf("EAGAIN = %v", e)
	}
}
