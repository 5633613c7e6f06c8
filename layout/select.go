package layout

import (
	"fmt"
	"slices"

	"github.com/xenbind/xenbind/parser"
)

// Select returns a copy of l that holds only the named records ("struct
// X", "union X" or "typedef X", as WriteText and Records spell them), for
// reports about a few records. A name that is no complete record of l is
// an error.
func (l *Layout) Select(names []string) (*Layout, error) {
	out := *l
	out.recs = map[*parser.Record]*RecordLayout{}
	for _, n := range names {
		found := false
		for r, rl := range l.recs {
			if rl != nil && (r.Name == n || slices.Contains(r.Aliases, n)) {
				out.recs[r] = rl
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no record %q (names are spelled \"struct X\", \"union X\" or \"typedef X\")", l.unit.Target, n)
		}
	}
	return &out, nil
}
