package newc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sample writes an archive with every kind of entry the writer makes.
func sample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, err := range []error{
		w.Dir("bin", 0o755),
		w.Dir("tmp", 0o1777),
		w.CharDev("dev/console", 0o600, 5, 1),
		w.File("bin/busybox", 0o755, []byte("busybox binary")),
		w.File("init", 0o755, []byte("#!/bin/busybox sh\n")),
		w.File("lib/modules/xen/a.ko", 0o644, []byte("abc")), // 3 bytes: padded
		w.File("lib/modules/xen/empty", 0o644, nil),          // no data at all
		w.File("etc/four", 0o600, []byte("four")),            // 4 bytes: no padding
		w.Symlink("lib/libd.so.1", "libd.so.1.0"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gnuCPIO returns the path of GNU cpio, the independent reader.
func gnuCPIO(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("cpio")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cpio is not installed (the Makefile's deps target installs it)")
		}
		t.Skip("cpio is not installed: apt-get install cpio")
	}
	return bin
}

// TestGNUCpioLists reads the archive back with GNU cpio's verbose listing:
// every entry, its type, mode, owner, device number and size, in order,
// with parent directories before their contents.
func TestGNUCpioLists(t *testing.T) {
	bin := gnuCPIO(t)
	cmd := exec.Command(bin, "-t", "-v", "--quiet", "-H", "newc", "--numeric-uid-gid")
	cmd.Stdin = bytes.NewReader(sample(t))
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("cpio -t: %v\n%s", err, stderr.Bytes())
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// Mode, links, uid, gid, size or major,minor, then the date (3
		// fields) and the name: drop the date, which GNU cpio prints in
		// two formats depending on its age.
		f := strings.Fields(line)
		if f[0][0] == 'c' {
			f = append(f[:4], append([]string{f[4] + f[5]}, f[6:]...)...)
		}
		got = append(got, strings.Join(append(f[:5:5], f[8:]...), " "))
	}
	want := []string{
		"drwxr-xr-x 2 0 0 0 bin",
		"drwxrwxrwt 2 0 0 0 tmp",
		"drwxr-xr-x 2 0 0 0 dev",
		"crw------- 1 0 0 5,1 dev/console",
		"-rwxr-xr-x 1 0 0 14 bin/busybox",
		"-rwxr-xr-x 1 0 0 18 init",
		"drwxr-xr-x 2 0 0 0 lib",
		"drwxr-xr-x 2 0 0 0 lib/modules",
		"drwxr-xr-x 2 0 0 0 lib/modules/xen",
		"-rw-r--r-- 1 0 0 3 lib/modules/xen/a.ko",
		"-rw-r--r-- 1 0 0 0 lib/modules/xen/empty",
		"drwxr-xr-x 2 0 0 0 etc",
		"-rw------- 1 0 0 4 etc/four",
		"lrwxrwxrwx 1 0 0 11 lib/libd.so.1 -> libd.so.1.0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cpio -tv lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestGNUCpioExtracts unpacks the archive with GNU cpio and compares the
// files it made with what was written. The device node is left out: only
// root may make one.
func TestGNUCpioExtracts(t *testing.T) {
	bin := gnuCPIO(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "-i", "-d", "--quiet", "-H", "newc", "--no-absolute-filenames", "--nonmatching", "dev/console")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(sample(t))
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("cpio -i: %v\n%s", err, out)
	}
	for name, want := range map[string]string{
		"bin/busybox":           "busybox binary",
		"init":                  "#!/bin/busybox sh\n",
		"lib/modules/xen/a.ko":  "abc",
		"lib/modules/xen/empty": "",
		"etc/four":              "four",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "lib/libd.so.1")); err != nil || target != "libd.so.1.0" {
		t.Errorf("lib/libd.so.1 -> %q (%v), want libd.so.1.0", target, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "init")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("init: %v %v, want mode 0755", st.Mode(), err)
	}
}

