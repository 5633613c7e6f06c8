// Command genbench times xenbind against the tool Go users compare it
// with, side by side in one run on one machine: xenbind gen for xen.h,
// memory.h and grant_table.h, four targets, tools mode, with an empty
// cache (cold), for x86_64 alone (cold: the same one architecture as
// cgo -godefs), again over its own unchanged output (warm), and with a
// warm cache into a new directory; go tool cgo -godefs on a types file of
// the same headers' structs for amd64 alone; and xenbind layout -include
// all -target all, cold and warm. It prints the median, minimum and
// maximum wall time of each over -n rounds, the median CPU time (user and
// system, of the process and the children it waited for, which are all of
// xenbind's parser children: xenbind waits for them before it exits), the
// ratios to cgo -godefs in wall time and in CPU time (steadier on a shared
// machine), the peak memory of the largest process (xenbind or one of its
// children), and the load average before and after.
//
// "make bench" runs it. Timings need a quiet machine: the load average
// says how quiet it was.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

func main() {
	n := flag.Int("n", 7, "rounds: every command runs once per round")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintf(os.Stderr, "genbench: %v\n", err)
		os.Exit(1)
	}
}

// sample is one timed run.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user + system
	rss  int64         // peak resident set, KiB
}

// job is one command line timed each round.
type job struct {
	name string
	// prepare runs untimed before each run (emptying a cache, say).
	prepare func() error
	cmd     func() *exec.Cmd
	// check verifies a run's output; nil accepts any successful run.
	check   func(stderr string) error
	samples []sample
}

func run(rounds int) error {
	work, err := os.MkdirTemp("", "genbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	tree, err := headers.Tree()
	if err != nil {
		return err
	}
	bin := filepath.Join(work, "xenbind")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/xenbind").CombinedOutput(); err != nil {
		return fmt.Errorf("building xenbind: %v\n%s", err, out)
	}
	types, nstructs, err := typesFile(tree, work)
	if err != nil {
		return err
	}
	incDir := filepath.Dir(tree) // #include <xen/xen.h>
	coldCache := filepath.Join(work, "cache-cold")
	warmCache := filepath.Join(work, "cache-warm")
	out := func(name string) string { return filepath.Join(work, name) }
	xen := func(cacheDir string, args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "XENBIND_CACHE="+cacheDir)
		c.Dir = work
		return c
	}
	// The tree is named explicitly: without -headers xenbind keeps the
	// pinned tree in its cache directory, and an empty cache would mean
	// downloading it.
	genArgs := func(dir string) []string { return []string{"gen", "-headers", tree, "-mode", "tools", "-out", dir} }
	allArgs := []string{"layout", "-headers", tree, "-include", "all", "-target", "all"}
	reset := func(paths ...string) func() error {
		return func() error {
			for _, p := range paths {
				if err := os.RemoveAll(p); err != nil {
					return err
				}
			}
			return nil
		}
	}
	upToDate := func(stderr string) error {
		if !strings.Contains(stderr, "is up to date") {
			return errors.New("the warm gen did not find its output up to date")
		}
		return nil
	}
	regenerated := func(stderr string) error {
		if strings.Contains(stderr, "is up to date") {
			return errors.New("a cold gen found its output up to date")
		}
		return nil
	}
	// Prime the warm cache and the warm output.
	if msg, err := xen(warmCache, genArgs(out("warm"))...).CombinedOutput(); err != nil {
		return fmt.Errorf("xenbind gen: %v\n%s", err, msg)
	}
	if msg, err := xen(warmCache, allArgs...).CombinedOutput(); err != nil {
		return fmt.Errorf("xenbind layout -include all: %v\n%s", err, msg)
	}
	cgo := &job{name: fmt.Sprintf("go tool cgo -godefs (%d structs, amd64)", nstructs), cmd: func() *exec.Cmd {
		c := exec.Command("go", "tool", "cgo", "-godefs", "--", "-I"+incDir, types)
		c.Dir = work
		return c
	}}
	jobs := []*job{
		cgo,
		{name: "xenbind gen, cold (empty cache, new -out)", prepare: reset(coldCache, out("cold")),
			cmd: func() *exec.Cmd { return xen(coldCache, genArgs(out("cold"))...) }, check: regenerated},
		{name: "xenbind gen -targets x86_64, cold", prepare: reset(coldCache, out("one")),
			cmd: func() *exec.Cmd {
				return xen(coldCache, append(genArgs(out("one")), "-targets", "x86_64")...)
			}, check: regenerated},
		{name: "xenbind gen, warm (same inputs and -out)",
			cmd: func() *exec.Cmd { return xen(warmCache, genArgs(out("warm"))...) }, check: upToDate},
		{name: "xenbind gen, warm cache, new -out", prepare: reset(out("new")),
			cmd: func() *exec.Cmd { return xen(warmCache, genArgs(out("new"))...) }, check: regenerated},
		{name: "xenbind layout -include all -target all, cold", prepare: reset(coldCache),
			cmd: func() *exec.Cmd { return xen(coldCache, allArgs...) }},
		{name: "xenbind layout -include all -target all, warm",
			cmd: func() *exec.Cmd { return xen(warmCache, allArgs...) }},
	}
	load0 := loadavg()
	for range rounds {
		for _, j := range jobs {
			if j.prepare != nil {
				if err := j.prepare(); err != nil {
					return err
				}
			}
			s, stderr, err := timed(j.cmd())
			if err != nil {
				return fmt.Errorf("%s: %v\n%s", j.name, err, stderr)
			}
			if j.check != nil {
				if err := j.check(stderr); err != nil {
					return fmt.Errorf("%s: %v", j.name, err)
				}
			}
			j.samples = append(j.samples, s)
		}
	}
	load1 := loadavg()
	base := median(cgo.samples, func(s sample) time.Duration { return s.wall })
	baseCPU := median(cgo.samples, func(s sample) time.Duration { return s.cpu })
	fmt.Printf("%d rounds; load average before %s, after %s; %s\n\n", rounds, load0, load1, cpuInfo())
	fmt.Printf("%-50s %9s %9s %9s %9s %8s %8s %9s\n", "command", "median", "min", "max", "cpu med", "x cgo", "cpu x", "peak RSS")
	for _, j := range jobs {
		wall := func(s sample) time.Duration { return s.wall }
		med := median(j.samples, wall)
		lo := slices.MinFunc(j.samples, func(a, b sample) int { return int(a.wall - b.wall) }).wall
		hi := slices.MaxFunc(j.samples, func(a, b sample) int { return int(a.wall - b.wall) }).wall
		cpu := median(j.samples, func(s sample) time.Duration { return s.cpu })
		rss := slices.MaxFunc(j.samples, func(a, b sample) int { return int(a.rss - b.rss) }).rss
		fmt.Printf("%-50s %9s %9s %9s %9s %7.2fx %7.2fx %6.1f MB\n", j.name, ms(med), ms(lo), ms(hi), ms(cpu),
			float64(med)/float64(base), float64(cpu)/float64(baseCPU), float64(rss)/1024)
	}
	return nil
}

