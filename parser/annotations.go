package parser

import (
	"regexp"
	"sort"
	"strings"
)

// Prototype is a hypercall prototype from the headers' annotations. Xen's
// public headers document their hypercalls in comments whose lines start
// with a backtick (read by Xen's docs/xen-headers), for example in xen.h:
//
//	/*
//	 * ` enum neg_errnoval
//	 * ` HYPERVISOR_mmu_update(const struct mmu_update reqs[],
//	 * `                       unsigned count, unsigned *done_out,
//	 * `                       unsigned foreigndom)
//	 * `
//	 * @reqs is an array of mmu_update_t structures ((ptr, val) pairs).
//	 */
//
// cc/v4 keeps no comments, so these are read from the header text.
type Prototype struct {
	// Name is the function's name, "HYPERVISOR_mmu_update".
	Name string
	// Result is the C return type as written ("enum neg_errnoval", "int").
	Result string
	Params []Param
	// Pos is where the name is written.
	Pos Pos
	// Doc is the rest of the comment the prototype is in: what the header
	// says about the call and its parameters.
	Doc string
}

// Param is one parameter of a Prototype.
type Param struct {
	Name string
	// Type is the C type as written, without the name: "const struct
	// mmu_update []", "unsigned int *", "u64".
	Type string
}

// IsPointer reports whether the parameter is an address: a pointer or an
// array (which C passes as a pointer).
func (p Param) IsPointer() bool {
	return strings.HasSuffix(p.Type, "*") || strings.HasSuffix(p.Type, "]")
}

// prototypeRE finds "HYPERVISOR_name(" in an annotation.
var prototypeRE = regexp.MustCompile(`\b(HYPERVISOR_\w+)\s*\(`)

// ParsePrototypes reads the backtick annotations of one comment's lines
// (comment markers already stripped, one string a line, the first at
// line first of file) and returns the prototypes they declare, with the
// comment's other lines as their Doc.
func ParsePrototypes(file string, first int, lines []string) []*Prototype {
	// ann holds the indexes of the annotation lines and their text.
	var ann []int
	text := make([]string, len(lines))
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "`"); ok {
			ann = append(ann, i)
			text[i] = strings.TrimSpace(rest)
		}
	}
	used := map[int]bool{}
	var out []*Prototype
	for k := 0; k < len(ann); k++ {
		i := ann[k]
		m := prototypeRE.FindStringSubmatchIndex(text[i])
		if m == nil {
			continue
		}
		p := &Prototype{
			Name: text[i][m[2]:m[3]],
			Pos:  Pos{File: file, Line: first + i, Col: 1},
		}
		used[i] = true
		// The result type is written before the name, on the same line
		// or on the annotation line above.
		p.Result = strings.TrimSpace(text[i][:m[2]])
		if p.Result == "" && k > 0 && ann[k-1] == i-1 && !used[i-1] {
			p.Result = text[i-1]
			used[i-1] = true
		}
		// The parameter list may continue over several lines.
		params := text[i][m[1]:]
		for !strings.Contains(params, ")") && k+1 < len(ann) {
			k++
			params += " " + text[ann[k]]
			used[ann[k]] = true
		}
		list, _, ok := strings.Cut(params, ")")
		if !ok {
			continue
		}
		for _, decl := range strings.Split(list, ",") {
			if prm, ok := parseParam(decl); ok {
				p.Params = append(p.Params, prm)
			}
		}
		out = append(out, p)
	}
	// The doc is everything else: prose, and annotations that describe
	// the parameters ("` @va: The virtual address ...").
	var doc []string
	for i, l := range lines {
		switch {
		case used[i]:
		case text[i] != "" || strings.TrimSpace(l) == "`":
			if text[i] != "" {
				doc = append(doc, text[i])
			}
		default:
			doc = append(doc, strings.TrimRight(l, " \t"))
		}
	}
	for len(doc) > 0 && strings.TrimSpace(doc[0]) == "" {
		doc = doc[1:]
	}
	for len(doc) > 0 && strings.TrimSpace(doc[len(doc)-1]) == "" {
		doc = doc[:len(doc)-1]
	}
	d := strings.Join(doc, "\n")
	for _, p := range out {
		p.Doc = d
	}
	return out
}

