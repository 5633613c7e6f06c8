package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/headers"
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

// debianXenTree is the pinned libxen-dev tree of a Xen release ("4.20"),
// fetched into the cache directory at test time.
func debianXenTree(t *testing.T, release string) string {
	t.Helper()
	for _, d := range headers.XenDebs {
		if headers.XenRelease(d.Version) == release {
			dir, err := headers.XenTree(d)
			if err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			return dir
		}
	}
	t.Fatalf("headers/manifest.txt pins no libxen-dev %s", release)
	return ""
}

// reportBlock is the text report's block of the finding whose first line
// is head: that line and its indented member lines.
func reportBlock(report, head string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(report, "\n") {
		switch {
		case l == head:
			in = true
		case in && !strings.HasPrefix(l, "    "):
			return b.String()
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestABIXen420Against417 runs `xenbind abi -headers <4.20> -against
// <4.17>` on Debian's two trees in tools mode with domctl.h, sysctl.h and
// version.h, and checks what changed from Xen 4.17 to 4.20 in the dom0
// interface, each finding read in the headers:
//   - domctl.h: 4.20's struct xen_domctl_createdomain has "uint32_t
//     altp2m_opts" after grant_opts (at 48, where 4.17 has vmtrace_size):
//     every later member moves by 4 and the record grows by 4; so does the
//     createdomain member of struct xen_domctl's union (at 16 in it);
//   - XEN_DOMCTL_INTERFACE_VERSION 0x15 -> 0x17 and
//     __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00 -> 0x00041300 are
//     interface versions, which -fail-on changed does not count and -fail-on
//     version does; XEN_SYSCTL_INTERFACE_VERSION is 0x15 in both;
//   - memory.h: XENMEM_access_r_pw inserted at 10 in xenmem_access_t moves
//     XENMEM_access_default from 10 to 11;
//   - version.h: the XENVER_*2 commands 11-14 taking a struct xen_varbuf
//     (uint32_t len, then the bytes) are new, and so are domctls 87-89.
func TestABIXen420Against417(t *testing.T) {
	old, new := debianXenTree(t, "4.17"), debianXenTree(t, "4.20")
	args := []string{"abi", "-mode", "tools", "-include", "xen.h,memory.h,grant_table.h,version.h,domctl.h,sysctl.h", "-headers", new, "-against", old}
	r := xenbind(t, t.TempDir(), args...)
	if r.code != 0 {
		t.Fatalf("xenbind %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	blocks := map[string]string{
		"~ struct xen_domctl_createdomain (64 -> 68 bytes) [x86_32 x86_64]": `    vmtrace_size: offset 48 -> 52
    altp2m_opts: added offset 48, size 4, type uint32_t
    cpupool_id: offset 52 -> 56
    arch: offset 56 -> 60
    arch.emulation_flags: offset 56 -> 60
    arch.misc_flags: offset 60 -> 64
`,
		// Arm's xen_arch_domainconfig also gained "uint8_t sve_vl" (4.18)
		// after gic_version, in what was padding before tee_type: the
		// record grows by altp2m_opts' 4 only.
		"~ struct xen_domctl_createdomain (68 -> 72 bytes) [arm32 arm64]": `    vmtrace_size: offset 48 -> 52
    altp2m_opts: added offset 48, size 4, type uint32_t
    cpupool_id: offset 52 -> 56
    arch: offset 56 -> 60
    arch.gic_version: offset 56 -> 60
    arch.tee_type: offset 58 -> 62
    arch.nr_spis: offset 60 -> 64
    arch.sve_vl: added offset 61, size 1, type uint8_t
    arch.clock_frequency: offset 64 -> 68
`,
	}
	for head, want := range blocks {
		if got := reportBlock(r.stdout, head); got != head+"\n"+want {
			t.Errorf("report block %q:\n%s\nwant:\n%s%s", head, got, head+"\n", want)
		}
	}
	for _, want := range []string{
		"    u.createdomain.altp2m_opts: added offset 64, size 4, type uint32_t\n",
		"    u.createdomain.cpupool_id: offset 68 -> 72\n",
		"v XEN_DOMCTL_INTERFACE_VERSION = 21 -> 23 (interface version) [all targets]\n",
		"v __XEN_LATEST_INTERFACE_VERSION__ = 265728 -> 267008 (interface version) [all targets]\n",
		"~ XENMEM_access_default = 10 -> 11 [all targets]\n",
		"+ XENMEM_access_r_pw = 10 [all targets]\n",
		"+ struct xen_varbuf (4 bytes, version.h:141:1) [all targets]\n",
		"+ XENVER_extraversion2 = 11 [all targets]\n",
		"+ XENVER_capabilities2 = 12 [all targets]\n",
		"+ XENVER_changeset2 = 13 [all targets]\n",
		"+ XENVER_commandline2 = 14 [all targets]\n",
		"+ XEN_DOMCTL_dt_overlay = 87 [all targets]\n",
		"+ XEN_DOMCTL_gsi_permission = 88 [all targets]\n",
		"+ XEN_DOMCTL_set_llc_colors = 89 [all targets]\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, absent := range []string{"XEN_SYSCTL_INTERFACE_VERSION", "number reused", "\n! ", "\n- "} {
		if strings.Contains(r.stdout, absent) {
			t.Errorf("report has %q:\n%s", absent, r.stdout)
		}
	}
	// As a CI gate: changed trips on the layout and the enum, not on the
	// interface versions; version trips on those too.
	r = xenbind(t, t.TempDir(), append(args, "-fail-on", "changed")...)
	if r.code != 1 {
		t.Fatalf("-fail-on changed: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"record-changed struct xen_domctl_createdomain [x86_32 x86_64]", "constant-changed XENMEM_access_default [all targets]"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-fail-on changed does not list %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "INTERFACE_VERSION") {
		t.Errorf("-fail-on changed counts an interface version:\n%s", r.stderr)
	}
	r = xenbind(t, t.TempDir(), append(args, "-fail-on", "version")...)
	if r.code != 1 || !strings.Contains(r.stderr, "version-changed XEN_DOMCTL_INTERFACE_VERSION [all targets]") {
		t.Errorf("-fail-on version: exit %d, want 1 listing XEN_DOMCTL_INTERFACE_VERSION:\n%s", r.code, r.stderr)
	}
}
