package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A recipe is one of the README's walk-throughs: between "<!-- recipe: NAME
// -->" and "<!-- end recipe -->", sh blocks are go commands to run in a
// fresh module and go blocks are files, named by their first comment line.
type recipe struct {
	name  string
	steps []step
}

type step struct {
	cmd  string // a shell line
	file string // or a file to write,
	data string // with this content
}

var (
	recipeRE = regexp.MustCompile(`(?s)<!-- recipe: ([\w-]+) -->\n(.*?)<!-- end recipe -->`)
	blockRE  = regexp.MustCompile("(?s)```(sh|go)\n(.*?)```")
	fileRE   = regexp.MustCompile(`^// ([\w./]+\.go)\b`)
)

func readmeRecipes(t *testing.T, readme string) []recipe {
	t.Helper()
	var out []recipe
	for _, m := range recipeRE.FindAllStringSubmatch(readme, -1) {
		r := recipe{name: m[1]}
		for _, b := range blockRE.FindAllStringSubmatch(m[2], -1) {
			if b[1] == "sh" {
				for _, line := range strings.Split(strings.TrimSpace(b[2]), "\n") {
					r.steps = append(r.steps, step{cmd: line})
				}
				continue
			}
			f := fileRE.FindStringSubmatch(b[2])
			if f == nil {
				t.Fatalf("recipe %s: a go block must start with a comment naming its file:\n%s", r.name, b[2])
			}
			r.steps = append(r.steps, step{file: f[1], data: b[2]})
		}
		out = append(out, r)
	}
	return out
}

// TestREADMERecipes runs the README's recipes as a user would, each in a
// throwaway module whose go.mod replaces xenbind with this checkout. Two
// things differ from a user's run, both because this checkout has no
// published version: after go mod init the test adds the requirement and
// the replace, and go get asks for the replaced v0.0.0 (from the local
// module cache) rather than the latest release.
func TestREADMERecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three modules with the go command")
	}
	repo := repoRoot()
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	recipes := readmeRecipes(t, string(readme))
	names := map[string]bool{}
	for _, r := range recipes {
		names[r.name] = true
	}
	for _, want := range []string{"ready-made", "go-tool", "go-run"} {
		if !names[want] {
			t.Errorf("README has no recipe %q", want)
		}
	}
	for _, r := range recipes {
		t.Run(r.name, func(t *testing.T) {
			mod := t.TempDir()
			for _, s := range r.steps {
				if s.file != "" {
					p := filepath.Join(mod, filepath.FromSlash(s.file))
					must(t, os.MkdirAll(filepath.Dir(p), 0o755))
					must(t, os.WriteFile(p, []byte(s.data), 0o644))
					continue
				}
				runRecipeLine(t, mod, repo, s.cmd)
			}
		})
	}
}

// runRecipeLine runs one sh line of a recipe: optional VAR=value
// assignments, then a go command.
func runRecipeLine(t *testing.T, mod, repo, line string) {
	t.Helper()
	f := strings.Fields(line)
	var env []string
	for len(f) > 0 && strings.Contains(f[0], "=") {
		env, f = append(env, f[0]), f[1:]
	}
	if len(f) == 0 || f[0] != "go" {
		t.Fatalf("recipe line %q: only go commands are run", line)
	}
	args := f[1:]
	if args[0] == "get" {
		for i, a := range args {
			if strings.HasPrefix(a, "github.com/xenbind/xenbind") && !strings.Contains(a, "@") {
				// The replaced version, without asking the proxy
				// about modules named like the package path.
				args[i] = a + "@v0.0.0"
				env = append(env, "GOPROXY=off")
			}
		}
	}
	goCmd(t, mod, env, args...)
	if args[0] == "mod" && args[1] == "init" {
		goCmd(t, mod, nil, "mod", "edit", "-require=github.com/xenbind/xenbind@v0.0.0", "-replace=github.com/xenbind/xenbind="+repo)
	}
}

func goCmd(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS="}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s go %s: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, out)
	}
}
