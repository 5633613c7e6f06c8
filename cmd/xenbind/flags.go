package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

// input holds the flags every command takes to select headers.
type input struct {
	headers  string
	includes string
	mode     string
}

func (in *input) register(fs *flag.FlagSet) {
	fs.StringVar(&in.headers, "headers", "", "header `dir` laid out like xen/include/public (default: the pinned Xen 4.17 tree)")
	fs.StringVar(&in.includes, "include", strings.Join(parser.DefaultIncludes, " "), "headers to read, relative to -headers, or \"all\"")
	fs.StringVar(&in.mode, "mode", string(parser.Guest), "interface `mode`: guest or tools")
}

// config checks the flags and returns the parser configuration.
func (in *input) config() (parser.Config, error) {
	mode, err := parser.ParseMode(in.mode)
	if err != nil {
		return parser.Config{}, usageError{err}
	}
	dir, name := in.headers, in.headers
	if dir == "" {
		if dir, err = headers.Tree(); err != nil {
			return parser.Config{}, err
		}
		name = "xen"
	}
	if err := parser.CheckTree(dir); err != nil {
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
	return parser.Config{Tree: os.DirFS(dir), TreeName: name, Mode: mode, Includes: includes}, nil
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
