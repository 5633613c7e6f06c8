package headers

import (
	"errors"
	"os"
	"path/filepath"
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
			want: map[string]Deb{"a": {"a", "1.0", "amd64", zeros}, "a:amd64": {"a", "1.0", "amd64", zeros}},
		},
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
	if XenDeb.Version != "4.17.7+13-g2445b30a44-0+deb12u1" || len(XenDeb.SHA256) != 64 {
		t.Fatalf("XenDeb = %+v", XenDeb)
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
