package parser

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"modernc.org/cc/v4"
)

// translate runs cc.Translate in this process, a panic inside cc/v4 turned
// into an error: bad input must never crash xenbind. Parse calls it once a
// child process has translated the same input within its limits (see
// child.go), with no timeout. Where no child can run, a parse that outlives
// timeout is abandoned with a *LimitError naming file; the abandoned
// goroutine cannot be stopped and runs until the process exits.
func translate(cfg *cc.Config, sources []cc.Source, timeout time.Duration, file string) (*cc.AST, error) {
	type result struct {
		ast *cc.AST
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("the C front end could not handle this input: %v", r)}
			}
		}()
		ast, err := cc.Translate(cfg, sources)
		done <- result{ast, err}
	}()
	if timeout < 0 {
		r := <-done
		return r.ast, r.err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.ast, r.err
	case <-timer.C:
		return nil, &LimitError{File: file, What: "time", Limit: timeout.String()}
	}
}

// defaultTimeout is far beyond any real parse: all of Xen's public headers
// take about 0.3 s.
const defaultTimeout = 10 * time.Second

// ccDebugSuffix matches the source location cc/v4 appends to some of its
// messages, "(check.go:347:checkScope:)": useful to its authors, noise to
// ours.
var ccDebugSuffix = regexp.MustCompile(`\s*\([\w./-]+\.go:\d+:[^)]*\)\s*$`)

// syntaxGuard keeps from cc/v4 the input its parser loops on for ever: a
// '*' followed, after nothing but qualifiers and attributes, by ';' or '}'
// ("int *;", "struct s { int * };"). That is never valid C, so the file is
// refused with a positioned error before cc/v4 sees it. The text is
// checked with comments and literals blanked out; a macro that expands to
// the same tokens is not caught here.
type syntaxGuard struct {
	mu  sync.Mutex
	err *Error
	// includes is the chain of files being read, outermost first (see
	// includeMarks).
	includes []string
	// texts are the files served, by tree-relative name, for finding the
	// #include line of a chain that nests too deeply.
	texts map[string][]byte
	// edges are the entries into files in order, each with the file
	// whose #include entered it ("" at the top level): guarded entries
	// included, since the marks sit outside a file's guard.
	edges [][2]string
}

// maxIncludeDepth is gcc's limit on #include nesting. cc/v4 has the same
// constant but does not enforce it: an include cycle without guards makes
// it read for ever.
const maxIncludeDepth = 200

// maxBracketDepth bounds the nesting of (), [] and {} in one file: clang's
// default limit (-fbracket-depth). cc/v4's parser and type checker recurse
// once or more per level; far deeper nesting overflows the stack.
const maxBracketDepth = 256

// includeMark is the pragma the guard wraps around every file it serves:
// "#pragma xenbind_include enter", then "#line 1" so that positions are
// unchanged, the file, and "#pragma xenbind_include leave". cc/v4 reads a
// file once and replays it for every #include, so the marks are seen at
// every entry and exit, and the pragma handler keeps the include chain.
const includeMark = "xenbind_include"

// wrap returns a file's text with the include marks around it.
func wrapIncludeMarks(src []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(src) + 80)
	b.WriteString("#pragma " + includeMark + " enter\n#line 1\n")
	b.Write(src)
	b.WriteString("\n#pragma " + includeMark + " leave\n")
	return b.Bytes()
}

// includePragma handles an include mark. It reports whether toks were one;
// once the chain is deeper than maxIncludeDepth it records the error and
// returns cc.SkipSource, which ends preprocessing.
func (g *syntaxGuard) includePragma(toks []cc.Token) (bool, error) {
	var words []string
	for _, t := range toks {
		if s := strings.TrimSpace(t.SrcStr()); s != "" {
			words = append(words, s)
		}
	}
	if len(words) != 2 || words[0] != includeMark {
		return false, nil
	}
	file := strings.TrimPrefix(toks[0].Position().Filename, treeRoot+"/")
	g.mu.Lock()
	defer g.mu.Unlock()
	switch words[1] {
	case "enter":
		parent := ""
		if n := len(g.includes); n > 0 {
			parent = g.includes[n-1]
		}
		g.edges = append(g.edges, [2]string{parent, file})
		g.includes = append(g.includes, file)
		if len(g.includes) > maxIncludeDepth {
			if g.err == nil {
				g.err = g.tooDeep()
			}
			return true, cc.SkipSource
		}
	case "leave":
		// Pop back to this file's entry.
		for i := len(g.includes) - 1; i >= 0; i-- {
			if g.includes[i] == file {
				g.includes = g.includes[:i]
				break
			}
		}
	}
	return true, nil
}

// tooDeep is the error for an include chain over maxIncludeDepth, placed
// at the #include line of the last file that included another, with the
// chain up to its first repetition.
func (g *syntaxGuard) tooDeep() *Error {
	chain := g.includes
	parent, child := chain[len(chain)-2], chain[len(chain)-1]
	line, col := includeLine(g.texts[parent], child)
	seen := map[string]bool{}
	var shown []string
	for _, f := range chain {
		shown = append(shown, f)
		if seen[f] {
			shown = append(shown, "...")
			break
		}
		seen[f] = true
	}
	return &Error{Pos: Pos{File: parent, Line: line, Col: col},
		Msg: fmt.Sprintf("#include nested too deeply (more than %d levels): %s", maxIncludeDepth, strings.Join(shown, " -> "))}
}

