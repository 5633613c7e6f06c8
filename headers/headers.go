// Package headers obtains the pinned Xen header trees xenbind is built and
// tested against, and holds the project's own fixture headers.
//
// Third-party header text is not committed: Xen's public headers come from
// Debian's libxen-dev packages (4.17 by default, 4.14 and 4.20 for tests),
// fetched with apt-get download, checked against the SHA-256 recorded in
// manifest.txt and unpacked into the user's cache directory (CacheDir),
// never into the module: a downloaded module is read-only. A package
// pinned with its Debian suite is fetched through a private sources list
// of that suite's main archive, which works on a system whose own package
// lists were never updated, or point elsewhere. Any other tree laid out
// like Xen's xen/include/public can be used instead through the commands'
// -headers flag.
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
	"sort"
	"strings"
	"sync"
)

// Deb is one pinned Debian package.
type Deb struct {
	Name    string
	Version string
	Arch    string // Debian architecture: amd64, i386, arm64, armhf
	SHA256  string // of the .deb file, hex
	// Suite is the Debian suite whose main archive serves the package
	// ("bookworm"), fetched through a private sources list; "" for the
	// system's own apt sources.
	Suite string
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
// sha256 [suite]", '#' starting a comment. It is keyed by name (the first
// line of that name), name:arch (the first of that name and architecture),
// and name=version.
func ParseManifest(text []byte) (map[string]Deb, error) {
	list, err := ParseManifestList(text)
	if err != nil {
		return nil, err
	}
	m := map[string]Deb{}
	for _, d := range list {
		for _, key := range []string{d.Name, d.Name + ":" + d.Arch} {
			if _, dup := m[key]; !dup {
				m[key] = d
			}
		}
		m[d.Name+"="+d.Version] = d
	}
	return m, nil
}

// ParseManifestList reads a manifest into its packages, in order.
func ParseManifestList(text []byte) ([]Deb, error) {
	var out []Deb
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
		if len(f) < 4 || len(f) > 5 || len(f[3]) != 64 {
			return nil, fmt.Errorf("manifest:%d: want \"name version arch sha256 [suite]\", got %q", n, line)
		}
		d := Deb{Name: f[0], Version: f[1], Arch: f[2], SHA256: f[3]}
		if len(f) == 5 {
			d.Suite = f[4]
		}
		out = append(out, d)
	}
	return out, sc.Err()
}

func mustManifest(text []byte) map[string]Deb {
	m, err := ParseManifest(text)
	if err != nil {
		panic(err) // the embedded manifest is part of the source
	}
	return m
}

// Dir is the directory of this package's source, where the fixture headers
// are. Nothing is ever written there.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "headers"
	}
	return filepath.Dir(file)
}

// Fixtures is the directory of the project's own small fixture headers.
func Fixtures() string { return filepath.Join(Dir(), "fixtures") }

// CacheDir is where fetched packages and their trees are kept:
// $XENBIND_CACHE, else xenbind in the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux).
func CacheDir() (string, error) {
	if d := os.Getenv("XENBIND_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the pinned headers (%w): set XENBIND_CACHE, or pass -headers DIR", err)
	}
	return filepath.Join(d, "xenbind"), nil
}

// trees caches the directories pinned trees were unpacked to, by package.
var trees struct {
	sync.Mutex
	dir map[Deb]string
}

// PinnedTree returns the directory sub of package d unpacked in the cache
// directory, fetching and unpacking d first unless marker (a file below
// sub) is already there.
func PinnedTree(d Deb, sub, marker string) (string, error) {
	trees.Lock()
	defer trees.Unlock()
	if dir := trees.dir[d]; dir != "" {
		return dir, nil
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(cache, "trees", d.Name+"_"+d.Version+"_"+d.Arch)
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		if err := Unpack(d, filepath.Join(cache, "debs"), root); err != nil {
			return "", err
		}
	}
	if trees.dir == nil {
		trees.dir = map[Deb]string{}
	}
	trees.dir[d] = dir
	return dir, nil
}

// Tree returns the pinned Xen 4.17 public header tree (a directory laid out
// like xen/include/public), fetching and unpacking it first if needed.
func Tree() (string, error) { return XenTree(XenDeb) }

// XenTree returns the public header tree of a pinned libxen-dev.
func XenTree(d Deb) (string, error) {
	return PinnedTree(d, filepath.Join("usr", "include", "xen"), "xen.h")
}

// XenDebs are the pinned libxen-dev packages, oldest first: Debian's
// bullseye, bookworm and trixie trees (4.14, 4.17, 4.20).
var XenDebs = func() []Deb {
	var out []Deb
	for _, d := range mustList(manifest) {
		if d.Name == "libxen-dev" {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Version, out[j].Version) })
	return out
}()

// PinnedXen returns the pinned libxen-dev of a Xen release ("4.20"), if
// the manifest pins one.
func PinnedXen(release string) (Deb, bool) {
	for _, d := range XenDebs {
		if XenRelease(d.Version) == release {
			return d, true
		}
	}
	return Deb{}, false
}

// XenRelease is the release of a pinned package's version: "4.17" of
// libxen-dev's "4.17.5+72-g01140da4e8-1", "6.12" of a Linux package's
// "6.12.117-1".
func XenRelease(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// versionLess orders Xen versions by release number.
func versionLess(a, b string) bool {
	num := func(v string) (int, int) {
		var x, y int
		fmt.Sscanf(XenRelease(v), "%d.%d", &x, &y)
		return x, y
	}
	ax, ay := num(a)
	bx, by := num(b)
	return ax < bx || ax == bx && ay < by
}

// mustList is the embedded manifest's packages in order.
func mustList(text []byte) []Deb {
	list, err := ParseManifestList(text)
	if err != nil {
		panic(err) // the embedded manifest is part of the source
	}
	return list
}

// LinuxDebs are the pinned linux-headers-*-common packages, oldest first:
// the Linux kernel's headers laid out as a kernel source tree (Debian's
// usr/src/linux-headers-*-common), bookworm's 6.1 and trixie's 6.12.
var LinuxDebs = func() []Deb {
	var out []Deb
	for _, d := range mustList(manifest) {
		if strings.HasPrefix(d.Name, "linux-headers-") && strings.HasSuffix(d.Name, "-common") {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Version, out[j].Version) })
	return out
}()

// LinuxTree returns the root of a pinned linux-headers-*-common package's
// kernel source tree (its usr/src/NAME, holding include/ and arch/: the
// parser's Linux dialect, and its UAPI dialect through include/uapi),
// fetching and unpacking it first if needed.
func LinuxTree(d Deb) (string, error) {
	return PinnedTree(d, filepath.Join("usr", "src", d.Name), filepath.Join("include", "xen", "interface", "xen.h"))
}

// UAPITree returns the pinned Linux user-space API header tree (a
// directory laid out like /usr/include), fetching and unpacking it first if
// needed.
func UAPITree() (string, error) {
	return PinnedTree(UAPIDeb, filepath.Join("usr", "include"), filepath.Join("xen", "privcmd.h"))
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
	if err := aptDownload(d, cacheDir, tmp); err != nil {
		return "", err
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
	got, err := sha256File(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: %w: got sha256 %s, pinned %s", filepath.Base(path), ErrChecksum, got, want)
	}
	return nil
}

// sha256File is the hex SHA-256 of a file.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
