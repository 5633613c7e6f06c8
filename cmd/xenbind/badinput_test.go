package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounds every bad input must stay within, the C front end's child
// process included.
const (
	// badInputTime bounds the CPU time (user and system) of xenbind and
	// the children it waited for: like the front end's own time limit, it
	// does not depend on how loaded the machine is. badInputWall is the
	// wall-clock backstop.
	badInputTime   = 15 * time.Second
	badInputWall   = 3 * time.Minute
	badInputMemory = 1536 << 20 // bytes of peak resident memory
	// badInputCPU is the C front end's time limit (-parse-timeout), which
	// counts CPU time: the loopers reach it.
	badInputCPU = 2 * time.Second
)

// badInput is one hostile or merely broken input.
type badInput struct {
	name  string
	files map[string]string // the header tree; xen-compat.h is added
	args  []string          // after "layout -headers DIR" (or "gen ... -out OUT")
	gen   bool              // run gen into an -out holding an older output
	conf  string            // a -config file for gen
	want  string            // regexp the message must match; DIR is the tree
}

func deepParens(n int) string {
	return strings.Repeat("(", n) + "1" + strings.Repeat(")", n)
}

func includeChain(n int) map[string]string {
	m := map[string]string{"xen.h": "#include \"h0.h\"\n"}
	for i := range n {
		m[fmt.Sprintf("h%d.h", i)] = fmt.Sprintf("#include \"h%d.h\"\nint v%d;\n", i+1, i)
	}
	m[fmt.Sprintf("h%d.h", n)] = "int end;\n"
	return m
}

