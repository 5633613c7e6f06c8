package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xenbind/xenbind/emit"
	dispatchgen "github.com/xenbind/xenbind/emit/dispatch"
)

const dispatchSynopsis = "-release REL=PKG -release REL=PKG... [-pkg NAME] [-v] -out DIR"

// releaseFlags collects the repeated -release flag.
type releaseFlags []dispatchgen.Binding

func (r *releaseFlags) String() string {
	var parts []string
	for _, b := range *r {
		parts = append(parts, b.Release+"="+b.Package)
	}
	return strings.Join(parts, ",")
}

func (r *releaseFlags) Set(v string) error {
	rel, pkg, ok := strings.Cut(v, "=")
	if !ok || rel == "" || pkg == "" {
		return fmt.Errorf("want RELEASE=PACKAGE (4.20=./xen420), got %q", v)
	}
	*r = append(*r, dispatchgen.Binding{Release: rel, Package: pkg})
	return nil
}

// runDispatch writes a package that issues domctl and sysctl commands in
// the layout of whichever interface the running hypervisor speaks, from
// per-release packages gen wrote (emit/dispatch). Notes about wrappers
// left out go to stderr with -v.
func runDispatch(args []string, stdout io.Writer) error {
	var rels releaseFlags
	fs := newFlagSet("dispatch", dispatchSynopsis, stdout)
	fs.Var(&rels, "release", "a Xen `release=package`: the release (4.20) and the Go package (a go list pattern, ./xen420, resolved from the current directory) gen wrote from its headers in tools mode; two or more")
	pkg := fs.String("pkg", "", "Go package `name` (default: the base name of -out)")
	out := fs.String("out", "", "output `dir`")
	verbose := fs.Bool("v", false, "print notes about the wrappers left out")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("dispatch: -out is required")
	}
	if len(rels) < 2 {
		return usagef("dispatch: give two or more -release REL=PKG")
	}
	if *pkg == "" {
		abs, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		*pkg = filepath.Base(abs)
	}
	if err := emit.CheckPackageName(*pkg); err != nil {
		return usagef("dispatch: package %v: give -pkg NAME", err)
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := emit.Repair(*out); err != nil {
		return err
	}
	files, notes, err := dispatchgen.Generate(dispatchgen.Options{Package: *pkg, Invocation: invocation("dispatch", args), Dir: dir, Bindings: rels})
	if err != nil {
		return err
	}
	if *verbose {
		for _, n := range notes {
			fmt.Fprintf(os.Stderr, "xenbind: note: %s\n", n)
		}
	}
	return emit.WriteDir(*out, files)
}
