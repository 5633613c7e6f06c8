package emit

import (
	"os"
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
		{"cmd XENMEM_x handle=a,b,in,0", `bad element size "0"`},
		{"cmd XENMEM_x dir=both", "dir is in or out"},
		{"cmd XENMEM_x count=2", "only count=1"},
		{"cmd XENMEM_x pagefit=a,b", "want OFFSET,LEN,SIZE"},
		{"cmd XENMEM_x frob=1", `unknown key "frob"`},
		{"cmd XENMEM_x name=1x", "is not a Go name"},
		{"cmd XEN_DOMCTL_x domain=self", "domain is any, out or none"},
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
func pinnedHost(t *testing.T) ([]File, []string) {
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
	// The only commands without a wrapper are those the spec lists with
	// the reason (nowrap); sub-commands of HVMOP_altp2m and
	// XEN_SYSCTL_pm_op are values the spec ignores.
	for _, r := range reports {
		_, rest, ok := strings.Cut(r, "no wrapper for ")
		cmd, _, _ := strings.Cut(rest, ":")
		if ok && spec.nowrap[cmd] != "" {
			continue
		}
		if strings.Contains(r, "no wrapper") || strings.Contains(r, "no raw function") {
			t.Errorf("note: %s", r)
		}
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
			found = found || strings.HasPrefix(r, w)
		}
		if !found {
			t.Errorf("no note %q in %q", w, reports)
		}
	}
}
