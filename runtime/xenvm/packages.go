package xenvm

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/xenbind/xenbind/headers"
)

//go:embed manifest.txt
var manifestText []byte

// manifestPath is manifest.txt's path in the repository, for messages.
const manifestPath = "runtime/xenvm/manifest.txt"

// Manifest returns the pinned Debian packages the VMs are built from, in
// the manifest's order.
func Manifest() ([]headers.Deb, error) {
	list, err := headers.ParseManifestList(manifestText)
	if err != nil {
		return nil, fmt.Errorf("runtime/xenvm/%w", err)
	}
	return list, nil
}

// Package returns the pin of package name for m: the one of m's Debian
// architecture and suite.
func (m Machine) Package(manifest []headers.Deb, name string) (headers.Deb, error) {
	for _, d := range manifest {
		if d.Name == name && d.Arch == m.DebArch && d.Suite == m.Suite {
			return d, nil
		}
	}
	return headers.Deb{}, fmt.Errorf("%s: package %s for %s from %s is not in %s", m.Name(), name, m.DebArch, m.Suite, manifestPath)
}

// Dir is the directory of this package's source. The download cache
// (cache/), the unpacked packages (unpacked/) and the console logs (out/)
// live below it, all ignored by git.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("runtime", "xenvm")
	}
	return filepath.Dir(file)
}

// UnavailableError reports that something a VM needs cannot be had on this
// host: QEMU is missing and cannot be installed, or a package cannot be
// downloaded. A package whose checksum is wrong is not this: that is an
// ordinary error and must never be skipped over.
type UnavailableError struct {
	What string // what is missing, e.g. "qemu-system-arm"
	Err  error
}

