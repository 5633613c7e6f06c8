package abi_test

import (
	"fmt"
	"log"
	"testing/fstest"

	"github.com/xenbind/xenbind/layout/abi"
	"github.com/xenbind/xenbind/parser"
)

// tree is a header tree of one xen.h, as abi.Load reads it.
func tree(xenH string) fstest.MapFS {
	return fstest.MapFS{
		"xen-compat.h": {Data: []byte("#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n")},
		"xen.h":        {Data: []byte(xenH)},
	}
}

func load(xenH string) *abi.Tree {
	cfg := parser.Config{Tree: tree(xenH), TreeName: "demo", Mode: parser.Guest, Includes: []string{"xen.h"}}
	t, err := abi.Load(cfg, parser.Targets)
	if err != nil {
		log.Fatal(err)
	}
	return t
}

// Ask whether a record has the same layout on all four targets and what a
// 32-on-64 compat layer must do with it, as `xenbind abi` does.
func ExampleCompare() {
	rep := abi.Compare(load(`
#include <stdint.h>
struct same { uint32_t a, b; };
struct moves { uint32_t a; uint64_t b; };
`))
	for _, name := range []string{"struct same", "struct moves"} {
		rec := rep.Find(name)
		fmt.Printf("%s: %s; x86_32 on x86_64: %s\n", rec.Name, rec.Class, rec.Verdict("x86"))
	}
	// Output:
	// struct same: identical; x86_32 on x86_64: pass-through
	// struct moves: different; x86_32 on x86_64: translate
}

// Diff two versions of a header tree, as `xenbind abi -against` does, and
// gate on it as a CI step would: struct s grew, and OP_BAR reuses the
// number OP_FOO stands for.
func ExampleDiff() {
	old := load("struct s { int a; };\n#define OP_FOO 1\n")
	cur := load("struct s { int a; int b; };\n#define OP_FOO 1\n#define OP_BAR 1\n")
	rep, err := abi.Diff(old, cur)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range rep.Findings {
		fmt.Println(f.Summary())
	}
	gate, err := abi.ParseGate("changed") // -fail-on changed
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("failing:", len(rep.Failing(gate)))
	// Output:
	// number-reused OP_BAR [all targets]
	// record-changed struct s [all targets]
	// constant-added OP_BAR [all targets]
	// failing: 2
}
