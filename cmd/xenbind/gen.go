package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xenbind/xenbind/emit"
	"github.com/xenbind/xenbind/layout"
)

func runGen(args []string, stdout io.Writer) error {
	var in input
	fs := newFlagSet("gen", "[-headers DIR] [-dialect xen|uapi] [-include LIST] [-targets LIST] [-mode guest|tools] [-pkg NAME] -out DIR [-config FILE] [-spec FILE]", os.Stderr)
	in.register(fs)
	in.registerDialect(fs)
	targetList := fs.String("targets", "all", "targets to generate for: a list of x86_32, x86_64, arm32, arm64, or all")
	pkg := fs.String("pkg", "", "Go package `name` (default: the base name of -out)")
	out := fs.String("out", "", "output `dir`")
	configFile := fs.String("config", "", "config `file` with rename, skip and consttype directives")
	specFile := fs.String("spec", "", "hypercall spec `file` laid over the built-in emit/hypercalls.spec (families and commands of headers outside the built-in set)")
	foreign := fs.Bool("foreign", false, "write a host-independent package for one target (with -targets T): types with MarshalBinary and UnmarshalBinary at the C offsets")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("gen: -out is required")
	}
	if *pkg == "" {
		abs, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		if err := emit.CheckPackageName(filepath.Base(abs)); err != nil {
			return usagef("gen: the package is named after -out's last element, and %v: give -pkg NAME", err)
		}
		*pkg = filepath.Base(abs)
	}
	if err := emit.CheckPackageName(*pkg); err != nil {
		return usagef("gen: -pkg: %v", err)
	}
	cfg := emit.DefaultConfig()
	if *configFile != "" {
		var err error
		if cfg, err = emit.LoadConfig(*configFile); err != nil {
			return err
		}
	}
	var specs []emit.SpecFile
	if *specFile != "" {
		sf, err := emit.LoadSpec(*specFile)
		if err != nil {
			return err
		}
		specs = append(specs, sf)
	}
	pc, err := in.config()
	if err != nil {
		return err
	}
	ts, err := targets(*targetList)
	if err != nil {
		return err
	}
	layouts, err := layout.ForTargets(pc, ts)
	if err != nil {
		return err
	}
	opts := emit.Options{Package: *pkg, Invocation: invocation("gen", args), Config: cfg, Specs: specs}
	var files []emit.File
	var reports []string
	if *foreign {
		if len(layouts) != 1 {
			return usagef("gen: -foreign takes exactly one target")
		}
		files, reports, err = emit.Foreign(layouts[0], opts)
	} else {
		files, reports, err = emit.Host(layouts, opts)
	}
	for _, r := range reports {
		fmt.Fprintf(os.Stderr, "xenbind: note: %s\n", r)
	}
	if err != nil {
		return err
	}
	return emit.WriteDir(*out, files)
}

// invocation is the command line recorded in generated files. Absolute
// paths are cut to their last element: output must not depend on where a
// machine keeps its files.
func invocation(cmd string, args []string) string {
	parts := []string{"xenbind", cmd}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && filepath.IsAbs(v) {
			a = k + "=" + filepath.Base(v)
		} else if filepath.IsAbs(a) {
			a = filepath.Base(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
