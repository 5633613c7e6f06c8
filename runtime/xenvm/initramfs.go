package xenvm

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/xenbind/xenbind/runtime/xenvm/internal/newc"
)

// Console lines /init prints for the harness. Each is written on a line of
// its own; the harness looks for them anywhere in a line, since kernel
// messages can interleave with user-space output on the console.
const (
	markInit         = "XENVM-INIT: start"     // dom0 reached user space
	markInsmodFailed = "XENVM-INSMOD-FAILED:"  // + module name
	markMountFailed  = "XENVM-MOUNT-FAILED:"   // + what
	markResult       = "XENVM-RESULT:"         // + test name and exit status
	markDone         = "XENVM-DONE"            // every test has run
	markServiceUp    = "XENVM-SERVICE-UP:"     // + name and seconds waited
	markServiceDown  = "XENVM-SERVICE-FAILED:" // + name
	markBinary       = "XENVM-BINARY:"         // + test name and the SHA-256 of its file
)

// serviceWait bounds /init's wait for a service to be ready, in tenths of
// a second. xenstored answers within 0.2 s on an idle host.
const serviceWait = 300

// Test is one test binary to run in dom0.
type Test struct {
	Name string // file name in the initramfs's /xenvm
	Data []byte // a static Linux executable
}

// Initramfs is dom0's whole user space: busybox, the modules, the test
// binaries and an /init that loads the one and runs the other.
type Initramfs struct {
	Busybox []byte
	Modules []Module // in load order
	Tests   []Test   // run in order
	// Tools are programs the tests run themselves (cmd/xeninfo), in
	// /xenvm/tools; /init does not run them.
	Tools []Test
	// TestArgs go to every test binary (after -test.v).
	TestArgs []string
	// Env is set for the tests; it tells them what the harness configured.
	Env map[string]string
	// Files are added as they are (the services' programs and libraries).
	Files []File
	// Services are started in this order before the tests, each waited
	// for (Start and Ready already expanded for the machine).
	Services []Service
}

// Paths inside the initramfs.
const (
	initPath    = "init"
	busyboxPath = "bin/busybox"
	// Not below lib/: on a merged-/usr machine lib is a link to usr/lib
	// (Service.Links).
	modulesDir = "xenvm/modules"
	testsDir   = "xenvm"
	toolsDir   = "xenvm/tools"
	envPath    = "etc/xenvm.env"
)

// Write writes the initramfs as an uncompressed newc cpio archive: Linux
// unpacks it into its rootfs directly, and under emulation skipping the
// decompression is worth more than the smaller file. The output is the
// same for the same input (no timestamps, no host owners).
func (fs Initramfs) Write(w io.Writer) error {
	for k := range fs.Env {
		if !isShellName(k) {
			return fmt.Errorf("initramfs: bad environment variable name %q", k)
		}
	}
	for _, s := range fs.Services {
		if !isShellName(s.Name) {
			return fmt.Errorf("initramfs: bad service name %q", s.Name)
		}
	}
	for _, f := range fs.Files {
		if f.Name == "" || path.IsAbs(f.Name) || path.Clean(f.Name) != f.Name || strings.HasPrefix(f.Name, "../") {
			return fmt.Errorf("initramfs: bad file name %q", f.Name)
		}
	}
	for _, t := range append(fs.Tests[:len(fs.Tests):len(fs.Tests)], fs.Tools...) {
		if t.Name == "" || strings.ContainsAny(t.Name, "/ '\"\\$`") {
			return fmt.Errorf("initramfs: bad test or tool name %q", t.Name)
		}
	}
	a := newc.NewWriter(w)
	for _, d := range []struct {
		name string
		perm uint32
	}{
		{"bin", 0o755}, {"sbin", 0o755}, {"usr", 0o755}, {"usr/bin", 0o755}, {"usr/sbin", 0o755},
		{"dev", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"tmp", 0o1777},
	} {
		a.Dir(d.name, d.perm)
	}
	// The kernel opens /dev/console for init before anything is mounted;
	// without this node init has no stdout.
	a.CharDev("dev/console", 0o600, 5, 1)
	a.File(busyboxPath, 0o755, fs.Busybox)
	a.File(initPath, 0o755, []byte(fs.initScript()))
	a.File(envPath, 0o644, []byte(fs.envScript()))
	files := map[string]File{}
	for _, f := range fs.Files {
		// Two services may need the same file (a shared library): one
		// copy is enough, but two different files under one name are an
		// error.
		if g, ok := files[f.Name]; ok {
			if g.Link != f.Link || g.Mode != f.Mode || !bytes.Equal(g.Data, f.Data) {
				return fmt.Errorf("initramfs: two different files named %s", f.Name)
			}
			continue
		}
		files[f.Name] = f
		if f.Link != "" {
			a.Symlink(f.Name, f.Link)
		} else {
			a.File(f.Name, uint32(f.Mode&0o777), f.Data)
		}
	}
	for _, m := range fs.Modules {
		a.File(path.Join(modulesDir, m.Name+".ko"), 0o644, m.Data)
	}
	for _, t := range fs.Tests {
		a.File(path.Join(testsDir, t.Name), 0o755, t.Data)
	}
	for _, t := range fs.Tools {
		a.File(path.Join(toolsDir, t.Name), 0o755, t.Data)
	}
	// The writer keeps its first error and returns it from every later
	// call, Close included.
	if err := a.Close(); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return nil
}

