package abi

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// WriteText writes the report as text: a summary, then one line per
// record with its size on each target, its class and compat verdicts, and
// under a record that differs, where each compared pair of targets parts.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# xenbind abi: %s (%s dialect)%s, %s\n", r.Tree, r.Dialect, modeClause(r.Mode, r.Dialect), strings.Join(r.Headers, " "))
	s := r.Summary
	fmt.Fprintf(&b, "# %d records: %d identical, %d same per word size, %d different, %d not on every target\n",
		s.Records, s.Identical, s.WordSize, s.Different, s.Partial)
	for _, c := range s.Compat {
		fmt.Fprintf(&b, "# %s compat (%s guest on %s): %d pass-through, %d need translation, %d on one side only\n",
			c.Arch, c.Guest, c.Host, c.PassThrough, c.Translate, c.OneSided)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	b.WriteString("\n")
	width := len("record")
	for _, rec := range r.Records {
		width = max(width, len(rec.Name))
	}
	fmt.Fprintf(&b, "%-*s", width, "record")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, " %7s", t)
	}
	fmt.Fprintf(&b, "  %-9s  compat\n", "layout")
	for _, rec := range r.Records {
		fmt.Fprintf(&b, "%-*s", width, rec.Name)
		for _, l := range rec.Layouts {
			if l == nil {
				fmt.Fprintf(&b, " %7s", "-")
			} else {
				fmt.Fprintf(&b, " %7d", l.Size)
			}
		}
		fmt.Fprintf(&b, "  %-9s", rec.Class)
		for _, v := range rec.Compat {
			fmt.Fprintf(&b, "  %s:%s", v.Arch, v.Verdict)
		}
		b.WriteString("\n")
		for _, d := range rec.Differences {
			fmt.Fprintf(&b, "    %s\n", d)
		}
		if rec.AlignDiffers() {
			b.WriteString("    align:")
			for i, l := range rec.Layouts {
				if l != nil {
					fmt.Fprintf(&b, " %s %d", r.Targets[i], l.Align)
				}
			}
			b.WriteString("\n")
		}
		if rec.Class == Partial {
			var on []string
			for i, l := range rec.Layouts {
				if l != nil {
					on = append(on, string(r.Targets[i]))
				}
			}
			fmt.Fprintf(&b, "    only on %s\n", strings.Join(on, " "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// WriteJSON writes the diff as indented JSON.
func (r *DiffReport) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes the diff as text: one finding a line, with the targets
// it holds for, and under a changed record its member changes.
func (r *DiffReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# xenbind abi: %s (%s dialect) against %s (%s dialect)%s, %s\n",
		r.New.Name, r.New.Dialect, r.Old.Name, r.Old.Dialect, modeClause(r.Mode, r.New.Dialect, r.Old.Dialect), strings.Join(r.Headers, " "))
	var counts []string
	for _, k := range []Kind{NumberReused, RecordRemoved, RecordChanged, RecordAdded, ConstantRemoved, ConstantChanged, ConstantAdded, VersionChanged} {
		if n := r.Counts[k]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(counts) == 0 {
		counts = []string{"no differences"}
	}
	fmt.Fprintf(&b, "# %s\n", strings.Join(counts, ", "))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	for _, f := range r.Findings {
		ts := targetList(f.Targets)
		switch f.Kind {
		case NumberReused:
			fmt.Fprintf(&b, "! %s = %s: %s already means %s [%s]\n", f.Name, f.New, f.New, meanings(f.Means), ts)
		case RecordRemoved:
			fmt.Fprintf(&b, "- %s (%s, %s) [%s]\n", f.Name, sizes(f), f.Pos, ts)
		case RecordAdded:
			fmt.Fprintf(&b, "+ %s (%s, %s) [%s]\n", f.Name, sizes(f), f.Pos, ts)
		case RecordChanged:
			size := f.New + " bytes"
			if f.Old != f.New {
				size = f.Old + " -> " + f.New + " bytes"
			}
			fmt.Fprintf(&b, "~ %s (%s) [%s]\n", f.Name, size, ts)
			for _, c := range f.Changes {
				if c.Member == "" {
					continue // the size line says it
				}
				fmt.Fprintf(&b, "    %s\n", c)
			}
		case ConstantRemoved:
			fmt.Fprintf(&b, "- %s = %s [%s]\n", f.Name, f.Old, ts)
		case ConstantAdded:
			fmt.Fprintf(&b, "+ %s = %s [%s]\n", f.Name, f.New, ts)
		case ConstantChanged:
			fmt.Fprintf(&b, "~ %s = %s -> %s [%s]\n", f.Name, f.Old, f.New, ts)
		case VersionChanged:
			fmt.Fprintf(&b, "v %s = %s -> %s (interface version) [%s]\n", f.Name, f.Old, f.New, ts)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sizes spells an added or removed record's sizes: one number when every
// target agrees.
func sizes(f *Finding) string {
	same := true
	for _, n := range f.Sizes {
		same = same && n == f.Sizes[0]
	}
	if same && len(f.Sizes) > 0 {
		return fmt.Sprintf("%d bytes", f.Sizes[0])
	}
	parts := make([]string, len(f.Sizes))
	for i, n := range f.Sizes {
		parts[i] = fmt.Sprintf("%s %d", f.Targets[i], n)
	}
	return strings.Join(parts, ", ") + " bytes"
}

// meanings spells the old names of a reused number.
func meanings(ms []Meaning) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.Name
		var notes []string
		if m.Mode != "" {
			notes = append(notes, "in "+string(m.Mode)+" mode")
		}
		if m.Gone {
			notes = append(notes, "gone from the new tree: renamed?")
		}
		if len(notes) > 0 {
			s[i] += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	return strings.Join(s, ", ")
}

// modeClause names the interface mode in a report's title, where one of
// the trees is in Xen's own dialect: the Linux dialects have no guest or
// tools interface, and their dialect is named instead.
func modeClause(m parser.Mode, dialects ...parser.Dialect) string {
	for _, d := range dialects {
		if d == parser.XenDialect || d == "" {
			return fmt.Sprintf(", %s mode", m)
		}
	}
	return ""
}
