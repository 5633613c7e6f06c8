// Command crossbuild runs "go build ./..." without cgo for the GOOS/GOARCH
// pairs of "go tool dist list" that xenbind's packages can build for, and
// says why it leaves out the others.
//
// Usage (from the module root, as make cross-build runs it):
//
//	go run ./internal/cmd/crossbuild [-all] [-n]
//
// Pairs whose GOARCH is none of Xen's (layout.ABIs: 386, amd64, arm,
// arm64) are left out: the pinned headers define no ABI for them, so the
// generated packages, and what imports them, have no layout there. Where
// Go links only through cgo (iOS; Android but arm64), the go command says
// so, and crossbuild then builds the packages but not the commands
// (package main).
//
// By default it builds a representative subset: every GOOS once (its
// amd64 pair where it has one), because the files that differ by build
// constraint differ by GOOS; and every Xen GOARCH once outside Linux,
// because the per-GOARCH generated files and the host word size (32-bit
// overflows, x/sys/unix types) differ by GOARCH. Linux itself is vetted on
// all four GOARCHes by make vet. -all builds every pair; -n lists the pairs
// without building.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/xenbind/xenbind/layout"
)

type pair struct{ GOOS, GOARCH string }

func (p pair) String() string { return p.GOOS + "/" + p.GOARCH }

func main() {
	all := flag.Bool("all", false, "build every pair, not the representative subset")
	dry := flag.Bool("n", false, "list the pairs and what is left out, build nothing")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: crossbuild [-all] [-n]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*all, *dry); err != nil {
		fmt.Fprintln(os.Stderr, "crossbuild:", err)
		os.Exit(1)
	}
}

func run(all, dry bool) error {
	out, err := exec.Command("go", "tool", "dist", "list", "-json").Output()
	if err != nil {
		return fmt.Errorf("go tool dist list: %w", err)
	}
	var dist []pair
	if err := json.Unmarshal(out, &dist); err != nil {
		return fmt.Errorf("go tool dist list: %w", err)
	}
	xen := map[string]bool{}
	for _, a := range layout.ABIs {
		xen[a.GOARCH] = true
	}
	var pairs []pair
	for _, p := range dist {
		if !xen[p.GOARCH] {
			fmt.Printf("left out %s: Xen has no %s ABI in the pinned headers\n", p, p.GOARCH)
			continue
		}
		pairs = append(pairs, p)
	}
	if !all {
		pairs = subset(pairs)
	}
	var failed []string
	start := time.Now()
	for _, p := range pairs {
		if dry {
			fmt.Println(p)
			continue
		}
		t := time.Now()
		msg, err := build(p, "./...")
		note := ""
		if err != nil && bytes.Contains(msg, []byte("requires external (cgo) linking")) {
			note = " (packages but commands: linking needs cgo)"
			pkgs, lerr := libraries(p)
			if lerr != nil {
				return lerr
			}
			msg, err = build(p, pkgs...)
		}
		status := "ok"
		if err != nil {
			status = "FAIL"
			failed = append(failed, p.String())
		}
		fmt.Printf("go build %s%s: %s (%.1fs)\n", p, note, status, time.Since(t).Seconds())
		os.Stdout.Write(msg)
	}
	if !dry {
		fmt.Printf("%d pairs in %.1fs\n", len(pairs), time.Since(start).Seconds())
	}
	if len(failed) > 0 {
		return fmt.Errorf("go build failed for %s", strings.Join(failed, " "))
	}
	return nil
}

// subset picks every GOOS once (amd64 if it has it, else its first pair)
// and every GOARCH once on a GOOS other than Linux and Android (whose
// files are Linux's).
func subset(pairs []pair) []pair {
	var out []pair
	has := func(p pair) bool { return slices.Contains(out, p) }
	byOS := map[string][]pair{}
	var oses []string
	for _, p := range pairs {
		if byOS[p.GOOS] == nil {
			oses = append(oses, p.GOOS)
		}
		byOS[p.GOOS] = append(byOS[p.GOOS], p)
	}
	for _, os := range oses {
		pick := byOS[os][0]
		for _, p := range byOS[os] {
			if p.GOARCH == "amd64" {
				pick = p
			}
		}
		out = append(out, pick)
	}
	for _, a := range layout.ABIs {
		if slices.ContainsFunc(out, func(p pair) bool {
			return p.GOARCH == a.GOARCH && p.GOOS != "linux" && p.GOOS != "android"
		}) {
			continue
		}
		for _, p := range pairs {
			if p.GOARCH == a.GOARCH && p.GOOS != "linux" && p.GOOS != "android" && !has(p) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// build runs go build for p without cgo.
func build(p pair, pkgs ...string) ([]byte, error) {
	cmd := exec.Command("go", append([]string{"build"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.GOOS, "GOARCH="+p.GOARCH)
	return cmd.CombinedOutput()
}

// libraries lists the module's packages other than commands for p.
func libraries(p pair) ([]string, error) {
	cmd := exec.Command("go", "list", "-e", "-f", `{{if ne .Name "main"}}{{.ImportPath}}{{end}}`, "./...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.GOOS, "GOARCH="+p.GOARCH)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list for %s: %v\n%s", p, err, stderr.Bytes())
	}
	return strings.Fields(string(out)), nil
}
