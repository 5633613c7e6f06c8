// Package headertree finds the Xen 4.17 public header tree for tests that
// check hand-written tables (errno numbers, struct offsets) against the
// headers' own text, and skips those tests, saying why, where there is none.
package headertree

import (
	"os"
	"path/filepath"
	"testing"
)

// candidates are tried in order. The first is the tree headers/ unpacks,
// relative to a package directory two levels below the module root (where
// go test runs a runtime/... package's tests); the second is where the
// development machines keep an unpacked copy.
var candidates = []string{
	filepath.Join("..", "..", "headers", "xen-4.17", "usr", "include", "xen"),
	"/tmp/xen/x/usr/include/xen",
}

// Dir returns the directory holding xen.h, errno.h and the other public
// headers, or skips t when no tree is available.
func Dir(t testing.TB) string {
	t.Helper()
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "xen.h")); err == nil {
			return dir
		}
	}
	t.Skipf("no Xen 4.17 header tree at %q: run the headers fetch step (see headers/) to check against the headers", candidates)
	return ""
}

// Read returns the text of the named header in the tree, skipping t when
// there is no tree and failing it when the tree lacks the file.
func Read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), name))
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	return string(b)
}
