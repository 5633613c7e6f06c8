package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/headers"
)

// xenbindBin is the command built once for the tests that check exit
// statuses and stderr, as a user sees them.
var xenbindBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xenbind-test")
	if err != nil {
		panic(err)
	}
	xenbindBin = filepath.Join(dir, "xenbind")
	if out, err := exec.Command("go", "build", "-o", xenbindBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func xenbind(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(xenbindBin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("xenbind %s panicked:\n%s", strings.Join(args, " "), r.stderr)
	}
	return r
}

func pinnedTree(t *testing.T) string {
	t.Helper()
	dir, err := headers.Tree()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeTree writes a header tree holding xen.h with the given text.
func writeTree(t *testing.T, xenH string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "xen.h"), []byte(xenH), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "xen-compat.h"), []byte("#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n"), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var posRE = regexp.MustCompile(`^xenbind: \S+/xen\.h:\d+:\d+: `)

// TestBadHeaders: every problem in the headers is reported as
// file:line:col: message with exit status 1, never a panic.
func TestBadHeaders(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing include", "#include \"missing.h\"\n", `include file not found: "missing.h"`},
		{"syntax", "struct a { int x; foo_t y; };\n", "unexpected identifier"},
		{"incomplete member", "struct a { int x; struct nope y; };\n", "struct a: member y: incomplete type struct nope"},
		{"#error", "#error boom\n", "boom"},
		{"redefinition", "struct a { int x; };\nstruct a { long y; };\n", "redefinition of 'struct a', previous definition at"},
		{"wide bit-field", "struct a { int x:40; };\n", "bit-field x is wider"},
		{"bad pragma", "#pragma pack(push, 3)\nstruct p { char c; };\n#pragma pack(pop)\n", "malformed #pragma pack"},
		{"leaking pragma", "#pragma pack(2)\nstruct p { char c; int x; };\n", "#pragma pack left in effect"},
		{"negative array", "struct a { char c[-1]; };\n", "array size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.src)
			r := xenbind(t, dir, "layout", "-headers", dir, "-include", "xen.h", "-target", "all")
			if r.code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			if !posRE.MatchString(r.stderr) || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not say file:line:col: ...%s...:\n%s", tt.want, r.stderr)
			}
		})
	}
}

