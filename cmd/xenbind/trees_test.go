package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xenbind/xenbind/headers"
)

// TestDebianTrees generates every Xen tree Debian serves (libxen-dev 4.14,
// 4.17 and 4.20, pinned in headers/manifest.txt and fetched at test time)
// in both modes, with the default headers and with -include all, and vets
// the twelve packages for the four GOARCH. Each run's wrappers, notes and
// time are logged (go test -v) for the table in the note.
func TestDebianTrees(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 12 packages and vets them for four GOARCH")
	}
	repo := repoRoot()
	mod := t.TempDir()
	must(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/trees\n\ngo 1.24\n\nrequire github.com/xenbind/xenbind v0.0.0\n\nreplace github.com/xenbind/xenbind => "+repo+"\n"), 0o644))
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644))
	for _, d := range headers.XenDebs {
		tree, err := headers.XenTree(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		rel := strings.ReplaceAll(headers.XenRelease(d.Version), ".", "")
		for _, mode := range []string{"guest", "tools"} {
			for _, inc := range []string{"", "all"} {
				pkg := fmt.Sprintf("x%s%s%s", rel, mode, inc)
				args := []string{"gen", "-headers", tree, "-mode", mode, "-out", filepath.Join(mod, pkg)}
				if inc != "" {
					args = append(args, "-include", inc)
				}
				start := time.Now()
				r := xenbind(t, mod, args...)
				if r.code != 0 {
					t.Errorf("Xen %s %s %s: exit %d:\n%s", d.Version, mode, inc, r.code, r.stderr)
					continue
				}
				calls, _ := filepath.Glob(filepath.Join(mod, pkg, "zcalls*.go"))
				funcs := map[string]bool{}
				for _, c := range calls {
					b, err := os.ReadFile(c)
					must(t, err)
					for _, l := range strings.Split(string(b), "\n") {
						if name, ok := strings.CutPrefix(l, "func "); ok {
							funcs[name[:strings.IndexByte(name, '(')]] = true
						}
					}
				}
				t.Logf("Xen %s %s include=%q: %d functions, %d notes, %v", d.Version, mode, inc, len(funcs), strings.Count(r.stderr, "note:"), time.Since(start).Round(10*time.Millisecond))
				if len(funcs) < 50 {
					t.Errorf("Xen %s %s %s: only %d functions", d.Version, mode, inc, len(funcs))
				}
				if headers.XenRelease(d.Version) == "4.20" && inc == "all" && !funcs["XenverExtraversion2"] {
					t.Errorf("Xen %s %s %s: no XenverExtraversion2", d.Version, mode, inc)
				}
			}
		}
	}
	for _, goarch := range []string{"386", "amd64", "arm", "arm64"} {
		cmd := exec.Command("go", "vet", "./...")
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOARCH=%s go vet: %v\n%s", goarch, err, out)
		}
	}
}
