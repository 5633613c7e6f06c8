// Command xenvm boots Xen 4.17 under QEMU with Debian's kernel as dom0 and
// runs xenbind's integration tests (runtime/xenvm/itest) inside dom0,
// issuing real hypercalls. Its exit status is the tests'.
//
// Usage:
//
//	go run ./cmd/xenvm [flags]
//
// Flags:
//
//	-arch LIST   architectures to boot, comma-separated: x86_64, arm64,
//	             arm32, or all (default all); one after the other
//	-compat      also run a 32-bit test binary where dom0 can (GOARCH=386
//	             on x86_64, arm on arm64), in the same boot: it must get
//	             ENOTTY from every privcmd ioctl
//	-goarch LIST GOARCHes of the test binaries to build and run, instead
//	             of the machine's own (one -arch only)
//	-bin LIST    ready-made test binaries to run instead of building
//	             (one -arch only)
//	-run REGEXP  run only the tests matching REGEXP (-test.run)
//	-timeout D   time limit of each boot (default 3m)
//	-v           copy the console to standard output as it comes
//	-noservices  start no services in dom0 (by default /init starts
//	             Debian's C xenstored and waits for its socket first)
//
// The first run downloads the pinned Debian packages listed in
// runtime/xenvm/manifest.txt (apt-get download, checked against their
// SHA-256) and unpacks them below runtime/xenvm; if QEMU is missing it
// installs qemu-system-x86 or qemu-system-arm, and for foreign packages it
// runs dpkg --add-architecture arm64/armhf and apt-get update. Those steps
// need root. Each boot's console is kept in runtime/xenvm/out/ARCH.log.
//
// Exit status: 0 when every test passed, the failing test binary's status
// (1) when one failed or the machine did not get that far, 2 for a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	compat := fl.Bool("compat", false, "also run a 32-bit test binary where dom0 can (386 on x86_64, arm on arm64)")
	goarch := fl.String("goarch", "", "GOARCHes of the test binaries to build and run, comma-separated (one -arch only)")
	bin := fl.String("bin", "", "ready-made test binaries to run, comma-separated (one -arch only)")
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

	var machines []xenvm.Machine
	if *arch == "all" {
		machines = xenvm.Machines
	} else {
		for _, a := range split(*arch) {
			m, err := xenvm.Lookup(a)
			if err != nil {
				return &usageError{err.Error()}
			}
			machines = append(machines, m)
		}
	}
	if len(machines) == 0 {
		return &usageError{"no architecture given"}
	}
	if (*goarch != "" || *bin != "") && len(machines) != 1 {
		return &usageError{"-goarch and -bin need exactly one -arch"}
	}
	if *goarch != "" && *bin != "" {
		return &usageError{"-goarch and -bin exclude each other"}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	status := 0
	var summary []string
	for _, m := range machines {
		cfg := xenvm.Config{
			Machine:    m,
			GOARCHes:   split(*goarch),
			Binaries:   split(*bin),
			Timeout:    *timeout,
			Progress:   os.Stderr,
			NoServices: *noServices,
		}
		if *compat && len(cfg.GOARCHes) == 0 && m.Compat32 != "" {
			cfg.GOARCHes = []string{m.GOARCH, m.Compat32}
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
		}
		if ctx.Err() != nil {
			break
		}
	}
	for _, s := range summary {
		fmt.Fprintln(os.Stderr, s)
	}
	if status != 0 {
		return &exitStatus{status}
	}
	return nil
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
	return fmt.Sprintf("xenvm: %s %-6s boot %s%s, tests %s, total %s [%s]", verdict, r.Arch,
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