// parseParam splits a C parameter declaration into its name and type:
// "const struct mmu_update reqs[]" is reqs of type "const struct
// mmu_update []". "void" declares no parameter.
func parseParam(decl string) (Param, bool) {
	decl = strings.Join(strings.Fields(decl), " ")
	if decl == "" || decl == "void" {
		return Param{}, false
	}
	suffix := ""
	if i := strings.IndexByte(decl, '['); i >= 0 {
		suffix = " " + strings.ReplaceAll(decl[i:], " ", "")
		decl = strings.TrimSpace(decl[:i])
	}
	i := strings.LastIndexFunc(decl, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	name, typ := decl[i+1:], strings.TrimSpace(decl[:i+1])
	if typ == "" { // a type without a name
		return Param{Type: name + suffix}, true
	}
	typ = strings.ReplaceAll(typ, " *", "*")
	typ = strings.ReplaceAll(typ, "*", " *")
	return Param{Name: name, Type: strings.TrimSpace(typ + suffix)}, true
}

// Annotation is a comment of the headers holding backtick annotations,
// which Xen's docs/xen-headers script reads: hypercall prototypes, and
// statements such as xen.h's "` enum hypercall_num { // __HYPERVISOR_* =>
// HYPERVISOR_*()", which says how hypercalls are named.
type Annotation struct {
	// Pos is the comment's first line.
	Pos Pos
	// Lines are the comment's lines without the comment markers and the
	// leading " * "; annotation lines keep their backtick.
	Lines []string
}

// Prototypes returns the hypercall prototypes the annotation declares.
func (a *Annotation) Prototypes() []*Prototype {
	return ParsePrototypes(a.Pos.File, a.Pos.Line, a.Lines)
}

// Text returns the annotation lines, without their backticks, one a line.
func (a *Annotation) Text() string {
	var out []string
	for _, l := range a.Lines {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "`"); ok {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return strings.Join(out, "\n")
}

// annotations collects the annotated comments of every header file the
// builder has read, in file and line order.
func (b *builder) annotations() {
	files := make([]string, 0, len(b.docs.lines))
	for f := range b.docs.lines {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for _, c := range commentBlocks(b.docs.lines[f]) {
			b.unit.Annotations = append(b.unit.Annotations, &Annotation{Pos: Pos{File: f, Line: c.first, Col: 1}, Lines: c.lines})
		}
	}
}

// commentBlock is one /* ... */ comment, its lines stripped of the comment
// markers and decoration; first is the 1-based line it starts on.
type commentBlock struct {
	first int
	lines []string
}

// commentBlocks returns the block comments of a file that contain a
// backtick annotation. It reads lines, not C tokens: a "/*" inside a
// string literal would confuse it, and Xen's headers have none.
func commentBlocks(lines []string) []commentBlock {
	var out []commentBlock
	for i := 0; i < len(lines); i++ {
		start := strings.Index(lines[i], "/*")
		if start < 0 {
			continue
		}
		var block []string
		first := i
		rest := lines[i][start+2:]
		for {
			if end := strings.Index(rest, "*/"); end >= 0 {
				block = append(block, rest[:end])
				break
			}
			block = append(block, rest)
			i++
			if i >= len(lines) {
				break
			}
			rest = lines[i]
		}
		has := false
		for j, l := range block {
			// Drop the decoration: leading blanks, one '*' and one blank.
			l = strings.TrimLeft(l, " \t")
			if j > 0 || strings.HasPrefix(l, "*") {
				l = strings.TrimPrefix(l, "*")
			}
			block[j] = strings.TrimPrefix(l, " ")
			has = has || strings.HasPrefix(strings.TrimSpace(l), "`")
		}
		if has {
			out = append(out, commentBlock{first: first + 1, lines: block})
		}
	}
	return out
}
