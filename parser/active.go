package parser

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"modernc.org/cc/v4"
)

// What Standalone's analysis (survey.go) may leave out of a file's text:
// the branches of its conditionals that are not taken for any order of
// the headers, because the condition depends only on macros the target,
// the mode and cc/v4 predefine and on macros no file of the tree defines.
// A condition on anything else is unknown, and both branches count.

// condEnv is what a condition may be decided on.
type condEnv struct {
	// predefined are the macros defined before any header, with their
	// values ("" when not a plain integer).
	predefined map[string]string
	// treeDefined are the macros some file of the tree #defines.
	treeDefined map[string]bool
}

var predefineRE = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\([^)]*\))?[ \t]*(.*)$`)

// newCondEnv collects the macros cfg's unit defines before its headers:
// the target's and mode's, cc/v4's built-in ones and those of the
// built-in headers.
func newCondEnv(cfg Config, treeDefined map[string]bool) *condEnv {
	e := &condEnv{predefined: map[string]string{}, treeDefined: treeDefined}
	text, err := predefinedText(cfg)
	if err != nil {
		return nil
	}
	text += "\n" + cc.Builtin
	for _, h := range builtinHeaders {
		text += "\n" + h
	}
	for _, m := range predefineRE.FindAllStringSubmatch(text, -1) {
		v := strings.TrimSpace(m[3])
		if m[2] != "" {
			v = ""
		}
		e.predefined[m[1]] = v
	}
	return e
}

// tri is a truth value that may be unknown.
type tri int8

const (
	triUnknown tri = iota
	triFalse
	triTrue
)

// activeLines blanks the lines of text (comments blanked, continuation
// lines joined) in conditional branches known not to be taken, and says
// of each line (as bytes.SplitAfter cuts them) how many of the
// conditionals around it are not known to take the branch it is in; nil
// when that is not known.
func (e *condEnv) activeLines(text []byte) ([]byte, []int) {
	if e == nil {
		return text, nil
	}
	type frame struct {
		outer tri // the enclosing region: taken, not, or unknown
		taken tri // whether an earlier branch of this #if was taken
		cur   tri // whether this branch is taken
	}
	var stack []frame
	active := func() tri {
		if len(stack) == 0 {
			return triTrue
		}
		f := stack[len(stack)-1]
		return and(f.outer, f.cur)
	}
	out := bytes.Clone(text)
	lines := bytes.SplitAfter(text, []byte("\n"))
	uncertain := make([]int, len(lines))
	off := 0
	for i, line := range lines {
		for _, f := range stack {
			if f.cur != triTrue {
				uncertain[i]++
			}
		}
		start := off
		off += len(line)
		t := bytes.TrimLeft(line, " \t")
		blankIf := active() == triFalse
		if len(t) > 0 && t[0] == '#' {
			d := strings.TrimSpace(string(t[1:]))
			word, rest, _ := strings.Cut(d, " ")
			if i := strings.IndexAny(d, " \t("); i >= 0 {
				word, rest = d[:i], d[i:]
			} else {
				word, rest = d, ""
			}
			switch word {
			case "if", "ifdef", "ifndef":
				var c tri
				switch word {
				case "if":
					c = e.eval(rest)
				case "ifdef":
					c = e.isDefined(strings.TrimSpace(rest))
				case "ifndef":
					c = not(e.isDefined(strings.TrimSpace(rest)))
				}
				stack = append(stack, frame{outer: active(), taken: c, cur: c})
				blankIf = false
			case "elif", "else":
				if len(stack) == 0 {
					return text, nil // unbalanced: keep it all
				}
				f := &stack[len(stack)-1]
				c := triTrue
				if word == "elif" {
					c = e.eval(rest)
				}
				f.cur = and(not(f.taken), c)
				f.taken = or(f.taken, c)
				blankIf = false
			case "endif":
				if len(stack) == 0 {
					return text, nil
				}
				stack = stack[:len(stack)-1]
				blankIf = false
			}
		}
		if blankIf {
			for k := start; k < off; k++ {
				if out[k] != '\n' {
					out[k] = ' '
				}
			}
		}
	}
	return out, uncertain
}

func not(a tri) tri {
	switch a {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func and(a, b tri) tri {
	if a == triFalse || b == triFalse {
		return triFalse
	}
	if a == triTrue && b == triTrue {
		return triTrue
	}
	return triUnknown
}

func or(a, b tri) tri {
	if a == triTrue || b == triTrue {
		return triTrue
	}
	if a == triFalse && b == triFalse {
		return triFalse
	}
	return triUnknown
}

// isDefined says whether a macro is defined where a header tests it.
func (e *condEnv) isDefined(name string) tri {
	switch {
	case e.treeDefined[name]:
		return triUnknown // the tree may define it, or #undef it
	case hasKey(e.predefined, name):
		return triTrue
	}
	return triFalse
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

var condTokenRE = regexp.MustCompile(`\s*(defined\b|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|&&|\|\||==|!=|<=|>=|[!()<>])`)

// eval decides an #if or #elif condition, or says it cannot.
func (e *condEnv) eval(expr string) tri {
	var toks []string
	rest := strings.TrimSpace(expr)
	for rest != "" {
		m := condTokenRE.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return triUnknown // an operator this evaluator does not know
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = strings.TrimSpace(rest[m[1]:])
	}
	p := &condParser{e: e, toks: toks}
	v := p.or()
	if p.bad || p.i != len(toks) {
		return triUnknown
	}
	if !v.known {
		return triUnknown
	}
	if v.n != 0 {
		return triTrue
	}
	return triFalse
}

// condValue is an integer that may be unknown.
type condValue struct {
	known bool
	n     int64
}

type condParser struct {
	e    *condEnv
	toks []string
	i    int
	bad  bool
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *condParser) next() string {
	t := p.peek()
	p.i++
	return t
}

func truth(v condValue) tri {
	switch {
	case !v.known:
		return triUnknown
	case v.n != 0:
		return triTrue
	}
	return triFalse
}

func fromTri(t tri) condValue {
	switch t {
	case triTrue:
		return condValue{true, 1}
	case triFalse:
		return condValue{true, 0}
	}
	return condValue{}
}

func (p *condParser) or() condValue {
	v := p.and()
	for p.peek() == "||" {
		p.next()
		v = fromTri(or(truth(v), truth(p.and())))
	}
	return v
}

func (p *condParser) and() condValue {
	v := p.cmp()
	for p.peek() == "&&" {
		p.next()
		v = fromTri(and(truth(v), truth(p.cmp())))
	}
	return v
}

func (p *condParser) cmp() condValue {
	v := p.unary()
	for {
		op := p.peek()
		switch op {
		case "==", "!=", "<", ">", "<=", ">=":
		default:
			return v
		}
		p.next()
		w := p.unary()
		if !v.known || !w.known {
			v = condValue{}
			continue
		}
		var r bool
		switch op {
		case "==":
			r = v.n == w.n
		case "!=":
			r = v.n != w.n
		case "<":
			r = v.n < w.n
		case ">":
			r = v.n > w.n
		case "<=":
			r = v.n <= w.n
		case ">=":
			r = v.n >= w.n
		}
		v = fromTri(map[bool]tri{true: triTrue, false: triFalse}[r])
	}
}

func (p *condParser) unary() condValue {
	switch t := p.next(); {
	case t == "!":
		return fromTri(not(truth(p.unary())))
	case t == "(":
		v := p.or()
		if p.next() != ")" {
			p.bad = true
		}
		return v
	case t == "defined":
		name := p.next()
		paren := name == "("
		if paren {
			name = p.next()
		}
		if paren && p.next() != ")" {
			p.bad = true
		}
		return fromTri(p.e.isDefined(name))
	case t != "" && (t[0] >= '0' && t[0] <= '9'):
		return number(t)
	case t != "":
		// A macro: its value when predefined as a number and never
		// defined by the tree; 0 when defined nowhere.
		switch p.e.isDefined(t) {
		case triFalse:
			return condValue{true, 0}
		case triTrue:
			return number(p.e.predefined[t])
		}
		return condValue{}
	}
	p.bad = true
	return condValue{}
}

func number(s string) condValue {
	s = strings.TrimRight(s, "uUlL")
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return condValue{}
	}
	return condValue{true, n}
}

// predefinedMacro reports whether the target's predefined macros or a
// built-in header define name, and how.
func (e *condEnv) predefinedMacro(name string) (string, bool) {
	if e == nil {
		return "", true // unknown: as if it were
	}
	v, ok := e.predefined[name]
	return v, ok
}

// predefinedWithPrefix reports whether the name of a predefined macro
// (see predefinedMacro) may begin with p.
func (e *condEnv) predefinedWithPrefix(p string) bool {
	if e == nil {
		return true
	}
	for name := range e.predefined {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
