package parser

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestConflictsSettled: a header that declares again, differently, several
// names and tags of xen.h fails with the same error every time (cc/v4
// alone names whichever conflict its map order meets first): one
// "redefinition" per tag defined twice, at the second definition. With
// only typedefs in conflict, cc/v4's own message stays.
func TestConflictsSettled(t *testing.T) {
	xen := "typedef unsigned long pfn_t;\ntypedef unsigned long ulong_t;\nstruct a { int x; };\nstruct b { int y; };\nunion c { int z; };\nenum e { E1 };\n"
	again := "typedef unsigned long long pfn_t;\ntypedef unsigned long long ulong_t;\nstruct a { long x; };\nstruct b { int y; };\nstruct c { int z; };\nenum e { E2 };\n"
	tree := fstest.MapFS{"xen.h": {Data: []byte(xen)}, "again.h": {Data: []byte(again)}, "types.h": {Data: []byte("typedef unsigned long long pfn_t;\ntypedef unsigned long long ulong_t;\n")}}
	want := []string{
		"again.h:3:1: redefinition of 'struct a', previous definition at xen.h:3:1",
		"again.h:4:1: redefinition of 'struct b', previous definition at xen.h:4:1",
		"again.h:5:1: 'c' defined as wrong kind of tag ('union c' at xen.h:5:1)",
		"again.h:6:1: redefinition of 'enum e', previous definition at xen.h:6:1",
	}
	for run := range 8 {
		_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Includes: []string{"xen.h", "again.h"}, NoCache: true})
		if err == nil {
			t.Fatal("no error")
		}
		if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("run %d:\n%s\nwant\n%s", run, err, strings.Join(want, "\n"))
		}
	}
	// Typedefs alone: cc/v4's message, naming one of the two.
	_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Includes: []string{"xen.h", "types.h"}, NoCache: true})
	if err == nil || !strings.Contains(err.Error(), "conflicting types for '") {
		t.Fatalf("typedefs in conflict: %v", err)
	}
}
