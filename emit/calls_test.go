package emit

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

func TestCallSpecParses(t *testing.T) {
	s, err := parseCallSpec(specName, hypercallsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.protos) < 40 || len(s.families) != 10 || len(s.envs) != 2 || len(s.nowrap) < 40 || len(s.cmds) < 30 || len(s.variants) < 15 || len(s.errcodes) != 2 {
		t.Errorf("spec: %d hypercalls, %d families, %d cmds, %d subops, %d errcodes: too few",
			len(s.protos), len(s.families), len(s.cmds), len(s.variants), len(s.errcodes))
	}
}

func TestCallSpecErrors(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"frob x", `t.spec:1: unknown directive "frob"`},
		{"hypercall long HYPERVISOR_x(int a", "t.spec:1: want: hypercall"},
		{"family XENMEM HYPERVISOR_memory_op cmd arg", "t.spec:1: want: family PREFIX_"},
		{"family X_ HYPERVISOR_x cmd arg count status=status", "t.spec:1: want status=MEMBER:CONSTPREFIX"},
		{"cmd XENMEM_x handle=a,b", "t.spec:1: handle=a,b: want PATH,COUNT,DIR[,SIZE]"},
		{"cmd XENMEM_x handle=a,b,sideways", `direction "sideways"`},
		{"cmd XENMEM_x handle=a,b,in,0", `bad element size or entry type "0"`},
		{"cmd XENMEM_x handle=a,b,in,1x", `bad element size or entry type "1x"`},
		{"entry E 4 a=2:uint32", "beyond the 4 bytes"},
		{"entry E 8 a=0:uint32 b=2:uint16", "overlaps"},
		{"packed V uint32 a=3:0", "want: packed"},
		{"cmd XENMEM_x dir=both", "dir is in or out"},
		{"cmd XENMEM_x count=2", "only count=1"},
		{"cmd XENMEM_x pagefit=a,b", "want OFFSET,LEN,SIZE"},
		{"cmd XENMEM_x frob=1", `unknown key "frob"`},
		{"cmd XENMEM_x name=1x", "is not a Go name"},
		{"cmd XEN_DOMCTL_x domain=self", "domain is out (or left out)"},
		{"envelope XEN_DOMCTL_ xen_domctl cmd=cmd", "cmd=, version= and payload= are required"},
		{"envelope XEN_DOMCTL_ xen_domctl cmd=cmd version=v payload=u", "want cmd=MEMBER, version=MEMBER:MACRO"},
		{"nowrap XEN_DOMCTL_x", "want: nowrap COMMAND,... REASON..."},
		{"cmd XENMEM_x\ncmd XENMEM_x", "t.spec:2: XENMEM_x: a second cmd line"},
		{"errcode X", "want: errcode"},
	}
	for _, tt := range tests {
		_, err := parseCallSpec("t.spec", []byte(tt.line))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.line, err, tt.want)
		}
	}
}

// pinnedIncludes are the headers of generated/xen (generated/generate.go).
const pinnedIncludes = "xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h"

