package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/xenbind/xenbind/headers"
)

// testVersion is the version this checkout is published as to the
// test's own module proxy.
const testVersion = "v0.0.0-test"

// TestFromDownloadedModule is issue 9's "headers from anywhere" as a user
// meets it: xenbind is not a clone but a module version that the go
// command downloads into its module cache (read-only, as always without
// -modcacherw). This checkout is zipped as github.com/xenbind/xenbind
// v0.0.0-test into a file:// module proxy; a throwaway module gets it (go
// get github.com/xenbind/xenbind/cmd/xenbind@v0.0.0-test) and runs `go run
// github.com/xenbind/xenbind/cmd/xenbind layout` with no -headers:
//   - on Debian (apt-get and dpkg-deb there) the pinned tree is fetched
//     into XENBIND_CACHE and the layout printed, also with go run
//     -trimpath, and gen -out writes only below -out;
//   - with a PATH that has no apt-get, it fails with the plain message
//     naming -headers DIR and a Xen checkout's xen/include/public;
//
// and nothing is written into the module cache, the working directory
// (but -out) or the home directory. The runs are root's here, which the
// module cache's read-only bits do not stop: the test compares snapshots.
//
// To keep the network out of it, the dependencies come from the host's
// module cache (a file:// proxy too: what go mod download puts there is
// enough, as on a fresh CI machine), and the Debian run reuses the host's
// private package lists of the pinned suite when it has them, so that it
// downloads the pinned .deb only.
func TestFromDownloadedModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds xenbind from a module zip with the go command, three times")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	repo := repoRoot()
	hostModCache := goEnv(t, goBin, "GOMODCACHE")

	proxy := t.TempDir()
	publish(t, repo, proxy)

	modCache := t.TempDir()
	t.Cleanup(func() {
		// The module cache is read-only: let the go command remove it
		// before TempDir's cleanup does the rest.
		cmd := exec.Command(goBin, "clean", "-modcache")
		cmd.Env = append(os.Environ(), "GOMODCACHE="+modCache)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go clean -modcache: %v\n%s", err, out)
		}
	})
	home := t.TempDir()
	user := t.TempDir()
	must(t, os.WriteFile(filepath.Join(user, "go.mod"), []byte("module example.com/user\n\ngo 1.24\n"), 0o644))
	// The dependencies' checksums, as xenbind's go.sum has them.
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(user, "go.sum"), sum, 0o644))

	env := []string{
		"GOPROXY=file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(hostModCache, "cache", "download")),
		"GOMODCACHE=" + modCache,
		"GOSUMDB=off", "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0",
		"HOME=" + home, "XDG_CACHE_HOME=", "XDG_CONFIG_HOME=",
		"GOCACHE=" + goEnv(t, goBin, "GOCACHE"),
	}
	goRun := func(cache, path string, args ...string) result {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = user
		cmd.Env = append(os.Environ(), append(env, "XENBIND_CACHE="+cache, "PATH="+path)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{stdout: out.String(), stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
			t.Fatalf("go %s panicked:\n%s", strings.Join(args, " "), r.stderr)
		}
		return r
	}
	// What a user does first: go get the command's package (which
	// requires only what building it needs, unlike go mod tidy).
	const pkg = "github.com/xenbind/xenbind/cmd/xenbind"
	if r := goRun(t.TempDir(), os.Getenv("PATH"), "get", pkg+"@"+testVersion); r.code != 0 {
		t.Fatalf("go get: exit %d\n%s", r.code, r.stderr)
	}
	modDir := filepath.Join(modCache, "github.com", "xenbind", "xenbind@"+testVersion)
	if st, err := os.Stat(filepath.Join(modDir, "headers")); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Fatalf("the module is not in the module cache read-only: %v, %v", st, err)
	}
	mod := treeDigest(t, modDir)
	work := treeDigest(t, user)
	unchanged := func(what string) {
		t.Helper()
		if d := digestDiff(mod, treeDigest(t, modDir)); d != "" {
			t.Errorf("%s wrote into the module cache:\n%s", what, d)
		}
		if d := digestDiff(work, treeDigest(t, user)); d != "" {
			t.Errorf("%s wrote into the working directory:\n%s", what, d)
		}
		if d := digestDiff(nil, findXenbind(t, home)); d != "" {
			t.Errorf("%s wrote into the home directory:\n%s", what, d)
		}
	}
	t.Run("no apt-get", func(t *testing.T) {
		cache := t.TempDir()
		r := goRun(cache, t.TempDir(), "run", pkg, "layout")
		for _, want := range []string{"apt-get is not installed", "pass -headers DIR instead (a Xen checkout's xen/include/public"} {
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("without apt-get: exit %d, want 1 and %q in:\n%s", r.code, want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "exec:") || strings.Contains(r.stderr, "apt-get update") {
			t.Errorf("the message is not the plain one:\n%s", r.stderr)
		}
		unchanged("layout without apt-get")
	})

	t.Run("Debian", func(t *testing.T) {
		for _, tool := range []string{"apt-get", "dpkg-deb"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("no %s: not a Debian system", tool)
			}
		}
		cache := t.TempDir()
		seedPackageLists(t, filepath.Join(cache, "debs"))
		const record = "struct xen_memory_reservation"
		for _, args := range [][]string{
			{"run", pkg, "layout", "-records", record},
			{"run", "-trimpath", pkg, "layout", "-records", record},
		} {
			r := goRun(cache, os.Getenv("PATH"), args...)
			if r.code != 0 || !strings.Contains(r.stdout, record) {
				t.Errorf("go %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
			unchanged("go " + strings.Join(args, " "))
		}
		if _, err := os.Stat(filepath.Join(cache, "debs", headers.XenDeb.File())); err != nil {
			t.Errorf("the pinned .deb is not in XENBIND_CACHE: %v", err)
		}
		tree := filepath.Join(cache, "trees", headers.XenDeb.Name+"_"+headers.XenDeb.Version+"_"+headers.XenDeb.Arch, "usr", "include", "xen", "xen.h")
		if _, err := os.Stat(tree); err != nil {
			t.Errorf("the pinned tree is not in XENBIND_CACHE: %v", err)
		}
		r := goRun(cache, os.Getenv("PATH"), "run", pkg, "gen", "-out", "./xen")
		if r.code != 0 {
			t.Fatalf("gen: exit %d\n%s", r.code, r.stderr)
		}
		out := treeDigest(t, filepath.Join(user, "xen"))
		if _, ok := out["ztypes.go"]; !ok {
			t.Errorf("gen -out ./xen wrote no ztypes.go: %v", out)
		}
		for name := range out {
			work[filepath.Join("xen", name)] = out[name]
		}
		unchanged("gen -out ./xen")
	})
}

// goEnv is a go env variable of the host.
func goEnv(t *testing.T, goBin, name string) string {
	t.Helper()
	out, err := exec.Command(goBin, "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// publish writes the checkout's files (git's tracked and untracked, not
// ignored) as module github.com/xenbind/xenbind at testVersion into a
// file:// module proxy directory.
func publish(t *testing.T, repo, proxy string) {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v): nothing to publish", err)
	}
	var files []modzip.File
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		p := filepath.Join(repo, filepath.FromSlash(name))
		info, err := os.Lstat(p)
		if err != nil {
			continue // deleted in the work tree
		}
		if info.Mode().IsRegular() {
			files = append(files, checkoutFile{slash: name, path: p, info: info})
		}
	}
	m := module.Version{Path: "github.com/xenbind/xenbind", Version: testVersion}
	dir := filepath.Join(proxy, "github.com", "xenbind", "xenbind", "@v")
	must(t, os.MkdirAll(dir, 0o755))
	var zip bytes.Buffer
	if err := modzip.Create(&zip, m, files); err != nil {
		t.Fatalf("module zip: %v", err)
	}
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	must(t, err)
	for name, data := range map[string][]byte{
		"list":                []byte(testVersion + "\n"),
		testVersion + ".info": []byte(`{"Version":"` + testVersion + `","Time":"2026-01-01T00:00:00Z"}`),
		testVersion + ".mod":  gomod,
		testVersion + ".zip":  zip.Bytes(),
	} {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

// checkoutFile is a file of the checkout for modzip.Create.
type checkoutFile struct {
	slash, path string
	info        fs.FileInfo
}

func (f checkoutFile) Path() string                 { return f.slash }
func (f checkoutFile) Lstat() (fs.FileInfo, error)  { return f.info, nil }
func (f checkoutFile) Open() (io.ReadCloser, error) { return os.Open(f.path) }

// seedPackageLists copies the host's private package lists of the pinned
// tree's suite (headers/apt.go keeps them below the debs directory of the
// cache) into a cache's debs directory, if the host has them.
func seedPackageLists(t *testing.T, debs string) {
	t.Helper()
	host, err := headers.CacheDir()
	if err != nil {
		return
	}
	sub := filepath.Join("apt", headers.XenDeb.Suite+"_"+headers.XenDeb.Arch)
	from := filepath.Join(host, "debs", sub)
	if _, err := os.Stat(filepath.Join(from, "lists")); err != nil {
		t.Logf("no package lists of %s in %s: the run updates its own", headers.XenDeb.Suite, host)
		return
	}
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(debs, sub, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case !d.Type().IsRegular() || d.Name() == "lock":
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	must(t, err)
}

// treeDigest maps every file below dir (slash-separated, relative) to its
// mode and SHA-256; a missing dir is empty.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := "-"
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%v %s", info.Mode(), sum)
		return nil
	})
	must(t, err)
	return out
}

// findXenbind lists what below dir has "xenbind" in its name.
func findXenbind(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, v := range treeDigest(t, dir) {
		if strings.Contains(name, "xenbind") {
			out[name] = v
		}
	}
	return out
}

// digestDiff says which files were added, removed or changed from a to b.
func digestDiff(a, b map[string]string) string {
	var lines []string
	for name, v := range b {
		if w, ok := a[name]; !ok {
			lines = append(lines, "added "+name)
		} else if w != v {
			lines = append(lines, "changed "+name)
		}
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			lines = append(lines, "removed "+name)
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("... and %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}
