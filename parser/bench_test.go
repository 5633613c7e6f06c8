package parser

import (
	"os"
	"testing"

	"github.com/xenbind/xenbind/cache"
)

// The benchmarks of the front end, on the pinned tree: xen.h, memory.h and
// grant_table.h for the four targets in tools mode, as gen reads them.
// "make bench" runs them with -benchmem.

func benchConfig(b *testing.B) Config {
	return Config{Tree: os.DirFS(tree(b)), TreeName: "xen", Mode: Tools, Includes: DefaultIncludes}
}

// BenchmarkParse parses for the four targets, cache off.
func BenchmarkParse(b *testing.B) {
	cfg := benchConfig(b)
	cfg.NoCache = true
	for b.Loop() {
		if _, err := ParseTargets(cfg, Targets); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCached takes the four models from a warm cache: hashing
// the inputs, reading and decoding the models.
func BenchmarkParseCached(b *testing.B) {
	b.Setenv(cache.DirEnv, b.TempDir())
	cfg := benchConfig(b)
	if _, err := ParseTargets(cfg, Targets); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseTargets(cfg, Targets); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStandalone decides which headers of the tree stand alone for
// one target, without the cache.
func BenchmarkStandalone(b *testing.B) {
	b.Setenv(cache.NoCacheEnv, "1")
	tr := os.DirFS(tree(b))
	for b.Loop() {
		standaloneCache.Clear()
		if _, err := Standalone(tr, X86_64, Tools); err != nil {
			b.Fatal(err)
		}
	}
}
