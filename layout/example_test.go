package layout_test

import (
	"fmt"
	"log"
	"os"
	"testing/fstest"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// compat is the xen-compat.h every tree has: guest mode compiles against
// its latest interface version.
var compat = &fstest.MapFile{Data: []byte("#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n")}

// Lay out a header's records for two targets, as a library: the numbers
// gcc gives, without a C compiler.
func Example() {
	tree := fstest.MapFS{"xen-compat.h": compat, "xen.h": {Data: []byte(`
#include <stdint.h>
struct demo {
	uint32_t count;
	uint64_t value; /* 4-aligned on x86_32, 8-aligned on x86_64 */
};
`)}}
	cfg := parser.Config{Tree: tree, TreeName: "demo", Mode: parser.Guest, Includes: []string{"xen.h"}}
	layouts, err := layout.ForTargets(cfg, []parser.Target{parser.X86_32, parser.X86_64})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range layouts {
		for _, r := range l.Records() {
			fmt.Printf("%s %s: size %d, value at %d\n", l.Unit().Target, r.Name, r.Size, r.Fields[1].Offset)
		}
	}
	// Output:
	// x86_32 struct demo: size 12, value at 4
	// x86_64 struct demo: size 16, value at 8
}

// Print one record pahole-style, as `xenbind layout -records` does.
func ExampleLayout_Select() {
	tree := fstest.MapFS{"xen-compat.h": compat, "xen.h": {Data: []byte("struct a { char c; int i; };\nstruct b { short s; };\n")}}
	cfg := parser.Config{Tree: tree, TreeName: "demo", Mode: parser.Guest, Includes: []string{"xen.h"}}
	layouts, err := layout.ForTargets(cfg, []parser.Target{parser.ARM64})
	if err != nil {
		log.Fatal(err)
	}
	one, err := layouts[0].Select([]string{"struct a"})
	if err != nil {
		log.Fatal(err)
	}
	one.WriteText(os.Stdout)
	// Output:
	// /* arm64, guest mode: xen.h */
	//
	// struct a {	/* xen.h:1:1 */
	// 	char c; /*      0      1 */
	// 	/* XXX 3 byte hole */
	// 	int i; /*      4      4 */
	// 	/* size: 8, align: 4 */
	// };
}
