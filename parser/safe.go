package parser

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"modernc.org/cc/v4"
)

// translate runs cc.Translate and turns a panic inside cc/v4 into an
// error: bad input must never crash xenbind. cc/v4's parser can also loop
// for ever on some malformed input (at the end of a file inside a
// declarator, say); syntaxGuard refuses the known cases up front, and a
// parse that outlives translateTimeout is abandoned with an error. The
// abandoned goroutine cannot be stopped and runs until the process exits:
// a command exits right after reporting the error.
func translate(cfg *cc.Config, sources []cc.Source, timeout time.Duration) (*cc.AST, error) {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
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
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.ast, r.err
	case <-timer.C:
		return nil, fmt.Errorf("the C front end did not finish in %v: malformed input makes modernc.org/cc/v4 loop (check the syntax near the end of the last header)", timeout)
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
}

var hangingStar = regexp.MustCompile(`\*(?:\s|\*|\bconst\b|\bvolatile\b|\brestrict\b|\b__restrict\w*|\b_Atomic\b|\b__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\))*[;}]`)

func (g *syntaxGuard) check(file string, src []byte) error {
	code := blankDirectives(blankCommentsAndLiterals(src))
	if loc := hangingStar.FindIndex(code); loc != nil {
		return g.fail(file, src, loc[0], "'*' declares nothing (a declarator needs a name here)")
	}
	if at := danglingStar(code); at >= 0 {
		return g.fail(file, src, at, "the file ends inside a declarator")
	}
	return nil
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
