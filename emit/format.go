package emit

import (
	"bytes"
	"fmt"
	doccomment "go/doc/comment"
	"go/format"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
}

// renderAll renders and formats files in parallel, keeping their order.
// The first error (in file order) is returned.
func renderAll(files []pending) ([]File, error) {
	out := make([]File, len(files))
	errs := make([]error, len(files))
	parallel(len(files), func(i int) { out[i], errs[i] = renderJen(files[i].name, files[i].f) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parallel calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines and
// waits for them.
func parallel(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
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

// renderJen renders a jennifer file and formats it once. A formatting
// failure returns the line-numbered source.
func renderJen(name string, f *jen.File) (File, error) {
	f.NoFormat = true
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	b, err := format.Source(buf.Bytes())
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", name, numbered(fmt.Errorf("Error %s while formatting source:\n%s", err, buf.Bytes())))
	}
	return File{Name: name, Data: b}, nil
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
// go/format gives it once formatting it again changes nothing.
func docComment(lines []string) *jen.Statement {
	if len(lines) == 0 {
		return nil
	}
	return jen.Comment(strings.Join(stableDoc(commentLines(lines)), "\n"))
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
