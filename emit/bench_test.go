package emit

import (
	"os"
	"testing"
	"time"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

func benchLayouts(b *testing.B) []*layout.Layout {
	dir, err := headers.Tree()
	if err != nil {
		b.Fatal(err)
	}
	ls, err := layout.ForTargets(parser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: parser.Tools, Includes: parser.DefaultIncludes, NoCache: true}, parser.Targets)
	if err != nil {
		b.Fatal(err)
	}
	return ls
}

// reportCPU reports the process's CPU time per iteration (cpu-ms/op)
// since start, all goroutines counted: on a shared machine wall time
// says little, and the work runs on several cores.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// forgetDocs empties docText's memory, so that each iteration of a
// benchmark costs what one generation in a fresh process does.
func forgetDocs() {
	docs.Lock()
	clear(docs.m)
	docs.Unlock()
}

// BenchmarkHost generates the host package of xen.h, memory.h and
// grant_table.h (tools mode) for the four targets from their layouts:
// building, rendering, formatting and type-checking every file.
func BenchmarkHost(b *testing.B) {
	ls := benchLayouts(b)
	start := processCPU()
	b.ResetTimer()
	for b.Loop() {
		forgetDocs()
		if _, _, err := Host(ls, Options{Package: "xen", Invocation: "xenbind gen -mode tools"}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkTypeCheck is the type check alone, of the files BenchmarkHost
// makes, for the four GOARCH.
func BenchmarkTypeCheck(b *testing.B) {
	files, _, err := Host(benchLayouts(b), Options{Package: "xen", Invocation: "xenbind gen -mode tools"})
	if err != nil {
		b.Fatal(err)
	}
	start := processCPU()
	b.ResetTimer()
	for b.Loop() {
		if err := typeCheck(files, goarches); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkForeign generates the x86_64 foreign package of the same
// headers.
func BenchmarkForeign(b *testing.B) {
	ls := benchLayouts(b)
	for b.Loop() {
		forgetDocs()
		if _, _, err := Foreign(ls[1], Options{Package: "x86_64", Invocation: "xenbind gen -foreign"}); err != nil {
			b.Fatal(err)
		}
	}
}