// pinnedHost generates the host package of the pinned Xen headers in
// tools mode, as go generate ./generated does.
func pinnedHost(t *testing.T) ([]File, []Note) {
	t.Helper()
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	cfg := parser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: parser.Tools, Includes: strings.Split(pinnedIncludes, ",")}
	layouts, err := layout.ForTargets(cfg, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	files, reports, err := Host(layouts, Options{Package: "xen", Invocation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return files, reports
}

// TestCallsCoverPinnedHeaders checks that every hypercall and every
// command of the pinned headers gets a function (the generator notes any
// it cannot wrap), and that every name the spec uses exists there, so a
// typo in the spec does not silently drop a wrapper.
func TestCallsCoverPinnedHeaders(t *testing.T) {
	files, reports := pinnedHost(t)
	spec, err := parseCallSpec(specName, hypercallsSpec)
	if err != nil {
		t.Fatal(err)
	}
	// Spec lines for commands of other Xen releases are noted, once each;
	// the commands the spec lists with a reason (nowrap) have none; every
	// other command of these headers has a wrapper. (The sub-commands of
	// HVMOP_altp2m and XEN_SYSCTL_pm_op are values the spec ignores.)
	absent := map[string]bool{}
	for _, r := range reports {
		if _, rest, ok := strings.Cut(r.Text, ": no wrapper for "); ok && strings.HasSuffix(rest, ": these headers define no such command") {
			absent[strings.TrimSuffix(rest, ": these headers define no such command")] = true
			continue
		}
		_, rest, ok := strings.Cut(r.Text, "no wrapper for ")
		cmd, _, _ := strings.Cut(rest, ":")
		if ok && spec.nowrap[cmd] != "" {
			continue
		}
		if strings.Contains(r.Text, "no wrapper") || strings.Contains(r.Text, "no raw function") {
			t.Errorf("note: %s", r)
		}
	}
	for _, later := range []string{"XENVER_extraversion2", "XENVER_capabilities2", "XENVER_changeset2", "XENVER_commandline2"} {
		if !absent[later] {
			t.Errorf("no note that 4.17 lacks %s", later)
		}
		delete(absent, later)
	}
	if len(absent) > 0 {
		t.Errorf("4.17 lacks spec commands %v", absent)
	}
	var text strings.Builder
	for _, f := range files {
		if strings.HasPrefix(f.Name, "zcalls") {
			text.Write(f.Data)
		}
	}
	calls := text.String()
	for name, c := range spec.cmds {
		prefix := ""
		for _, fam := range spec.families {
			if strings.HasPrefix(name, fam.prefix) {
				prefix = fam.prefix
			}
		}
		if prefix == "" {
			t.Errorf("%s:%d: %s is in no family", specName, c.line, name)
			continue
		}
		fn := familyWord(prefix) + wordsGo(strings.TrimPrefix(name, prefix))
		if strings.HasPrefix(name, "XENVER_") && strings.HasSuffix(name, "2") {
			continue // Xen 4.20's; see TestVarbufWrappers
		}
		if !strings.Contains(calls, "\nfunc "+fn+"(") {
			t.Errorf("%s:%d: no function %s for %s", specName, c.line, fn, name)
		}
	}
	for _, v := range spec.variants {
		fn := "Xenmem" + wordsGo(strings.TrimPrefix(v.name, "XENMEM_")) + v.variant
		if !strings.Contains(calls, "\nfunc "+fn+"(") {
			t.Errorf("%s:%d: no function %s for %s", specName, v.line, fn, v.name)
		}
	}
	for _, p := range spec.protos {
		fn := "Hypervisor" + wordsGo(strings.TrimPrefix(p.proto.Name, "HYPERVISOR_"))
		if !strings.Contains(calls, "\nfunc "+fn+"(") {
			t.Errorf("%s:%d: no function %s", specName, p.line, fn)
		}
	}
	for _, ec := range spec.errcodes {
		if !strings.Contains(calls, "\nvar Err") || !strings.Contains(calls, `"`+ec.macro+`"`) {
			t.Errorf("%s:%d: no error variable for %s", specName, ec.line, ec.macro)
		}
	}
}

// conventions is a fixture header using the conventions the generator
// reads: the hypercall list's naming rule, a backtick prototype, commands
// sharing a comment that names their struct, a command followed by its
// struct, and commands it cannot wrap.
const conventions = `
/* ` + "`" + ` enum hypercall_num { // __HYPERVISOR_* => HYPERVISOR_*() */

#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_new_op    50
#define __HYPERVISOR_VIRT_START 0xF5800000

/*
 * ` + "`" + ` enum neg_errnoval
 * ` + "`" + ` HYPERVISOR_memory_op(unsigned int cmd, void *arg)
 * The memory hypercall.
 */

typedef unsigned short domid_t;

/*
 * Frob or unfrob a thing.
 * arg == addr of struct xen_thing.
 */
#define XENMEM_frob   40
#define XENMEM_unfrob 41
struct xen_thing {
    domid_t domid;   /* IN: whose thing */
    unsigned int n;
};

#define XENMEM_follow 42
struct xen_follow_me {
    unsigned int x;
};

/* arg == NULL; returns a number. */
#define XENMEM_count 43

#define XENMEM_NOT_A_COMMAND 1
#define XENMEM_orphan 44
`

func TestCallConventions(t *testing.T) {
	tree := fstest.MapFS{"xen.h": &fstest.MapFile{Data: []byte(conventions)}}
	layouts, err := layout.ForTargets(parser.Config{Tree: tree, TreeName: "fixture", Mode: parser.Tools, Includes: []string{"xen.h"}}, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	files, reports, err := Host(layouts, Options{Package: "fixture", Invocation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var calls string
	for _, f := range files {
		if f.Name == "zcalls.go" {
			calls = string(f.Data)
		}
		if strings.HasPrefix(f.Name, "zcalls_") {
			t.Errorf("%s: the fixture's functions are the same on every target", f.Name)
		}
	}
	if testing.Verbose() {
		t.Log(calls)
	}
	for _, want := range []string{
		"func HypervisorMemoryOp(c hypercall.Caller, cmd, arg uint64) (uint64, error) {",
		"// The memory hypercall.",
		"func XenmemFrob(c hypercall.Caller, arg *Thing) (err error) {",
		"func XenmemUnfrob(c hypercall.Caller, arg *Thing) (err error) {",
		"// XenmemUnfrob issues XENMEM_unfrob (xen.h:21:9) through HYPERVISOR_memory_op\n// with a struct xen_thing.\n//\n// Frob or unfrob a thing.",
		"func XenmemFollow(c hypercall.Caller, arg *FollowMe) (err error) {",
		"func XenmemCount(c hypercall.Caller) (err error) {",
		"_, err = HypervisorMemoryOp(c, XENMEM_count, 0)",
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("zcalls.go lacks %q", want)
		}
	}
	for _, bad := range []string{"HypervisorVIRTSTART", "XenmemNOTACOMMAND", "XenmemOrphan", "HypervisorNewOp"} {
		if strings.Contains(calls, bad) {
			t.Errorf("zcalls.go has %s", bad)
		}
	}
	wantNotes := []string{
		"xen.h:5:9: no raw function for __HYPERVISOR_new_op",
		"xen.h:36:9: no wrapper for XENMEM_orphan: its argument is not stated",
	}
	for _, w := range wantNotes {
		found := false
		for _, r := range reports {
			found = found || strings.HasPrefix(r.Text, w)
		}
		if !found {
			t.Errorf("no note %q in %q", w, reports)
		}
	}
}

// varbufHeader declares variable-length buffers the way Xen 4.20's
// version.h does (a struct of a length and a flexible array, the commands
// sharing one comment that names it), and a command whose struct ends in
// a flexible array the spec says nothing about.
const varbufHeader = `
/* ` + "`" + ` enum hypercall_num { // __HYPERVISOR_* => HYPERVISOR_*() */
#define __HYPERVISOR_xen_version 17

struct xen_varbuf {
    unsigned int len;     /* IN: size of buf[] */
    unsigned char buf[];  /* OUT: the data */
};
typedef struct xen_varbuf xen_varbuf_t;

/*
 * arg == xen_varbuf_t
 */
#define XENVER_extraversion2 11
#define XENVER_capabilities2 12
#define XENVER_changeset2    13
#define XENVER_commandline2  14

#define XENVER_blob 30
struct xen_blob {
    unsigned int n;
    unsigned int data[];
};
`

// TestVarbufWrappers generates the varbuf fixture's wrappers and runs them
// against xentest's simulation of Xen 4.20: each returns the bytes Xen
// wrote and their count, and fails with ENOBUFS, saying so, when the
// buffer is too small. The struct ending in an unspecified flexible array
// gets no wrapper.
func TestVarbufWrappers(t *testing.T) {
	tree := fstest.MapFS{"xen.h": &fstest.MapFile{Data: []byte(varbufHeader)}}
	layouts, err := layout.ForTargets(parser.Config{Tree: tree, TreeName: "fixture", Mode: parser.Tools, Includes: []string{"xen.h"}}, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	files, reports, err := Host(layouts, Options{Package: "varbuf", Invocation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var calls string
	for _, f := range files {
		if strings.HasPrefix(f.Name, "zcalls") {
			calls += string(f.Data)
		}
	}
	for _, fn := range []string{"XenverExtraversion2", "XenverCapabilities2", "XenverChangeset2", "XenverCommandline2"} {
		if !strings.Contains(calls, "\nfunc "+fn+"(c hypercall.Caller, buf []byte) (data []byte, size uint64, err error) {") {
			t.Errorf("no varbuf wrapper %s", fn)
		}
	}
	if strings.Contains(calls, "XenverBlob") {
		t.Error("XENVER_blob, whose struct ends in a flexible array the spec does not describe, has a wrapper")
	}
	found := false
	for _, r := range reports {
		found = found || strings.Contains(r.Text, "no wrapper for XENVER_blob: argument struct xen_blob: data is a flexible array")
	}
	if !found {
		t.Errorf("no note on XENVER_blob in %q", reports)
	}
	m := newForeignModule(t)
	for _, f := range files {
		m.write(filepath.Join("varbuf", f.Name), f.Data)
	}
	test, err := os.ReadFile(filepath.Join("testdata", "varbuf", "varbuf_test.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m.write(filepath.Join("varbuf", "varbuf_test.go"), test)
	if out, err := m.goCmd(runtime.GOARCH, "test", "./varbuf"); err != nil {
		t.Errorf("go test: %v\n%s", err, out)
	}
}

// TestWrap holds wrap to the word-by-word concatenation it replaced: the
// same lines for words of every length, runs of blanks, long words.
func TestWrap(t *testing.T) {
	concat := func(s string) []string {
		var out []string
		line := ""
		for _, w := range strings.Fields(s) {
			if line != "" && len(line)+1+len(w) > 76 {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			out = append(out, line)
		}
		return out
	}
	inputs := []string{"", "   ", "one", " lead and trail ", "a\tb\nc  d", strings.Repeat("x", 100) + " y " + strings.Repeat("z", 76)}
	words := []string{"a", "bb", "ccc", "hypercall", "XENMEM_exchange", "out.extent_start", strings.Repeat("w", 75), strings.Repeat("v", 76), strings.Repeat("u", 77)}
	for n := range 400 {
		var b strings.Builder
		for i := range n%60 + 1 {
			b.WriteString(words[(n*7+i*i)%len(words)])
			b.WriteString([]string{" ", "  ", "\t", "\n"}[(n+i)%4])
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		if got, want := wrap(s), concat(s); !slices.Equal(got, want) {
			t.Errorf("wrap(%q) = %q, want %q", s, got, want)
		}
	}
}
