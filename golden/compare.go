package golden

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/xenbind/xenbind/layout"
)

// Compare returns the differences between two record lists in readable
// form, one per line, or nil when they describe the same layouts. Records
// are matched by name and fields by name, falling back to position for a
// renamed field. Record.Pos and Field.Type are not compared, and a want
// record with Align 0 (unknown) matches any alignment.
func Compare(want, got []layout.Record) []string {
	wantBy := byName(want)
	gotBy := byName(got)
	names := make([]string, 0, len(wantBy)+len(gotBy))
	for n := range wantBy {
		names = append(names, n)
	}
	for n := range gotBy {
		if _, ok := wantBy[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)

	var diffs []string
	for _, n := range names {
		w, inWant := wantBy[n]
		g, inGot := gotBy[n]
		switch {
		case !inGot:
			diffs = append(diffs, fmt.Sprintf("%s: missing record", n))
		case !inWant:
			diffs = append(diffs, fmt.Sprintf("%s: extra record", n))
		default:
			diffs = append(diffs, compareRecord(w, g)...)
		}
	}
	return diffs
}

// byName indexes records by name; a duplicate name keeps the first.
func byName(recs []layout.Record) map[string]*layout.Record {
	m := make(map[string]*layout.Record, len(recs))
	for i := range recs {
		if _, ok := m[recs[i].Name]; !ok {
			m[recs[i].Name] = &recs[i]
		}
	}
	return m
}

func compareRecord(w, g *layout.Record) []string {
	var diffs []string
	add := func(format string, args ...any) {
		diffs = append(diffs, w.Name+": "+fmt.Sprintf(format, args...))
	}
	if w.Kind != g.Kind {
		add("kind %s, want %s", g.Kind, w.Kind)
	}
	if w.Size != g.Size {
		add("size %d, want %d", g.Size, w.Size)
	}
	if w.Align != 0 && w.Align != g.Align {
		add("align %d, want %d", g.Align, w.Align)
	}

	wantIdx := fieldIndex(w.Fields)
	gotIdx := fieldIndex(g.Fields)
	matched := make([]bool, len(g.Fields))
	for i := range w.Fields {
		wf := &w.Fields[i]
		j, ok := gotIdx[wf.Name]
		switch {
		case ok:
			if i != j {
				add("field %s is member %d, want %d", wf.Name, j, i)
			}
		case i < len(g.Fields) && !has(wantIdx, g.Fields[i].Name):
			j = i
			add("field %d renamed %s, want %s", i, g.Fields[i].Name, wf.Name)
		default:
			add("field %s missing", wf.Name)
			continue
		}
		matched[j] = true
		for _, d := range compareField(wf, &g.Fields[j]) {
			add("field %s: %s", wf.Name, d)
		}
	}
	for j := range g.Fields {
		if !matched[j] {
			add("field %s extra", g.Fields[j].Name)
		}
	}
	return diffs
}

func fieldIndex(fs []layout.Field) map[string]int {
	m := make(map[string]int, len(fs))
	for i, f := range fs {
		if _, ok := m[f.Name]; !ok {
			m[f.Name] = i
		}
	}
	return m
}

func has(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

func compareField(w, g *layout.Field) []string {
	var diffs []string
	if w.Offset != g.Offset {
		diffs = append(diffs, fmt.Sprintf("offset %d, want %d", g.Offset, w.Offset))
	}
	if w.Size != g.Size {
		diffs = append(diffs, fmt.Sprintf("size %d, want %d", g.Size, w.Size))
	}
	if !sameInt(w.BitOffset, g.BitOffset) {
		diffs = append(diffs, fmt.Sprintf("bit_offset %s, want %s", intString(g.BitOffset), intString(w.BitOffset)))
	}
	if !sameInt(w.BitSize, g.BitSize) {
		diffs = append(diffs, fmt.Sprintf("bit_size %s, want %s", intString(g.BitSize), intString(w.BitSize)))
	}
	return diffs
}

func sameInt(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func intString(p *int64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(*p, 10)
}
