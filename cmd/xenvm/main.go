// Command xenvm boots Xen under QEMU with Debian's kernel as dom0 and
// runs xenbind's integration tests (runtime/xenvm/itest) inside dom0,
// issuing real hypercalls. Its machines are Xen 4.17 (Debian 12) on
// x86_64, arm64 and arm32 and Xen 4.20 (Debian 13) on x86_64 and arm64.
// Each GOARCH's test binary is built once and the same file runs on every
// machine chosen whose dom0 runs it: one binary for both Xen releases.
// Its exit status is the tests'.
//
// Usage:
//
//	go run ./cmd/xenvm [flags]
//
// Flags:
//
//	-arch LIST   architectures to boot, comma-separated: x86_64, arm64,
//	             arm32, or all (default all)
//	-xen LIST    Xen releases to boot, comma-separated: 4.17, 4.20, or
//	             all (default all); with -arch, the machines of both
//	             lists, one after the other
//	-compat      also run a 32-bit test binary where dom0 can (GOARCH=386
//	             on x86_64, arm on arm64), in the same boot: it must get
//	             ENOTTY from every privcmd ioctl
//	-goarch LIST GOARCHes of the test binaries to build and run, instead
//	             of each machine's own; each machine runs those its dom0
//	             can
//	-bin LIST    ready-made test binaries to run instead of building
//	             (machines of one architecture only)
//	-run REGEXP  run only the tests matching REGEXP (-test.run)
//	-timeout D   time limit of each boot (default 3m)
//	-v           copy the console to standard output as it comes
//	-noservices  start no services in dom0 (by default /init starts
//	             Debian's C xenstored and waits for its socket first)
//
// The first run downloads the pinned Debian packages listed in
// runtime/xenvm/manifest.txt (apt-get download from bookworm's or trixie's
// main archive through a private sources list, checked against their
// SHA-256) and unpacks them below runtime/xenvm; if QEMU is missing it
// installs qemu-system-x86 or qemu-system-arm, which needs root. Each
// boot's console is kept in runtime/xenvm/out/ARCH-RELEASE.log.
//
// Exit status: 0 when every test passed, the failing test binary's status
// (1) when one failed or the machine did not get that far, 2 for a usage
// error.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/xenbind/xenbind/runtime/xenvm"
)

