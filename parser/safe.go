package parser

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"modernc.org/cc/v4"
)

// translate runs cc.Translate and turns a panic inside cc/v4 into an
// error: bad input must never crash xenbind.
func translate(cfg *cc.Config, sources []cc.Source) (ast *cc.AST, err error) {
	defer func() {
		if r := recover(); r != nil {
			ast, err = nil, fmt.Errorf("the C front end could not handle this input: %v", r)
		}
	}()
	return cc.Translate(cfg, sources)
}

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
	code := blankCommentsAndLiterals(src)
	loc := hangingStar.FindIndex(code)
	if loc == nil {
		return nil
	}
	line := 1 + bytes.Count(src[:loc[0]], []byte("\n"))
	col := loc[0] - bytes.LastIndexByte(src[:loc[0]], '\n')
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = &Error{Pos: Pos{File: file, Line: line, Col: col}, Msg: "'*' declares nothing (a declarator needs a name here)"}
	}
	return errSyntax
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
