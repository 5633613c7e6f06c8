package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// TestHostileInput runs inputs that crash or hang cc/v4 on its own: each
// must come back as a positioned error or a limit error naming the file.
func TestHostileInput(t *testing.T) {
	deep := "int a[" + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + "];\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"include cycle", map[string]string{"xen.h": "#include \"a.h\"\n", "a.h": "int a;\n#include \"b.h\"\n", "b.h": "\n#include \"a.h\"\n"},
			".h:2:1: #include nested too deeply (more than 200 levels): xen.h -> a.h -> b.h -> a.h -> ..."},
		{"self include", map[string]string{"xen.h": "#include \"xen.h\"\n"},
			"xen.h:1:1: #include nested too deeply (more than 200 levels): xen.h -> xen.h -> ..."},
		{"deep brackets", map[string]string{"xen.h": deep}, "xen.h:1:262: brackets nested too deeply (more than 256 levels)"},
		{"const star", map[string]string{"xen.h": "int * __const;\n"}, "xen.h: the C front end stopped after reading this file: it needed more than"},
		{"macro star", map[string]string{"xen.h": "#define P *\nint P;\n"}, "xen.h: the C front end stopped after reading this file"},
		{"star quote", map[string]string{"xen.h": "*\nd'"}, "xen.h"},
		{"deep macros", map[string]string{"xen.h": deepMacros(100000)}, "xen.h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := fstest.MapFS{}
			for n, s := range tt.files {
				tree[n] = &fstest.MapFile{Data: []byte(s)}
			}
			start := time.Now()
			_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Timeout: time.Second})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			t.Logf("%v (%v)", err, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestLimitErrorNotVerdict: a probe stopped at its time limit makes
// Standalone fail rather than drop the header.
func TestLimitErrorNotVerdict(t *testing.T) {
	// A tree on disk, which Standalone remembers in memory and in the
	// user cache: a second call must probe again, not find an answer.
	dir := t.TempDir()
	for name, text := range map[string]string{
		"xen.h":        "int x;\n",
		"xen-compat.h": "#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n",
		"ok.h":         "int ok;\n",
		"loop.h":       "int * __const;\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree := os.DirFS(dir)
	for i := range 2 {
		_, _, err := standalone(tree, "", X86_64, Tools, Limits{Timeout: time.Second})
		var le *LimitError
		if !errors.As(err, &le) || le.What != "time" || !strings.Contains(err.Error(), "loop.h") {
			t.Fatalf("call %d: got %v, want a time LimitError naming loop.h", i+1, err)
		}
	}
}

// deepMacros nests parentheses n deep through a chain of macros, which no
// per-file bracket count sees.
func deepMacros(n int) string {
	var b strings.Builder
	b.WriteString("#define A0 1\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "#define A%d (A%d)\n", i, i-1)
	}
	fmt.Fprintf(&b, "int x[A%d];\n", n)
	return b.String()
}

func TestMemoryLimit(t *testing.T) {
	tree := fstest.MapFS{"xen.h": {Data: []byte("int * __const;\n")}}
	_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Timeout: time.Minute, Memory: 200 << 20})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "memory" {
		t.Fatalf("got %v, want a memory LimitError", err)
	}
	t.Log(err)
}