// TestAllErrorsOfAPass: several errors come out together.
func TestAllErrorsOfAPass(t *testing.T) {
	dir := writeTree(t, "struct a { struct nope x; };\nstruct b { struct nada y; };\n")
	r := xenbind(t, dir, "layout", "-headers", dir, "-include", "xen.h")
	if r.code != 1 || !strings.Contains(r.stderr, "xen.h:1:") || !strings.Contains(r.stderr, "xen.h:2:") {
		t.Fatalf("want both errors, exit 1; got %d:\n%s", r.code, r.stderr)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no command"},
		{[]string{"frob"}, 2, `unknown command "frob"`},
		{[]string{"layout", "-target", "sparc"}, 2, `unknown target "sparc"`},
		{[]string{"layout", "-mode", "root"}, 2, `unknown mode "root"`},
		{[]string{"layout", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"layout", "extra"}, 2, "unexpected arguments"},
		{[]string{"layout", "-headers", "/nonexistent/xen"}, 1, "/nonexistent/xen"},
		{[]string{"layout", "-include", "nothere.h"}, 1, "nothere.h"},
		{[]string{"layout", "-include", "all xen.h"}, 2, "cannot be combined"},
		{[]string{"gen"}, 2, "-out is required"},
		{[]string{"gen", "-out", "x", "-targets", "mips"}, 2, `unknown target "mips"`},
		{[]string{"gen", "-out", "x", "-pkg", "9lives"}, 2, "not a Go package name"},
		{[]string{"gen", "-out", "x", "-pkg", "func"}, 2, `-pkg: "func" is a Go keyword`},
		{[]string{"gen", "-out", "type"}, 2, `"type" is a Go keyword, which cannot name a package: give -pkg NAME`},
	}
	for _, tt := range tests {
		r := xenbind(t, t.TempDir(), tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("xenbind %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && tt.code == 1 {
			t.Errorf("xenbind %v: want a one-line error, got:\n%s", tt.args, r.stderr)
		}
	}
}

// TestLayoutJSON checks the documented JSON shape and a fact.
func TestLayoutJSON(t *testing.T) {
	r := xenbind(t, t.TempDir(), "layout", "-target", "x86_32", "-json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Target  string `json:"target"`
		Mode    string `json:"mode"`
		Records []struct {
			Name   string `json:"name"`
			Kind   string `json:"kind"`
			Size   int64  `json:"size"`
			Align  int64  `json:"align"`
			Pos    string `json:"pos"`
			Fields []struct {
				Name      string `json:"name"`
				Offset    int64  `json:"offset"`
				Size      int64  `json:"size"`
				BitOffset *int64 `json:"bit_offset"`
				BitSize   *int64 `json:"bit_size"`
			} `json:"fields"`
		} `json:"records"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &doc))
	if doc.Target != "x86_32" || doc.Mode != "guest" {
		t.Fatalf("target %q mode %q", doc.Target, doc.Mode)
	}
	for _, rec := range doc.Records {
		if rec.Name == "struct xen_memory_reservation" {
			if rec.Size != 20 || rec.Align != 4 || rec.Kind != "struct" || !strings.HasPrefix(rec.Pos, "memory.h:") || rec.Fields[0].Name != "extent_start" || rec.Fields[0].Size != 4 || rec.Fields[0].BitOffset != nil {
				t.Errorf("struct xen_memory_reservation: %+v", rec)
			}
			return
		}
	}
	t.Fatal("no struct xen_memory_reservation")
}

func TestLayoutText(t *testing.T) {
	r := xenbind(t, t.TempDir(), "layout", "-target", "arm32")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"struct shared_info {",
		"/* size: 1088, align: 8 */",
		"XXX 4 byte hole",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("layout text lacks %q", want)
		}
	}
}

// TestGenLeavesOutputOnFailure: a failed gen touches nothing.
func TestGenLeavesOutputOnFailure(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "xen")
	r := xenbind(t, work, "gen", "-out", out)
	if r.code != 0 {
		t.Fatalf("gen: exit %d: %s", r.code, r.stderr)
	}
	before := snapshot(t, out)
	bad := writeTree(t, "struct a { struct nope x; };\n")
	conf := filepath.Join(work, "bad.conf")
	must(t, os.WriteFile(conf, []byte("rename struct\nfrobnicate x\n"), 0o644))
	for _, args := range [][]string{
		{"gen", "-out", out, "-headers", bad, "-include", "xen.h"},
		{"gen", "-out", out, "-config", conf},
		{"gen", "-out", out, "-config", filepath.Join(work, "missing.conf")},
		{"gen", "-out", out, "-headers", filepath.Join(work, "nowhere")},
		{"gen", "-out", out, "-targets", "x86_64,ppc"},
	} {
		r := xenbind(t, work, args...)
		if r.code == 0 {
			t.Errorf("xenbind %v succeeded", args)
		}
		if after := snapshot(t, out); after != before {
			t.Errorf("xenbind %v changed the previous output", args)
		}
	}
	r = xenbind(t, work, "gen", "-out", out, "-config", conf)
	if !strings.Contains(r.stderr, "bad.conf:1:") || !strings.Contains(r.stderr, "bad.conf:2:") {
		t.Errorf("config errors do not name file:line:\n%s", r.stderr)
	}
}

func TestGenUnwritableOutput(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; make the output a file instead.
		work := t.TempDir()
		file := filepath.Join(work, "xen")
		must(t, os.WriteFile(file, []byte("not a directory"), 0o644))
		r := xenbind(t, work, "gen", "-out", file)
		if r.code != 1 || !strings.Contains(r.stderr, "output") {
			t.Fatalf("gen into a file: exit %d: %s", r.code, r.stderr)
		}
		b, _ := os.ReadFile(file)
		if string(b) != "not a directory" {
			t.Fatal("the file was touched")
		}
		return
	}
	work := t.TempDir()
	ro := filepath.Join(work, "ro")
	must(t, os.Mkdir(ro, 0o555))
	r := xenbind(t, work, "gen", "-out", filepath.Join(ro, "xen"))
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// TestGenDeterministic: two runs give the same bytes, with no host path.
func TestGenDeterministic(t *testing.T) {
	work := t.TempDir()
	tree := pinnedTree(t)
	a, b := filepath.Join(work, "a", "xen"), filepath.Join(work, "b", "xen")
	for _, out := range []string{a, b} {
		if r := xenbind(t, work, "gen", "-headers", tree, "-out", out, "-pkg", "xen"); r.code != 0 {
			t.Fatalf("gen: %s", r.stderr)
		}
	}
	if snapshot(t, a) != snapshot(t, b) {
		t.Fatal("two runs differ")
	}
	ents, _ := os.ReadDir(a)
	for _, e := range ents {
		src, _ := os.ReadFile(filepath.Join(a, e.Name()))
		if bytes.Contains(src, []byte(work)) || bytes.Contains(src, []byte(tree)) {
			t.Errorf("%s holds a host path", e.Name())
		}
		if !bytes.HasPrefix(src, []byte(`// Code generated by "xenbind gen -headers xen -out xen -pkg xen"; DO NOT EDIT.`)) {
			t.Errorf("%s: header %q", e.Name(), strings.SplitN(string(src), "\n", 2)[0])
		}
	}
}

