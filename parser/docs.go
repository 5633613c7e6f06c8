package parser

import (
	"io/fs"
	"strings"

	"modernc.org/token"
)

type tokenPosition = token.Position

// docReader recovers doc comments from the header text by position:
// cc/v4 keeps no comment nodes.
type docReader struct {
	tree  fs.FS
	lines map[string][]string // by tree-relative file
}

func newDocReader(tree fs.FS) *docReader {
	return &docReader{tree: tree, lines: map[string][]string{}}
}

func (d *docReader) file(name string) []string {
	if l, ok := d.lines[name]; ok {
		return l
	}
	var l []string
	if b, err := fs.ReadFile(d.tree, name); err == nil {
		l = strings.Split(string(b), "\n")
	}
	d.lines[name] = l
	return l
}

// at returns the comment that documents a declaration: the comment block
// ending on the line above where the declaration starts (decl), then a
// comment following the declared name (pos) on its line. Xen puts section
// comments ("OUT parameters.") above members and what a member holds
// ("=> enum grant_status") after it: both say something.
func (d *docReader) at(pos, decl Pos) string {
	if decl.File == "" || strings.HasPrefix(decl.File, "/") || strings.HasPrefix(decl.File, "<") {
		return ""
	}
	lines := d.file(decl.File)
	lead := leading(lines, decl.Line-1)
	if pos.File != decl.File {
		return lead
	}
	trail := trailing(lines, pos.Line-1, pos.Col-1)
	switch {
	case lead == "" || trail == lead:
		return trail
	case trail == "":
		return lead
	}
	return lead + "\n\n" + trail
}

// leading returns the comment block directly above line i (0-based).
func leading(lines []string, i int) string {
	j := i - 1
	if j < 0 || j >= len(lines) {
		return ""
	}
	last := strings.TrimSpace(lines[j])
	switch {
	case strings.HasSuffix(last, "*/"):
		end := j
		for ; j >= 0; j-- {
			if strings.Contains(lines[j], "/*") {
				break
			}
		}
		if j < 0 || !strings.HasPrefix(strings.TrimSpace(lines[j]), "/*") {
			return "" // the comment trails code: it documents that code
		}
		return clean(lines[j : end+1])
	case strings.HasPrefix(last, "//"):
		end := j
		for j > 0 && strings.HasPrefix(strings.TrimSpace(lines[j-1]), "//") {
			j--
		}
		return clean(lines[j : end+1])
	}
	return ""
}

// trailing returns a comment that follows column col on line i.
func trailing(lines []string, i, col int) string {
	if i < 0 || i >= len(lines) {
		return ""
	}
	rest := lines[i]
	if col > 0 && col < len(rest) {
		rest = rest[col:]
	}
	if k := strings.Index(rest, "//"); k >= 0 && !strings.Contains(rest[:k], "/*") {
		return clean([]string{rest[k:]})
	}
	k := strings.Index(rest, "/*")
	if k < 0 {
		return ""
	}
	block := []string{rest[k:]}
	for j := i; !strings.Contains(block[len(block)-1], "*/"); {
		j++
		if j >= len(lines) || j > i+40 {
			return ""
		}
		block = append(block, lines[j])
	}
	return clean(block)
}

// clean strips comment markers and the decoration of block comments.
func clean(block []string) string {
	var out []string
	for _, l := range block {
		l = strings.TrimSpace(l)
		if k := strings.Index(l, "*/"); k >= 0 {
			l = l[:k]
		}
		l = strings.TrimPrefix(l, "/*")
		l = strings.TrimPrefix(l, "//")
		l = strings.TrimLeft(l, "*")
		if strings.HasPrefix(l, " ") {
			l = l[1:]
		}
		out = append(out, strings.TrimRight(l, " \t"))
	}
	for len(out) > 0 && strings.TrimSpace(out[0]) == "" {
		out = out[1:]
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}
