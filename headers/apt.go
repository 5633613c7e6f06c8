package headers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DebianMirror is the archive private sources lists name; $XENBIND_DEBIAN_MIRROR
// replaces it.
const DebianMirror = "http://deb.debian.org/debian"

// debianKeyring verifies the archive's Release files (package
// debian-archive-keyring, on every Debian system).
const debianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// ErrNoApt reports a system without apt-get, where pinned packages cannot
// be fetched.
var ErrNoApt = errors.New("apt-get is not installed: the pinned headers are fetched with apt")

// ErrGone reports a pinned package version the archive no longer serves.
var ErrGone = errors.New("the pinned version is no longer in the archive")

// RepinCommand refreshes a manifest's pins from the archive (headers'
// own by default, or the manifest files named).
const RepinCommand = "go run ./headers/repin [MANIFEST...] (in a clone of xenbind; default headers/manifest.txt)"

// aptDownload fetches d's .deb into dir: through a private sources list of
// d's suite when it has one (updated on first use, and again when the
// package is not found in it), else through the system's apt sources.
func aptDownload(d Deb, cacheDir, dir string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%s: %w", d, ErrNoApt)
	}
	arg := d.Name + ":" + d.Arch + "=" + d.Version
	if d.Suite == "" {
		cmd := exec.Command("apt-get", "download", "-q", arg)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get download %s: %w\n%s(is the package list current? run apt-get update)", arg, err, out)
		}
		return nil
	}
	aptDir := filepath.Join(cacheDir, "apt", d.Suite+"_"+d.indexArch())
	unlock, err := lockDir(aptDir)
	if err != nil {
		return err
	}
	defer unlock()
	a, err := newPrivateApt(aptDir, d.Suite, d.indexArch())
	if err != nil {
		return err
	}
	if !a.updated() {
		if err := a.update(); err != nil {
			return err
		}
	}
	out, err := a.run(dir, "download", "-q", arg)
	if err == nil {
		return nil
	}
	// The lists may be old: update once and retry.
	if uerr := a.update(); uerr != nil {
		return uerr
	}
	if out, err = a.run(dir, "download", "-q", arg); err == nil {
		return nil
	}
	if notFound(out) {
		return fmt.Errorf("%s: %w (%s main, %s); refresh the pins of its manifest with %s", d, ErrGone, d.Suite, a.mirror, RepinCommand)
	}
	return fmt.Errorf("apt-get download %s (private sources list of %s): %w\n%s", arg, d.Suite, err, out)
}

// indexArch is the architecture whose package index lists d: its own, or
// amd64's for an architecture-independent package ("all"), which every
// architecture's index lists; apt-get download takes NAME:all.
func (d Deb) indexArch() string {
	if d.Arch == "all" {
		return "amd64"
	}
	return d.Arch
}

// notFound reports whether apt's output says a version is not there.
func notFound(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "was not found") || strings.Contains(s, "Unable to locate package") || strings.Contains(s, "Can't find a source")
}

// privateApt runs apt-get with a sources list of one suite's main archive
// and package lists of its own, leaving the system's apt state alone.
type privateApt struct {
	dir, suite, arch, mirror string
}

