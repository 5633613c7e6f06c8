// Package headers obtains the pinned Xen header trees xenbind is built and
// tested against, and holds the project's own fixture headers.
//
// Third-party header text is not committed: Xen 4.17's public headers come
// from Debian's libxen-dev package, fetched with apt-get download, checked
// against the SHA-256 recorded in manifest.txt and unpacked below this
// directory (xen-4.17/, ignored by git). Any other tree laid out like Xen's
// xen/include/public can be used instead through the commands' -headers flag.
package headers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Deb is one pinned Debian package.
type Deb struct {
	Name    string
	Version string
	Arch    string // Debian architecture: amd64, i386, arm64, armhf
	SHA256  string // of the .deb file, hex
}

// File is the name apt-get download gives the package.
func (d Deb) File() string {
	// apt-get download escapes ':' of an epoch as %3a.
	v := strings.ReplaceAll(d.Version, ":", "%3a")
	return fmt.Sprintf("%s_%s_%s.deb", d.Name, v, d.Arch)
}

func (d Deb) String() string { return d.Name + "=" + d.Version + " (" + d.Arch + ")" }

//go:embed manifest.txt
var manifest []byte

// XenDeb is the package holding the pinned Xen public headers.
var XenDeb = mustManifest(manifest)["libxen-dev"]

// UAPIDeb is the package holding Linux's user-space API headers, among
// them the Xen device headers (parser.UAPIDialect).
var UAPIDeb = mustManifest(manifest)["linux-libc-dev"]

// XenVersion names the pinned header tree.
const XenVersion = "4.17"

// ParseManifest reads a manifest: one package a line, "name version arch
// sha256", '#' starting a comment. It is keyed by name (name:arch where the
// same name is pinned for several architectures).
func ParseManifest(text []byte) (map[string]Deb, error) {
	m := map[string]Deb{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || len(f[3]) != 64 {
			return nil, fmt.Errorf("manifest:%d: want \"name version arch sha256\", got %q", n, line)
		}
		d := Deb{Name: f[0], Version: f[1], Arch: f[2], SHA256: f[3]}
		key := d.Name
		if _, dup := m[key]; dup {
			key = d.Name + ":" + d.Arch
		}
		m[key] = d
		m[d.Name+":"+d.Arch] = d
	}
	return m, sc.Err()
}

func mustManifest(text []byte) map[string]Deb {
	m, err := ParseManifest(text)
	if err != nil {
		panic(err) // the embedded manifest is part of the source
	}
	return m
}

// Dir is the directory of this package's source: where fetched trees and
// the download cache live.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "headers"
	}
	return filepath.Dir(file)
}

// Fixtures is the directory of the project's own small fixture headers.
func Fixtures() string { return filepath.Join(Dir(), "fixtures") }

var treeOnce struct {
	sync.Mutex
	dir string
}

// Tree returns the pinned Xen 4.17 public header tree (a directory laid out
// like xen/include/public), fetching and unpacking it first if needed.
func Tree() (string, error) {
	treeOnce.Lock()
	defer treeOnce.Unlock()
	if treeOnce.dir != "" {
		return treeOnce.dir, nil
	}
	root := filepath.Join(Dir(), "xen-"+XenVersion)
	dir := filepath.Join(root, "usr", "include", "xen")
	if _, err := os.Stat(filepath.Join(dir, "xen.h")); err != nil {
		if err := Unpack(XenDeb, filepath.Join(Dir(), "cache"), root); err != nil {
			return "", err
		}
	}
	treeOnce.dir = dir
	return dir, nil
}

var uapiOnce struct {
	sync.Mutex
	dir string
}

// UAPITree returns the pinned Linux user-space API header tree (a
// directory laid out like /usr/include), fetching and unpacking it first if
// needed.
func UAPITree() (string, error) {
	uapiOnce.Lock()
	defer uapiOnce.Unlock()
	if uapiOnce.dir != "" {
		return uapiOnce.dir, nil
	}
	root := filepath.Join(Dir(), "linux-libc-dev-"+UAPIDeb.Version)
	dir := filepath.Join(root, "usr", "include")
	if _, err := os.Stat(filepath.Join(dir, "xen", "privcmd.h")); err != nil {
		if err := Unpack(UAPIDeb, filepath.Join(Dir(), "cache"), root); err != nil {
			return "", err
		}
	}
	uapiOnce.dir = dir
	return dir, nil
}

// Download makes sure cacheDir holds d's .deb with the pinned checksum,
// fetching it with apt-get download when it does not. It returns the file's
// path. A file with another checksum is refused, never used.
func Download(d Deb, cacheDir string) (string, error) {
	path := filepath.Join(cacheDir, d.File())
	if err := verify(path, d.SHA256); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, "download-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	arg := d.Name + ":" + d.Arch + "=" + d.Version
	cmd := exec.Command("apt-get", "download", "-q", arg)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download %s: %w\n%s(is the package list current? run apt-get update)", arg, err, out)
	}
	got := filepath.Join(tmp, d.File())
	if err := verify(got, d.SHA256); err != nil {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	if err := os.Rename(got, path); err != nil {
		return "", err
	}
	return path, nil
}

// Unpack downloads d (see Download) and extracts it into dest with
// dpkg-deb. The extraction goes to a temporary directory that is renamed
// to dest, so dest either holds the whole package or does not exist; when
// dest is already there (another process unpacked it meanwhile) it is left
// as it is.
func Unpack(d Deb, cacheDir, dest string) error {
	deb, err := Download(d, cacheDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".unpack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if out, err := exec.Command("dpkg-deb", "-x", deb, tmp).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg-deb -x %s: %w\n%s", filepath.Base(deb), err, out)
	}
	if err := os.Rename(tmp, dest); err == nil {
		return nil
	}
	// dest exists. Test processes unpack concurrently; another one may
	// have finished first, and its tree may be in use: never remove a tree
	// that is there, only one left empty by an earlier failure.
	if ents, err := os.ReadDir(dest); err == nil && len(ents) > 0 {
		return nil
	}
	if err := os.Remove(dest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, dest)
}

// ErrChecksum reports a downloaded file whose SHA-256 is not the pinned one.
var ErrChecksum = errors.New("checksum mismatch")

func verify(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: %w: got sha256 %s, pinned %s", filepath.Base(path), ErrChecksum, got, want)
	}
	return nil
}
