package layout

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/xenbind/xenbind/parser"
)

// ForTargets parses cfg for each target and lays out the records, the
// targets concurrently, the results in the order given.
func ForTargets(cfg parser.Config, targets []parser.Target) ([]*Layout, error) {
	units, err := parser.ParseTargets(cfg, targets)
	if err != nil {
		return nil, err
	}
	out := make([]*Layout, len(units))
	errs := make([]error, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = Compute(u)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Unit returns the C model the layout was computed for.
func (l *Layout) Unit() *parser.Unit { return l.unit }

// WriteText writes every record in the style of pahole: each member with
// its offset and size, holes and trailing padding marked.
func (l *Layout) WriteText(w io.Writer) error {
	u := l.unit
	var b strings.Builder
	fmt.Fprintf(&b, "/* %s, %s mode: %s */\n", u.Target, u.Mode, strings.Join(u.Includes, " "))
	for _, o := range u.Omitted {
		fmt.Fprintf(&b, "/* left out: %s: %s */\n", o.Header, strings.ReplaceAll(o.Reason, "*/", "* /"))
	}
	for _, r := range u.Records {
		rl := l.recs[r]
		if rl == nil {
			continue
		}
		b.WriteString("\n")
		l.writeRecord(&b, rl)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l *Layout) writeRecord(b *strings.Builder, rl *RecordLayout) {
	r := rl.Record
	fmt.Fprintf(b, "%s {\t/* %s */\n", r.Name, r.Pos)
	var body strings.Builder
	tw := tabwriter.NewWriter(&body, 0, 8, 1, ' ', 0)
	var end int64 // bits used so far (structs)
	for i, m := range r.Members {
		ml := rl.Members[i]
		bits := ml.Size * 8
		if m.IsBitField() {
			bits = m.BitWidth
		}
		if r.Kind == parser.Struct && ml.BitOffset > end {
			writeHole(tw, ml.BitOffset-end)
		}
		decl := m.Type.Declare(m.Name)
		if m.IsBitField() {
			decl = fmt.Sprintf("%s:%d", decl, m.BitWidth)
		}
		where := fmt.Sprintf("%6d %6d", ml.Offset, ml.Size)
		if m.IsBitField() {
			where = fmt.Sprintf("%6d:%-2d %3d", ml.Offset, ml.BitOffset%8, ml.Size)
		}
		fmt.Fprintf(tw, "%s;\t/* %s */\n", decl, where)
		end = max(end, ml.BitOffset+bits)
		if r.Kind == parser.Union {
			end = 0
		}
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(body.String(), "\n") {
		if line != "" {
			b.WriteString("\t" + line)
		}
	}
	pad := rl.Size*8 - end
	if r.Kind == parser.Union {
		pad = 0
	}
	if pad > 0 && pad%8 == 0 {
		fmt.Fprintf(b, "\t/* size: %d, align: %d, trailing padding: %d */\n};\n", rl.Size, rl.Align, pad/8)
	} else if pad > 0 {
		fmt.Fprintf(b, "\t/* size: %d, align: %d, trailing padding: %d bits */\n};\n", rl.Size, rl.Align, pad)
	} else {
		fmt.Fprintf(b, "\t/* size: %d, align: %d */\n};\n", rl.Size, rl.Align)
	}
}

func writeHole(w io.Writer, bits int64) {
	if bits%8 == 0 {
		fmt.Fprintf(w, "/* XXX %d byte hole */\n", bits/8)
		return
	}
	fmt.Fprintf(w, "/* XXX %d bit hole */\n", bits)
}
