package xenvm

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/runtime/xenvm/internal/newc"
)

func sampleInitramfs() Initramfs {
	return Initramfs{
		Busybox:  []byte("busybox binary"),
		Modules:  []Module{{Name: "xen_privcmd", Data: []byte("privcmd ko")}, {Name: "xenfs", Data: []byte("xenfs ko")}},
		Tests:    []Test{{Name: "itest-amd64.test", Data: []byte("amd64 test")}, {Name: "itest-386.test", Data: []byte("386 test")}},
		Tools:    []Test{{Name: "xeninfo-amd64", Data: []byte("amd64 xeninfo")}},
		TestArgs: []string{"-test.run=Version|It's"},
		Env:      map[string]string{"XENVM_ARCH": "x86_64", "XENVM_XEN_CMDLINE": "console=com1 dom0_mem=256M,max:256M", "Q": "it's"},
		Files: []File{
			{Name: "usr/sbin/daemon", Data: []byte("daemon binary"), Mode: 0o755},
			{Name: "lib/libd.so.1", Link: "libd.so.1.0"},
		},
		Services: []Service{{Name: "daemon", Start: "mkdir -p /run/d && /usr/sbin/daemon", Ready: "/run/d/sock"}},
	}
}

// TestInitramfsReadBack writes an initramfs and reads it back with the
// same library: every file is there with its content and mode, and /init
// does what the harness relies on, in order.
func TestInitramfsReadBack(t *testing.T) {
	fs := sampleInitramfs()
	var buf bytes.Buffer
	if err := fs.Write(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := newc.ReadAll(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]newc.Entry{}
	for _, r := range recs {
		got[r.Name] = r
	}
	content := func(name string) string {
		r, ok := got[name]
		if !ok {
			t.Fatalf("%s missing; have %v", name, names(recs))
		}
		return string(r.Data)
	}
	for _, c := range []struct {
		name, content string
		mode          uint32
	}{
		{"bin/busybox", "busybox binary", newc.TypeReg | 0o755},
		{"xenvm/modules/xen_privcmd.ko", "privcmd ko", newc.TypeReg | 0o644},
		{"xenvm/modules/xenfs.ko", "xenfs ko", newc.TypeReg | 0o644},
		{"xenvm/itest-amd64.test", "amd64 test", newc.TypeReg | 0o755},
		{"xenvm/itest-386.test", "386 test", newc.TypeReg | 0o755},
		{"xenvm/tools/xeninfo-amd64", "amd64 xeninfo", newc.TypeReg | 0o755},
		{"usr/sbin/daemon", "daemon binary", newc.TypeReg | 0o755},
		{"lib/libd.so.1", "libd.so.1.0", newc.TypeLink | 0o777},
	} {
		if got := content(c.name); got != c.content {
			t.Errorf("%s = %q, want %q", c.name, got, c.content)
		}
		if got[c.name].Mode != c.mode {
			t.Errorf("%s: mode %#o, want %#o", c.name, got[c.name].Mode, c.mode)
		}
	}
	for _, dir := range []string{"bin", "sbin", "usr", "usr/bin", "dev", "proc", "sys", "xenvm", "xenvm/modules", "xenvm/tools"} {
		if r, ok := got[dir]; !ok || r.Mode&newc.TypeMask != newc.TypeDir {
			t.Errorf("directory %s missing (the kernel does not create parents)", dir)
		}
	}
	if c := got["dev/console"]; c.Mode&newc.TypeMask != newc.TypeChr || c.Major != 5 || c.Minor != 1 {
		t.Errorf("dev/console: mode %#o, device %d:%d; want a character device 5:1", c.Mode, c.Major, c.Minor)
	}
	if r := got["init"]; r.Mode != newc.TypeReg|0o755 {
		t.Errorf("init: mode %#o", r.Mode)
	}

	script := content("init")
	inOrder(t, script,
		"#!/bin/busybox sh\n",
		"mount -t devtmpfs",
		"echo "+markInit,
		"insmod /xenvm/modules/xen_privcmd.ko || echo "+markInsmodFailed+" xen_privcmd",
		"insmod /xenvm/modules/xenfs.ko",
		"mount -t xenfs xenfs /proc/xen",
		". /etc/xenvm.env",
		"( mkdir -p /run/d && /usr/sbin/daemon ) </dev/null >/tmp/daemon.log 2>&1 &",
		"while [ ! -e '/run/d/sock' ]",
		"echo "+markServiceUp+" daemon $i; else echo "+markServiceDown+" daemon; cat /tmp/daemon.log; fi",
		"echo "+markBinary+" itest-amd64.test $(sha256sum /xenvm/itest-amd64.test | cut -d' ' -f1)",
		`/xenvm/itest-amd64.test '-test.v' '-test.run=Version|It'\''s' 2>&1`,
		markResult+" itest-amd64.test $status",
		"/xenvm/itest-386.test",
		markResult+" itest-386.test $status",
		"echo "+markDone,
		"poweroff -f",
	)
	if strings.Contains(script, "xeninfo") {
		t.Errorf("init runs a tool; only the tests run them:\n%s", script)
	}
	env := content("etc/xenvm.env")
	want := "export Q='it'\\''s'\nexport XENVM_ARCH='x86_64'\nexport XENVM_XEN_CMDLINE='console=com1 dom0_mem=256M,max:256M'\n"
	if env != want {
		t.Errorf("etc/xenvm.env =\n%s\nwant\n%s", env, want)
	}
	for _, r := range recs {
		if r.MTime != 0 || r.UID != 0 || r.GID != 0 {
			t.Errorf("%s: mtime %d uid %d gid %d, want all 0 (reproducible, owned by root)", r.Name, r.MTime, r.UID, r.GID)
		}
	}
}

func TestInitramfsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := sampleInitramfs().Write(&a); err != nil {
		t.Fatal(err)
	}
	if err := sampleInitramfs().Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two writes of the same initramfs differ")
	}
}

func TestInitramfsRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Initramfs)
	}{
		{"test name with a slash", func(fs *Initramfs) { fs.Tests[0].Name = "../x" }},
		{"test name with a quote", func(fs *Initramfs) { fs.Tests[0].Name = "a'b" }},
		{"empty test name", func(fs *Initramfs) { fs.Tests[0].Name = "" }},
		{"tool name with a slash", func(fs *Initramfs) { fs.Tools[0].Name = "a/b" }},
		{"bad variable", func(fs *Initramfs) { fs.Env["A-B"] = "x" }},
		{"variable starting with a digit", func(fs *Initramfs) { fs.Env["1A"] = "x" }},
		{"absolute file name", func(fs *Initramfs) { fs.Files[0].Name = "/usr/sbin/daemon" }},
		{"file name leaving the root", func(fs *Initramfs) { fs.Files[0].Name = "../daemon" }},
		{"service name with a space", func(fs *Initramfs) { fs.Services[0].Name = "a b" }},
		{"two different files under one name", func(fs *Initramfs) {
			fs.Files = append(fs.Files, File{Name: "usr/sbin/daemon", Data: []byte("other"), Mode: 0o755})
		}},
		{"a file where a directory is needed", func(fs *Initramfs) {
			fs.Files = append(fs.Files, File{Name: "usr/sbin/daemon/x", Data: []byte("x"), Mode: 0o644})
		}},
	} {
		fs := sampleInitramfs()
		c.edit(&fs)
		if err := fs.Write(io.Discard); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func names(recs []newc.Entry) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Name)
	}
	return out
}

// inOrder checks that text holds each of parts, in order.
func inOrder(t *testing.T, text string, parts ...string) {
	t.Helper()
	rest := text
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("missing, or out of order: %q\nin:\n%s", p, text)
			return
		}
		rest = rest[i+len(p):]
	}
}

// TestInitramfsSharedFile: two services that need the same file (a shared
// library) get one copy of it.
func TestInitramfsSharedFile(t *testing.T) {
	fs := sampleInitramfs()
	fs.Files = append(fs.Files, fs.Files...)
	var buf bytes.Buffer
	if err := fs.Write(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := newc.ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Name == "usr/sbin/daemon" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("usr/sbin/daemon is %d times in the archive, want once", n)
	}
}
