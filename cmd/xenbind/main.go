// Command xenbind generates Go bindings from Xen's public C headers and
// reports their layouts.
//
// Usage:
//
//	xenbind gen    [-headers DIR] [-dialect xen|uapi] [-include LIST] [-only LIST] [-targets LIST] [-mode guest|tools]
//	               [-pkg NAME] [-config FILE] [-spec FILE] [-foreign] [-v] [-nocache] -out DIR
//	xenbind layout [-headers DIR] [-dialect xen|uapi] [-include LIST] [-target T|all] [-mode guest|tools]
//	               [-records LIST] [-json] [-nocache]
//	xenbind abi    [-headers DIR] [-dialect xen|linux|uapi] [-include LIST] [-mode M] [-target LIST|all]
//	               [-json | -html FILE] [-records LIST]
//	               [-against OLD [-against-dialect D] [-fail-on changed|removed|version|any]]
//	xenbind dispatch -release REL=PKG -release REL=PKG... [-pkg NAME] [-v] -out DIR
//
// gen writes Go bindings; layout prints the layout of every struct and
// union; abi reports, for every record, whether its layout is the same on
// all four targets and what a 32-on-64 compat layer must translate, or,
// with -against, what changed between two header trees (Xen's own layout,
// the Linux kernel's copy, -dialect linux, or Linux's Xen device headers,
// -dialect uapi), failing with -fail-on.
// dispatch reads packages gen wrote in tools mode from the headers of
// several Xen releases and writes one package whose domctl and sysctl
// wrappers ask the hypervisor its release once per process and marshal in
// the layout of the interface it speaks (generated/dom0; emit/dispatch
// says how).
//
// -headers names a directory laid out like Xen's xen/include/public (in
// Debian's libxen-dev that is usr/include/xen), or a pinned release (4.14,
// 4.17, 4.20). Without it xenbind uses the pinned Xen 4.17 tree, fetching
// it with apt-get on first use.
//
// -include lists header names relative to that directory, separated by
// spaces or commas (default "xen.h memory.h grant_table.h"); "all" means
// every public header that parses on its own for the target and mode, as
// gcc would (after xen.h); layout and gen say which headers they left out
// and why. A header with a syntax error is an error, unless it is a part
// of another header that stands alone (one that #includes it).
//
// Targets are x86_32, x86_64, arm32 and arm64. Mode guest (the default)
// compiles against the tree's latest interface version: the interface a
// guest kernel sees. Mode tools defines __XEN_TOOLS__, which also exposes
// domctl, sysctl and memory sharing: what a dom0 tool uses. The ready-made
// package generated/xen is tools mode of more headers than the default
// -include (generated/generate.go lists them), generated/xenguest guest
// mode.
//
// gen -foreign writes a package for one target (-targets T) that builds on
// any host: its types carry MarshalBinary and UnmarshalBinary at that
// target's C offsets. gen -v prints notes about the output (commands the
// generator could not wrap, names settled by a suffix); a Go name clash
// that no -config rename settles is noted without -v too.
//
// The C front end runs in a child process of xenbind, stopped when it
// passes -parse-timeout (default 10s of CPU time; on a loaded machine a
// parse may take longer in wall-clock time, up to a backstop of six times
// the limit plus a minute) or -parse-memory (default 1024 MiB of resident
// memory); both grow with the header text read (1s and 512 MiB per MiB).
// A parse stopped at a limit is reported naming the last header read,
// never taken as a verdict about it.
//
// gen writes all of its output or none: a failed gen leaves -out as it
// was, and a gen that was killed is repaired by the next one (emit.WriteDir
// states the exact promise).
//
// Parses are cached in xenbind/ under the user cache directory
// (XENBIND_CACHE names another), keyed by every header byte read, the
// options and xenbind's build. gen records there what it generated into
// each -out directory from what, and does nothing, saying so, when asked
// again to do the same over unchanged inputs and output. -nocache (or
// XENBIND_NOCACHE=1) turns both off.
//
// Errors in the headers are reported as file:line:col: message, all of a
// pass together. "xenbind <command> -h" prints the command's flags and
// exits 0. The exit status is 2 for a usage error and 1 for any other
// failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/xenbind/xenbind/internal/gctune"
	"github.com/xenbind/xenbind/parser"
)

func main() {
	gctune.Tune(gctune.MainHeap)
	err := run(os.Args[1:], os.Stdout)
	parser.StopWorkers()
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "xenbind: %v\n", err)
	var u usageError
	if errors.As(err, &u) {
		os.Exit(2)
	}
	os.Exit(1)
}

// usageError marks a bad command line.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const usage = `usage: xenbind <command> [flags]

commands:
  gen      generate Go bindings
  layout   print record layouts (pahole-style text, or -json)
  abi      compare layouts across targets or header trees
  dispatch one package over several releases' domctl and sysctl bindings

Run "xenbind <command> -h" for a command's flags.`

// run runs the command args names. A command's -h prints its help to
// stdout and is a success.
func run(args []string, stdout io.Writer) error {
	err := dispatch(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("no command\n%s", usage)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "gen":
		return runGen(rest, stdout)
	case "layout":
		return runLayout(rest, stdout)
	case "abi":
		return runABI(rest, stdout)
	case "dispatch":
		return runDispatch(rest, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return usagef("unknown command %q\n%s", cmd, usage)
	}
}
