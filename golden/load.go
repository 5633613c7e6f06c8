package golden

import (
	"embed"
	"fmt"
	"path"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// layouts holds the golden files, so that Load works from any package's
// tests whatever the working directory.
//
//go:embed layouts
var layouts embed.FS

// Path returns the golden file of a set, target and mode, relative to the
// golden package's directory.
func Path(set string, t parser.Target, m parser.Mode) string {
	return path.Join("layouts", set, string(t)+"-"+string(m)+".txt")
}

// LoadFile returns the golden file of a set, target and mode, as built into
// the package.
func LoadFile(set string, t parser.Target, m parser.Mode) (*File, error) {
	p := Path(set, t, m)
	fh, err := layouts.Open(p)
	if err != nil {
		return nil, fmt.Errorf("golden %s: %w", p, err)
	}
	defer fh.Close()
	f, err := Parse(p, fh)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	if f.Set != set || f.Target != t || f.Mode != m {
		return nil, fmt.Errorf("golden %s: holds set %q target %q mode %q", p, f.Set, f.Target, f.Mode)
	}
	return f, nil
}

// Load returns the header list and the records of the golden file of a
// set, target and mode. Run the layout engine on exactly these headers,
// in this order, and Compare its records with these.
func Load(set string, t parser.Target, m parser.Mode) (headers []string, recs []layout.Record, err error) {
	f, err := LoadFile(set, t, m)
	if err != nil {
		return nil, nil, err
	}
	return f.Headers, f.Records, nil
}