// timed runs c and returns its wall time, CPU time and peak memory.
func timed(c *exec.Cmd) (sample, string, error) {
	var stderr bytes.Buffer
	c.Stdout = nil
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, stderr.String(), err
	}
	s := sample{wall: wall, cpu: c.ProcessState.UserTime() + c.ProcessState.SystemTime()}
	s.rss = maxRSS(c.ProcessState)
	return s, stderr.String(), nil
}

// typesFile writes the types file cgo -godefs reads: one Go type for each
// tagged struct and union the three headers (and what they include)
// define for x86_64 in tools mode, the records gen emits.
func typesFile(tree, dir string) (string, int, error) {
	units, err := parser.ParseTargets(parser.Config{Tree: os.DirFS(tree), TreeName: "xen", Mode: parser.Tools, Includes: parser.DefaultIncludes}, []parser.Target{parser.X86_64})
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	b.WriteString("package xen\n\n/*\n#define __XEN_TOOLS__ 1\n#include <stdint.h>\n")
	for _, h := range parser.DefaultIncludes {
		fmt.Fprintf(&b, "#include <xen/%s>\n", h)
	}
	b.WriteString("*/\nimport \"C\"\n\n")
	n := 0
	for _, r := range units[0].Records {
		if r.Tag == "" || r.Parent != nil || !r.Complete() || strings.HasPrefix(r.Header, "/") {
			continue
		}
		fmt.Fprintf(&b, "type T_%s C.%s_%s\n", r.Tag, r.Kind, r.Tag)
		n++
	}
	p := filepath.Join(dir, "types.go")
	return p, n, os.WriteFile(p, []byte(b.String()), 0o644)
}

func median(s []sample, f func(sample) time.Duration) time.Duration {
	v := make([]time.Duration, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuInfo() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	n, model := 0, ""
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "processor") {
			n++
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" && model == "" {
			model = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", n, model)
}
