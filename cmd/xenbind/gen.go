package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xenbind/xenbind/cache"
	"github.com/xenbind/xenbind/emit"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

const genSynopsis = "[-headers DIR] [-dialect xen|uapi] [-include LIST] [-only LIST] [-targets LIST] [-mode guest|tools] [-pkg NAME] [-config FILE] [-spec FILE] [-foreign] [-v] " + limitsSynopsis + " -out DIR"

// runGen writes Go bindings. Notes about the output go to stderr with -v;
// a Go name clash the config does not settle, and a note about a line of
// the user's -spec, are noted always.
func runGen(args []string, stdout io.Writer) error {
	var in input
	fs := newFlagSet("gen", genSynopsis, stdout)
	in.register(fs.FlagSet)
	in.registerDialect(fs.FlagSet)
	targetList := fs.String("targets", "all", "targets to generate for: a list of x86_32, x86_64, arm32, arm64, or all")
	pkg := fs.String("pkg", "", "Go package `name` (default: the base name of -out)")
	out := fs.String("out", "", "output `dir`")
	configFile := fs.String("config", "", "config `file` with rename, skip and consttype directives")
	verbose := fs.Bool("v", false, "print notes about the output (commands without a wrapper, names settled by a suffix)")
	specFile := fs.String("spec", "", "hypercall spec `file` laid over the built-in emit/hypercalls.spec (families and commands of headers outside the built-in set)")
	only := fs.String("only", "", "generate only the declarations of these headers (a list, relative to -headers), treating the others as system headers; no hypercall wrappers")
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
	inv := invocation("gen", args)
	stamp := emit.Stamp{Build: cache.BuildID(), Options: inv + "\x00-pkg=" + *pkg}
	if *configFile != "" {
		var err error
		if cfg, err = emit.LoadConfig(*configFile); err != nil {
			return err
		}
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		stamp.Config = emit.Digest(b)
	}
	var specs []emit.SpecFile
	if *specFile != "" {
		sf, err := emit.LoadSpec(*specFile)
		if err != nil {
			return err
		}
		specs = append(specs, sf)
		// The spec's text is an input like the config's: a changed
		// spec must not find the previous output up to date.
		stamp.Config += "\x00spec " + emit.Digest(sf.Data)
	}
	pc, err := in.config()
	if err != nil {
		return err
	}
	ts, err := targets(*targetList)
	if err != nil {
		return err
	}
	// A gen killed earlier may have left a repair state: repair it before
	// anything else, also when the output turns out to be up to date.
	if err := emit.Repair(*out); err != nil {
		return err
	}
	stampKey, stampOK := stampKey(*out)
	stampOK = stampOK && !in.noCache && stamp.Build != "" && pc.Includes[0] != parser.AllHeaders
	if stampOK && upToDate(*out, stampKey, stamp, pc, len(ts)) {
		fmt.Fprintf(os.Stderr, "xenbind: %s is up to date: same inputs, options and xenbind build\n", *out)
		return nil
	}
	layouts, err := layout.ForTargets(pc, ts)
	if err != nil {
		return err
	}
	// Nothing more is parsed: the parser's children may exit while the
	// rest runs (main waits for them before it exits).
	parser.EndIdleWorkers()
	for _, n := range omittedNotes(layouts) {
		fmt.Fprintf(os.Stderr, "xenbind: note: %s\n", n)
	}
	for _, l := range layouts {
		for _, n := range l.Notes() {
			fmt.Fprintf(os.Stderr, "xenbind: note: %s\n", n)
		}
	}
	opts := emit.Options{Package: *pkg, Invocation: inv, Config: cfg, Only: splitList(*only), Specs: specs}
	var o *emit.Output
	if *foreign {
		if len(layouts) != 1 {
			return usagef("gen: -foreign takes exactly one target")
		}
		o, err = emit.ForeignOutput(layouts[0], opts)
	} else {
		o, err = emit.HostOutput(layouts, opts)
	}
	for _, r := range o.Notes {
		// A note about the user's own -spec is about their input:
		// always shown, like a clash no config settles.
		ownSpec := *specFile != "" && strings.Contains(r.Text, filepath.Base(*specFile)+":")
		if *verbose || r.Clash || ownSpec {
			fmt.Fprintf(os.Stderr, "xenbind: note: %s\n", r)
		}
	}
	if err != nil {
		return err
	}
	// The files are written while they are type-checked, and replace
	// the old ones only if the check passes.
	if err := emit.WriteDirChecked(*out, o.Files, o.Check); err != nil {
		return err
	}
	files := o.Files
	if stampOK {
		for _, l := range layouts {
			stamp.Inputs = append(stamp.Inputs, string(l.Unit().Inputs()))
		}
		cache.Put(stampKind, stampKey, stamp.Encode(files))
	}
	return nil
}

// stampKind is the kind of cache entry of gen's stamps (see emit.Stamp):
// one per output directory, keyed by its absolute path.
const stampKind = "stamp"

func stampKey(out string) (cache.Key, bool) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return cache.Key{}, false
	}
	return cache.NewHasher(stampKind).String(abs).Key(), true
}

// upToDate reports whether out holds what this gen would write: the stamp
// of the last gen into out records the same xenbind build, options and
// config, its input files are unchanged, and out's files are as that run
// wrote them. With -include all the header list itself depends on the
// whole tree, so such output is always regenerated (from the cache,
// mostly); so is output when the cache is off.
func upToDate(out string, key cache.Key, want emit.Stamp, pc parser.Config, targets int) bool {
	b, ok := cache.Get(stampKind, key)
	if !ok {
		return false
	}
	s, err := emit.ParseStamp(b)
	if err != nil || s.Build != want.Build || s.Config != want.Config || s.Options != want.Options || len(s.Inputs) != targets {
		return false
	}
	for _, in := range s.Inputs {
		if !parser.InputsUnchanged(pc.Tree, []byte(in)) {
			return false
		}
	}
	return s.FilesIntact(out)
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

// omittedNotes says which headers -include all left out, and why, once
// for all the targets where the reason is the same.
func omittedNotes(layouts []*layout.Layout) []string {
	type key struct{ header, reason string }
	var order []key
	on := map[key][]string{}
	for _, l := range layouts {
		u := l.Unit()
		for _, o := range u.Omitted {
			k := key{o.Header, o.Reason}
			if on[k] == nil {
				order = append(order, k)
			}
			on[k] = append(on[k], string(u.Target))
		}
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("-include all: left out %s (%s): %s", k.header, strings.Join(on[k], " "), k.reason))
	}
	return out
}
