package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

// input holds the flags every command takes to select headers.
type input struct {
	headers      string
	includes     string
	mode         string
	dialect      string
	parseTimeout time.Duration
	parseMemory  int64
	noCache      bool
}

func (in *input) register(fs *flag.FlagSet) {
	fs.StringVar(&in.headers, "headers", "", "header `dir` laid out like xen/include/public, or a pinned Xen release (4.14, 4.17, 4.20) (default: the pinned Xen 4.17 tree)")
	fs.StringVar(&in.includes, "include", strings.Join(parser.DefaultIncludes, " "), "headers to read, relative to -headers, or \"all\"")
	fs.StringVar(&in.mode, "mode", string(parser.Guest), "interface `mode`: guest or tools")
	fs.DurationVar(&in.parseTimeout, "parse-timeout", 10*time.Second, "CPU time limit of the C front end per translation unit, plus 1s per MiB of header text")
	fs.Int64Var(&in.parseMemory, "parse-memory", 1024, "memory limit in `MiB` of the C front end per translation unit, plus 512 bytes per byte of header text")
	fs.BoolVar(&in.noCache, "nocache", false, "parse every header again, neither reading nor writing xenbind's cache (as XENBIND_NOCACHE=1 does); gen then also regenerates up-to-date output")
}

// registerDialect adds -dialect, for the commands that read other trees
// than Xen's.
func (in *input) registerDialect(fs *flag.FlagSet) {
	fs.StringVar(&in.dialect, "dialect", string(parser.XenDialect), "`dialect` of -headers: xen (xen/include/public) or uapi (Linux's usr/include, or a kernel headers root with include/uapi, for the Xen device headers; default tree: the pinned linux-libc-dev)")
}

// config checks the flags and returns the parser configuration.
func (in *input) config() (parser.Config, error) {
	mode, err := parser.ParseMode(in.mode)
	if err != nil {
		return parser.Config{}, usageError{err}
	}
	dialect := parser.XenDialect
	if in.dialect != "" {
		if dialect, err = parser.ParseDialect(in.dialect); err != nil {
			return parser.Config{}, usageError{err}
		}
	}
	dir, name := in.headers, in.headers
	switch {
	case dir != "" && dialect == parser.XenDialect:
		if dir, name, err = xenTree(dir); err != nil {
			return parser.Config{}, err
		}
	case dir != "":
	case dialect == parser.XenDialect:
		if dir, err = pinnedXenTree(); err != nil {
			return parser.Config{}, err
		}
		name = "xen"
	case dialect == parser.UAPIDialect:
		if dir, err = headers.UAPITree(); err != nil {
			return parser.Config{}, err
		}
		name = "uapi"
	default:
		return parser.Config{}, usagef("-dialect %s needs -headers", dialect)
	}
	if dialect == parser.XenDialect {
		if err := parser.CheckTree(dir); err != nil {
			return parser.Config{}, err
		}
	} else if err := parser.CheckDialect(os.DirFS(dir), name, dialect); err != nil {
		return parser.Config{}, err
	}
	includes := splitList(in.includes)
	if len(includes) == 0 {
		return parser.Config{}, usagef("-include: empty list")
	}
	if len(includes) > 1 {
		for _, h := range includes {
			if h == parser.AllHeaders {
				return parser.Config{}, usagef("-include: %q cannot be combined with other headers", parser.AllHeaders)
			}
		}
	}
	if in.parseTimeout <= 0 {
		return parser.Config{}, usagef("-parse-timeout: must be positive")
	}
	if in.parseMemory <= 0 || in.parseMemory > 1<<30 {
		return parser.Config{}, usagef("-parse-memory: must be a positive number of MiB")
	}
	return parser.Config{Tree: os.DirFS(dir), TreeName: name, Mode: mode, Includes: includes, Dialect: dialect,
		Timeout: in.parseTimeout, Memory: in.parseMemory << 20, NoCache: in.noCache}, nil
}

// targets parses a target list: names separated by spaces or commas, or
// "all".
func targets(s string) ([]parser.Target, error) {
	var out []parser.Target
	for _, v := range splitList(s) {
		if v == "all" {
			return parser.Targets, nil
		}
		t, err := parser.ParseTarget(v)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, usagef("no target")
	}
	return out, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// limitsSynopsis is the usage of the flags every command takes to bound
// and cache the C front end.
const limitsSynopsis = "[-parse-timeout D] [-parse-memory MiB] [-nocache]"

// flagSet is a command's flags, its usage line and where -h prints.
type flagSet struct {
	*flag.FlagSet
	synopsis string
	help     io.Writer
}

// newFlagSet returns a flag set that reports errors instead of exiting
// and prints nothing itself: parseFlags prints -h's help to help and turns
// a bad flag into one error message.
func newFlagSet(name, synopsis string, help io.Writer) *flagSet {
	fs := &flagSet{flag.NewFlagSet(name, flag.ContinueOnError), synopsis, help}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args. -h prints the command's help and returns
// flag.ErrHelp, which run turns into success.
func parseFlags(fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintf(fs.help, "usage: xenbind %s %s\n\nflags:\n", fs.Name(), fs.synopsis)
			fs.SetOutput(fs.help)
			fs.PrintDefaults()
			return err
		}
		return usagef("%[1]s: %[2]v\nusage: xenbind %[1]s %[3]s\n(xenbind %[1]s -h lists the flags)", fs.Name(), err, fs.synopsis)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected arguments: %s", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}

// xenTree resolves a -headers (or -against) value of the Xen dialect: a
// pinned release ("4.20") names that release's pinned tree, fetched into
// the cache on first use; anything else is a directory ("./4.20" for a
// directory that happens to be named like a release). name is what
// positions in messages start with.
func xenTree(spec string) (dir, name string, err error) {
	if spec == "" {
		dir, err = pinnedXenTree()
		return dir, "xen", err
	}
	d, ok := headers.PinnedXen(spec)
	if !ok {
		return spec, spec, nil
	}
	if dir, err = headers.XenTree(d); err != nil {
		return "", "", fmt.Errorf("the pinned Xen %s headers: %w; pass -headers DIR instead (a Xen checkout's xen/include/public, or an unpacked libxen-dev's usr/include/xen)", spec, err)
	}
	return dir, "xen-" + spec, nil
}

// pinnedXenTree is the default header tree: the pinned Xen release, fetched
// into the user's cache directory on first use. Where it cannot be
// fetched, the error says what to pass instead.
func pinnedXenTree() (string, error) {
	dir, err := headers.Tree()
	if err != nil {
		return "", fmt.Errorf("the default Xen %s headers: %w; pass -headers DIR instead (a Xen checkout's xen/include/public, or an unpacked libxen-dev's usr/include/xen)", headers.XenVersion, err)
	}
	return dir, nil
}
