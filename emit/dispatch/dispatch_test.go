package dispatch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/emit"
)

// fixtureModule writes a module in a temporary directory holding the two
// binding sets of testdata (as packages dispatchtest/a and /b) and
// requiring this repository, and returns its directory.
func fixtureModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module dispatchtest\n\ngo 1.25\n\nrequire github.com/xenbind/xenbind v0.0.0\n\nreplace github.com/xenbind/xenbind => " + root + "\n",
		"go.sum": string(sum),
	}
	for _, p := range []string{"a/a.go", "b/b.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The requirements of xenbind's own dependencies, from the module
	// cache (the repository's go.sum covers them).
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy in the fixture module: %v\n%s", err, out)
	}
	return dir
}

func generate(t *testing.T, dir string, bs []Binding) ([]emit.File, []string, error) {
	t.Helper()
	return Generate(Options{Package: "out", Invocation: "xenbind dispatch (test)", Dir: dir, Bindings: bs})
}

var fixtureBindings = []Binding{{"4.20", "./b"}, {"4.17", "./a"}} // out of order on purpose

// TestFixture generates the dispatching package of the two fixture sets,
// checks what it left out and why, and runs a program against it: the
// conversions, the choice by release, and both typed errors.
func TestFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program (-short)")
	}
	dir := fixtureModule(t)
	files, notes, err := generate(t, dir, fixtureBindings)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{
		"XenDomctlUnion2 (XEN_DOMCTL_union2) is not dispatched: U2: has method M: a member kept as storage (a union, a bit-field, a packed member), not as a field, and it is not the same in Xen 4.17 and 4.20: U2: 1 methods, then 2",
		"XenDomctlUnion3 (XEN_DOMCTL_union3) is not dispatched: U3: has method M: a member kept as storage (a union, a bit-field, a packed member), not as a field, and it is not the same in Xen 4.17 and 4.20: U3: method M differs",
		"XenDomctlChanged (XEN_DOMCTL_changed) is not dispatched: arg *Changed: Changed: member X is uint32 in one release and uint64 in another",
		"XenDomctl is not dispatched",
		"other calls: MemoryOp differs in Xen 4.20: arg: Changed: struct{_ structs.HostLayout; X uint32} is struct{_ structs.HostLayout; X uint64}",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no note %q in\n%s", want, joined)
		}
	}
	if len(notes) != 5 {
		t.Errorf("%d notes, want 5 (XenDomctlUnion is dispatched, SameOp keeps its layout):\n%s", len(notes), joined)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "out", f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The fixtures are the same on every GOARCH: one shared file.
	if strings.Join(names, " ") != "zdispatch.go" {
		t.Errorf("files %v, want zdispatch.go alone", names)
	}
	shared := string(files[0].Data)
	for _, want := range []string{
		"\tA uint32\n\t// New is only in Xen 4.20: elsewhere it must be zero.\n\tNew   uint32\n\tH     Handle\n",
		"\tX uint8\n\t// Z is only in Xen 4.20: elsewhere it must be zero.\n\tZ uint8\n\tY uint32\n",
		"{4, 17, 0x15, 0x15}, // dispatchtest/a",
		"type U = xen417.U\n",
		"{4, 20, 0x17, 0x15}, // dispatchtest/b",
	} {
		if !strings.Contains(shared, want) {
			t.Errorf("no %q in the output:\n%s", want, shared)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(fixtureProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the program against the output: %v\n%s\n%s", err, out, numbered(shared))
	}
	t.Logf("%s", out)
}

// fixtureProgram exercises the generated package.
const fixtureProgram = `package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"dispatchtest/a"
	"dispatchtest/b"
	"dispatchtest/out"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

func check(ok bool, format string, args ...any) {
	if !ok {
		fmt.Printf("FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
}

func main() {
	req := out.Req{A: 1, H: out.Handle{2, 3, 4, 5}, In: out.Inner{X: 6, Y: 7}, Ids: [2]out.DomID{8, 9},
		Inner: [2]out.Inner{{X: 10, Y: 11}, {X: 12, Y: 13}}, B: -14}

	// 4.17: the request in a's types, the answer back.
	restore := out.Override(4, 17)
	id, err := out.XenDomctlFoo(nil, 3, &req)
	check(err == nil && id == 4, "4.17 foo: %v %v", id, err)
	want := a.Req{A: 1, H: a.Handle{2, 3, 4, 5}, In: a.Inner{X: 6, Y: 7}, Ids: [2]a.DomID{8, 9},
		Inner: [2]a.Inner{{X: 10, Y: 11}, {X: 12, Y: 13}}, B: -14}
	check(reflect.DeepEqual(a.Last, want), "4.17 foo sent %+v, want %+v", a.Last, want)
	check(req.A == 2, "4.17 foo: the answer did not come back: %+v", req)

	// A member 4.17 lacks, nested in an array.
	req.Inner[1].Z = 1
	_, err = out.XenDomctlFoo(nil, 3, &req)
	var me *hypercall.MemberError
	check(errors.As(err, &me) && me.Member == "arg.Inner[1].Z" && me.Speaks == 0x15, "4.17 Inner[1].Z: %v", err)
	req.Inner[1].Z = 0
	req.New = 5
	_, err = out.XenDomctlFoo(nil, 3, &req)
	check(errors.As(err, &me) && me.Member == "arg.New", "4.17 New: %v", err)

	// Only in 4.20.
	err = out.XenDomctlOnlyB(nil, 1)
	var ie *hypercall.InterfaceError
	check(errors.As(err, &ie) && ie.Speaks == 0x15 && len(ie.Have) == 1 && ie.Have[0] == 0x17, "4.17 only_b: %v", err)

	// A slice of structs and one of plain values.
	buf := make([]out.Info, 3)
	n, err := out.XenSysctlList(nil, 7, buf, []out.DomID{1, 2})
	check(err == nil && n == 3 && buf[2] == out.Info{Dom: 9, Pages: 20}, "4.17 list: %d %+v %v", n, buf, err)
	check(reflect.DeepEqual(a.Last, []a.DomID{1, 2}), "4.17 list ids: %v", a.Last)
	restore()

	// 4.20 (and 4.19, the same interfaces): b's types, New and Z go through.
	for _, minor := range []uint32{20, 19} {
		restore = out.Override(4, minor)
		req.Inner[1].Z = 1
		id, err = out.XenDomctlFoo(nil, 3, &req)
		check(err == nil && id == 4, "4.%d foo: %v", minor, err)
		got := b.Last.(b.Req)
		check(got.New == 5 && got.Inner[1].Z == 1 && got.A == req.A-1 && got.B == -14 && got.Ids == [2]b.DomID{8, 9}, "4.%d foo sent %+v", minor, got)
		check(out.XenDomctlOnlyB(nil, 1) == nil, "4.%d only_b", minor)
		restore()
	}

	// A union the same in both releases is passed as it is (copied with
	// the struct around it, which is converted member by member).
	var hu out.HasU
	*hu.U.M() = 77
	for _, minor := range []uint32{17, 20} {
		restore = out.Override(4, minor)
		check(out.XenDomctlUnion(nil, &hu) == nil, "4.%d union", minor)
		restore()
	}
	check(*b.Last.(*b.HasU).U.M() == 77, "4.20 union: %v", b.Last)

	// A release without bindings, and one the table does not know.
	restore = out.Override(4, 18)
	_, err = out.XenDomctlFoo(nil, 3, &req)
	check(errors.As(err, &ie) && ie.Speaks == 0x16 && ie.Release == "4.18", "4.18: %v", err)
	restore()
	restore = out.Override(5, 0)
	_, err = out.XenDomctlFoo(nil, 3, &req)
	check(errors.As(err, &ie) && ie.Speaks == 0 && ie.Release == "5.0", "5.0: %v", err)
	restore()

	// Without an override: a's XenverVersion says 4.17.
	v, err := out.Detect(nil)
	check(err == nil && v.Release() == "4.17" && v.Domctl == 0x15, "Detect: %+v %v", v, err)
	fmt.Println("ok")
}
`

// TestErrors: binding sets that do not fit are refused with a message.
func TestErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages (-short)")
	}
	dir := fixtureModule(t)
	for _, c := range []struct {
		bs   []Binding
		want string
	}{
		{[]Binding{{"4.17", "./a"}}, "two or more"},
		{[]Binding{{"4.17", "./a"}, {"4.17", "./b"}}, "release 4.17 given twice"},
		{[]Binding{{"4.17", "./a"}, {"9.9", "./b"}}, `release "9.9" is not in emit/dispatch/releases.txt`},
		{[]Binding{{"4.17", "./b"}, {"4.20", "./a"}}, "XEN_DOMCTL_INTERFACE_VERSION is 0x17, but Xen 4.17 speaks 0x15"},
		{[]Binding{{"4.17", "./a"}, {"4.20", "./nope"}}, "nope"},
	} {
		_, _, err := generate(t, dir, c.bs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.bs, err, c.want)
		}
	}
}

func TestParseReleases(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"4.17 0x15", "releases.txt:1: want a release and 2 interface versions"},
		{"# x\n4.x 0x15 0x15", `releases.txt:2: release "4.x" is not MAJOR.MINOR`},
		{"4.17 0x15 zz", "releases.txt:1:"},
		{"04.17 0x15 0x15", "not MAJOR.MINOR"},
	} {
		if _, err := parseReleases([]byte(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	r, ok := row("4.20")
	if !ok || r.version != [2]uint32{0x17, 0x15} {
		t.Errorf("row 4.20 = %+v", r)
	}
}
