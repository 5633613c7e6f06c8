package headers

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestUnpackConcurrent: test processes unpack the pinned tree at the same
// time; none may remove a tree another one is reading.
func TestUnpackConcurrent(t *testing.T) {
	if _, err := Download(XenDeb, filepath.Join(Dir(), "cache")); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "tree")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Unpack(XenDeb, filepath.Join(Dir(), "cache"), dest)
		}()
	}
	// A reader that must never see the tree vanish once it appeared.
	seen := false
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		_, err := os.Stat(filepath.Join(dest, "usr", "include", "xen", "physdev.h"))
		if err == nil {
			seen = true
		} else if seen {
			t.Fatalf("the tree vanished while another unpack ran: %v", err)
		}
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "usr", "include", "xen", "xen.h")); err != nil {
		t.Fatal(err)
	}
}
