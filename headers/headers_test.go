package headers

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, text string
		wantErr    bool
		want       map[string]Deb
	}{
		{name: "comment and blank", text: "# c\n\n"},
		{
			name: "one",
			text: "a 1.0 amd64 " + zeros + " # trailing\n",
			want: map[string]Deb{"a": {"a", "1.0", "amd64", zeros, ""}, "a:amd64": {"a", "1.0", "amd64", zeros, ""}},
		},
		{
			name: "suites and versions",
			text: "a 1.0 amd64 " + zeros + " bookworm\na 2.0 amd64 " + zeros + " trixie\n",
			want: map[string]Deb{"a": {"a", "1.0", "amd64", zeros, "bookworm"}, "a=2.0": {"a", "2.0", "amd64", zeros, "trixie"}},
		},
		{name: "long line", text: "a 1.0 amd64 " + zeros + " bookworm extra\n", wantErr: true},
		{name: "short line", text: "a 1.0 amd64\n", wantErr: true},
		{name: "bad checksum", text: "a 1.0 amd64 abc\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseManifest([]byte(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("[%q] = %+v, want %+v", k, got[k], v)
				}
			}
		})
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

func TestXenDebPinned(t *testing.T) {
	// The bookworm point-release build: the main archive keeps it.
	if XenDeb.Version != "4.17.5+72-g01140da4e8-1" || XenDeb.Suite != "bookworm" || len(XenDeb.SHA256) != 64 {
		t.Fatalf("XenDeb = %+v", XenDeb)
	}
	var releases []string
	for _, d := range XenDebs {
		releases = append(releases, XenRelease(d.Version)+" "+d.Suite)
	}
	if got := strings.Join(releases, ", "); got != "4.14 bullseye, 4.17 bookworm, 4.20 trixie" {
		t.Errorf("XenDebs: %s", got)
	}
}

func TestDownloadRefusesMismatch(t *testing.T) {
	dir := t.TempDir()
	d := Deb{Name: "x", Version: "1", Arch: "amd64", SHA256: zeros}
	if err := os.WriteFile(filepath.Join(dir, d.File()), []byte("not a deb"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Download(d, dir)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("Download of a tampered file: err = %v, want ErrChecksum", err)
	}
}

func TestTree(t *testing.T) {
	dir, err := Tree()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"xen.h", "memory.h", "grant_table.h", "arch-x86/xen.h", "arch-arm.h"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestTreesInCacheDir fetches every pinned Xen tree: each lands in the
// cache directory, nothing in this package's directory.
func TestTreesInCacheDir(t *testing.T) {
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range XenDebs {
		dir, err := XenTree(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if !strings.HasPrefix(dir, cache+string(filepath.Separator)) {
			t.Errorf("%s unpacked to %s, outside %s", d, dir, cache)
		}
		if _, err := os.Stat(filepath.Join(dir, "xen.h")); err != nil {
			t.Error(err)
		}
	}
	for _, left := range []string{"cache", "xen-4.17"} {
		if _, err := os.Stat(filepath.Join(Dir(), left, ".xenbind-new")); err == nil {
			t.Errorf("%s written in the package directory", left)
		}
	}
}

// TestNoApt runs the download with a PATH that has no apt-get: the error
// is ErrNoApt, not exec's.
func TestNoApt(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Download(Deb{Name: "libxen-dev", Version: "0", Arch: "amd64", SHA256: zeros, Suite: "bookworm"}, t.TempDir())
	if !errors.Is(err, ErrNoApt) {
		t.Fatalf("err = %v, want ErrNoApt", err)
	}
}

// TestGonePin asks the archive for a version it does not have: the error
// says so and names the command that refreshes the pins.
func TestGonePin(t *testing.T) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get")
	}
	d := XenDeb
	d.Version = "4.17.0-0xenbind-never"
	_, err := Download(d, filepath.Join(mustCache(t), "debs"))
	if !errors.Is(err, ErrGone) || !strings.Contains(err.Error(), RepinCommand) {
		t.Fatalf("err = %v, want ErrGone naming %q", err, RepinCommand)
	}
}

func mustCache(t *testing.T) string {
	t.Helper()
	c, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUAPITree(t *testing.T) {
	if UAPIDeb.Name != "linux-libc-dev" || len(UAPIDeb.SHA256) != 64 {
		t.Fatalf("UAPIDeb = %+v", UAPIDeb)
	}
	dir, err := UAPITree()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"xen/privcmd.h", "xen/evtchn.h", "xen/gntdev.h", "xen/gntalloc.h", "linux/ioctl.h", "asm-generic/ioctl.h"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestLinuxTrees fetches the pinned Linux kernel header packages (arch
// "all", through the private apt lists of their suites): each is a kernel
// source tree in the cache directory with the Xen interface headers and
// the uapi device headers.
func TestLinuxTrees(t *testing.T) {
	var releases []string
	for _, d := range LinuxDebs {
		releases = append(releases, XenRelease(d.Version)+" "+d.Suite)
	}
	if got := strings.Join(releases, ", "); got != "6.1 bookworm, 6.12 trixie" {
		t.Errorf("LinuxDebs: %s", got)
	}
	cache := mustCache(t)
	for _, d := range LinuxDebs {
		dir, err := LinuxTree(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if !strings.HasPrefix(dir, cache+string(filepath.Separator)) {
			t.Errorf("%s unpacked to %s, outside %s", d, dir, cache)
		}
		for _, f := range []string{"include/xen/interface/xen.h", "arch/arm64/include/asm/xen/interface.h", "include/uapi/xen/privcmd.h", "include/uapi/linux/ioctl.h"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	}
}