var includeDirective = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*include[ \t]*["<]([^">]*)[">]`)

// includeLine finds the #include of child in src: line and column of its
// '#', or 1, 1 when the name was built by a macro.
func includeLine(src []byte, child string) (int, int) {
	for _, m := range includeDirective.FindAllSubmatchIndex(src, -1) {
		name := string(src[m[2]:m[3]])
		if path.Base(name) == path.Base(child) {
			at := bytes.IndexByte(src[m[0]:m[1]], '#') + m[0]
			return 1 + bytes.Count(src[:at], []byte("\n")), at - bytes.LastIndexByte(src[:at], '\n')
		}
	}
	return 1, 1
}

var hangingStar = regexp.MustCompile(`\*(?:\s|\*|\bconst\b|\bvolatile\b|\brestrict\b|\b__restrict\w*|\b_Atomic\b|\b__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\))*[;}]`)

func (g *syntaxGuard) check(file string, src []byte) error {
	text := blankCommentsAndLiterals(src)
	if at := tooDeepBrackets(text); at >= 0 {
		return g.fail(file, src, at, fmt.Sprintf("brackets nested too deeply (more than %d levels)", maxBracketDepth))
	}
	code := blankDirectives(text)
	if loc := hangingStar.FindIndex(code); loc != nil {
		return g.fail(file, src, loc[0], "'*' declares nothing (a declarator needs a name here)")
	}
	if at := danglingStar(code); at >= 0 {
		return g.fail(file, src, at, "the file ends inside a declarator")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.texts == nil {
		g.texts = map[string][]byte{}
	}
	g.texts[file] = src
	return nil
}

// tooDeepBrackets returns the offset of the first bracket nested deeper
// than maxBracketDepth in code (comments and literals blanked), or -1.
// Directive lines count too: a macro body is expanded where it is used.
func tooDeepBrackets(code []byte) int {
	depth := 0
	for i, c := range code {
		switch c {
		case '(', '[', '{':
			depth++
			if depth > maxBracketDepth {
				return i
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return -1
}

func (g *syntaxGuard) fail(file string, src []byte, at int, msg string) error {
	line := 1 + bytes.Count(src[:at], []byte("\n"))
	col := at - bytes.LastIndexByte(src[:at], '\n')
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = &Error{Pos: Pos{File: file, Line: line, Col: col}, Msg: msg}
	}
	return errSyntax
}

// danglingStar finds a file that ends inside a pointer declarator: after
// its last '*' come only keywords and punctuation that cannot end one
// (cc/v4 loops at the end of input there). It returns the offset of that
// '*', or -1.
func danglingStar(code []byte) int {
	i := bytes.LastIndexByte(code, '*')
	if i < 0 || i+1 < len(code) && code[i+1] == '=' {
		return -1
	}
	rest := code[i+1:]
	for j := 0; j < len(rest); j++ {
		c := rest[j]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '*' || c == ';' || c == '{' || c == '}':
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			k := j
			for k < len(rest) && (rest[k] == '_' || rest[k] >= 'a' && rest[k] <= 'z' || rest[k] >= 'A' && rest[k] <= 'Z' || rest[k] >= '0' && rest[k] <= '9') {
				k++
			}
			if !cKeywords[string(rest[j:k])] {
				return -1 // an identifier: a declarator or an expression
			}
			j = k - 1
		default:
			return -1
		}
	}
	return i
}

var cKeywords = map[string]bool{
	"auto": true, "break": true, "case": true, "char": true, "const": true, "continue": true,
	"default": true, "do": true, "double": true, "else": true, "enum": true, "extern": true,
	"float": true, "for": true, "goto": true, "if": true, "inline": true, "int": true, "long": true,
	"register": true, "restrict": true, "return": true, "short": true, "signed": true,
	"sizeof": true, "static": true, "struct": true, "switch": true, "typedef": true, "union": true,
	"unsigned": true, "void": true, "volatile": true, "while": true, "_Bool": true, "_Atomic": true,
}

// blankDirectives blanks preprocessor lines (with their continuations).
func blankDirectives(code []byte) []byte {
	lines := bytes.SplitAfter(code, []byte("\n"))
	cont := false
	for _, l := range lines {
		t := bytes.TrimLeft(l, " \t")
		if cont || len(t) > 0 && t[0] == '#' {
			body := bytes.TrimRight(l, "\r\n")
			cont = len(body) > 0 && body[len(body)-1] == '\\'
			for k := range l {
				if l[k] != '\n' {
					l[k] = ' '
				}
			}
		}
	}
	return code
}

var errSyntax = errors.New("syntax error")

// blankCommentsAndLiterals returns src with comments, string literals and
// character constants replaced by spaces, newlines kept, so that offsets
// still match.
func blankCommentsAndLiterals(src []byte) []byte {
	out := bytes.Clone(src)
	blank := func(i, j int) {
		for k := i; k < j && k < len(out); k++ {
			if out[k] != '\n' {
				out[k] = ' '
			}
		}
	}
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '/' && i+1 < len(src) && src[i+1] == '*':
			j := bytes.Index(src[i+2:], []byte("*/"))
			end := len(src)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end)
			i = end - 1
		case src[i] == '/' && i+1 < len(src) && src[i+1] == '/':
			j := bytes.IndexByte(src[i:], '\n')
			end := len(src)
			if j >= 0 {
				end = i + j
			}
			blank(i, end)
			i = end - 1
		case src[i] == '"' || src[i] == '\'':
			q := src[i]
			j := i + 1
			for ; j < len(src) && src[j] != q && src[j] != '\n'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			blank(i, j+1)
			i = j
		}
	}
	return out
}
