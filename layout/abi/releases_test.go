package abi

import (
	"os"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

// debianTree is the pinned libxen-dev tree of a Xen release ("4.20").
func debianTree(t *testing.T, release string) string {
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

// checkAccessDefault checks a diff from a tree before Xen 4.20 to 4.20:
// the enumerator XENMEM_access_default moved from 10 to 11, which
// -fail-on changed counts, and interface versions are reported as such,
// which -fail-on changed does not count and -fail-on version does.
func checkAccessDefault(t *testing.T, rep *DiffReport, versions bool) {
	t.Helper()
	checkFindings(t, rep, []expect{
		{ConstantChanged, "XENMEM_access_default", all, "10 -> 11"},
		{ConstantAdded, "XENMEM_access_r_pw", all, "10"},
	})
	changed := summaries(rep.Failing(GateChanged))
	if !strings.Contains(changed, "constant-changed XENMEM_access_default [all targets]") {
		t.Errorf("-fail-on changed misses XENMEM_access_default:\n%s", changed)
	}
	if strings.Contains(changed, "INTERFACE_VERSION") {
		t.Errorf("-fail-on changed counts an interface version:\n%s", changed)
	}
	for _, f := range rep.Findings {
		if f.Kind == NumberReused {
			t.Errorf("number reused: %s = %s already means %s", f.Name, f.New, meanings(f.Means))
		}
	}
	if versions {
		if !strings.Contains(summaries(rep.Failing(GateVersion)), "version-changed __XEN_LATEST_INTERFACE_VERSION__ [all targets]") {
			t.Errorf("-fail-on version misses __XEN_LATEST_INTERFACE_VERSION__:\n%s", summaries(rep.Failing(GateVersion)))
		}
	}
	var text strings.Builder
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "~ XENMEM_access_default = 10 -> 11 [all targets]") {
		t.Errorf("the text report does not show the enum change:\n%s", text.String())
	}
}

// TestDebianReleases diffs Debian's Xen 4.17 against its 4.20 in tools
// mode (xenmem_access_t is the toolstack's).
func TestDebianReleases(t *testing.T) {
	old := load(t, debianTree(t, "4.17"), "xen-4.17", parser.XenDialect, parser.Tools, false)
	new := load(t, debianTree(t, "4.20"), "xen-4.20", parser.XenDialect, parser.Tools, false)
	rep, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	checkAccessDefault(t, rep, true)
	checkFindings(t, rep, []expect{{VersionChanged, "__XEN_LATEST_INTERFACE_VERSION__", all, "265728 -> 267008"}})
}

// TestXen419To420 diffs Xen 4.19's memory.h against 4.20's: Debian's 4.20
// tree with testdata/access_r_pw_removed.patch (4.19's enumerators) as
// the old tree, and, when $XENBIND_XEN_4_19 names a real 4.19
// xen/include/public (a checkout of xen-project/xen's RELEASE-4.19.0),
// that tree too.
func TestXen419To420(t *testing.T) {
	new := debianTree(t, "4.20")
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(new)); err != nil {
		t.Fatal(err)
	}
	patch, err := os.ReadFile("testdata/access_r_pw_removed.patch")
	if err != nil {
		t.Fatal(err)
	}
	if err := applyPatch(dir, string(patch)); err != nil {
		t.Fatalf("testdata/access_r_pw_removed.patch: %v", err)
	}
	newTree := load(t, new, "xen-4.20", parser.XenDialect, parser.Tools, false)
	rep, err := Diff(load(t, dir, "xen-4.19 (patched 4.20)", parser.XenDialect, parser.Tools, false), newTree)
	if err != nil {
		t.Fatal(err)
	}
	checkAccessDefault(t, rep, false)
	if len(rep.Findings) != 2 {
		t.Errorf("%d findings, want the patch's 2:\n%s", len(rep.Findings), summaries(rep.Findings))
	}
	real := os.Getenv("XENBIND_XEN_4_19")
	if real == "" {
		t.Skip("XENBIND_XEN_4_19 is not set: the real 4.19 tree is not compared (the patched one was)")
	}
	rep, err = Diff(load(t, real, "xen-4.19", parser.XenDialect, parser.Tools, false), newTree)
	if err != nil {
		t.Fatal(err)
	}
	checkAccessDefault(t, rep, false)
}
