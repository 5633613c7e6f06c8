package layout

import (
	"os"
	"testing"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

// BenchmarkCompute lays out every record of xen.h, memory.h and
// grant_table.h (tools mode) for the four targets, from parsed units.
func BenchmarkCompute(b *testing.B) {
	dir, err := headers.Tree()
	if err != nil {
		b.Fatal(err)
	}
	units, err := parser.ParseTargets(parser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: parser.Tools, Includes: parser.DefaultIncludes, NoCache: true}, parser.Targets)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, u := range units {
			if _, err := Compute(u); err != nil {
				b.Fatal(err)
			}
		}
	}
}