func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		b.WriteString(e.Name() + "\n" + string(data))
	}
	return b.String()
}

// TestGenSpec: a user's spec (-spec) adds the family of a header outside
// the built-in set; without it that header gets no typed wrappers; a bad
// spec is reported line by line and leaves the previous output alone.
func TestGenSpec(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "xen")
	spec := filepath.Join(work, "callback.spec")
	must(t, os.WriteFile(spec, []byte("# callback.h\nfamily CALLBACKOP_ HYPERVISOR_callback_op cmd arg\ncmd CALLBACKOP_unregister in=type:typecode\n"), 0o644))
	r := xenbind(t, work, "gen", "-out", out, "-include", "xen.h,callback.h", "-spec", spec)
	if r.code != 0 {
		t.Fatalf("gen -spec: exit %d: %s", r.code, r.stderr)
	}
	calls, err := os.ReadFile(filepath.Join(out, "zcalls.go"))
	must(t, err)
	for _, want := range []string{
		"func CallbackopRegister(c hypercall.Caller, arg *CallbackRegister) (err error)",
		"func CallbackopUnregister(c hypercall.Caller, typecode uint16) (err error)",
	} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("zcalls.go lacks %q", want)
		}
	}
	// A changed spec is a changed input: gen does not find the output
	// up to date.
	must(t, os.WriteFile(spec, []byte("family CALLBACKOP_ HYPERVISOR_callback_op cmd arg\n"), 0o644))
	if r := xenbind(t, work, "gen", "-out", out, "-include", "xen.h,callback.h", "-spec", spec); r.code != 0 {
		t.Fatalf("gen -spec (changed): exit %d: %s", r.code, r.stderr)
	}
	if calls, _ := os.ReadFile(filepath.Join(out, "zcalls.go")); !strings.Contains(string(calls), "func CallbackopUnregister(c hypercall.Caller, arg *CallbackUnregister) (err error)") {
		t.Errorf("after the spec changed, CallbackopUnregister is not regenerated from it")
	}
	before := snapshot(t, out)
	bad := filepath.Join(work, "bad.spec")
	must(t, os.WriteFile(bad, []byte("family CALLBACKOP_ HYPERVISOR_callback_op cmd\ncmd CALLBACKOP_register frob=1\n"), 0o644))
	r = xenbind(t, work, "gen", "-out", out, "-include", "xen.h,callback.h", "-spec", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "bad.spec:1: want: family") || !strings.Contains(r.stderr, `bad.spec:2: frob=1: unknown key "frob"`) {
		t.Errorf("gen with a bad spec: exit %d:\n%s", r.code, r.stderr)
	}
	if after := snapshot(t, out); after != before {
		t.Errorf("a failed gen -spec changed the previous output")
	}
	// A line that parses but names what the headers lack is a note
	// naming file:line; the family gets no wrappers.
	must(t, os.WriteFile(bad, []byte("family CALLBACKOP_ HYPERVISOR_callback_op cmd nosuch\n"), 0o644))
	r = xenbind(t, work, "gen", "-out", out, "-include", "xen.h,callback.h", "-spec", bad)
	if r.code != 0 || !strings.Contains(r.stderr, "bad.spec:1: no wrappers for CALLBACKOP_*: hypercall HYPERVISOR_callback_op has no parameter nosuch") {
		t.Errorf("gen with a spec naming no parameter: exit %d:\n%s", r.code, r.stderr)
	}
	r = xenbind(t, work, "gen", "-out", out, "-include", "xen.h,callback.h")
	if r.code != 0 {
		t.Fatalf("gen: exit %d: %s", r.code, r.stderr)
	}
	if calls, _ := os.ReadFile(filepath.Join(out, "zcalls.go")); strings.Contains(string(calls), "func CallbackopRegister(") {
		t.Errorf("without -spec, callback.h got typed wrappers")
	}
}