func (e *UnavailableError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Files are the host files a machine's VM is made of.
type Files struct {
	QEMU    string // the emulator binary
	Xen     string // the hypervisor image QEMU loads
	Kernel  string // dom0's kernel
	Modules string // dom0's modules directory, Machine.ModulesDir/RELEASE
	Busybox string // a static busybox for dom0's user space
	// Services holds the files of the machine's services (see
	// Service.Files), read from their packages.
	Services []File
}

// File is a file or symbolic link to put into the initramfs.
type File struct {
	Name string // path in the initramfs, without a leading slash
	Data []byte
	Mode uint32 // permission bits
	Link string // the target, for a symbolic link (Data is then unused)
}

// hostMu serializes what changes the host within this process: apt-get
// update and install, downloading and unpacking into the shared
// directories. lockDir does the same between processes (go test and
// cmd/xenvm at once, say).
var hostMu sync.Mutex

// lockDir takes an exclusive flock on dir/lock, creating both, and returns
// its release.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// Prepare makes everything m's VM needs available on this host and
// returns where it is: it installs QEMU when missing, downloads the pinned
// packages (checking their checksums) and unpacks them below Dir(). It
// changes the host only to install QEMU, and then needs root (apt-get
// install, and apt-get update if that fails). Progress messages go to
// progress, which may be nil.
func Prepare(m Machine, progress io.Writer) (Files, error) {
	if progress == nil {
		progress = io.Discard
	}
	hostMu.Lock()
	defer hostMu.Unlock()
	unlock, err := lockDir(filepath.Join(Dir(), "cache"))
	if err != nil {
		return Files{}, err
	}
	defer unlock()

	var f Files
	qemu, err := ensureQEMU(m, progress)
	if err != nil {
		return f, err
	}
	f.QEMU = qemu

	manifest, err := Manifest()
	if err != nil {
		return f, err
	}
	unpack := func(name string) (string, error) {
		d, err := m.Package(manifest, name)
		if err != nil {
			return "", err
		}
		return unpackDeb(d, progress)
	}
	// Fetch what is missing in one go per suite and architecture;
	// unpackDeb then finds it (or fetches it alone and says why not).
	names := []string{m.XenPackage, m.KernelPackage, m.BusyboxPackage}
	for _, svc := range m.Services {
		names = append(names, svc.Packages...)
	}
	var debs []headers.Deb
	for _, n := range names {
		d, err := m.Package(manifest, n)
		if err != nil {
			return f, err
		}
		if _, err := os.Stat(unpackedDir(d)); err != nil {
			debs = append(debs, d)
		}
	}
	if len(debs) > 0 {
		fmt.Fprintf(progress, "xenvm: fetching %d packages for %s\n", len(debs), m.Name())
		headers.Prefetch(debs, filepath.Join(Dir(), "cache"))
	}

	xenDir, err := unpack(m.XenPackage)
	if err != nil {
		return f, err
	}
	f.Xen = filepath.Join(xenDir, filepath.FromSlash(m.XenImage))
	if m.XenGzip {
		if f.Xen, err = derive(f.Xen, strings.TrimSuffix(f.Xen, ".gz")+".elf", gunzip); err != nil {
			return f, fmt.Errorf("%s: %w", m.XenPackage, err)
		}
	}

	kernelDir, err := unpack(m.KernelPackage)
	if err != nil {
		return f, err
	}
	rel := m.KernelRelease()
	f.Kernel = filepath.Join(kernelDir, "boot", "vmlinuz-"+rel)
	f.Modules = filepath.Join(kernelDir, filepath.FromSlash(m.ModulesDir), rel)
	if m.KernelExtract {
		vmlinux := filepath.Join(kernelDir, "boot", "vmlinux-"+rel)
		if f.Kernel, err = derive(f.Kernel, vmlinux, ExtractVmlinux); err != nil {
			return f, fmt.Errorf("%s: %w", m.KernelPackage, err)
		}
	}

	busyboxDir, err := unpack(m.BusyboxPackage)
	if err != nil {
		return f, err
	}
	f.Busybox = filepath.Join(busyboxDir, filepath.FromSlash(m.BusyboxPath))

	for _, svc := range m.Services {
		files, err := serviceFiles(m, svc, unpack)
		if err != nil {
			return f, fmt.Errorf("%s: service %s: %w", m.Name(), svc.Name, err)
		}
		f.Services = append(f.Services, files...)
		f.Services = append(f.Services, svc.Links...)
	}

	for _, p := range []string{f.Xen, f.Kernel, f.Modules, f.Busybox} {
		if _, err := os.Stat(p); err != nil {
			return f, fmt.Errorf("%s: %w", m.Name(), err)
		}
	}
	return f, nil
}

// serviceFiles reads the files of svc from its unpacked packages. Every
// package must contribute at least one file, so a pattern that stops
// matching (a renamed library, say) is an error, not a service that fails
// to start in the VM.
func serviceFiles(m Machine, svc Service, unpack func(string) (string, error)) ([]File, error) {
	var files []File
	for _, pkg := range svc.Packages {
		root, err := unpack(pkg)
		if err != nil {
			return nil, err
		}
		n := len(files)
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !matchAny(m, svc.Files, rel) {
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			file := File{Name: rel, Mode: uint32(fi.Mode().Perm())}
			if fi.Mode()&fs.ModeSymlink != 0 {
				file.Link, err = os.Readlink(p)
			} else if fi.Mode().IsRegular() {
				file.Data, err = os.ReadFile(p)
			} else {
				return nil
			}
			files = append(files, file)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pkg, err)
		}
		if len(files) == n {
			return nil, fmt.Errorf("package %s has no file matching %s", pkg, strings.Join(svc.Files, " "))
		}
	}
	return files, nil
}

func matchAny(m Machine, patterns []string, name string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(m.expand(pat), name); ok {
			return true
		}
	}
	return false
}

