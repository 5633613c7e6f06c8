package emit

import (
	"bytes"
	"fmt"
	"go/ast"
	doccomment "go/doc/comment"
	"go/parser"
	"go/printer"
	"go/token"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// Formatting. Every file goes through go/format exactly once: jennifer's
// own formatting is off (renderJen). One pass is not always a fixed point:
// go/format rewrites a doc comment (a comment at the left margin that
// abuts a declaration) with go/doc/comment, and that rewrite can change
// its own output again (a line it turns into a code block, say). So doc
// comments are put in their final form before rendering (docComment), and
// the single pass of go/format then leaves them as they are. The goldens
// and the staleness test prove the output gofmt-clean.

// pending is a file built and not yet rendered.
type pending struct {
	name string
	f    *jen.File
	// guards are layout guards written as text at the end of the file's
	// guard function after formatting (see renderFile).
	guards []guard
}

// parsedFiles are rendered files' syntax trees, kept from formatting for
// the type check: every file is parsed once. Positions are those of the
// unformatted text (the type check parses the formatted files again to
// describe an error).
type parsedFiles struct {
	fset  *token.FileSet
	names []string    // the files' names
	asts  []*ast.File // in the order of the files
	// guards are the layout guards of each file that its tree lacks
	// (pending.guards): checkGuards checks them.
	guards [][]layoutGuard
}

// renderAll renders and formats files in parallel, keeping their order.
// The first error (in file order) is returned.
func renderAll(files []pending) ([]File, *parsedFiles, error) {
	return renderInto(token.NewFileSet(), files, nil)
}

// renderInto is renderAll with the trees parsed into fset. Every file is
// parsed before any is printed; parsed, when not nil, gets the trees
// then, so that the type check can run while the files are printed
// (neither changes the trees).
func renderInto(fset *token.FileSet, files []pending, parsed func(*parsedFiles)) ([]File, *parsedFiles, error) {
	trees := &parsedFiles{fset: fset, names: make([]string, len(files)), asts: make([]*ast.File, len(files)), guards: make([][]layoutGuard, len(files))}
	sizes := make([]int, len(files))
	errs := make([]error, len(files))
	parallel(len(files), func(i int) {
		p := files[i]
		trees.names[i] = p.name
		trees.asts[i], sizes[i], errs[i] = parseJen(fset, p.name, p.f)
		for _, gd := range p.guards {
			trees.guards[i] = append(trees.guards[i], layoutGuard{guard: gd})
		}
	})
	if err := firstError(errs); err != nil {
		return nil, nil, err
	}
	if parsed != nil {
		parsed(trees)
	}
	out := make([]File, len(files))
	parallel(len(files), func(i int) {
		p := files[i]
		out[i], errs[i] = printFile(fset, p.name, trees.asts[i], sizes[i])
		if errs[i] == nil && len(p.guards) > 0 {
			out[i].Data, errs[i] = appendGuards(p.name, out[i].Data, p.guards)
		}
	})
	if err := firstError(errs); err != nil {
		return nil, nil, err
	}
	return out, trees, nil
}

// firstError is the first error that is not nil, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parallel calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines and
// waits for them.
func parallel(n int, f func(i int)) { parallelWith(runtime.GOMAXPROCS(0), n, f) }

// parallelWith is parallel on up to workers goroutines: more than the CPUs
// for work that mostly waits (writing and syncing files).
func parallelWith(workers, n int, f func(i int)) {
	workers = min(n, workers)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// gofmt is go/format's printer configuration: format.Source is a parse
// with comments, ast.SortImports and this printer. The mode bit 1<<30 is
// go/printer's normalizeNumbers, which go/format sets and does not
// export; TestFormatIsGofmt proves the output equal to format.Source's.
var gofmt = printer.Config{Mode: printer.UseSpaces | printer.TabIndent | 1<<30, Tabwidth: 8}

// renderJen renders a jennifer file and formats it once, as format.Source
// would, into fset; it returns the syntax tree too. A formatting failure
// returns the line-numbered source.
func renderJen(fset *token.FileSet, name string, f *jen.File) (File, *ast.File, error) {
	af, size, err := parseJen(fset, name, f)
	if err != nil {
		return File{}, nil, err
	}
	out, err := printFile(fset, name, af, size)
	return out, af, err
}

// parseJen renders a jennifer file, unformatted, and parses it into
// fset, imports sorted, as format.Source would; it returns the length of
// the text too. A parse failure returns the line-numbered source.
func parseJen(fset *token.FileSet, name string, f *jen.File) (*ast.File, int, error) {
	f.NoFormat = true
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	raw := markStableDocs(buf.Bytes())
	// Parsed under the name "" as format.Source does, so that an error
	// reads the same.
	af, err := parser.ParseFile(fset, "", raw, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, numbered(fmt.Errorf("Error %s while formatting source:\n%s", err, raw)))
	}
	ast.SortImports(fset, af)
	return af, len(raw), nil
}

// printFile prints a tree parseJen made as go/format prints it; size is
// the length of the unformatted text.
func printFile(fset *token.FileSet, name string, af *ast.File, size int) (File, error) {
	var out bytes.Buffer
	out.Grow(size + size/4)
	if err := gofmt.Fprint(&out, fset, af); err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	return File{Name: name, Data: out.Bytes()}, nil
}

// comment is a comment of lines as written, for a place where go/format
// does not rewrite comments (inside a declaration).
func comment(lines []string) *jen.Statement {
	if len(lines) == 0 {
		return nil
	}
	return jen.Comment(strings.Join(commentLines(lines), "\n"))
}

// docComment is the doc comment of a top-level declaration, in the form
// go/format gives it once formatting it again changes nothing. It ends
// with stableDocMark (see renderJen).
func docComment(lines []string) *jen.Statement {
	if len(lines) == 0 {
		return nil
	}
	return jen.Comment(docText(lines))
}

// docText is docComment's text, remembered by its lines (docs): a
// declaration that differs between targets has the same doc in each
// target's file, and go/doc/comment is the dear part of writing it.
func docText(lines []string) string {
	key := strings.Join(lines, "\x00")
	if strings.Count(key, "\x00") != len(lines)-1 {
		return makeDocText(lines) // a NUL in a line: no unambiguous key
	}
	docs.Lock()
	text, ok := docs.m[key]
	docs.Unlock()
	if ok {
		return text
	}
	text = makeDocText(lines)
	docs.Lock()
	if len(docs.m) >= maxDocs {
		clear(docs.m)
	}
	docs.m[key] = text
	docs.Unlock()
	return text
}

func makeDocText(lines []string) string {
	list := commentLines(lines)
	if !plainDoc(lines) {
		list = stableDoc(list)
	}
	return strings.Join(list, "\n") + "\n" + stableDocMark
}

// plainDoc reports whether lines are paragraphs of plain text that
// go/doc/comment prints back as they are, so that stableDoc would return
// commentLines(lines) unchanged: single blank lines between paragraphs
// and none at the ends; no line indented (a code block), ending in a
// blank, holding a control character, starting like a list item or a
// heading ('-', '*', '+', '•', a digit, '#'), or holding a link ('[' or
// "://"); no one-line paragraph between blank lines that ends in a letter
// or digit (an old-style heading). Anything else goes through stableDoc.
// TestPlainDoc holds it to stableDoc.
func plainDoc(lines []string) bool {
	if len(lines) == 0 || lines[0] == "" || lines[len(lines)-1] == "" {
		return false
	}
	for i, l := range lines {
		if l == "" {
			if lines[i-1] == "" {
				return false
			}
			continue
		}
		switch c := l[0]; {
		case c == ' ' || c == '\t' || c == '-' || c == '*' || c == '+' || c == '#' || '0' <= c && c <= '9' || strings.HasPrefix(l, "•"):
			return false
		}
		if c := l[len(l)-1]; c == ' ' || c == '\t' {
			return false
		}
		for j := range len(l) {
			if c := l[j]; c < ' ' && c != '\t' || c == 0x7f || c == '[' {
				return false
			}
		}
		if strings.Contains(l, "://") {
			return false
		}
		if i > 0 && lines[i-1] == "" && i+1 < len(lines) && lines[i+1] == "" {
			r, _ := utf8.DecodeLastRuneInString(l)
			if r >= utf8.RuneSelf || unicode.IsLetter(r) || unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// docs holds the doc texts made, by their lines joined with NULs. The
// rendering of files runs in parallel, hence the lock.
var docs = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// maxDocs bounds docs for a process that generates many packages: more
// than one generation's docs (a few thousand), then it starts again.
const maxDocs = 1 << 14

// stableDocMark follows, on a line of its own, a doc comment docComment
// made: renderJen removes it before parsing, and indents the line after
// it by one space. go/printer rewrites a doc comment that ends just
// before an unindented declaration, as go/doc/comment formats it; a
// stable doc comment would come out unchanged, so the space saves that
// work (a third of the printer's time), and changes nothing else: the
// printer places top-level declarations by their lines, not columns.
const stableDocMark = "//xenbind:stable-doc"

var (
	stableDocLine = []byte("\n" + stableDocMark + "\n")
	stableDocTail = []byte("\n" + stableDocMark)
)

// markStableDocs replaces each stableDocMark line of raw jennifer output
// by a space before the next line (see stableDocMark).
func markStableDocs(raw []byte) []byte {
	if !bytes.Contains(raw, stableDocTail) {
		return raw
	}
	raw = bytes.ReplaceAll(raw, stableDocLine, []byte("\n "))
	if bytes.Contains(raw, stableDocTail) { // at the very end
		raw = bytes.ReplaceAll(raw, stableDocTail, nil)
	}
	return raw
}

// commentLines turns text lines into // lines; tabs become spaces.
func commentLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l == "" {
			out[i] = "//"
		} else {
			out[i] = "// " + strings.ReplaceAll(l, "\t", "    ")
		}
	}
	return out
}

// maxDocPasses bounds the rewrites of a doc comment: go/doc/comment
// reaches its fixed point within two on anything seen so far.
const maxDocPasses = 8

// stableDoc rewrites // lines the way go/format rewrites a doc comment,
// until that changes nothing more.
func stableDoc(list []string) []string {
	for range maxDocPasses {
		next := formatDoc(list)
		if slices.Equal(next, list) {
			break
		}
		list = next
	}
	return list
}

// formatDoc is one rewrite of // lines as go/printer makes it
// (formatDocComment in go/printer/comment.go): directives set apart, the
// text reformatted by go/doc/comment, trailing blanks dropped.
func formatDoc(list []string) []string {
	var text strings.Builder
	var directives []string
	for _, c := range list {
		after, ok := strings.CutPrefix(c, "//")
		if !ok {
			return list
		}
		if isDirective(after) {
			directives = append(directives, c)
			continue
		}
		text.WriteString(strings.TrimPrefix(after, " "))
		text.WriteString("\n")
	}
	if text.Len() == 0 {
		return list
	}
	var p doccomment.Parser
	var pr doccomment.Printer
	out := string(pr.Comment(p.Parse(text.String())))
	var lines []string
	for out != "" {
		var line string
		line, out, _ = strings.Cut(out, "\n")
		switch {
		case line == "":
			line = "//"
		case strings.HasPrefix(line, "\t"):
			line = "//" + line
		default:
			line = "// " + line
		}
		lines = append(lines, strings.TrimRight(line, " \t"))
	}
	if len(directives) > 0 {
		lines = append(lines, "//")
		lines = append(lines, directives...)
	}
	return lines
}

// isDirective reports whether the text of a // comment is a directive
// (//go:build, //line, ...), as go/printer decides it.
func isDirective(c string) bool {
	if strings.HasPrefix(c, "line ") || strings.HasPrefix(c, "extern ") || strings.HasPrefix(c, "export ") {
		return true
	}
	colon := strings.Index(c, ":")
	if colon <= 0 || colon+1 >= len(c) {
		return false
	}
	for i := 0; i <= colon+1; i++ {
		if i == colon {
			continue
		}
		b := c[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}