// TestLayout checks the bytes of a small archive against the format
// description: header fields, name padding, data padding, trailer.
func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.File("ab", 0o644, []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "070701" + "00000001" + "000081A4" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000003" + "00000000" +
		"ab\x00" + "\x00\x00\x00" + // 110+3 bytes, padded to 116
		"xyz\x00" +
		"070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "0000000B" + "00000000" +
		"TRAILER!!!\x00" + "\x00\x00\x00" // 110+11, padded to 124
	if buf.String() != want {
		t.Errorf("archive =\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		add  func(w *Writer) error
	}{
		{"absolute name", func(w *Writer) error { return w.File("/init", 0o755, nil) }},
		{"name leaving the root", func(w *Writer) error { return w.File("../init", 0o755, nil) }},
		{"unclean name", func(w *Writer) error { return w.File("a//b", 0o755, nil) }},
		{"empty name", func(w *Writer) error { return w.Dir("", 0o755) }},
		{"trailer name", func(w *Writer) error { return w.File("TRAILER!!!", 0o644, nil) }},
		{"NUL in name", func(w *Writer) error { return w.File("a\x00b", 0o644, nil) }},
		{"duplicate", func(w *Writer) error { w.File("a", 0o644, nil); return w.File("a", 0o644, nil) }},
		{"duplicate of an implied directory", func(w *Writer) error { w.File("d/a", 0o644, nil); return w.Dir("d", 0o700) }},
		{"file under a file", func(w *Writer) error { w.File("a", 0o644, nil); return w.File("a/b", 0o644, nil) }},
		{"empty link target", func(w *Writer) error { return w.Symlink("a", "") }},
	} {
		w := NewWriter(new(bytes.Buffer))
		err := c.add(w)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if err2 := w.Close(); err2 == nil {
			t.Errorf("%s: Close after the error succeeded", c.name)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		n := f.n
		f.n = 0
		return n, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteError: an error of the underlying writer is returned, and
// every later call returns it too.
func TestWriteError(t *testing.T) {
	w := NewWriter(&failWriter{n: 200})
	err := w.File("a", 0o644, bytes.Repeat([]byte("x"), 500))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("File = %v, want the writer's error", err)
	}
	if err := w.File("b", 0o644, nil); err == nil {
		t.Error("File after a failed write succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed write succeeded")
	}
}

// TestReadGNUCpio reads an archive GNU cpio wrote from a directory tree.
func TestReadGNUCpio(t *testing.T) {
	bin := gnuCPIO(t)
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a/b"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a/b/f"), []byte("hello"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "g"), nil, 0o600))
	must(os.Symlink("a/b/f", filepath.Join(dir, "l")))
	cmd := exec.Command(bin, "-o", "--quiet", "-H", "newc")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("a\na/b\na/b/f\ng\nl\n")
	out, err := cmd.Output()
	must(err)
	entries, err := ReadAll(bytes.NewReader(out))
	must(err)
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %#o %q", e.Name, e.Mode, e.Data))
	}
	want := []string{`a 040755 ""`, `a/b 040755 ""`, `a/b/f 0100640 "hello"`, `g 0100600 ""`, `l 0120777 "a/b/f"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadBack reads what the writer wrote, and refuses a cut archive.
func TestReadBack(t *testing.T) {
	arc := sample(t)
	entries, err := ReadAll(bytes.NewReader(arc))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 14 {
		t.Errorf("%d entries, want 14", len(entries))
	}
	for i, e := range entries {
		if e.Ino != uint32(i+1) {
			t.Errorf("%s: inode %d, want %d", e.Name, e.Ino, i+1)
		}
	}
	for _, n := range []int{0, 50, 110, 115, len(arc) - 124} {
		if _, err := ReadAll(bytes.NewReader(arc[:n])); err == nil {
			t.Errorf("archive cut at %d bytes read without error", n)
		}
	}
}
