package parser

import (
	"fmt"
	"strconv"
	"strings"

	"modernc.org/cc/v4"
)

type pragmaKind int

const (
	packSet   pragmaKind = iota // pack(N)
	packReset                   // pack()
	packPush                    // pack(push) or pack(push, N)
	packPop                     // pack(pop)
)

// pragma is a #pragma pack seen by the preprocessor.
type pragma struct {
	file string // preprocessor file name
	line int
	col  int
	kind pragmaKind
	n    int64
}

// parsePragma recognises #pragma pack in its gcc forms. Other pragmas are
// not layout-relevant for these headers and are ignored, as gcc ignores the
// ones it does not know.
func parsePragma(toks []cc.Token) (*pragma, error) {
	var words []string
	for _, t := range toks {
		if s := strings.TrimSpace(t.SrcStr()); s != "" {
			words = append(words, s)
		}
	}
	if len(words) == 0 || words[0] != "pack" {
		return nil, nil
	}
	pos := toks[0].Position()
	p := &pragma{file: pos.Filename, line: pos.Line, col: pos.Column}
	bad := func() (*pragma, error) {
		return nil, fmt.Errorf("%v: malformed #pragma pack: %s", pos, strings.Join(words, " "))
	}
	if len(words) < 3 || words[1] != "(" || words[len(words)-1] != ")" {
		return bad()
	}
	args := strings.Split(strings.Join(words[2:len(words)-1], " "), ",")
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimRight(s, "uUlL"), 0, 64)
		return n, err == nil && n > 0 && n&(n-1) == 0 && n <= 16
	}
	switch {
	case len(args) == 1 && args[0] == "":
		p.kind = packReset
	case len(args) == 1 && args[0] == "pop":
		p.kind = packPop
	case args[0] == "push" && len(args) <= 2:
		p.kind = packPush
		if len(args) == 2 {
			n, ok := num(args[1])
			if !ok {
				return bad()
			}
			p.n = n
		}
	case len(args) == 1:
		n, ok := num(args[0])
		if !ok {
			return bad()
		}
		p.kind, p.n = packSet, n
	default:
		return bad()
	}
	return p, nil
}

// packState answers which #pragma pack is in effect at a position. Pack
// state is tracked per file: a pack left in effect at the end of a file
// (which would leak into whatever the includer declares next) is reported
// as unsupported rather than guessed at.
type packState struct {
	byFile map[string][]pragma
}

func newPackState(ps []pragma) *packState {
	s := &packState{byFile: map[string][]pragma{}}
	for _, p := range ps {
		s.byFile[p.file] = append(s.byFile[p.file], p)
	}
	return s
}

// at returns the pack value in effect before line:col of file, 0 for none.
func (s *packState) at(file string, line, col int) int64 {
	var cur int64
	var stack []int64
	for _, p := range s.byFile[file] {
		if p.line > line || p.line == line && p.col > col {
			break
		}
		cur, stack = p.apply(cur, stack)
	}
	return cur
}

func (p pragma) apply(cur int64, stack []int64) (int64, []int64) {
	switch p.kind {
	case packSet:
		cur = p.n
	case packReset:
		cur = 0
	case packPush:
		stack = append(stack, cur)
		if p.n != 0 {
			cur = p.n
		}
	case packPop:
		cur = 0
		if len(stack) > 0 {
			cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
		}
	}
	return cur, stack
}

// leaks returns the pragmas that leave a pack in effect at the end of
// their file.
func (s *packState) leaks() []pragma {
	var out []pragma
	for _, ps := range s.byFile {
		var cur int64
		var stack []int64
		var last pragma
		for _, p := range ps {
			cur, stack = p.apply(cur, stack)
			last = p
		}
		if cur != 0 {
			out = append(out, last)
		}
	}
	return out
}
