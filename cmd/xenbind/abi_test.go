package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestABIFailOn: -fail-on makes `xenbind abi -against` a CI gate, exit
// status 1 with the list of findings when it trips, 0 when it does not.
func TestABIFailOn(t *testing.T) {
	base := writeTree(t, "struct a { int x; };\nstruct b { int y; };\n#define OP_one 1\n")
	tests := []struct {
		name   string
		new    string
		failOn string
		code   int
		want   string // on stderr for a failure, on stdout otherwise
	}{
		{"changed record", "struct a { long x; };\nstruct b { int y; };\n#define OP_one 1\n", "changed", 1,
			"-fail-on changed: 1 findings\n\trecord-changed struct a [x86_64 arm64]"},
		{"nothing changed", "struct a { int x; };\nstruct b { int y; };\n#define OP_one 1\n", "changed", 0,
			"# no differences"},
		{"addition only", "struct a { int x; };\nstruct b { int y; };\nstruct c { int z; };\n#define OP_one 1\n", "changed", 0,
			"+ struct c (4 bytes, xen.h:3:1) [all targets]"},
		{"addition, any", "struct a { int x; };\nstruct b { int y; };\nstruct c { int z; };\n#define OP_one 1\n", "any", 1,
			"record-added struct c [all targets]"},
		{"removed record", "struct a { int x; };\n#define OP_one 1\n", "removed", 1,
			"record-removed struct b [all targets]"},
		{"removed member", "struct a { int x; };\nstruct b { char c[4]; };\n#define OP_one 1\n", "removed", 1,
			"record-changed struct b [all targets]"},
		{"renamed member", "struct a { int x; };\nstruct b { int z; };\n#define OP_one 1\n", "removed", 1,
			"record-changed struct b [all targets]"},
		{"renamed member, stdout", "struct a { int x; };\nstruct b { int z; };\n#define OP_one 1\n", "", 0,
			"~ struct b (4 bytes) [all targets]\n    y: renamed to z\n"},
		{"number reused", "struct a { int x; };\nstruct b { int y; };\n#define OP_one 1\n#define OP_two 1\n", "changed", 1,
			"number-reused OP_two [all targets]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.new)
			args := []string{"abi", "-headers", dir, "-include", "xen.h", "-against", base}
			if tt.failOn != "" {
				args = append(args, "-fail-on", tt.failOn)
			}
			r := xenbind(t, dir, args...)
			if r.code != tt.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\nstdout:\n%s\nstderr:\n%s", tt.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestABIPinned: the pinned tree against itself has no findings; the
// cross-architecture report says what every Xen developer knows.
func TestABIPinned(t *testing.T) {
	xen := pinnedTree(t)
	r := xenbind(t, t.TempDir(), "abi", "-headers", xen, "-against", xen, "-fail-on", "any")
	if r.code != 0 || !strings.Contains(r.stdout, "# no differences") {
		t.Errorf("pinned tree against itself: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = xenbind(t, t.TempDir(), "abi", "-records", "struct shared_info")
	for _, want := range []string{
		"struct shared_info    2344    3136    1088    1088  different  x86:translate  arm:pass-through\n",
		"    x86_32/x86_64: vcpu_info[].evtchn_pending_sel: offset 4 -> 8, size 4 -> 8 (19 differences)\n",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("abi -records 'struct shared_info': exit %d, want\n%s\ngot:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	html := filepath.Join(t.TempDir(), "report.html")
	if r = xenbind(t, t.TempDir(), "abi", "-html", html); r.code != 0 {
		t.Fatalf("abi -html: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), `id="rec-struct-shared_info"`) {
		t.Errorf("abi -html: %v, %.80q", err, b)
	}
}

func TestABIUsage(t *testing.T) {
	xen := writeTree(t, "struct a { int x; };\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"abi", "-fail-on", "changed"}, 2, "need -against"},
		{[]string{"abi", "-against", xen, "-fail-on", "worse"}, 2, `unknown -fail-on "worse"`},
		{[]string{"abi", "-dialect", "bsd"}, 2, `unknown dialect "bsd"`},
		{[]string{"abi", "-dialect", "linux"}, 2, "-dialect linux needs -headers"},
		{[]string{"abi", "-json", "-html", "x.html"}, 2, "exclude each other"},
		{[]string{"abi", "-against", xen, "-html", "x.html"}, 2, "do not combine with -against"},
		{[]string{"abi", "-include", "all", "-headers", xen, "-dialect", "linux"}, 2, "only for trees of the xen dialect"},
		// Bad input: plain errors, exit 1.
		{[]string{"abi", "-headers", xen, "-dialect", "linux"}, 1,
			"does not look like the Linux dialect: no include/xen/interface/xen.h (it has xen.h: the Xen dialect?)"},
		{[]string{"abi", "-headers", "/nonexistent/tree"}, 1, "/nonexistent/tree"},
		{[]string{"abi", "-headers", xen, "-include", "xen.h", "-against", "/nonexistent/old"}, 1, "/nonexistent/old"},
		{[]string{"abi", "-headers", xen, "-include", "xen.h", "-records", "struct zzz"}, 1, `no record "struct zzz"`},
	}
	for _, tt := range tests {
		r := xenbind(t, t.TempDir(), tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("xenbind %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}