// initScript is /init, run by busybox's shell as PID 1. It always ends in
// poweroff -f, which makes Xen end the machine; when /init itself dies the
// dom0 kernel panics and, with panic=-1, reboots, which ends QEMU too
// (-no-reboot).
func (fs Initramfs) initScript() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("#!/bin/busybox sh")
	p("# Written by xenbind's runtime/xenvm: dom0's user space in a test VM.")
	p("/bin/busybox --install -s")
	p("export PATH=/bin:/sbin:/usr/bin:/usr/sbin")
	p("mount -t proc proc /proc")
	p("mount -t sysfs sysfs /sys")
	p("mount -t devtmpfs devtmpfs /dev")
	p("echo %s", markInit)
	for _, m := range fs.Modules {
		p("insmod /%s/%s.ko || echo %s %s", modulesDir, m.Name, markInsmodFailed, m.Name)
	}
	p("mkdir -p /proc/xen")
	p("mount -t xenfs xenfs /proc/xen || echo %s xenfs", markMountFailed)
	p(". /%s", envPath)
	for _, s := range fs.Services {
		p("( %s ) </dev/null >/tmp/%s.log 2>&1 &", s.Start, s.Name)
		p("i=0; while [ ! -e %s ] && [ $i -lt %d ]; do usleep 100000; i=$((i+1)); done", shellQuote(s.Ready), serviceWait)
		p("if [ -e %s ]; then echo %s %s $i; else echo %s %s; cat /tmp/%s.log; fi", shellQuote(s.Ready), markServiceUp, s.Name, markServiceDown, s.Name, s.Name)
	}
	args := append([]string{"-test.v"}, fs.TestArgs...)
	for _, t := range fs.Tests {
		// The file's hash as dom0 sees it, just before it runs: the proof
		// that machines ran one and the same binary.
		p("echo %s %s $(sha256sum /%s/%s | cut -d' ' -f1)", markBinary, t.Name, testsDir, t.Name)
		p("/%s/%s %s 2>&1", testsDir, t.Name, shellQuoteAll(args))
		// A leading newline: the test's last line may lack one.
		p("status=$?; echo; echo %s %s $status", markResult, t.Name)
	}
	p("echo %s", markDone)
	p("poweroff -f")
	return b.String()
}

// envScript exports Env for /init to source, in a stable order.
func (fs Initramfs) envScript() string {
	keys := make([]string, 0, len(fs.Env))
	for k := range fs.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(fs.Env[k]))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellQuoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func isShellName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
