package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDownstreamGoGenerate is what a user does: a module of their own with
// a go:generate line (the README's), the Xen headers copied into it,
// go generate, and a build of the result for all four GOARCH.
func TestDownstreamGoGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy, go generate and four builds")
	}
	repo := repoRoot()
	mod := t.TempDir()
	copyTree(t, pinnedTree(t), filepath.Join(mod, "xen", "include", "public"))
	files := map[string]string{
		"go.mod": "module example.com/dom0tool\n\ngo 1.24\n\nrequire github.com/xenbind/xenbind v0.0.0\n\nreplace github.com/xenbind/xenbind => " + repo + "\n",
		"gen.go": "package dom0tool\n\n//go:generate go run github.com/xenbind/xenbind/cmd/xenbind gen -headers ./xen/include/public -out ./xen\n",
	}
	use := map[string]string{
		"use.go": `package dom0tool

import "example.com/dom0tool/xen"

// Reservation is a use of the generated package. It fills *r rather than
// returning a value: on 386 and arm the struct holds align8 (C aligns it to
// 8), and go vet reports copies of it.
func Reservation(r *xen.MemoryReservation, pages uint64) {
	r.NrExtents = xen.Ulong(pages)
	r.DomID = xen.DOMID_SELF
}
`,
	}
	files2 := map[string]string{
		// The generated package needs only the standard library and the
		// runtime; a blank import keeps go mod tidy from dropping the
		// generator's module before go generate runs.
		"tools.go": "//go:build tools\n\npackage dom0tool\n\nimport _ \"github.com/xenbind/xenbind/cmd/xenbind\"\n",
	}
	write := func(files map[string]string) {
		for name, src := range files {
			must(t, os.WriteFile(filepath.Join(mod, name), []byte(src), 0o644))
		}
	}
	write(files)
	write(files2)
	run := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=-mod=mod"}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s %s: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, out)
		}
	}
	run(nil, "mod", "tidy")
	run(nil, "generate", "./...")
	if _, err := os.Stat(filepath.Join(mod, "xen", "ztypes.go")); err != nil {
		t.Fatalf("go generate wrote no package: %v", err)
	}
	write(use)
	for _, goarch := range []string{"386", "amd64", "arm", "arm64"} {
		run([]string{"GOARCH=" + goarch}, "vet", "./...")
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	must(t, err)
}

// repoRoot is the directory of this checkout (the module root), for the
// tests that build scratch modules replacing xenbind with it.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(here), "..", ".."))
}