func main() {
	err := run(os.Args[1:])
	if err == nil {
		return
	}
	var status *exitStatus
	if errors.As(err, &status) {
		os.Exit(status.code)
	}
	fmt.Fprintf(os.Stderr, "xenvm: %v\n", err)
	var usage *usageError
	if errors.As(err, &usage) {
		os.Exit(2)
	}
	os.Exit(1)
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitStatus ends the command with code, its messages already printed.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func run(args []string) error {
	fl := flag.NewFlagSet("xenvm", flag.ContinueOnError)
	fl.SetOutput(os.Stderr)
	arch := fl.String("arch", "all", "architectures to boot: x86_64, arm64, arm32 or all, comma-separated")
	release := fl.String("xen", "all", "Xen releases to boot: 4.17, 4.20 or all, comma-separated")
	compat := fl.Bool("compat", false, "also run a 32-bit test binary where dom0 can (386 on x86_64, arm on arm64)")
	goarch := fl.String("goarch", "", "GOARCHes of the test binaries to build and run, comma-separated")
	bin := fl.String("bin", "", "ready-made test binaries to run, comma-separated (machines of one architecture only)")
	runRE := fl.String("run", "", "run only the tests matching this regular expression")
	timeout := fl.Duration("timeout", xenvm.DefaultTimeout, "time limit of each boot")
	verbose := fl.Bool("v", false, "copy the console to standard output")
	noServices := fl.Bool("noservices", false, "start no services (xenstored) in dom0 before the tests")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitStatus{2}
		}
		return &usageError{err.Error()}
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected arguments %q", fl.Args())}
	}

	all := func(s string) []string {
		if s == "all" {
			return nil
		}
		return split(s)
	}
	if *arch != "all" && len(split(*arch)) == 0 {
		return &usageError{"no architecture given"}
	}
	if *release != "all" && len(split(*release)) == 0 {
		return &usageError{"no Xen release given"}
	}
	machines, err := xenvm.Select(all(*arch), all(*release))
	if err != nil {
		return &usageError{err.Error()}
	}
	if *goarch != "" && *bin != "" {
		return &usageError{"-goarch and -bin exclude each other"}
	}
	if *bin != "" {
		for _, m := range machines {
			if m.Arch != machines[0].Arch {
				return &usageError{fmt.Sprintf("-bin needs machines of one architecture (have %s and %s): use -arch", machines[0].Arch, m.Arch)}
			}
		}
	}
	// What each machine runs, by GOARCH: its own, its 32-bit one with
	// -compat, or those of -goarch it can run.
	want := map[string][]string{}
	for _, m := range machines {
		switch {
		case *goarch != "":
			for _, g := range split(*goarch) {
				if m.Runs(g) {
					want[m.Name()] = append(want[m.Name()], g)
				}
			}
			if len(want[m.Name()]) == 0 {
				return &usageError{fmt.Sprintf("dom0 of %s runs none of GOARCH %s", m.Name(), *goarch)}
			}
		case *compat && m.Compat32 != "":
			want[m.Name()] = []string{m.GOARCH, m.Compat32}
		default:
			want[m.Name()] = []string{m.GOARCH}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Build each GOARCH once: every machine that runs it gets the same
	// files.
	builds := map[string]xenvm.Build{}
	hashes := map[string]string{} // test binary name -> sha256 of the file
	for _, p := range split(*bin) {
		if hashes[filepath.Base(p)], err = fileSHA256(p); err != nil {
			return err
		}
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "xenvm-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, m := range machines {
			for _, g := range want[m.Name()] {
				if _, ok := builds[g]; ok {
					continue
				}
				fmt.Fprintf(os.Stderr, "xenvm: building the integration tests and xeninfo for GOARCH=%s\n", g)
				b, err := xenvm.BuildFor(ctx, g, dir)
				if err != nil {
					return err
				}
				builds[g] = b
				if hashes[filepath.Base(b.Tests)], err = fileSHA256(b.Tests); err != nil {
					return err
				}
			}
		}
	}

	status := 0
	var summary []string
	ranOn := map[string][]string{}
	for _, m := range machines {
		cfg := xenvm.Config{
			Machine:    m,
			Binaries:   split(*bin),
			Timeout:    *timeout,
			Progress:   os.Stderr,
			NoServices: *noServices,
		}
		if *bin == "" {
			for _, g := range want[m.Name()] {
				cfg.Builds = append(cfg.Builds, builds[g])
			}
		}
		if *runRE != "" {
			cfg.TestArgs = []string{"-test.run=" + *runRE}
		}
		if *verbose {
			cfg.Console = os.Stdout
		}
		res, err := xenvm.Run(ctx, cfg)
		var boot *xenvm.BootError
		switch {
		case errors.As(err, &boot):
			fmt.Fprintf(os.Stderr, "xenvm: FAIL %v\n", err)
			if status == 0 {
				status = boot.Status()
			}
		case err != nil:
			return err
		}
		if res != nil {
			summary = append(summary, describe(res, err == nil))
			for _, r := range res.Tests {
				ranOn[r.Name] = append(ranOn[r.Name], m.Name())
				if want, ok := hashes[r.Name]; ok && r.SHA256 != want {
					fmt.Fprintf(os.Stderr, "xenvm: FAIL %s: dom0 hashed %s to %q, not %s, the file built here\n", m.Name(), r.Name, r.SHA256, want)
					if status == 0 {
						status = 1
					}
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	for _, s := range summary {
		fmt.Fprintln(os.Stderr, s)
	}
	for _, name := range slices.Sorted(maps.Keys(hashes)) {
		if len(ranOn[name]) > 0 {
			fmt.Fprintf(os.Stderr, "xenvm: %s (sha256 %.16s...) ran on %s, the same file on each\n", name, hashes[name], strings.Join(ranOn[name], ", "))
		}
	}
	if status != 0 {
		return &exitStatus{status}
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}

func describe(r *xenvm.Result, ok bool) string {
	verdict := "ok  "
	if !ok {
		verdict = "FAIL"
	}
	var tests []string
	for _, t := range r.Tests {
		tests = append(tests, fmt.Sprintf("%s=%d (%d passed, %d skipped)", t.Name, t.Status, len(t.Passed), len(t.Skipped)))
	}
	var services string
	for _, s := range r.Services {
		services += fmt.Sprintf(", %s ready after %s", s.Name, round(s.Wait))
	}
	return fmt.Sprintf("xenvm: %s %-10s Xen %s, boot %s%s, tests %s, total %s [%s]", verdict, r.Machine, r.XenVersion,
		round(r.Boot), services, round(r.Run), round(r.Total), strings.Join(tests, ", "))
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