func newPrivateApt(dir, suite, arch string) (*privateApt, error) {
	a := &privateApt{dir: dir, suite: suite, arch: arch, mirror: DebianMirror}
	if m := os.Getenv("XENBIND_DEBIAN_MIRROR"); m != "" {
		a.mirror = m
	}
	if _, err := os.Stat(debianKeyring); err != nil {
		return nil, fmt.Errorf("no Debian archive keyring to check %s with (%w): install debian-archive-keyring, or pass -headers DIR", suite, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lists", "partial"), 0o755); err != nil {
		return nil, err
	}
	list := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", debianKeyring, a.mirror, suite)
	if err := os.WriteFile(filepath.Join(dir, "sources.list"), []byte(list), 0o644); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *privateApt) options() []string {
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(a.dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(a.dir, "lists"),
		"-o", "Dir::State::Status=/dev/null",
		"-o", "Dir::Cache=" + filepath.Join(a.dir, "cache"),
		"-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
		"-o", "APT::Architecture=" + a.arch, "-o", "APT::Architectures::=" + a.arch,
		// Only the package index: no translations, no AppStream data.
		"-o", "Acquire::Languages=none",
	}
	for _, t := range []string{"DEP-11", "DEP-11-icons", "DEP-11-icons-small", "DEP-11-icons-hidpi", "Contents-deb"} {
		opts = append(opts, "-o", "Acquire::IndexTargets::deb::"+t+"::DefaultEnabled=false")
	}
	if os.Geteuid() == 0 {
		// apt drops root to _apt for downloads, which cannot write to a
		// user's cache directory.
		opts = append(opts, "-o", "APT::Sandbox::User=root")
	}
	return opts
}

func (a *privateApt) run(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("apt-get", append(a.options(), args...)...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// updated reports whether the lists hold the suite's package index.
func (a *privateApt) updated() bool {
	m, _ := filepath.Glob(filepath.Join(a.dir, "lists", "*_Packages*"))
	return len(m) > 0
}

func (a *privateApt) update() error {
	if out, err := a.run(a.dir, "update", "-q"); err != nil {
		return fmt.Errorf("apt-get update (private sources list of %s at %s): %w\n%s", a.suite, a.mirror, err, out)
	}
	return nil
}

// Current returns d pinned to the version its suite's main archive serves
// now, with that .deb's checksum (downloading it into cacheDir). A package
// without a suite is returned as it is.
func Current(d Deb, cacheDir string) (Deb, error) {
	if d.Suite == "" {
		return d, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return d, fmt.Errorf("%s: %w", d, ErrNoApt)
	}
	aptDir := filepath.Join(cacheDir, "apt", d.Suite+"_"+d.indexArch())
	unlock, err := lockDir(aptDir)
	if err != nil {
		return d, err
	}
	defer unlock()
	a, err := newPrivateApt(aptDir, d.Suite, d.indexArch())
	if err != nil {
		return d, err
	}
	if err := a.update(); err != nil {
		return d, err
	}
	cmd := exec.Command("apt-cache", append(a.options(), "madison", d.Name+":"+d.Arch)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return d, fmt.Errorf("apt-cache madison %s: %w\n%s", d.Name, err, out)
	}
	// "name | version | archive": the first line is the newest.
	f := strings.Split(strings.SplitN(string(out), "\n", 2)[0], "|")
	if len(f) < 3 {
		return d, fmt.Errorf("%s is not in %s main", d.Name, d.Suite)
	}
	cur := d
	cur.Version = strings.TrimSpace(f[1])
	tmp, err := os.MkdirTemp(cacheDir, "repin-")
	if err != nil {
		return d, err
	}
	defer os.RemoveAll(tmp)
	if out, err := a.run(tmp, "download", "-q", cur.Name+":"+cur.Arch+"="+cur.Version); err != nil {
		return d, fmt.Errorf("apt-get download %s: %w\n%s", cur, err, out)
	}
	sum, err := sha256File(filepath.Join(tmp, cur.File()))
	if err != nil {
		return d, err
	}
	cur.SHA256 = sum
	return cur, nil
}

// Prefetch brings the packages of debs missing from cacheDir with one
// apt-get download per suite and architecture: each apt-get run reads the
// whole package index, seconds on a loaded host, and a test VM needs a
// dozen packages. It is best effort and reports nothing: Download then
// checks every file (a wrong checksum is never used), fetches what is
// still missing one by one and names the package that failed.
func Prefetch(debs []Deb, cacheDir string) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return
	}
	groups := map[string][]Deb{}
	var keys []string
	for _, d := range debs {
		if d.Suite == "" || verify(filepath.Join(cacheDir, d.File()), d.SHA256) == nil {
			continue
		}
		k := d.Suite + "_" + d.indexArch()
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], d)
	}
	for _, k := range keys {
		if len(groups[k]) > 1 {
			prefetchGroup(groups[k], cacheDir)
		}
	}
}

// prefetchGroup downloads debs, all of one suite and index architecture,
// in one apt-get run and moves those with the pinned checksum into
// cacheDir.
func prefetchGroup(debs []Deb, cacheDir string) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(cacheDir, "download-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	d0 := debs[0]
	aptDir := filepath.Join(cacheDir, "apt", d0.Suite+"_"+d0.indexArch())
	unlock, err := lockDir(aptDir)
	if err != nil {
		return
	}
	defer unlock()
	a, err := newPrivateApt(aptDir, d0.Suite, d0.indexArch())
	if err != nil {
		return
	}
	if !a.updated() {
		if err := a.update(); err != nil {
			return
		}
	}
	args := []string{"download", "-q"}
	for _, d := range debs {
		args = append(args, d.Name+":"+d.Arch+"="+d.Version)
	}
	// One pin the lists lack fails the whole run; Download sorts it out.
	_, _ = a.run(tmp, args...)
	for _, d := range debs {
		got := filepath.Join(tmp, d.File())
		if verify(got, d.SHA256) == nil {
			_ = os.Rename(got, filepath.Join(cacheDir, d.File()))
		}
	}
}
