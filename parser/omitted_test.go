package parser

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestIncludeAllOmitted checks what -include all leaves out, and that it
// says why: a header gcc refuses after xen.h because it defines a struct
// again (cc/v4 alone would take it), and one that #errors.
func TestIncludeAllOmitted(t *testing.T) {
	tree := fstest.MapFS{
		"xen.h":   {Data: []byte("struct arch_vcpu_info { };\n")},
		"again.h": {Data: []byte("struct arch_vcpu_info { };\n")},
		"nope.h":  {Data: []byte("#error \"not for this target\"\n")},
		"good.h":  {Data: []byte("struct good { int x; };\n")},
	}
	units, err := ParseTargets(Config{Tree: tree, TreeName: "fixture", Mode: Tools, Includes: []string{AllHeaders}}, []Target{ARM64})
	if err != nil {
		t.Fatal(err)
	}
	u := units[0]
	if got := strings.Join(u.Includes, " "); got != "xen.h good.h" {
		t.Errorf("headers taken: %s, want xen.h good.h", got)
	}
	want := map[string]string{
		"again.h": "redefines struct arch_vcpu_info of xen.h",
		"nope.h":  "not for this target",
	}
	if len(u.Omitted) != len(want) {
		t.Errorf("omitted %+v, want %d", u.Omitted, len(want))
	}
	for _, o := range u.Omitted {
		if !strings.Contains(o.Reason, want[o.Header]) || want[o.Header] == "" {
			t.Errorf("%s left out because %q, want %q", o.Header, o.Reason, want[o.Header])
		}
	}
	// Named headers: nothing is reported left out.
	units, err = ParseTargets(Config{Tree: tree, TreeName: "fixture", Mode: Tools, Includes: []string{"xen.h", "good.h"}}, []Target{ARM64})
	if err != nil {
		t.Fatal(err)
	}
	if units[0].Omitted != nil {
		t.Errorf("named headers: omitted %+v", units[0].Omitted)
	}
}

// TestIncludeAllSyntaxError: under -include all, a header with a syntax
// error is an error at its position, not a header left out; a part of
// another header (which needs that header's macros, as
// arch-x86/hvm/save.h needs hvm/save.h's) is left out when the header
// that includes it stands alone.
func TestIncludeAllSyntaxError(t *testing.T) {
	tree := fstest.MapFS{
		"xen.h":    {Data: []byte("typedef unsigned long xen_ulong_t;\n")},
		"good.h":   {Data: []byte("struct good { int x; };\n")},
		"broken.h": {Data: []byte("struct broken { int x; };\nint y = ;\n")},
	}
	_, err := ParseTargets(Config{Tree: tree, TreeName: "fixture", Mode: Tools, Includes: []string{AllHeaders}}, []Target{X86_64})
	if err == nil || !strings.Contains(err.Error(), "fixture/broken.h:2:9: ") {
		t.Fatalf("got %v, want an error at fixture/broken.h:2:9", err)
	}
	delete(tree, "broken.h")
	tree["whole.h"] = &fstest.MapFile{Data: []byte("#ifndef WHOLE_H\n#define WHOLE_H\n#define FIELD(n) int n;\nstruct whole {\n#include \"part.h\"\n};\n#endif\n")}
	tree["part.h"] = &fstest.MapFile{Data: []byte("FIELD(a)\nFIELD(b)\n")}
	units, err := ParseTargets(Config{Tree: tree, TreeName: "fixture", Mode: Tools, Includes: []string{AllHeaders}}, []Target{X86_64})
	if err != nil {
		t.Fatal(err)
	}
	u := units[0]
	if got := strings.Join(u.Includes, " "); got != "xen.h good.h whole.h" {
		t.Errorf("headers taken: %s, want xen.h good.h whole.h", got)
	}
	if len(u.Omitted) != 1 || u.Omitted[0].Header != "part.h" || !strings.Contains(u.Omitted[0].Reason, "fixture/part.h:") {
		t.Errorf("omitted %+v, want part.h with its syntax error", u.Omitted)
	}
}
