// Package staletest holds the staleness check of a package whose z*.go
// files xenbind generates from one go:generate line in its generate.go.
// It is imported only by tests.
package staletest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// NotStale builds xenbind from cmdDir (relative to the test's package
// directory), runs the go:generate line of generate.go with it into a
// temporary directory, and fails for every z*.go file that differs from
// the committed one, or is missing on either side. pkg is how the user
// names the package for go generate ("./runtime/uapi").
func NotStale(t *testing.T, cmdDir, pkg string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds xenbind (-short)")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "xenbind")
	build := exec.Command("go", "build", "-o", bin, cmdDir)
	// The host's xenbind, also when the tests run as another GOARCH.
	build.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building xenbind: %v\n%s", err, out)
	}
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "//go:generate go run " + cmdDir + " "
	var args []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			args = strings.Fields(rest)
		}
	}
	if len(args) < 2 || args[len(args)-1] != "." || args[len(args)-2] != "-out" {
		t.Fatalf("generate.go: want one go:generate line ending in -out ., got %q", args)
	}
	out := filepath.Join(tmp, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = out
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xenbind %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	fresh, _ := filepath.Glob(filepath.Join(out, "z*.go"))
	committed, _ := filepath.Glob("z*.go")
	if len(fresh) != len(committed) {
		t.Errorf("%d generated files, %d committed (run go generate %s)", len(fresh), len(committed), pkg)
	}
	for _, f := range fresh {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil {
			t.Errorf("%s: %v (run go generate %s)", filepath.Base(f), err, pkg)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate %s", filepath.Base(f), pkg)
		}
	}
}
