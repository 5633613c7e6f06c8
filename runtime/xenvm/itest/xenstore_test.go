//go:build xenvm

package itest

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xenbind/xenbind/runtime/xenstore"
)

// The xenstore client against Debian's C xenstored, which the harness
// starts in dom0 before the tests, over its Unix socket and over Linux's
// xenbus device.

func xenstoredRunning(t *testing.T) {
	t.Helper()
	if !slices.Contains(strings.Fields(os.Getenv("XENVM_SERVICES")), "xenstored") {
		t.Skip("the harness started no xenstored (xenvm -noservices)")
	}
	if _, err := os.Stat(xenstore.SocketPath); err != nil {
		t.Fatalf("xenstored should be running: %v", err)
	}
}

type transport struct {
	name string
	dial func() (*xenstore.Conn, error)
}

var transports = []transport{
	{"socket", func() (*xenstore.Conn, error) { return xenstore.DialSocket("") }},
	{"device", xenstore.OpenDevice},
}

func TestXenstore(t *testing.T) {
	if compat32() {
		t.Skip("32-bit process on a 64-bit dom0: the xenbus device has no compat path, and the socket test runs in the 64-bit binary")
	}
	xenstoredRunning(t)
	for i, tr := range transports {
		other := transports[1-i] // the other connection uses the other transport
		t.Run(tr.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := tr.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			o, err := other.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			base := "/xenbind-test/" + tr.name

			// Write, read back, directory.
			if err := c.Write(ctx, base+"/a", []byte("value a")); err != nil {
				t.Fatal(err)
			}
			if err := c.Mkdir(ctx, base+"/dir"); err != nil {
				t.Fatal(err)
			}
			if v, err := c.Read(ctx, base+"/a"); err != nil || string(v) != "value a" {
				t.Fatalf("Read = %q, %v", v, err)
			}
			if v, err := o.Read(ctx, base+"/a"); err != nil || string(v) != "value a" {
				t.Fatalf("Read through the %s = %q, %v", other.name, v, err)
			}
			dir, err := c.Directory(ctx, base)
			if err != nil || !slices.Equal(dir, []string{"a", "dir"}) {
				t.Errorf("Directory(%s) = %q, %v; want [a dir]", base, dir, err)
			}
			if _, err := c.Read(ctx, base+"/missing"); !errors.Is(err, syscall.ENOENT) {
				t.Errorf("Read of a missing node: %v, want ENOENT", err)
			}

			// Permissions.
			perms := []xenstore.Perm{{Dom: 0, Access: xenstore.None}, {Dom: 3, Access: xenstore.Read}, {Dom: 4, Access: xenstore.ReadWrite}}
			if err := c.SetPerms(ctx, base+"/a", perms); err != nil {
				t.Fatal(err)
			}
			if got, err := o.Perms(ctx, base+"/a"); err != nil || !slices.Equal(got, perms) {
				t.Errorf("Perms = %v, %v; want %v", got, err, perms)
			}

			// A watch that fires on a write from the other connection.
			w, err := c.Watch(ctx, base+"/watched")
			if err != nil {
				t.Fatal(err)
			}
			next := func() string {
				select {
				case ev, ok := <-w.Events():
					if !ok {
						t.Fatal("watch closed")
					}
					return ev.Path
				case <-ctx.Done():
					t.Fatal("no watch event")
				}
				return ""
			}
			if p := next(); p != base+"/watched" {
				t.Errorf("the registration's event: %q", p)
			}
			if err := o.Write(ctx, base+"/watched/x", []byte("1")); err != nil {
				t.Fatal(err)
			}
			if p := next(); p != base+"/watched/x" {
				t.Errorf("event %q, want %s/watched/x", p, base)
			}
			if err := w.Close(); err != nil {
				t.Errorf("Watch.Close: %v", err)
			}

			// A transaction conflict the retry resolves.
			c.Write(ctx, base+"/n", []byte("1"))
			attempts, err := c.Transaction(ctx, func(tx *xenstore.Tx) error {
				v, err := tx.Read(ctx, base+"/n")
				if err != nil {
					return err
				}
				if string(v) == "1" {
					if err := o.Write(ctx, base+"/n", []byte("10")); err != nil {
						return err
					}
				}
				return tx.Write(ctx, base+"/n", append(v, '+'))
			})
			if err != nil {
				t.Fatalf("Transaction: %v", err)
			}
			t.Logf("transaction: %d attempts", attempts)
			if attempts != 2 {
				t.Errorf("attempts = %d, want 2 (EAGAIN once, then commit)", attempts)
			}
			if v, _ := o.Read(ctx, base+"/n"); string(v) != "10+" {
				t.Errorf("%s/n = %q, want 10+", base, v)
			}

			if err := c.Rm(ctx, base); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Read(ctx, base+"/a"); !errors.Is(err, syscall.ENOENT) {
				t.Errorf("Read after Rm: %v, want ENOENT", err)
			}
		})
	}
}
