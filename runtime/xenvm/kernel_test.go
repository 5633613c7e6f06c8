package xenvm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBzImage lays out a bzImage as the x86 boot protocol does: setupSects
// sectors of real-mode setup after the boot sector, then the protected-mode
// code, which holds the payload at payloadOff.
func fakeBzImage(setupSects byte, version uint16, payloadOff int, payload []byte) []byte {
	pm := (int(setupSects) + 1) * 512
	if setupSects == 0 {
		pm = 5 * 512
	}
	img := make([]byte, pm+payloadOff+len(payload)+64)
	img[0x1f1] = setupSects
	copy(img[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(img[0x206:], version)
	binary.LittleEndian.PutUint32(img[0x248:], uint32(payloadOff))
	binary.LittleEndian.PutUint32(img[0x24c:], uint32(len(payload)))
	copy(img[pm+payloadOff:], payload)
	return img
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractVmlinux(t *testing.T) {
	kernel := append([]byte("\x7fELF"), bytes.Repeat([]byte("kernel"), 1000)...)
	for _, setup := range []byte{0, 4, 39} {
		img := fakeBzImage(setup, 0x020f, 716, gzipped(t, kernel))
		got, err := ExtractVmlinux(img)
		if err != nil {
			t.Fatalf("setup_sects %d: %v", setup, err)
		}
		if !bytes.Equal(got, kernel) {
			t.Errorf("setup_sects %d: got %d bytes, want the %d-byte kernel", setup, len(got), len(kernel))
		}
	}

	for _, c := range []struct {
		name string
		img  []byte
		want string
	}{
		{"not a bzImage", []byte(strings.Repeat("x", 4096)), "not an x86 bzImage"},
		{"old protocol", fakeBzImage(4, 0x0206, 0, gzipped(t, kernel)), "no payload fields"},
		{"payload past the end", func() []byte {
			img := fakeBzImage(4, 0x020f, 0, gzipped(t, kernel))
			binary.LittleEndian.PutUint32(img[0x24c:], 1<<30)
			return img
		}(), "outside"},
		{"unknown compression", fakeBzImage(4, 0x020f, 0, []byte("\x02\x21\x4c\x18 lz4 data")), "does not read"},
		// Debian 13's amd64 kernels: the machine boots the bzImage.
		{"zstd", fakeBzImage(4, 0x020f, 0, []byte("\x28\xb5\x2f\xfd zstd data")), "(magic 28 b5 2f fd 20 7a); boot the bzImage instead"},
		{"not ELF inside", fakeBzImage(4, 0x020f, 0, gzipped(t, []byte("MZ not elf"))), "not an ELF"},
		{"corrupt xz", fakeBzImage(4, 0x020f, 0, []byte("\xfd7zXZ\x00garbage....")), "xz"},
	} {
		_, err := ExtractVmlinux(c.img)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// unpackedKernel returns the unpacked dom0 kernel package of m if an
// earlier Prepare left it on this host; the tests that read real kernels
// skip otherwise (TestBoot fetches them).
func unpackedKernel(t *testing.T, m Machine) string {
	t.Helper()
	manifest, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Package(manifest, m.KernelPackage)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(Dir(), "unpacked", strings.TrimSuffix(d.File(), ".deb"))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is not unpacked here (go test -run TestBoot fetches it): %v", d, err)
	}
	return dir
}

func TestExtractVmlinuxDebian(t *testing.T) {
	m, _ := Lookup("x86_64-4.17")
	dir := unpackedKernel(t, m)
	img, err := os.ReadFile(filepath.Join(dir, "boot", "vmlinuz-"+m.KernelRelease()))
	if err != nil {
		t.Fatal(err)
	}
	vmlinux, err := ExtractVmlinux(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(vmlinux) < len(img) {
		t.Errorf("vmlinux has %d bytes, fewer than the %d-byte bzImage", len(vmlinux), len(img))
	}
}

func TestLoadModulesDebian(t *testing.T) {
	for _, m := range Machines {
		t.Run(m.Name(), func(t *testing.T) {
			dir := filepath.Join(unpackedKernel(t, m), filepath.FromSlash(m.ModulesDir), m.KernelRelease())
			mods, err := LoadModules(dir, XenModules)
			if err != nil {
				t.Fatal(err)
			}
			pos := map[string]int{}
			for i, mod := range mods {
				pos[mod.Name] = i
				if !bytes.HasPrefix(mod.Data, []byte("\x7fELF")) {
					t.Errorf("%s is not an ELF module", mod.Name)
				}
			}
			for _, n := range XenModules {
				if _, ok := pos[ModuleName(n)]; !ok {
					t.Errorf("%s not loaded; got %v", n, pos)
				}
			}
			// xenfs uses xen-privcmd's symbols.
			if pos["xen_privcmd"] > pos["xenfs"] {
				t.Errorf("xenfs comes before its dependency xen_privcmd: %v", pos)
			}
			if _, err := LoadModules(dir, []string{"no-such-module"}); err == nil {
				t.Errorf("a missing module was not reported")
			}
		})
	}
}
