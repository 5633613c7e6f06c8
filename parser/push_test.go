package parser

import (
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xenbind/xenbind/cache"
)

// TestPushSet: the files pushed with a request are those the #include
// lines name, on both sides of an #if, found the way cc/v4 searches:
// next to the including file first, then the tree's root; a name that is
// not there is pushed as missing; a system header xenbind has built in,
// and an #include of a macro, push nothing.
func TestPushSet(t *testing.T) {
	tree := fstest.MapFS{
		"xen.h":       {Data: []byte("#include <stdint.h>\n#if 0\n# include \"unused.h\"\n#endif\n#include \"sub/b.h\"\n#define H \"x.h\"\n#include H\n")},
		"unused.h":    {Data: []byte("int unused;\n")},
		"sub/b.h":     {Data: []byte("  #  include \"c.h\" /* c */\n#include_next <d.h>\n#include \"sub/b.h\"\n")},
		"c.h":         {Data: []byte("int c;\n")},
		"memory.h":    {Data: []byte("int m;\n")},
		"notused.h":   {Data: []byte("int n;\n")},
		"sub/other.h": {Data: []byte("int o;\n")},
	}
	cfg := Config{Tree: tree, Target: X86_64, Mode: Tools, Includes: []string{"memory.h"}}
	r := childRequest{Target: cfg.Target, Mode: cfg.Mode, Includes: cfg.Includes, Dialect: cfg.Dialect}
	set := pushSet(&cfg, &r)
	want := map[string]byte{
		"xen.h":    frameFile,
		"memory.h": frameFile,
		"unused.h": frameFile,
		"sub/b.h":  frameFile,
		"sub/c.h":  frameMissing, // next to sub/b.h first
		"c.h":      frameFile,    // then the root
		// sub/b.h includes itself: first looked for next to itself.
		"sub/sub/b.h": frameMissing,
		// <d.h>: the tree is not on the system path, and xenbind has
		// no such built-in header: nothing.
	}
	got := map[string]byte{}
	for name, p := range set {
		got[name] = p.kind
		if p.kind == frameFile && string(p.data) != string(tree[name].Data) {
			t.Errorf("%s pushed as %q", name, p.data)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("pushed %v\nwant %v", describePush(got), describePush(want))
	}
}

func describePush(m map[string]byte) string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s = append(s, k+":"+string(m[k]))
	}
	return strings.Join(s, " ")
}

// TestPushedFilesCountWhenOpened: a translation whose files were all
// pushed asks its parent for none, and its cache manifest lists the files
// it opened, not the ones pushed for the other side of an #if.
func TestPushedFilesCountWhenOpened(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	tree := fstest.MapFS{
		"xen.h":    {Data: []byte("#ifdef __x86_64__\n#include \"used.h\"\n#else\n#include \"unused.h\"\n#endif\n")},
		"used.h":   {Data: []byte("struct used { int a; };\n")},
		"unused.h": {Data: []byte("struct unused { int b; };\n")},
	}
	before := openRequests.Load()
	units, err := ParseTargets(Config{Tree: tree, Mode: Tools, Timeout: 10 * time.Second}, []Target{X86_64})
	if err != nil {
		t.Fatal(err)
	}
	if n := openRequests.Load() - before; n != 0 {
		t.Errorf("the child asked for %d files", n)
	}
	inputs := string(units[0].Inputs())
	if !strings.Contains(inputs, "used.h\t") || strings.Contains(inputs, "unused.h") {
		t.Errorf("manifest:\n%s", inputs)
	}
	if units[0].Record("struct used") == nil {
		t.Error("struct used not parsed")
	}
}

// changingFS serves a file with new bytes each time it is opened.
type changingFS struct {
	mu    sync.Mutex
	tree  fstest.MapFS
	name  string
	opens int
}

func (c *changingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == c.name {
		c.opens++
		c.tree[name] = &fstest.MapFile{Data: []byte(strings.Repeat(" ", c.opens) + "int changing;\n")}
	}
	return c.tree.Open(name)
}

// TestPushedFileChanged: a pushed file that reads differently when the
// child opens it (a tree that changes during the parse, without the
// cache's recordFS to keep the bytes) fails the parse instead of
// translating bytes the parse does not account for.
func TestPushedFileChanged(t *testing.T) {
	tree := &changingFS{tree: fstest.MapFS{"xen.h": {Data: []byte("#include \"a.h\"\n")}}, name: "a.h"}
	_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Timeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "a.h: the file changed while it was parsed") {
		t.Fatalf("got %v, want a.h changed", err)
	}
}