func withXenH(m map[string]string) map[string]string {
	out := map[string]string{"xen.h": "typedef unsigned long xen_ulong_t;\n"}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func expansionBomb() string {
	var b strings.Builder
	b.WriteString("#define B0 x x x x x x x x x x\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "#define B%d B%d B%d B%d B%d B%d B%d B%d B%d B%d B%d\n", i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("int a = B12;\n")
	return b.String()
}

// loopers are one-line headers cc/v4 loops on: only the limits stop them.
var loopers = map[string]string{
	"const.h":  "int * __const;\n",
	"macro.h":  "#define P *\nint P;\n",
	"quote.h":  "*\nd'",
	"const2.h": "struct s { int a; } * const;\n",
	"vol.h":    "int * volatile __const;\n",
	"attr.h":   "#define Q *\nstruct t { int Q; };\n",
}

var badInputs = []badInput{
	// Runaway parses: stopped, with the file named.
	{name: "include cycle", files: map[string]string{"xen.h": "#include \"a.h\"\n", "a.h": "int a;\n#include \"b.h\"\n", "b.h": "int b;\n#include \"a.h\"\n"},
		want: `DIR/[ab]\.h:2:1: #include nested too deeply \(more than 200 levels\): xen\.h -> a\.h -> b\.h -> a\.h -> \.\.\.`},
	{name: "self include", files: map[string]string{"xen.h": "#include \"xen.h\"\n"}, want: `DIR/xen\.h:1:1: #include nested too deeply`},
	{name: "include chain 250 deep", files: includeChain(250), want: `DIR/h\d+\.h:1:1: #include nested too deeply \(more than 200 levels\): xen\.h -> h0\.h -> h1\.h`},
	{name: "int * __const", files: map[string]string{"xen.h": loopers["const.h"]}, want: `DIR/xen\.h: the C front end stopped after reading this file`},
	{name: "macro star", files: map[string]string{"xen.h": loopers["macro.h"]}, want: `DIR/xen\.h: the C front end stopped`},
	{name: "star quote", files: map[string]string{"xen.h": loopers["quote.h"]}, want: `DIR/xen\.h: the C front end stopped`},
	{name: "struct star const", files: map[string]string{"xen.h": loopers["const2.h"]}, want: `DIR/xen\.h:1:21: '\*' declares nothing`},
	{name: "looper in an included file", files: map[string]string{"xen.h": "int x;\n#include \"a.h\"\n", "a.h": loopers["macro.h"]}, want: `DIR/a\.h: the C front end stopped`},
	{name: "include all over six loopers", files: withXenH(loopers), args: []string{"-include", "all"}, want: `DIR/\w+\.h: the C front end stopped`},
	{name: "int *;", files: map[string]string{"xen.h": "int *;\n"}, want: `DIR/xen\.h:1:5: '\*' declares nothing`},
	{name: "member *", files: map[string]string{"xen.h": "struct s { int * };\n"}, want: `DIR/xen\.h:1:16: '\*' declares nothing`},
	{name: "attribute star", files: map[string]string{"xen.h": "int * __attribute__((x));\n"}, want: `DIR/xen\.h:1:5: '\*' declares nothing`},
	{name: "ends in a declarator", files: map[string]string{"xen.h": "struct s { int a; } *"}, want: `DIR/xen\.h:1:21: the file ends inside a declarator`},
	// Nesting: positioned errors, not a stack overflow.
	{name: "100000 parentheses in a macro", files: map[string]string{"xen.h": "#define X " + deepParens(100000) + "\nchar a[X];\n"}, want: `DIR/xen\.h:1:\d+: brackets nested too deeply \(more than 256 levels\)`},
	{name: "80000 parentheses", files: map[string]string{"xen.h": "char a[" + deepParens(80000) + "];\n"}, want: `DIR/xen\.h:1:\d+: brackets nested too deeply`},
	{name: "deep braces", files: map[string]string{"xen.h": strings.Repeat("struct { ", 300) + strings.Repeat("} ", 300) + ";\n"}, want: `DIR/xen\.h:1:\d+: brackets nested too deeply`},
	{name: "deep brackets", files: map[string]string{"xen.h": "int a" + strings.Repeat("[1]", 100) + "[" + strings.Repeat("[", 300) + ";\n"}, want: `DIR/xen\.h:1:\d+: brackets nested too deeply`},
	// Sizes that overflow: positioned errors, never a wrapped size.
	{name: "array of 2^63-1", files: map[string]string{"xen.h": "struct s { char a[0x7fffffffffffffff]; char b[2]; };\n"}, want: `DIR/xen\.h:1:17: struct s: member a: size of array char\[9223372036854775807\] is too large`},
	{name: "four arrays of 2^62", files: map[string]string{"xen.h": "struct s { char a[1ULL<<62]; char b[1ULL<<62]; char c[1ULL<<62]; char d[1ULL<<62]; };\n"}, want: `DIR/xen\.h:1:17: struct s: member a: size of array`},
	{name: "record past 2^31 on x86_32", files: map[string]string{"xen.h": "struct s { char a[0x7fffffff]; int b; };\n"}, args: []string{"-target", "x86_32"}, want: `DIR/xen\.h:1:36: struct s: member b: the record is too large`},
	{name: "array of records past 2^60", files: map[string]string{"xen.h": "struct s { char a[1ULL<<40]; };\nstruct t { struct s x[1ULL<<30]; };\n"}, want: `DIR/xen\.h:2:21: struct t: member x: size of array struct s\[1073741824\] is too large`},
	{name: "integer literal too large", files: map[string]string{"xen.h": "struct v { char a[99999999999999999999999]; };\n"}, want: `DIR/xen\.h:1:19: integer constant 99999999999999999999999 is too large`},
	{name: "enumerator too large", files: map[string]string{"xen.h": "enum e { A = 99999999999999999999999 };\n"}, want: `DIR/xen\.h:1:14: integer constant 99999999999999999999999 is too large`},
	// Plain syntax and semantic errors.
	{name: "unterminated comment", files: map[string]string{"xen.h": "int a;\n/* no end\n"}, want: `DIR/xen\.h:2:1: `},
	{name: "unterminated string", files: map[string]string{"xen.h": "char *s = \"abc;\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "#error", files: map[string]string{"xen.h": "#error stop here\n"}, want: `DIR/xen\.h:1:2: stop here`},
	{name: "missing include", files: map[string]string{"xen.h": "#include \"nope.h\"\n"}, want: `DIR/xen\.h:1:10: include file not found: "nope\.h"`},
	{name: "unbalanced #if", files: map[string]string{"xen.h": "#if 1\nint a;\n"}, want: `DIR/xen\.h:\d+:\d+: `},
	{name: "unclosed struct", files: map[string]string{"xen.h": "struct s {\n int a;\n"}, want: `DIR/xen\.h:\d+:\d+: `},
	{name: "bit-field too wide", files: map[string]string{"xen.h": "struct s { int a:40; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "negative array size", files: map[string]string{"xen.h": "struct s { char a[-1]; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "flexible array not last", files: map[string]string{"xen.h": "struct s { int n; char a[]; int b; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "incomplete member", files: map[string]string{"xen.h": "struct s { struct nope x; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "record contains itself", files: map[string]string{"xen.h": "struct s { struct s x; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "duplicate member", files: map[string]string{"xen.h": "struct s { int a; int a; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "struct defined twice", files: map[string]string{"xen.h": "struct s { int a; };\nstruct s { int b; };\n"}, want: `DIR/xen\.h:2:\d+: `},
	{name: "bad macro call", files: map[string]string{"xen.h": "#define F(x) x\nint a[F(];\n"}, want: `DIR/xen\.h:2:\d+: `},
	{name: "pragma pack(3)", files: map[string]string{"xen.h": "#pragma pack(3)\nstruct s { int a; };\n"}, want: `DIR/xen\.h:1:\d+: malformed #pragma pack`},
	{name: "pragma pack(push, 1000)", files: map[string]string{"xen.h": "#pragma pack(push, 1000)\nstruct s { int a; };\n"}, want: `DIR/xen\.h:1:\d+: malformed #pragma pack`},
	{name: "binary garbage", files: map[string]string{"xen.h": "\x00\xff\xfe\x01int\x00 a;\x7f\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "division by zero", files: map[string]string{"xen.h": "struct s { char a[1/0]; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "undefined type", files: map[string]string{"xen.h": "struct s { foo_t x; };\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "static assert", files: map[string]string{"xen.h": "_Static_assert(0, \"no\");\n"}, want: `DIR/xen\.h:1:\d+: `},
	{name: "macro expansion bomb", files: map[string]string{"xen.h": expansionBomb()}, want: `DIR/xen\.h:\d+:\d+: `},
	// gen: errors leave -out as it was.
	{name: "gen: looping header", gen: true, files: map[string]string{"xen.h": loopers["macro.h"]}, want: `DIR/xen\.h: the C front end stopped`},
	{name: "gen: include cycle", gen: true, files: map[string]string{"xen.h": "#include \"xen.h\"\n"}, want: `DIR/xen\.h:1:1: #include nested too deeply`},
	{name: "gen: directory in the way", gen: true, files: map[string]string{"xen.h": "struct s { int a; };\n"}, want: `output: .*ztypes_amd64\.go is in the way`},
	{name: "gen: config line over 64 KiB", gen: true, files: map[string]string{"xen.h": "struct s { int a; };\n"},
		conf: "# " + strings.Repeat("x", 70000) + "\nskip XENMEM_*\n", want: `CONF:2: skip XENMEM_\*: the headers declare nothing by that name`},
	{name: "gen: duplicate rename", gen: true, files: map[string]string{"xen.h": "struct s { int a; };\n"},
		conf: "rename struct s A\nrename struct s B\n", want: `CONF:2: struct s is renamed twice \(first on line 1\)`},
	{name: "gen: rename onto a taken name", gen: true, files: map[string]string{"xen.h": "struct s { int a; };\nstruct t { int b; };\n"},
		conf: "rename struct s T\n", want: `CONF:1: rename struct s: Go name T is taken by struct t`},
	{name: "gen: rename of nothing", gen: true, files: map[string]string{"xen.h": "struct s { int a; };\n"},
		conf: "rename struct nope N\n", want: `CONF:1: rename struct nope: the headers declare no struct nope`},
}

// TestBadInput runs xenbind on every bad input: each ends within
// badInputTime and badInputMemory (the C front end's child included),
// exits 1 with a message naming the file, and never panics or crashes;
// a failed gen leaves -out byte-identical.
func TestBadInput(t *testing.T) {
	if len(badInputs) < 40 {
		t.Fatalf("%d bad inputs; the suite promises at least 40", len(badInputs))
	}
	older := olderOutput(t)
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			must(t, os.MkdirAll(tree, 0o755))
			must(t, os.WriteFile(filepath.Join(tree, "xen-compat.h"), []byte("#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n"), 0o644))
			for name, text := range tt.files {
				must(t, os.WriteFile(filepath.Join(tree, name), []byte(text), 0o644))
			}
			args := []string{"layout", "-headers", tree, "-mode", "tools"}
			var out, conf string
			if tt.gen {
				out = filepath.Join(dir, "out")
				copyDir(t, older, out)
				if strings.Contains(tt.name, "in the way") {
					must(t, os.Remove(filepath.Join(out, "ztypes_amd64.go")))
					must(t, os.Mkdir(filepath.Join(out, "ztypes_amd64.go"), 0o755))
				}
				args = []string{"gen", "-headers", tree, "-mode", "tools", "-include", "xen.h", "-out", out}
				if tt.conf != "" {
					conf = filepath.Join(dir, "x.conf")
					must(t, os.WriteFile(conf, []byte(tt.conf), 0o644))
					args = append(args, "-config", conf)
				}
			} else if !hasFlag(tt.args, "-target") {
				args = append(args, "-target", "x86_64")
			}
			if !hasFlag(tt.args, "-include") && !tt.gen {
				args = append(args, "-include", "xen.h")
			}
			// A lower limit than the default 10 s keeps the suite's
			// loopers (run in parallel) quick on two cores.
			args = append(args, "-parse-timeout", badInputCPU.String())
			args = append(args, tt.args...)
			var before map[string]string
			if out != "" {
				before = dirSnapshot(t, out)
			}
			code, stderr, rss, elapsed := runBounded(t, args)
			want := strings.NewReplacer("DIR", regexp.QuoteMeta(tree), "CONF", regexp.QuoteMeta(conf)).Replace(tt.want)
			switch {
			case code != 1:
				t.Errorf("exit status %d, want 1; stderr:\n%s", code, stderr)
			case !regexp.MustCompile(want).MatchString(stderr):
				t.Errorf("stderr does not match %s:\n%s", want, stderr)
			case strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "fatal error"):
				t.Errorf("crashed:\n%s", stderr)
			}
			if out != "" {
				if d := snapshotDiff(dirSnapshot(t, out), before); d != "" {
					t.Errorf("-out changed: %s", d)
				}
			}
			t.Logf("%v CPU, %d MiB peak: %s", elapsed.Round(time.Millisecond), rss>>20, firstLine(stderr))
		})
	}
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 160 {
		l = l[:160] + "..."
	}
	return l
}

// runBounded runs xenbind, killing it at badInputWall, and returns its
// exit status, stderr, the peak resident memory of it and of the
// processes it waited for (the C front end's child), and the CPU time
// they took, which must stay within badInputTime.
func runBounded(t *testing.T, args []string) (int, string, int64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), badInputWall)
	defer cancel()
	cmd := exec.CommandContext(ctx, xenbindBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("still running after %v, killed", badInputWall)
	}
	// From wait4, the times cover the process and the children it
	// waited for.
	elapsed := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if elapsed > badInputTime {
		t.Errorf("%v of CPU time, over the %v bound", elapsed.Round(time.Millisecond), badInputTime)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// On Linux ru_maxrss is in KiB and, from wait4, covers the
		// process and the children it waited for.
		rss = int64(ru.Maxrss) << 10
	}
	if rss > badInputMemory {
		t.Errorf("peak resident memory %d MiB, over the %d MiB bound", rss>>20, badInputMemory>>20)
	}
	return code, stderr.String(), rss, elapsed
}

// olderOutput generates an output for gen cases to fail over.
func olderOutput(t *testing.T) string {
	t.Helper()
	tree := writeTree(t, "struct old { int a; long b; };\n#define OLD 1\n")
	out := filepath.Join(t.TempDir(), "out")
	if r := xenbind(t, tree, "gen", "-headers", tree, "-mode", "tools", "-include", "xen.h", "-out", out); r.code != 0 {
		t.Fatalf("gen of the older output: %s", r.stderr)
	}
	return out
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	must(t, os.MkdirAll(to, 0o755))
	ents, err := os.ReadDir(from)
	must(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o644))
	}
}

// dirSnapshot reads every entry of dir, hidden ones and directories too.
func dirSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	}))
	return out
}

func snapshotDiff(got, want map[string]string) string {
	var d []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != v {
			d = append(d, "changed "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	return strings.Join(d, ", ")
}

// TestGenKill kills xenbind gen at random points while it replaces an
// older output; after each kill and one more gen, the directory holds
// exactly the new output and nothing else. (emit's TestWriteDirKill
// kills the writer itself many more times, in every phase.)
func TestGenKill(t *testing.T) {
	runs := 12
	if testing.Short() {
		runs = 3
	}
	oldTree := writeTree(t, "struct a { int x; long y; };\nstruct gone { char c; };\n#define A 1\n")
	newTree := writeTree(t, "struct a { int x; long y; char z[3]; };\nstruct b { short s; };\n#define A 2\n#define B 3\n")
	gen := func(tree, out string) *exec.Cmd {
		return exec.Command(xenbindBin, "gen", "-headers", tree, "-mode", "tools", "-include", "xen.h", "-pkg", "out", "-out", out)
	}
	// The new output, written into an empty directory, and how long a
	// whole gen takes: kills are spread over that span.
	want := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	if b, err := gen(newTree, want).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	span := time.Since(start)
	wantSnap := dirSnapshot(t, want)
	old := filepath.Join(t.TempDir(), "out")
	if b, err := gen(oldTree, old).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for i := range runs {
		out := filepath.Join(t.TempDir(), "out")
		copyDir(t, old, out)
		cmd := gen(newTree, out)
		must(t, cmd.Start())
		at := time.Duration(rand.Int64N(int64(span) * 6 / 5))
		time.Sleep(at)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if b, err := gen(newTree, out).CombinedOutput(); err != nil {
			t.Fatalf("run %d: gen after the kill: %v: %s", i, err, b)
		}
		if d := snapshotDiff(dirSnapshot(t, out), wantSnap); d != "" {
			t.Fatalf("run %d (killed after %v): %s", i, at, d)
		}
	}
	t.Logf("%d kills at random points of a %v gen", runs, span.Round(time.Millisecond))
}

// TestGenRepairsWhenUpToDate: a gen that finds its output up to date still
// repairs what a killed gen left (here a staging directory), so no
// temporary file outlives it.
func TestGenRepairsWhenUpToDate(t *testing.T) {
	tree := writeTree(t, "struct a { int x; };\n")
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"gen", "-headers", tree, "-mode", "tools", "-include", "xen.h", "-pkg", "out", "-out", out}
	if r := xenbind(t, tree, args...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	want := dirSnapshot(t, out)
	must(t, os.Mkdir(filepath.Join(out, ".xenbind-stage"), 0o755))
	must(t, os.WriteFile(filepath.Join(out, ".xenbind-stage", "ztypes.go"), []byte("partial"), 0o644))
	r := xenbind(t, tree, args...)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if d := snapshotDiff(dirSnapshot(t, out), want); d != "" {
		t.Fatalf("%s (stderr: %s)", d, r.stderr)
	}
	t.Logf("second gen: %s", strings.TrimSpace(r.stderr))
}
