package abi

import (
	"fmt"
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

// TestUAPI612Against61 compares the Xen device headers of Linux 6.12,
// read from trixie's kernel source tree (linux-headers-6.12.117+deb13-
// common: include/uapi, before headers_install), with Linux 6.1's as
// bookworm's linux-libc-dev installs them. Every finding is one of 6.12's
// additions; the records and ioctl numbers both have are the same, so the
// source tree's annotations (__user, linux/compiler.h) read as
// headers_install leaves them.
func TestUAPI612Against61(t *testing.T) {
	installed, err := headers.UAPITree()
	if err != nil {
		t.Fatal(err)
	}
	includes := []string{"xen/privcmd.h", "xen/evtchn.h", "xen/gntdev.h", "xen/gntalloc.h"}
	old := loadHeaders(t, installed, "linux-libc-dev-6.1", parser.UAPIDialect, parser.Tools, false, includes)
	new := loadHeaders(t, linuxTree(t, "6.12"), "linux-6.12", parser.UAPIDialect, parser.Tools, false, includes)
	rep, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	want := []expect{
		// privcmd.h: irqfd and ioeventfd (Linux 6.7, for virtio
		// backends) and PCIDEV_GET_GSI (6.12). _IOW = 1<<30 | size<<16 |
		// type<<8 | nr: irqfd is 24 bytes (a __u64, three __u32, a domid_t
		// and 2 bytes of pad), ioeventfd 48 (three __u64, five __u32,
		// domid_t, pad[2]), get_gsi 8 and _IOC_NONE.
		{RecordAdded, "struct privcmd_irqfd", all, ""},
		{RecordAdded, "struct privcmd_ioeventfd", all, ""},
		{RecordAdded, "struct privcmd_pcidev_get_gsi", all, ""},
		{ConstantAdded, "IOCTL_PRIVCMD_IRQFD", all, fmt.Sprint(1<<30 | 24<<16 | 'P'<<8 | 8)},
		{ConstantAdded, "IOCTL_PRIVCMD_IOEVENTFD", all, fmt.Sprint(1<<30 | 48<<16 | 'P'<<8 | 9)},
		{ConstantAdded, "IOCTL_PRIVCMD_PCIDEV_GET_GSI", all, fmt.Sprint(8<<16 | 'P'<<8 | 10)},
		{ConstantAdded, "PRIVCMD_IRQFD_FLAG_DEASSIGN", all, "1"},
		{ConstantAdded, "PRIVCMD_IOEVENTFD_FLAG_DEASSIGN", all, "1"},
		// evtchn.h: IOCTL_EVTCHN_BIND_STATIC (6.7) on a 4-byte struct
		// ioctl_evtchn_bind { unsigned int port; }.
		{RecordAdded, "struct ioctl_evtchn_bind", all, ""},
		{ConstantAdded, "IOCTL_EVTCHN_BIND_STATIC", all, fmt.Sprint(4<<16 | 'E'<<8 | 7)},
		// gntalloc.h: gref_ids[1] became a union with the flexible
		// gref_ids_flex (__DECLARE_FLEX_ARRAY): a new name at the same
		// offset, the record's size unchanged.
		{RecordChanged, "struct ioctl_gntalloc_alloc_gref", []parser.Target{parser.X86_32}, "gref_ids_flex: added offset 16, size 0"},
		{RecordChanged, "struct ioctl_gntalloc_alloc_gref", []parser.Target{parser.X86_64, parser.ARM32, parser.ARM64}, "gref_ids_flex: added offset 16, size 0"},
	}
	checkFindings(t, rep, want)
	// The expectations are all there is: 4 records added, 6 constants
	// added, 2 records changed.
	if n := len(rep.Findings); n != len(want) {
		t.Errorf("%d findings, want the %d above:\n%s", n, len(want), summaries(rep.Findings))
	}
}
