package layout_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// FuzzHeader feeds arbitrary header text through the whole front half of
// xenbind: parse, lay out on every target, print. Bad input must come back
// as an error, never a panic, and never a run past the C front end's
// limits (1 s and 256 MiB here, so that the fuzzer never stalls). The seed
// corpus is testdata/fuzz/FuzzHeader, which keeps inputs that once looped
// or crashed, plus the fixture header.
func FuzzHeader(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(fixtureDir(), "xen.h")); err == nil {
		f.Add(string(b))
	}
	f.Add("struct a { int x:3; long long y:40; } __attribute__((packed));\n")
	f.Add("#pragma pack(push, 2)\nunion u { char c; double d; };\n#pragma pack(pop)\n")
	f.Add("typedef struct { struct { int a[]; }; } t;\n")
	f.Fuzz(func(t *testing.T, src string) {
		tree := fstest.MapFS{"xen.h": {Data: []byte(src)}}
		for _, target := range parser.Targets {
			u, err := parser.Parse(parser.Config{Tree: tree, Target: target, Mode: parser.Tools, Timeout: time.Second, Memory: 256 << 20})
			if err != nil {
				return // the same input fails the same way on every target
			}
			l, err := layout.Compute(u)
			if err != nil {
				continue
			}
			for _, r := range l.Records() {
				if r.Size < 0 || r.Align < 1 {
					t.Fatalf("%s: %s: size %d align %d", target, r.Name, r.Size, r.Align)
				}
			}
			if err := l.WriteText(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}