// BenchmarkParseDefault parses the three default headers again and again:
// after the first, the child's verdict is remembered (child.go), so this
// measures the parse in this process.
func BenchmarkParseDefault(b *testing.B) {
	dir := tree(b)
	for range b.N {
		if _, err := Parse(Config{Tree: os.DirFS(dir), Target: X86_64, Mode: Tools, Includes: DefaultIncludes}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerdictCache: a remembered verdict is reused only while every file
// the child read is unchanged, and a file that appears where the
// preprocessor once found none counts as a change.
func TestVerdictCache(t *testing.T) {
	tree := fstest.MapFS{"xen.h": {Data: []byte("#include \"a.h\"\nint x;\n")}, "a.h": {Data: []byte("int a;\n")}}
	cfg := Config{Tree: tree, Target: ARM64, Mode: Tools, Timeout: time.Second}
	if _, err := Parse(cfg); err != nil {
		t.Fatal(err)
	}
	tree["a.h"] = &fstest.MapFile{Data: []byte("int a = ;\n")}
	if _, err := Parse(cfg); err == nil || !strings.Contains(err.Error(), "a.h:1:9") {
		t.Fatalf("changed a.h: got %v, want an error in a.h", err)
	}
	tree["a.h"] = &fstest.MapFile{Data: []byte("int a;\n")}
	if _, err := Parse(cfg); err != nil {
		t.Fatal(err)
	}
	if ok, err := cachedVerdict(tree, mustRequest(cfg)); !ok || err != nil {
		t.Fatalf("no remembered verdict: %v %v", ok, err)
	}
	// cc/v4 looks for a.h next to xen.h first: a new file on the quote
	// search path that it asked for before invalidates the verdict too.
	for name := range tree {
		delete(tree, name)
	}
	if ok, _ := cachedVerdict(tree, mustRequest(cfg)); ok {
		t.Fatal("verdict reused for a tree without its files")
	}
}

func mustRequest(cfg Config) string {
	b, _ := json.Marshal(childRequest{TreeName: cfg.TreeName, Target: cfg.Target, Mode: cfg.Mode, Includes: cfg.Includes, Dialect: cfg.Dialect, Eval: true})
	return string(b)
}

// TestTimeLimitIsCPUTime: a child that gets no CPU (stopped with SIGSTOP,
// as on a machine too loaded to run it) is not stopped at its time limit
// in wall-clock time; once it runs again, it is stopped after the limit
// in CPU time, and the error says so.
func TestTimeLimitIsCPUTime(t *testing.T) {
	if _, ok := cpuTime(os.Getpid()); !ok {
		t.Skip("no /proc/PID/stat: the time limit is wall-clock time here")
	}
	const limit = 300 * time.Millisecond
	var stoppedFor time.Duration
	var pid int
	tickHook = func(p int, wall time.Duration) {
		switch {
		case pid == 0:
			pid = p
			syscall.Kill(p, syscall.SIGSTOP)
		case stoppedFor == 0 && wall > 4*limit:
			// Far past the limit in wall-clock time, with next to no
			// CPU time used.
			stoppedFor = wall
			syscall.Kill(p, syscall.SIGCONT)
		}
	}
	defer func() { tickHook = nil }()
	tree := fstest.MapFS{"xen.h": {Data: []byte("#define P *\nint P;\n")}}
	_, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Timeout: limit})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "time" || !strings.Contains(err.Error(), "of CPU time") {
		t.Fatalf("got %v, want a CPU time LimitError", err)
	}
	if stoppedFor == 0 {
		t.Fatal("the child was stopped before it was resumed: the limit counted wall-clock time")
	}
	t.Log(err)
}

func TestTimeLimit(t *testing.T) {
	const d = time.Second
	tests := []struct {
		wall, cpu time.Duration
		haveCPU   bool
		clock     string
		over      bool
	}{
		{wall: 2 * d, cpu: d / 2, haveCPU: true},
		{wall: 2 * d, cpu: d + 1, haveCPU: true, clock: "CPU ", over: true},
		{wall: wallBackstop(d) + 1, cpu: 0, haveCPU: true, clock: "wall-clock ", over: true},
		{wall: d + 1, haveCPU: false, clock: "", over: true},
		{wall: d - 1, haveCPU: false},
	}
	for _, tt := range tests {
		_, clock, over := timeLimit(d, tt.wall, tt.cpu, tt.haveCPU)
		if over != tt.over || clock != tt.clock {
			t.Errorf("timeLimit(%v, wall %v, cpu %v, %v) = %q %v, want %q %v", d, tt.wall, tt.cpu, tt.haveCPU, clock, over, tt.clock, tt.over)
		}
	}
}

func TestStatCPU(t *testing.T) {
	// comm may hold spaces and parentheses.
	stat := "1234 (a) b (c) R 1 1234 1234 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 3 0 1000 0 0\n"
	got, ok := statCPU([]byte(stat))
	if !ok || got != 3250*time.Millisecond {
		t.Fatalf("statCPU = %v %v, want 3.25s", got, ok)
	}
	if _, ok := statCPU([]byte("1234 (a) R 1")); ok {
		t.Fatal("statCPU accepted a short line")
	}
}

// TestEndIdleWorkers: the children told to end exit without being waited
// for, and StopWorkers still reaps them, so that their CPU time counts as
// the parent's.
func TestEndIdleWorkers(t *testing.T) {
	StopWorkers()
	// Text no other test parses: a remembered verdict would start no child.
	tree := fstest.MapFS{"xen.h": {Data: []byte("int end_idle_workers;\n")}}
	if _, err := Parse(Config{Tree: tree, Target: X86_64, Mode: Tools, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	idle.Lock()
	list := append([]*worker(nil), idle.list...)
	idle.Unlock()
	if len(list) == 0 {
		t.Fatal("no idle child after a parse")
	}
	EndIdleWorkers()
	idle.Lock()
	n := len(idle.list)
	idle.Unlock()
	if n != 0 {
		t.Fatalf("%d idle children after EndIdleWorkers", n)
	}
	for _, w := range list {
		select {
		case <-w.exited:
		case <-time.After(10 * time.Second):
			t.Fatalf("child %d did not exit after EndIdleWorkers", w.cmd.Process.Pid)
		}
	}
	StopWorkers()
	var ru syscall.Rusage
	for _, w := range list {
		if w.cmd.ProcessState == nil {
			t.Fatalf("child %d was not reaped", w.cmd.Process.Pid)
		}
		// Reaped: the pid is no child of ours any more.
		if _, err := syscall.Wait4(w.cmd.Process.Pid, nil, syscall.WNOHANG, &ru); err == nil {
			t.Fatalf("child %d could still be waited for", w.cmd.Process.Pid)
		}
	}
	ending.Lock()
	left := len(ending.list)
	ending.Unlock()
	if left != 0 {
		t.Fatalf("%d ended children still listed after StopWorkers", left)
	}
}
