package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout/abi"
	"github.com/xenbind/xenbind/parser"
)

const abiSynopsis = "[-headers DIR] [-dialect xen|linux|uapi] [-include LIST] [-mode guest|tools] [-target LIST|all] " +
	"[-json | -html FILE] [-records LIST] [-against OLD [-against-dialect xen|linux|uapi] [-fail-on changed|removed|version|any]] " + limitsSynopsis

// runABI reports how record layouts vary across targets or, with -against,
// what changed from one header tree to another.
func runABI(args []string, stdout io.Writer) error {
	var in input
	fs := newFlagSet("abi", abiSynopsis, stdout)
	in.register(fs.FlagSet)
	dialect := fs.String("dialect", string(parser.XenDialect), "`dialect` of -headers: xen (xen/include/public), linux (a kernel headers root: its copy of the Xen interface) or uapi (Linux's usr/include or a kernel headers root: the Xen device headers; default tree: the pinned linux-libc-dev)")
	target := fs.String("target", "all", "`targets` to compare: x86_32, x86_64, arm32, arm64 or all")
	asJSON := fs.Bool("json", false, "write JSON instead of text")
	htmlFile := fs.String("html", "", "write the cross-architecture report as a self-contained HTML page to `file`")
	against := fs.String("against", "", "compare -headers with the `old` tree and list what changed")
	againstDialect := fs.String("against-dialect", "", "`dialect` of -against (default: -dialect)")
	failOn := fs.String("fail-on", "", "with -against, exit 1 when a finding is `kind`: changed (layouts, values, reused numbers), removed, version (changed plus interface versions) or any")
	only := fs.String("records", "", "report only these records: a comma-separated `list` of names such as \"struct shared_info\"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	mode, err := parser.ParseMode(in.mode)
	if err != nil {
		return usageError{err}
	}
	ts, err := targets(*target)
	if err != nil {
		return err
	}
	newDialect, err := parser.ParseDialect(*dialect)
	if err != nil {
		return usageError{err}
	}
	oldDialect := newDialect
	if *againstDialect != "" {
		if oldDialect, err = parser.ParseDialect(*againstDialect); err != nil {
			return usageError{err}
		}
	}
	includes := splitList(in.includes)
	switch {
	case len(includes) == 0:
		return usagef("-include: empty list")
	case *asJSON && *htmlFile != "":
		return usagef("-json and -html exclude each other")
	case *against == "" && (*failOn != "" || *againstDialect != ""):
		return usagef("-fail-on and -against-dialect need -against")
	case *against != "" && (*htmlFile != "" || *only != ""):
		return usagef("-html and -records are for the cross-architecture report; they do not combine with -against")
	}
	for _, h := range includes {
		if h == parser.AllHeaders && (len(includes) > 1 || newDialect != parser.XenDialect || (*against != "" && oldDialect != parser.XenDialect)) {
			return usagef("-include %s: only alone, and only for trees of the xen dialect", parser.AllHeaders)
		}
	}
	var gate abi.Gate
	if *failOn != "" {
		if gate, err = abi.ParseGate(*failOn); err != nil {
			return usageError{err}
		}
	}
	newCfg, err := treeConfig(in.headers, newDialect, mode, includes)
	newCfg.Timeout, newCfg.Memory = in.parseTimeout, in.parseMemory<<20
	if err != nil {
		return err
	}
	tree, err := abi.Load(newCfg, ts)
	if err != nil {
		return err
	}
	if *against == "" {
		rep := abi.Compare(tree)
		if *only != "" {
			if rep, err = rep.Select(splitNames(*only)); err != nil {
				return err
			}
		}
		switch {
		case *asJSON:
			return rep.WriteJSON(stdout)
		case *htmlFile != "":
			return writeHTML(*htmlFile, rep)
		}
		return rep.WriteText(stdout)
	}
	oldCfg, err := treeConfig(*against, oldDialect, mode, includes)
	oldCfg.Timeout, oldCfg.Memory = in.parseTimeout, in.parseMemory<<20
	if err != nil {
		return err
	}
	old, err := abi.Load(oldCfg, ts)
	if err != nil {
		return err
	}
	if oldDialect == parser.XenDialect {
		other := parser.Tools
		if mode == parser.Tools {
			other = parser.Guest
		}
		old.LoadTaken(oldCfg, other)
	}
	rep, err := abi.Diff(old, tree)
	if err != nil {
		return err
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil || gate == "" {
		return err
	}
	if failing := rep.Failing(gate); len(failing) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "-fail-on %s: %d findings", gate, len(failing))
		for _, f := range failing {
			b.WriteString("\n\t" + f.Summary())
		}
		return fmt.Errorf("%s", b.String())
	}
	return nil
}

// treeConfig checks a tree of a dialect and returns its parser
// configuration. An empty dir means the pinned Xen tree.
func treeConfig(dir string, d parser.Dialect, mode parser.Mode, includes []string) (parser.Config, error) {
	name := dir
	var err error
	switch {
	case d == parser.XenDialect:
		dir, name, err = xenTree(dir)
	case dir == "" && d == parser.UAPIDialect:
		dir, err = headers.UAPITree()
		name = "uapi"
	case dir == "":
		return parser.Config{}, usagef("-dialect %s needs -headers: only the Xen and uapi trees are pinned", d)
	}
	if err != nil {
		return parser.Config{}, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return parser.Config{}, fmt.Errorf("header tree: %w", err)
	}
	if !st.IsDir() {
		return parser.Config{}, fmt.Errorf("header tree %s: not a directory", dir)
	}
	tree := os.DirFS(dir)
	if err := parser.CheckDialect(tree, name, d); err != nil {
		return parser.Config{}, err
	}
	return parser.Config{Tree: tree, TreeName: name, Mode: mode, Includes: includes, Dialect: d}, nil
}

// splitNames splits a comma-separated list of record names, which contain
// spaces.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.Join(strings.Fields(n), " "); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func writeHTML(file string, rep *abi.Report) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := rep.WriteHTML(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}
