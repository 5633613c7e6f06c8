package generated

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotStale runs this package's go:generate lines with a freshly built
// xenbind into a temporary directory and compares the result with the
// committed files: a stale file is an ordinary test failure.
func TestNotStale(t *testing.T) {
	// Build xenbind for the machine, not for the GOARCH the tests run as
	// (make test-cross runs them as 386, arm and arm64 too).
	host, err := exec.Command("go", "env", "GOHOSTOS", "GOHOSTARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	hostEnv := strings.Fields(string(host))
	bin := filepath.Join(t.TempDir(), "xenbind")
	build := exec.Command("go", "build", "-o", bin, "../cmd/xenbind")
	build.Env = append(os.Environ(), "GOOS="+hostEnv[0], "GOARCH="+hostEnv[1])
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building xenbind: %v\n%s", err, out)
	}
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "//go:generate go run ../cmd/xenbind "
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		n++
		args := strings.Fields(rest)
		out := ""
		for i, a := range args {
			if a == "-out" && i+1 < len(args) {
				out = args[i+1]
			}
		}
		if out == "" {
			t.Fatalf("go:generate line without -out: %s", line)
		}
		tmp := t.TempDir()
		cmd := exec.Command(bin, args...)
		cmd.Dir = tmp
		if args[0] == "dispatch" {
			// dispatch reads the committed per-release packages, named
			// relative to this directory, and records -out by its base
			// name: run it here, writing into tmp.
			for i := range args {
				if i > 0 && args[i-1] == "-out" {
					args[i] = filepath.Join(tmp, out)
				}
			}
			cmd = exec.Command(bin, args...)
		}
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xenbind %s: %v\n%s", rest, err, msg)
		}
		compareDirs(t, filepath.Join(tmp, out), out)
	}
	if n == 0 {
		t.Fatal("no go:generate lines in generate.go")
	}
}

// compareDirs fails for every generated file that differs, is missing or
// is extra in committed.
func compareDirs(t *testing.T, fresh, committed string) {
	t.Helper()
	want := map[string][]byte{}
	ents, err := os.ReadDir(fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(fresh, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want[e.Name()] = b
	}
	ents, err = os.ReadDir(committed)
	if err != nil {
		t.Fatalf("%s: %v (run go generate ./generated)", committed, err)
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "z") || !strings.HasSuffix(name, ".go") {
			continue
		}
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Fatal(err)
		}
		if f, err := format.Source(got); err != nil || !bytes.Equal(f, got) {
			t.Errorf("%s/%s: not gofmt-clean (%v)", committed, name, err)
		}
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("%s/%s: not generated any more (run go generate ./generated)", committed, name)
		case !bytes.Equal(w, got):
			t.Errorf("%s/%s: stale (run go generate ./generated); first difference:\n%s", committed, name, firstDiff(w, got))
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s/%s: missing (run go generate ./generated)", committed, name)
	}
}

// firstDiff shows the first line where two files differ.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  generated: %s\n  committed: %s", i+1, w, g)
		}
	}
	return "(none)"
}
