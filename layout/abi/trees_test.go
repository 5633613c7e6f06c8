package abi

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

// The trees the tests compare, fetched and prepared once per test binary.

// xenTree is the pinned Xen 4.17 public header tree.
func xenTree(t testing.TB) string {
	t.Helper()
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned Xen tree: %v", err)
	}
	return dir
}

// linuxTree is the root of the Linux kernel headers of a release ("6.1",
// "6.12") pinned in headers/manifest.txt: a kernel source tree (include/,
// arch/) in the cache directory.
func linuxTree(t testing.TB, release string) string {
	t.Helper()
	for _, d := range headers.LinuxDebs {
		if headers.XenRelease(d.Version) == release {
			dir, err := headers.LinuxTree(d)
			if err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			return dir
		}
	}
	t.Fatalf("headers/manifest.txt pins no Linux %s headers", release)
	return ""
}

var patchedOnce struct {
	sync.Mutex
	dir string
}

// patchedTree is a copy of the Xen tree with testdata/dma_buf.patch
// applied: XENMEM_get_dma_buf = 26 and XENMEM_put_dma_buf = 27.
func patchedTree(t testing.TB) string {
	t.Helper()
	patchedOnce.Lock()
	defer patchedOnce.Unlock()
	if patchedOnce.dir != "" {
		return patchedOnce.dir
	}
	src := xenTree(t)
	dst, err := os.MkdirTemp("", "xenbind-patched-")
	if err != nil {
		t.Fatal(err)
	}
	// The tree outlives the test that made it: every test of the package
	// shares it, and TestMain removes it.
	cleanups = append(cleanups, func() { os.RemoveAll(dst) })
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	patch, err := os.ReadFile(filepath.Join("testdata", "dma_buf.patch"))
	if err != nil {
		t.Fatal(err)
	}
	if err := applyPatch(dst, string(patch)); err != nil {
		t.Fatalf("testdata/dma_buf.patch: %v", err)
	}
	patchedOnce.dir = dst
	return dst
}

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// applyPatch applies a unified diff of one file, relative to dir, whose
// hunks must match the file's text exactly where they say. It is all the
// tests need: the fixture is a patch, not a copy of a patched header.
func applyPatch(dir, patch string) error {
	var file string
	var lines []string
	offset := 0 // lines added so far by earlier hunks
	sc := bufio.NewScanner(strings.NewReader(patch))
	var hunk []string
	start := 0
	flush := func() error {
		if hunk == nil {
			return nil
		}
		var old, new []string
		for _, l := range hunk {
			switch {
			case strings.HasPrefix(l, "-"):
				old = append(old, l[1:])
			case strings.HasPrefix(l, "+"):
				new = append(new, l[1:])
			default:
				old = append(old, strings.TrimPrefix(l, " "))
				new = append(new, strings.TrimPrefix(l, " "))
			}
		}
		at := start - 1 + offset
		if at < 0 || at+len(old) > len(lines) {
			return fmt.Errorf("hunk at line %d: outside %s", start, file)
		}
		for i, l := range old {
			if lines[at+i] != l {
				return fmt.Errorf("hunk at line %d: %s:%d is %q, want %q", start, file, at+i+1, lines[at+i], l)
			}
		}
		lines = append(lines[:at], append(new, lines[at+len(old):]...)...)
		offset += len(new) - len(old)
		hunk = nil
		return nil
	}
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "+++ "):
			if file != "" {
				return fmt.Errorf("more than one file")
			}
			file = strings.TrimPrefix(strings.Fields(l)[1], "b/")
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				return err
			}
			lines = strings.Split(string(b), "\n")
		case strings.HasPrefix(l, "--- ") && hunk == nil:
		case strings.HasPrefix(l, "@@ "):
			if err := flush(); err != nil {
				return err
			}
			f := strings.Fields(l)
			n, _, _ := strings.Cut(strings.TrimPrefix(f[1], "-"), ",")
			var err error
			if start, err = strconv.Atoi(n); err != nil {
				return fmt.Errorf("bad hunk header %q", l)
			}
			hunk = []string{}
		case hunk != nil:
			hunk = append(hunk, l)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("no file in the patch")
	}
	return os.WriteFile(filepath.Join(dir, file), []byte(strings.Join(lines, "\n")), 0o644)
}

// treeKey identifies a loaded tree.
type treeKey struct {
	dir      string
	dialect  parser.Dialect
	mode     parser.Mode
	taken    bool
	includes string
}

var loaded = struct {
	sync.Mutex
	m map[treeKey]*Tree
}{m: map[treeKey]*Tree{}}

// load parses a tree's three main headers for all four targets, once per
// test binary. taken also reads the other mode's constants (LoadTaken).
func load(t testing.TB, dir, name string, d parser.Dialect, mode parser.Mode, taken bool) *Tree {
	t.Helper()
	return loadHeaders(t, dir, name, d, mode, taken, parser.DefaultIncludes)
}

// loadHeaders is load of the headers listed.
func loadHeaders(t testing.TB, dir, name string, d parser.Dialect, mode parser.Mode, taken bool, includes []string) *Tree {
	t.Helper()
	loaded.Lock()
	defer loaded.Unlock()
	k := treeKey{dir, d, mode, taken, strings.Join(includes, " ")}
	if tr, ok := loaded.m[k]; ok {
		return tr
	}
	cfg := parser.Config{Tree: os.DirFS(dir), TreeName: name, Mode: mode, Includes: includes, Dialect: d}
	tr, err := Load(cfg, parser.Targets)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if taken {
		other := parser.Tools
		if mode == parser.Tools {
			other = parser.Guest
		}
		tr.LoadTaken(cfg, other)
	}
	loaded.m[k] = tr
	return tr
}
