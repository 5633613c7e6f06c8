package xswire

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNotStale runs generate.go's go:generate line with a freshly built
// xenbind into a temporary directory and fails for every file that differs
// from the committed one ("go generate ./runtime/xenstore/xswire" refreshes them).
func TestNotStale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds xenbind (-short)")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "xenbind")
	build := exec.Command("go", "build", "-o", bin, "../../../cmd/xenbind")
	// The host's xenbind, also when the tests run as another GOARCH.
	build.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building xenbind: %v\n%s", err, out)
	}
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "//go:generate go run ../../../cmd/xenbind "
	var args []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			args = strings.Fields(rest)
		}
	}
	if len(args) == 0 || args[len(args)-1] != "." || args[len(args)-2] != "-out" {
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
		t.Errorf("%d generated files, %d committed", len(fresh), len(committed))
	}
	for _, f := range fresh {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./runtime/xenstore/xswire)", filepath.Base(f), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./runtime/xenstore/xswire", filepath.Base(f))
		}
	}
}
