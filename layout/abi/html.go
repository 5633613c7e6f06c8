package abi

import (
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// rowBytes is how many bytes one row of a byte picture shows: a 64-bit
// word, so that alignment to 8 shows as a new row.
const rowBytes = 8

// foldRows is how many rows a member may take before the picture folds
// its middle into one row that says how many bytes it hides.
const foldRows = 4

// WriteHTML writes the report as one self-contained HTML page: a list of
// every record with its class, and for each record the bytes of its layout
// on every target side by side (members, holes and trailing padding), the
// members that move between targets highlighted. The page has no scripts
// and loads nothing; the same report always gives the same bytes.
func (r *Report) WriteHTML(w io.Writer) error {
	var b strings.Builder
	title := fmt.Sprintf("xenbind abi: %s (%s dialect)%s", r.Tree, r.Dialect, modeClause(r.Mode, r.Dialect))
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), css)

	b.WriteString("<nav>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(title))
	fmt.Fprintf(&b, "<p class=\"headers\">%s</p>\n", esc(strings.Join(r.Headers, " ")))
	s := r.Summary
	fmt.Fprintf(&b, "<p class=\"summary\">%d records: <span class=\"badge identical\">%d identical</span> "+
		"<span class=\"badge word-size\">%d word-size</span> <span class=\"badge different\">%d different</span> "+
		"<span class=\"badge partial\">%d partial</span></p>\n", s.Records, s.Identical, s.WordSize, s.Different, s.Partial)
	for _, c := range s.Compat {
		fmt.Fprintf(&b, "<p class=\"summary\">%s compat (%s on %s): %d pass-through, %d translate, %d one-sided</p>\n",
			esc(c.Arch), c.Guest, c.Host, c.PassThrough, c.Translate, c.OneSided)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", esc(n))
	}
	b.WriteString("<p class=\"legend\">Pictures: 8 bytes a row. <span class=\"seg member c0 moved\">member</span> not where the " +
		"other target of its pair (x86_32/x86_64, arm32/arm64) has it; <span class=\"seg member c1 across\">member</span> " +
		"the same within the pair, elsewhere on the other architecture; <span class=\"seg hole\">hole</span> " +
		"<span class=\"seg padding\">padding</span></p>\n")
	b.WriteString("<table class=\"records\">\n<thead><tr><th>record</th>")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "<th>%s</th>", t)
	}
	b.WriteString("<th>layout</th>")
	for _, p := range compatPairs {
		fmt.Fprintf(&b, "<th>%s</th>", p.arch)
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, rec := range r.Records {
		fmt.Fprintf(&b, "<tr class=\"rec %s\" data-record=\"%s\"><td><a href=\"#%s\">%s</a></td>",
			rec.Class, esc(rec.Name), anchor(rec.Name), esc(rec.Name))
		for _, l := range rec.Layouts {
			if l == nil {
				b.WriteString("<td class=\"num absent\">-</td>")
			} else {
				fmt.Fprintf(&b, "<td class=\"num\">%d</td>", l.Size)
			}
		}
		fmt.Fprintf(&b, "<td class=\"class\">%s</td>", rec.Class)
		for _, v := range rec.Compat {
			short := strings.TrimSuffix(string(v.Verdict), "-through")
			fmt.Fprintf(&b, "<td class=\"compat %s\" title=\"%s\">%s</td>", v.Verdict, v.Verdict, short)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n</nav>\n<main>\n")
	for _, rec := range r.Records {
		r.writeRecordHTML(&b, rec)
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeRecordHTML(b *strings.Builder, rec *Record) {
	fmt.Fprintf(b, "<section class=\"record %s\" id=\"%s\" data-record=\"%s\">\n", rec.Class, anchor(rec.Name), esc(rec.Name))
	fmt.Fprintf(b, "<h2>%s <span class=\"badge %s\">%s</span>", esc(rec.Name), rec.Class, rec.Class)
	for _, v := range rec.Compat {
		if v.Verdict != NotThere {
			fmt.Fprintf(b, " <span class=\"compat %s\">%s: %s</span>", v.Verdict, esc(v.Arch), v.Verdict)
		}
	}
	fmt.Fprintf(b, "</h2>\n<p class=\"pos\">%s</p>\n", esc(rec.Pos))
	if len(rec.Differences) > 0 {
		b.WriteString("<ul class=\"differences\">\n")
		for _, d := range rec.Differences {
			fmt.Fprintf(b, "<li><b>%s / %s</b>: %s", d.A, d.B, esc(d.First.between(string(d.A), string(d.B))))
			if d.Changes > 1 {
				fmt.Fprintf(b, " <i>(%d differences)</i>", d.Changes)
			}
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("<div class=\"targets\">\n")
	for i, t := range r.Targets {
		f := rec.flats[i]
		if f == nil {
			fmt.Fprintf(b, "<div class=\"target absent\" data-target=\"%s\"><h3>%s</h3><p>not on this target</p></div>\n", t, t)
			continue
		}
		fmt.Fprintf(b, "<div class=\"target\" data-target=\"%s\"><h3>%s <small>%d bytes, align %d</small></h3>\n", t, t, f.size, f.align)
		writeBytes(b, f, rec.differs[i])
		b.WriteString("</div>\n")
	}
	b.WriteString("</div>\n</section>\n")
}

// segment is a run of bytes of a picture: members (several where they
// overlap, as in a union or bit-fields sharing a byte), a hole or the
// trailing padding.
type segment struct {
	start, end int64 // bytes, end exclusive
	kind       string
	labels     []string
	titles     []string
	color      int
	moved      int // highlight level
}

// segments lays out a record's own members as byte runs.
func segments(f *flat, differs []int) ([]segment, []string) {
	rl := f.rl
	moved := make([]int, len(rl.Members))
	for k, s := range f.slots {
		if differs != nil {
			moved[s.top] = max(moved[s.top], differs[k])
		}
	}
	var segs []segment
	var empty []string
	for i, m := range rl.Record.Members {
		if m.IsBitField() && m.Name == "" {
			continue
		}
		ml := rl.Members[i]
		bits := ml.Size * 8
		if m.IsBitField() {
			bits = m.BitWidth
		}
		name := m.Name
		if name == "" {
			name = anonymousLabel(m.Type)
		}
		label := name
		if m.IsBitField() {
			label = fmt.Sprintf("%s:%d", name, m.BitWidth)
		}
		title := fmt.Sprintf("%s; offset %s, size %d", m.Type.Declare(name), offString(ml.BitOffset), ml.Size)
		if bits == 0 {
			empty = append(empty, label)
			continue
		}
		start, end := ml.BitOffset/8, (ml.BitOffset+bits+7)/8
		if n := len(segs); n > 0 && start < segs[n-1].end {
			g := &segs[n-1]
			g.end = max(g.end, end)
			g.labels = append(g.labels, label)
			g.titles = append(g.titles, title)
			g.moved = max(g.moved, moved[i])
			continue
		}
		segs = append(segs, segment{start: start, end: end, kind: "member", labels: []string{label},
			titles: []string{title}, color: colorOf(name), moved: moved[i]})
	}
	var out []segment
	at := int64(0)
	for _, s := range segs {
		if s.start > at {
			out = append(out, segment{start: at, end: s.start, kind: "hole", labels: []string{fmt.Sprintf("hole %d", s.start-at)}})
		}
		out = append(out, s)
		at = s.end
	}
	if f.size > at {
		out = append(out, segment{start: at, end: f.size, kind: "padding", labels: []string{fmt.Sprintf("padding %d", f.size-at)}})
	}
	return out, empty
}

// anonymousLabel names an anonymous struct or union member by its
// members.
func anonymousLabel(t *parser.Type) string {
	r, _ := nestedRecord(t)
	if r == nil {
		return "?"
	}
	names := make([]string, 0, len(r.Members))
	for _, m := range r.Members {
		names = append(names, m.Name)
	}
	return r.Kind.String() + " {" + strings.Join(names, ", ") + "}"
}

// writeBytes draws a record's bytes, rowBytes to a row, one grid cell a
// byte.
func writeBytes(b *strings.Builder, f *flat, differs []int) {
	segs, empty := segments(f, differs)
	b.WriteString("<div class=\"bytes\">\n")
	row, open := int64(-1), false
	closeRow := func() {
		if open {
			b.WriteString("</div>\n")
			open = false
		}
	}
	openRow := func(r int64) {
		if open && row == r {
			return
		}
		closeRow()
		row, open = r, true
		fmt.Fprintf(b, "<div class=\"row\"><span class=\"off\">%d</span>", r*rowBytes)
	}
	piece := func(s segment, start, end int64, label string) {
		openRow(start / rowBytes)
		classes := []string{"seg", s.kind}
		if s.kind == "member" {
			classes = append(classes, fmt.Sprintf("c%d", s.color))
		}
		if c := movedClass(s.moved); c != "" {
			classes = append(classes, c)
		}
		col := start%rowBytes + 2
		title := strings.Join(s.titles, "\n")
		if title == "" {
			title = fmt.Sprintf("%s at %d", strings.Join(s.labels, " | "), s.start)
		}
		fmt.Fprintf(b, "<span class=\"%s\" style=\"grid-column:%d/span %d\" title=\"%s\">%s</span>",
			strings.Join(classes, " "), col, end-start, esc(title), esc(label))
	}
	for _, s := range segs {
		label := strings.Join(s.labels, " | ")
		firstRow, lastRow := s.start/rowBytes, (s.end-1)/rowBytes
		if lastRow-firstRow+1 > foldRows {
			// The first row, a fold that says how much is hidden, the last.
			piece(s, s.start, (firstRow+1)*rowBytes, label)
			closeRow()
			hidden := lastRow*rowBytes - (firstRow+1)*rowBytes
			fmt.Fprintf(b, "<div class=\"row fold\"><span class=\"off\">&#8942;</span><span class=\"seg %s fold %s\" style=\"grid-column:2/span %d\">%d more bytes of %s</span></div>\n",
				s.kind, movedClass(s.moved), rowBytes, hidden, esc(label))
			piece(s, lastRow*rowBytes, s.end, "")
			continue
		}
		for r := firstRow; r <= lastRow; r++ {
			start, end := max(s.start, r*rowBytes), min(s.end, (r+1)*rowBytes)
			l := label
			if r > firstRow {
				l = ""
			}
			piece(s, start, end, l)
		}
	}
	closeRow()
	b.WriteString("</div>\n")
	if len(empty) > 0 {
		fmt.Fprintf(b, "<p class=\"empty\">no bytes: %s</p>\n", esc(strings.Join(empty, ", ")))
	}
	// The members by name, offset first: the labels in the picture are
	// cut short where a member's bytes are narrower than its name.
	b.WriteString("<ol class=\"names\">")
	for _, s := range segs {
		if s.kind != "member" {
			continue
		}
		for i, l := range s.labels {
			fmt.Fprintf(b, "<li title=\"%s\"><span class=\"off\">%d</span> %s</li>", esc(s.titles[i]), s.start, esc(l))
		}
	}
	b.WriteString("</ol>\n")
}

// movedClass is the CSS class of a highlight level.
func movedClass(level int) string {
	switch level {
	case movesInPair:
		return "moved"
	case movesAcross:
		return "across"
	}
	return ""
}

// palette is the number of member colors (classes c0 ... c11 in css).
const palette = 12

// colorOf picks a member's color by its name, so that a member has the
// same color on every target.
func colorOf(name string) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32() % palette)
}

// anchor turns a record name into an HTML id.
func anchor(name string) string {
	var b strings.Builder
	b.WriteString("rec-")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

const css = `body { margin: 0; font: 13px/1.35 system-ui, sans-serif; color: #222; display: flex; }
nav { flex: none; width: max-content; max-width: 48vw; height: 100vh; overflow: auto; position: sticky; top: 0;
  border-right: 1px solid #ccc; padding: 8px 12px; box-sizing: border-box; background: #fafafa; }
main { flex: 1; padding: 8px 16px; min-width: 0; }
@media (max-width: 1000px) {
  body { display: block; }
  nav { width: auto; max-width: none; height: auto; position: static; border-right: none; border-bottom: 1px solid #ccc; }
  main { padding: 8px; }
}
h1 { font-size: 16px; margin: 4px 0; }
h2 { font-size: 15px; margin: 0 0 4px; }
h3 { font-size: 13px; margin: 0 0 4px; }
h3 small { font-weight: normal; color: #555; }
p { margin: 2px 0; }
h1, h2, p, li { overflow-wrap: anywhere; }
nav > p, h1 { max-width: 640px; }
.headers, .pos, .summary { color: #555; }
.note { color: #8a4b00; }
table.records { border-collapse: collapse; margin-top: 8px; font-size: 11px; }
table.records th { text-align: left; position: sticky; top: -8px; background: #eee; }
table.records td, table.records th { padding: 1px 4px; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
table.records td:first-child { white-space: normal; overflow-wrap: anywhere; min-width: 12em; }
table.records td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.records a { color: inherit; text-decoration: none; }
tr.rec.different, tr.rec.partial { background: #ffd7d2; }
tr.rec.word-size { background: #fff1c7; }
.badge { border-radius: 3px; padding: 0 5px; font-size: 12px; font-weight: normal; }
.badge.identical { background: #d6f0d6; }
.badge.word-size { background: #ffe28a; }
.badge.different { background: #e8412c; color: #fff; }
.badge.partial { background: #e8412c; color: #fff; }
.compat { font-size: 12px; font-weight: normal; }
.compat.translate, .compat.one-sided { color: #c0271a; font-weight: bold; }
section.record { border: 1px solid #ddd; border-radius: 4px; padding: 8px; margin: 0 0 12px; }
section.record.different, section.record.partial { border: 2px solid #e8412c; }
ul.differences { margin: 4px 0; padding-left: 18px; color: #7a1a10; }
.targets { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; margin-top: 6px; }
.target { flex: 1 1 250px; min-width: 250px; }
.target.absent { color: #999; }
.bytes { font: 11px/1.2 ui-monospace, monospace; }
.row { display: grid; grid-template-columns: 3.5em repeat(8, minmax(0, 1fr)); gap: 1px; margin-bottom: 1px; }
.off { grid-column: 1; color: #888; text-align: right; padding-right: 4px; }
.seg { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding: 1px 3px; border: 1px solid rgba(0,0,0,.25); border-radius: 2px; min-height: 14px; }
.seg.hole { background: repeating-linear-gradient(45deg, #ddd 0 4px, #fff 4px 8px); color: #666; }
.seg.padding { background: repeating-linear-gradient(-45deg, #cfd8e6 0 4px, #fff 4px 8px); color: #456; }
.seg.fold { text-align: center; font-style: italic; }
.seg.moved { border: 2px solid #e8412c; box-shadow: inset 0 0 0 1px #e8412c; font-weight: bold; }
.seg.across { border: 2px dashed #f0a020; }
ol.names { list-style: none; margin: 4px 0 0; padding: 0; font: 11px/1.3 ui-monospace, monospace; color: #444; }
ol.names li { display: inline-block; margin-right: 10px; }
ol.names .off { color: #888; padding: 0; }
.legend { color: #555; font-size: 12px; }
.legend .seg { display: inline-block; padding: 0 6px; margin: 0 2px; }
.empty { color: #666; font-size: 11px; }
.c0 { background: #a6cee3; } .c1 { background: #b2df8a; } .c2 { background: #fdbf6f; }
.c3 { background: #cab2d6; } .c4 { background: #ffff99; } .c5 { background: #8dd3c7; }
.c6 { background: #fccde5; } .c7 { background: #d9d9d9; } .c8 { background: #bebada; }
.c9 { background: #ccebc5; } .c10 { background: #ffed6f; } .c11 { background: #80b1d3; }
`
