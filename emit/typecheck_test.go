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

func TestTypeCheckReports(t *testing.T) {
	files := []File{
		{Name: "zconst.go", Data: []byte("package p\n\nimport \"fmt\"\n\nconst A = 1\n\nvar _ = fmt.Errorf\n")},
		{Name: "ztypes_arm.go", Data: []byte("//go:build arm\n\npackage p\n\n// Thing is struct thing (t.h:3:1).\ntype Thing struct {\n\tX Missing\n}\n")},
	}
	if err := typeCheck(files[:1], goarches); err != nil {
		t.Errorf("a correct package: %v", err)
	}
	err := typeCheck(files, goarches)
	want := "the generated code does not type-check for GOARCH=arm: ztypes_arm.go:7:4: undefined: Missing (in the declaration documented as: Thing is struct thing (t.h:3:1).)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	// go/types lays out what the output uses for alignment as gc does.
	align := []File{{Name: "a.go", Data: []byte("package p\n\nimport (\n\t\"sync/atomic\"\n\t\"unsafe\"\n)\n\ntype T struct {\n\t_ [0]atomic.Uint64\n\tA uint32\n}\n\nvar _ = [1]int{}[unsafe.Alignof(T{})-8]\n")}}
	if err := typeCheck(align, goarches); err != nil {
		t.Errorf("atomic.Uint64 alignment: %v", err)
	}
}

// TestTypeCheckRuntimeCalls: the output's uses of runtime/hypercall and
// the standard packages are checked against their real declarations (the
// stand-ins): a wrong argument, a name the package lacks, an import
// without a stand-in all fail.
func TestTypeCheckRuntimeCalls(t *testing.T) {
	pkg := func(body string) []File {
		return []File{{Name: "zcalls.go", Data: []byte("package p\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/xenbind/xenbind/runtime/hypercall\"\n)\n\nvar _ = fmt.Errorf\n\n" + body)}}
	}
	good := "func F(c hypercall.Caller, v *uint32) (uint32, error) {\n\ta := hypercall.NewArena(c)\n\tdefer a.Release()\n\t_, addr := hypercall.Value(&a, v)\n\tif err := a.Err(); err != nil {\n\t\treturn 0, err\n\t}\n\tr, err := c.Call(12, [5]uint64{addr})\n\tif err != nil {\n\t\treturn 0, &hypercall.ArgError{Op: \"x\", Entry: -1, Reason: err.Error()}\n\t}\n\treturn uint32(r), hypercall.Errno(hypercall.EACCES)\n}\n"
	if err := typeCheck(pkg(good), goarches); err != nil {
		t.Fatalf("a correct use of the runtime: %v", err)
	}
	for _, tt := range []struct{ body, want string }{
		{"var _ = hypercall.NewArena(1, 2)", "too many arguments in call to hypercall.NewArena"},
		{"func F(c hypercall.Caller) { _, _ = c.Call(1, [6]uint64{}) }", "cannot use [6]uint64{} (value of type [6]uint64) as [5]uint64 value in argument to c.Call"},
		{"var _ = hypercall.Nope", "undefined: hypercall.Nope"},
		{"var _ = &hypercall.ArgError{Op: 1}", "cannot use 1 (untyped int constant) as string value in struct literal"},
		{"var _ = fmt.Sprintf", "undefined: fmt.Sprintf"},
	} {
		err := typeCheck(pkg(tt.body+"\n"), goarches)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %s", tt.body, err, tt.want)
		}
	}
	other := []File{{Name: "z.go", Data: []byte("package p\n\nimport \"os\"\n\nvar _ = os.Exit\n")}}
	if err := typeCheck(other, goarches); err == nil || !strings.Contains(err.Error(), "no stand-in for package os") {
		t.Errorf("an import without a stand-in: error %v", err)
	}
}

func TestGoNames(t *testing.T) {
	for _, bad := range []string{"func", "type", "uint64", "len", "error", "unsafe", "fmt", "_", "1x", "a-b"} {
		if CheckGoName(bad) == nil {
			t.Errorf("CheckGoName(%q) accepts it", bad)
		}
	}
	for _, bad := range []string{"func", "type", "_", "a-b", ""} {
		if CheckPackageName(bad) == nil {
			t.Errorf("CheckPackageName(%q) accepts it", bad)
		}
	}
	for _, good := range []string{"Reservation", "xen", "MemExchange"} {
		if err := CheckGoName(good); err != nil {
			t.Errorf("CheckGoName(%q): %v", good, err)
		}
	}
	_, err := ParseConfig("c.cfg", []byte("rename struct xen_thing func\nrename XENMEM_frob len\n"))
	if err == nil || !strings.Contains(err.Error(), `c.cfg:1: rename struct xen_thing func: "func" is a Go keyword`) || !strings.Contains(err.Error(), `c.cfg:2: rename XENMEM_frob len: "len" is predeclared`) {
		t.Errorf("config error %v", err)
	}
	if _, _, err := Host(nil, Options{Package: "func"}); err == nil {
		t.Error("Host with package func: no error")
	}
}

// TestSkipBeforeWrappers skips what wrappers refer to (a command, its
// struct, the hypercall's number): the wrappers go, with a note each, and
// the output type-checks.
func TestSkipBeforeWrappers(t *testing.T) {
	tree := fstest.MapFS{"xen.h": &fstest.MapFile{Data: []byte(conventions)}}
	layouts, err := layout.ForTargets(parser.Config{Tree: tree, TreeName: "fixture", Mode: parser.Tools, Includes: []string{"xen.h"}}, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ cfg, gone, note string }{
		{"skip XENMEM_*", "XenmemFrob", "no wrapper for XENMEM_frob: the config skips XENMEM_frob"},
		{"skip struct xen_follow_me", "XenmemFollow", "no wrapper for XENMEM_follow: the config skips its argument struct xen_follow_me"},
		{"skip __HYPERVISOR_memory_op", "HypervisorMemoryOp", "no raw function for HYPERVISOR_memory_op: the config skips __HYPERVISOR_memory_op"},
	} {
		cfg, err := ParseConfig("t.cfg", []byte(tt.cfg))
		if err != nil {
			t.Fatal(err)
		}
		files, reports, err := Host(layouts, Options{Package: "fixture", Invocation: "test", Config: cfg})
		if err != nil {
			t.Errorf("%s: %v", tt.cfg, err)
			continue
		}
		for _, f := range files {
			if strings.Contains(string(f.Data), "func "+tt.gone+"(") {
				t.Errorf("%s: %s still generated", tt.cfg, tt.gone)
			}
		}
		var notes []string
		for _, r := range reports {
			notes = append(notes, r.Text)
		}
		if !strings.Contains(strings.Join(notes, "\n"), tt.note) {
			t.Errorf("%s: no note %q in\n%s", tt.cfg, tt.note, strings.Join(notes, "\n"))
		}
	}
}

// TestCallbackOn386 generates xen.h with callback.h, whose xen_callback_t
// is a struct on x86_32 and an integer elsewhere: the output type-checks on
// every GOARCH (gen once wrote CallbackT where 386 has no such type).
func TestCallbackOn386(t *testing.T) {
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	layouts, err := layout.ForTargets(parser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: parser.Guest, Includes: []string{"xen.h", "callback.h"}}, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := Host(layouts, Options{Package: "xen", Invocation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name == "ztypes_386.go" && !strings.Contains(string(f.Data), "Address Callback\n") {
			t.Errorf("ztypes_386.go: callback_register's address is not a Callback")
		}
	}
}
