package main

import (
	"encoding/json"
	"io"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

const layoutSynopsis = "[-headers DIR] [-include LIST] [-target T|all] [-mode guest|tools] [-records LIST] [-json] " + limitsSynopsis

// runLayout prints record layouts, pahole-style or as JSON.
func runLayout(args []string, stdout io.Writer) error {
	var in input
	fs := newFlagSet("layout", layoutSynopsis, stdout)
	in.register(fs.FlagSet)
	target := fs.String("target", "x86_64", "`target`: x86_32, x86_64, arm32, arm64 or all")
	asJSON := fs.Bool("json", false, "write JSON instead of text")
	only := fs.String("records", "", "print only these records: a comma-separated `list` of names such as \"struct xen_memory_reservation\"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := in.config()
	if err != nil {
		return err
	}
	ts, err := targets(*target)
	if err != nil {
		return err
	}
	layouts, err := layout.ForTargets(cfg, ts)
	if err != nil {
		return err
	}
	// Nothing more is parsed: the parser's children may exit while the
	// rest runs (main waits for them before it exits).
	parser.EndIdleWorkers()
	if *only != "" {
		for i, l := range layouts {
			if layouts[i], err = l.Select(splitNames(*only)); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return writeJSON(stdout, layouts, len(ts) > 1)
	}
	for i, l := range layouts {
		if i > 0 {
			io.WriteString(stdout, "\n")
		}
		if err := l.WriteText(stdout); err != nil {
			return err
		}
	}
	return nil
}

// layoutJSON is one target's document of `xenbind layout -json`.
type layoutJSON struct {
	Target  parser.Target `json:"target"`
	Mode    parser.Mode   `json:"mode"`
	Headers []string      `json:"headers"`
	// Omitted are the headers -include all left out, and why.
	Omitted []parser.Omission `json:"omitted,omitempty"`
	Records []layout.Record   `json:"records"`
}

// writeJSON writes one document, or an array of them for several targets.
func writeJSON(w io.Writer, layouts []*layout.Layout, array bool) error {
	docs := make([]layoutJSON, len(layouts))
	for i, l := range layouts {
		u := l.Unit()
		docs[i] = layoutJSON{Target: u.Target, Mode: u.Mode, Headers: u.Includes, Omitted: u.Omitted, Records: l.Records()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if array {
		return enc.Encode(docs)
	}
	return enc.Encode(docs[0])
}