// unpackDeb returns the directory d is unpacked in, downloading and
// unpacking it first if needed. Each version gets its own directory, so
// changing the manifest never reuses an old tree. d is fetched from its
// suite's main archive through a private sources list (package headers):
// the host's dpkg architectures and package lists do not matter.
func unpackDeb(d headers.Deb, progress io.Writer) (string, error) {
	dest := unpackedDir(d)
	if _, err := os.Stat(dest); err == nil {
		return dest, nil // headers.Unpack renames a complete tree into place
	}
	if d.Suite == "" {
		return "", fmt.Errorf("%s: %s is pinned without a suite", manifestPath, d)
	}
	cache := filepath.Join(Dir(), "cache")
	if _, err := os.Stat(filepath.Join(cache, d.File())); err != nil {
		fmt.Fprintf(progress, "xenvm: downloading %s from %s\n", d, d.Suite)
		if _, err := headers.Download(d, cache); err != nil {
			return "", pinError(d, err)
		}
	}
	fmt.Fprintf(progress, "xenvm: unpacking %s\n", d)
	if err := headers.Unpack(d, cache, dest); err != nil {
		return "", err
	}
	return dest, nil
}

// unpackedDir is where d is unpacked.
func unpackedDir(d headers.Deb) string {
	return filepath.Join(Dir(), "unpacked", strings.TrimSuffix(d.File(), ".deb"))
}

// pinError explains a failed download of a package pinned from a suite:
// a pin the archive dropped names the command that refreshes this
// manifest; a wrong checksum is an ordinary error (never skipped); the
// rest (no network, no apt) make the VM unavailable here.
func pinError(d headers.Deb, err error) error {
	switch {
	case errors.Is(err, headers.ErrGone):
		// headers' own message names its manifest's command: say it anew.
		return fmt.Errorf("%s: %s: %w (%s main); refresh the pins with: go run ./headers/repin %s", manifestPath, d, headers.ErrGone, d.Suite, manifestPath)
	case errors.Is(err, headers.ErrChecksum):
		return err
	}
	return &UnavailableError{What: d.String(), Err: err}
}

// derive makes dst from src with conv unless dst exists already. dst is
// written under another name first and renamed, so it is whole or absent.
func derive(src, dst string, conv func([]byte) ([]byte, error)) (string, error) {
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	in, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	out, err := conv(in)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Base(src), err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return "", err
	}
	return dst, os.Rename(tmp, dst)
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// ensureQEMU returns the path of m's emulator, installing its package with
// apt-get when it is missing.
func ensureQEMU(m Machine, progress io.Writer) (string, error) {
	if p, err := exec.LookPath(m.QEMU); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", &UnavailableError{What: m.QEMU, Err: fmt.Errorf("not installed, and installing %s needs root (apt-get install %s)", m.QEMUPackage, m.QEMUPackage)}
	}
	fmt.Fprintf(progress, "xenvm: installing %s\n", m.QEMUPackage)
	install := func() error {
		return apt(progress, "install", "-y", "-q", "--no-install-recommends", m.QEMUPackage)
	}
	if err := install(); err != nil {
		if uerr := aptUpdate(progress); uerr != nil {
			return "", &UnavailableError{What: m.QEMU, Err: fmt.Errorf("apt-get install %s: %w (and apt-get update: %v)", m.QEMUPackage, err, uerr)}
		}
		if err := install(); err != nil {
			return "", &UnavailableError{What: m.QEMU, Err: fmt.Errorf("apt-get install %s: %w", m.QEMUPackage, err)}
		}
	}
	p, err := exec.LookPath(m.QEMU)
	if err != nil {
		return "", &UnavailableError{What: m.QEMU, Err: fmt.Errorf("still missing after installing %s: %w", m.QEMUPackage, err)}
	}
	return p, nil
}

// aptUpdate refreshes the package lists. apt-get update exits non-zero
// when any one index fails (a mirror in mid-sync), which need not concern
// the packages wanted: the caller's retry decides.
func aptUpdate(progress io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("apt-get update needs root")
	}
	err := apt(progress, "update", "-q")
	if err != nil {
		fmt.Fprintf(progress, "xenvm: apt-get update: %v (going on with the lists it got)\n", err)
	}
	return nil
}

func apt(progress io.Writer, args ...string) error {
	args = append([]string{"-o", "DPkg::Lock::Timeout=300"}, args...)
	cmd := exec.Command("apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, lastLines(string(out), 10))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
