package emit_test

import (
	"bytes"
	"flag"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"

	"github.com/xenbind/xenbind/emit"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

var update = flag.Bool("update", false, "rewrite the out/ files of ../golden/gen/*.txtar")

// A golden archive holds a fixture header tree (xen.h, ...), optionally a
// xenbind.conf, the expected output as out/<file>, and tests of the
// generated code as test/<file>_test.go.
const goldenDir = "../golden/gen"

type goldenCase struct {
	name    string
	path    string
	archive *txtar.Archive
	files   []emit.File
	reports []string
}

func loadGoldens(t *testing.T) []*goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no goldens in %s: %v", goldenDir, err)
	}
	var cases []*goldenCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, archive: a}
		c.files, c.reports = generate(t, c)
		cases = append(cases, c)
	}
	return cases
}

func generate(t *testing.T, c *goldenCase) ([]emit.File, []string) {
	t.Helper()
	tree := fstest.MapFS{}
	cfg := emit.DefaultConfig()
	for _, f := range c.archive.Files {
		switch {
		case f.Name == "xenbind.conf":
			var err error
			if cfg, err = emit.ParseConfig(c.name+"/xenbind.conf", f.Data); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(f.Name, "out/"), strings.HasPrefix(f.Name, "test/"):
		default:
			tree[f.Name] = &fstest.MapFile{Data: f.Data}
		}
	}
	layouts, err := layout.ForTargets(parser.Config{Tree: tree, TreeName: c.name, Mode: parser.Tools}, parser.Targets)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	files, reports, err := emit.Host(layouts, emit.Options{Package: c.name, Invocation: "xenbind gen -mode tools", Config: cfg})
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	for _, f := range files {
		if b, err := format.Source(f.Data); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s/%s: not gofmt-clean (%v)", c.name, f.Name, err)
		}
	}
	var notes []string
	for _, r := range reports {
		notes = append(notes, r.Text)
	}
	return files, notes
}

// TestGoldens compares the generator's output with the archives, or
// rewrites them with -update.
func TestGoldens(t *testing.T) {
	for _, c := range loadGoldens(t) {
		t.Run(c.name, func(t *testing.T) {
			want := map[string][]byte{}
			var kept []txtar.File
			for _, f := range c.archive.Files {
				if name, ok := strings.CutPrefix(f.Name, "out/"); ok {
					want[name] = f.Data
				} else {
					kept = append(kept, f)
				}
			}
			if *update {
				for _, r := range c.reports {
					kept = append(kept, txtar.File{Name: "out/reports.txt", Data: []byte(r + "\n")})
				}
				for _, f := range c.files {
					kept = append(kept, txtar.File{Name: "out/" + f.Name, Data: f.Data})
				}
				c.archive.Files = mergeReports(kept)
				if err := os.WriteFile(c.path, txtar.Format(c.archive), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if r := strings.Join(c.reports, "\n"); len(c.reports) > 0 || want["reports.txt"] != nil {
				if got := strings.TrimSpace(string(want["reports.txt"])); got != r {
					t.Errorf("reports:\n%s\nwant:\n%s", r, got)
				}
			}
			delete(want, "reports.txt")
			for _, f := range c.files {
				w, ok := want[f.Name]
				if !ok {
					t.Errorf("%s: generated but not in the golden (go test ./emit -update)", f.Name)
					continue
				}
				if !bytes.Equal(w, f.Data) {
					t.Errorf("%s differs from the golden (go test ./emit -update to accept):\n%s", f.Name, diffLine(w, f.Data))
				}
				delete(want, f.Name)
			}
			for name := range want {
				t.Errorf("%s: in the golden but not generated", name)
			}
		})
	}
}

func mergeReports(files []txtar.File) []txtar.File {
	var out []txtar.File
	var reports []byte
	at := -1
	for _, f := range files {
		if f.Name == "out/reports.txt" {
			if at < 0 {
				at = len(out)
				out = append(out, f)
			}
			reports = append(reports, f.Data...)
			continue
		}
		out = append(out, f)
	}
	if at >= 0 {
		out[at].Data = reports
	}
	return out
}

func diffLine(want, got []byte) string {
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
			return "line " + strconv.Itoa(i+1) + ":\n  golden:    " + w + "\n  generated: " + g
		}
	}
	return ""
}

// writeModule writes every golden's output and tests into a module of one
// package per golden, and returns its directory.
func writeModule(t *testing.T, cases []*goldenCase) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module goldens\n\ngo 1.24\n"))
	for _, c := range cases {
		for _, f := range c.files {
			write(filepath.Join(c.name, f.Name), f.Data)
		}
		for _, f := range c.archive.Files {
			if name, ok := strings.CutPrefix(f.Name, "test/"); ok {
				write(filepath.Join(c.name, name), f.Data)
			}
		}
	}
	return dir
}

func goCmd(t *testing.T, dir, goarch string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=-mod=mod")
	return cmd.CombinedOutput()
}

// TestGoldensBuild vets the generated code of every golden for all four
// GOARCH (the layout guards run at compile time), and runs the goldens'
// own tests natively.
func TestGoldensBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the goldens for four GOARCH")
	}
	dir := writeModule(t, loadGoldens(t))
	for _, goarch := range []string{"386", "amd64", "arm", "arm64"} {
		if out, err := goCmd(t, dir, goarch, "vet", "./..."); err != nil {
			t.Errorf("GOARCH=%s go vet: %v\n%s", goarch, err, out)
		}
	}
	for _, goarch := range []string{runtime.GOARCH, "386"} {
		if runtime.GOARCH != "amd64" && goarch == "386" {
			continue
		}
		if out, err := goCmd(t, dir, goarch, "test", "./..."); err != nil {
			t.Errorf("GOARCH=%s go test: %v\n%s", goarch, err, out)
		}
	}
}

// TestWrongLayoutBreaksBuild shows the guards at work: one padding byte
// too few on one architecture makes that architecture's build fail at the
// guard, and only that one.
func TestWrongLayoutBreaksBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code")
	}
	var c *goldenCase
	for _, g := range loadGoldens(t) {
		if g.name == "arch" {
			c = g
		}
	}
	if c == nil {
		t.Fatal("no arch golden")
	}
	broken := false
	for i, f := range c.files {
		if f.Name != "ztypes_arm.go" {
			continue
		}
		// struct mixed: arm32 has 4 bytes of padding before b; with 8, b
		// moves to offset 12.
		src := string(f.Data)
		if !strings.Contains(src, "_ [4]byte") {
			t.Fatalf("ztypes_arm.go has no 4-byte padding to break:\n%s", src)
		}
		c.files[i].Data = []byte(strings.Replace(src, "_ [4]byte", "_ [8]byte", 1))
		broken = true
	}
	if !broken {
		t.Fatal("no ztypes_arm.go in the arch golden")
	}
	dir := writeModule(t, []*goldenCase{c})
	out, err := goCmd(t, dir, "arm", "build", "./...")
	if err == nil {
		t.Fatalf("GOARCH=arm build of a wrong layout succeeded")
	}
	if !strings.Contains(string(out), "ztypes_arm.go") || !(strings.Contains(string(out), "out of bounds") || strings.Contains(string(out), "out of range") || strings.Contains(string(out), "overflows")) {
		t.Errorf("the build failed, but not at a guard:\n%s", out)
	}
	t.Logf("GOARCH=arm build fails as it should:\n%s", out)
	if out, err := goCmd(t, dir, "amd64", "build", "./..."); err != nil {
		t.Errorf("GOARCH=amd64 build broke too: %v\n%s", err, out)
	}
}
