package parser

import (
	"bytes"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"
)

// What Standalone's analysis (survey.go) reads from the text of the
// headers: identifiers, macro definitions, #includes, include guards, for
// the branches of conditionals not known to be skipped (active.go).

// treeText reads and remembers the text of the tree's files, and what
// Standalone's analysis needs of each.
type treeText struct {
	tree fs.FS
	env  *condEnv
	mu   sync.Mutex
	m    map[string]*fileText
}

// fileText is what the analysis knows of one file's text.
type fileText struct {
	idents map[string]bool // every identifier outside comments and literals
	// prefix are the identifiers before the last #include.
	prefix map[string]bool
	// macros are the names the file #defines or #undefs, with the
	// identifiers of each definition's body.
	macros map[string][]string
	// guarded: an include guard around the whole file.
	guarded bool
	// invocations are, for each identifier followed by '(', the
	// identifiers of its arguments; prefixInvocations, of those before
	// the last #include. next is, for each invocation of each, the token
	// after its ')': an identifier, a punctuator's first byte, "" at the
	// end.
	invocations, prefixInvocations map[string][]string
	next                           map[string][]string
	// pastes are the macros it defines with ## in the body.
	pastes map[string]bool
	// definitions are the macros it defines, each with its definitions'
	// text (parameters and body, blanks collapsed); undefs, the macros
	// it #undefs.
	definitions map[string][]string
	undefs      map[string]bool
	// objectLike are the macros it defines without parameters.
	objectLike map[string]bool
	// tagDefs are the tags it defines with a body ("struct s").
	tagDefs map[string]bool
	// defaults are the macros it defines only inside "#ifndef M",
	// "#define M ...", "#endif": no-ops where M is defined already.
	defaults map[string]bool
	// includes are the names its #include directives give, in branches
	// not known to be skipped; allIncludes, in every branch.
	includes, allIncludes []string
	// hasError: an #error directive in a branch not known to be skipped.
	hasError bool
	// mentioned is every identifier of the text (see mentions).
	mentionOnce sync.Once
	mentioned   map[string]bool
	// selfDefined are the macros it #defines (outside conditionals)
	// before its first code line and before any use: what others
	// define by those names does not reach it.
	selfDefined map[string]bool
}

// newTreeText prepares the analysis of the files of cfg's tree (all are
// its headers) for cfg's target and mode.
func newTreeText(cfg Config, all []string) *treeText {
	t := &treeText{tree: cfg.Tree, m: map[string]*fileText{}}
	defined := map[string]bool{}
	for _, h := range all {
		b, err := fs.ReadFile(cfg.Tree, h)
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(joinLines(blankCommentsAndLiterals(b)), []byte("\n")) {
			t := bytes.TrimLeft(line, " \t")
			if len(t) == 0 || t[0] != '#' {
				continue
			}
			if w, rest := cutWord(bytes.TrimLeft(t[1:], " \t")); string(w) == "define" {
				if n, _ := cutWord(bytes.TrimLeft(rest, " \t")); len(n) > 0 {
					defined[string(n)] = true
				}
			}
		}
	}
	t.env = newCondEnv(cfg, defined)
	return t
}

// joinLines joins continuation lines, so that a directive is one line
// (line numbers are not kept).
func joinLines(text []byte) []byte {
	return lineContinues.ReplaceAllFunc(text, func(b []byte) []byte { return bytes.Repeat([]byte(" "), len(b)) })
}

// lineContinues is a backslash-newline.
var lineContinues = regexp.MustCompile(`\\\r?\n`)

func (t *treeText) get(name string) *fileText {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.m[name]; ok {
		return f
	}
	b, err := fs.ReadFile(t.tree, name)
	var f *fileText
	if err == nil {
		f = analyzeText(b, t.env)
	}
	t.m[name] = f
	return f
}

// includeNames is the name of every match of includeDirective in src, in
// order (as FindAllSubmatch gives them, a few times faster).
func includeNames(src []byte) []string {
	var names []string
	for i := 0; i < len(src); {
		if name, end, ok := includeAt(src, i); ok {
			names = append(names, name)
			i = end
		}
		// The next line start at or after i (a match never ends at one).
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return names
}

// includeAt matches includeDirective at offset i of src, a line start:
// the name and the end of the match.
func includeAt(src []byte, i int) (string, int, bool) {
	blanks := func() {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
	}
	blanks()
	if i >= len(src) || src[i] != '#' {
		return "", 0, false
	}
	i++
	blanks()
	if !bytes.HasPrefix(src[i:], []byte("include")) {
		return "", 0, false
	}
	i += len("include")
	blanks()
	if i >= len(src) || src[i] != '"' && src[i] != '<' {
		return "", 0, false
	}
	i++
	n := bytes.IndexAny(src[i:], "\">")
	if n < 0 {
		return "", 0, false
	}
	return string(src[i : i+n]), i + n + 1, true
}

// analyzeText reads what the analysis needs from a file's text.
func analyzeText(src []byte, env *condEnv) *fileText {
	// Comments and literals blanked, continuation lines joined: both keep
	// every offset, so the raw text gives the names of #includes.
	raw := joinLines(src)
	text, uncertain := env.activeLines(joinLines(blankCommentsAndLiterals(src)))
	f := &fileText{idents: map[string]bool{}, prefix: map[string]bool{}, macros: map[string][]string{}, invocations: map[string][]string{}, prefixInvocations: map[string][]string{}, next: map[string][]string{}, objectLike: map[string]bool{}, tagDefs: map[string]bool{}, pastes: map[string]bool{}, definitions: map[string][]string{}, undefs: map[string]bool{}, defaults: map[string]bool{}, selfDefined: map[string]bool{}}
	f.allIncludes = includeNames(raw)
	type line struct {
		start, end int
		word, name string // a directive's word and the name after it
	}
	var lines []line
	lastInclude := -1 // index in lines
	code := bytes.Clone(text)
	for off := 0; off < len(text); {
		end := bytes.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += off + 1
		}
		l := line{start: off, end: end}
		t := bytes.TrimLeft(text[off:end], " \t")
		if len(t) > 0 && t[0] == '#' {
			w, rest := cutWord(bytes.TrimLeft(t[1:], " \t"))
			n, _ := cutWord(bytes.TrimLeft(rest, " \t"))
			l.word, l.name = string(w), string(n)
			if l.word == "error" {
				f.hasError = true
			}
			if l.word == "include" {
				lastInclude = len(lines)
				if name, _, ok := includeAt(raw[off:end], 0); ok {
					f.includes = append(f.includes, name)
				}
			}
			for k := off; k < end; k++ {
				if code[k] != '\n' {
					code[k] = ' '
				}
			}
		}
		lines = append(lines, l)
		off = end
	}
	// Conditional depth, not counting an include guard's #ifndef.
	depth, base := 0, 0
	if dirs := directiveLines(lines, func(l line) string { return l.word }); len(dirs) >= 2 && lines[dirs[0]].word == "ifndef" && lines[dirs[1]].word == "define" && lines[dirs[0]].name == lines[dirs[1]].name {
		base = 1
	}
	seenCode := false
	usedYet := map[string]bool{}
	for i, l := range lines {
		b := text[l.start:l.end]
		switch l.word {
		case "if", "ifdef", "ifndef":
			depth++
		case "endif":
			depth--
		case "":
			if len(bytes.TrimSpace(b)) > 0 {
				seenCode = true
			}
		}
		// Inside an include guard, and inside conditionals only in
		// branches known to be taken: as if outside conditionals.
		outside := depth <= base || uncertain != nil && i < len(uncertain) && uncertain[i] <= base
		if l.word == "define" && l.name != "" && outside && !seenCode && !usedYet[l.name] {
			f.selfDefined[l.name] = true
		}
		switch l.word {
		case "define", "undef":
			// A macro's body is used where the macro is expanded (uses
			// follows the bodies of the macros a file uses), not here.
			name := l.name
			if name == "" {
				continue
			}
			if l.word == "undef" {
				f.undefs[name] = true
				if _, ok := f.macros[name]; !ok {
					f.macros[name] = nil
				}
				continue
			}
			_, after, _ := bytes.Cut(b, []byte(name))
			// The parameters of a function-like macro are not names it
			// uses.
			params := map[string]bool{}
			bodyText := after
			if len(after) > 0 && after[0] == '(' {
				if end := bytes.IndexByte(after, ')'); end > 0 {
					scanIdents(after[:end], func(id []byte) { params[string(id)] = true })
					bodyText = after[end+1:]
				}
			} else {
				f.objectLike[name] = true
			}
			var body []string
			scanIdents(bodyText, func(id []byte) {
				if !params[string(id)] {
					body = append(body, string(id))
				}
			})
			f.macros[name] = append(f.macros[name], body...)
			if bytes.Contains(after, []byte("##")) {
				f.pastes[name] = true
			}
			f.definitions[name] = append(f.definitions[name], strings.Join(strings.Fields(string(after)), " "))
			if i > 0 && i+1 < len(lines) && lines[i-1].word == "ifndef" && lines[i-1].name == name && lines[i+1].word == "endif" {
				if _, seen := f.defaults[name]; !seen {
					f.defaults[name] = true
				}
			} else {
				f.defaults[name] = false
			}
		default:
			before := i < lastInclude
			scanIdents(b, func(id []byte) {
				usedYet[string(id)] = true
				f.idents[string(id)] = true
				if before {
					f.prefix[string(id)] = true
				}
			})
		}
	}
	for m, ok := range f.defaults {
		if !ok {
			delete(f.defaults, m)
		}
	}
	f.guarded = guardedLines(len(lines), func(i int) (string, string, bool) {
		l := lines[i]
		return l.word, l.name, l.word == "" && len(bytes.TrimSpace(text[l.start:l.end])) > 0
	})
	// Arguments of invocations: an identifier followed by '(' in code.
	prefixEnd := -1
	if lastInclude >= 0 {
		prefixEnd = lines[lastInclude].start
	}
	for i := 0; i < len(code); {
		j := identEnd(code, i)
		if j == i {
			i++
			continue
		}
		k := j
		for k < len(code) && (code[k] == ' ' || code[k] == '\t' || code[k] == '\n') {
			k++
		}
		if k < len(code) && code[k] == '(' && !isDigit(code[i]) {
			name := string(code[i:j])
			depth, e := 1, k+1
			for ; e < len(code) && depth > 0; e++ {
				switch code[e] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			scanIdents(code[k+1:e], func(id []byte) {
				f.invocations[name] = append(f.invocations[name], string(id))
				if i < prefixEnd {
					f.prefixInvocations[name] = append(f.prefixInvocations[name], string(id))
				}
			})
			n := e
			for n < len(code) && (code[n] == ' ' || code[n] == '\t' || code[n] == '\n') {
				n++
			}
			next := ""
			if depth > 0 || !simpleArgs(code[k+1:e-1]) {
				// Not identifiers alone: as if it were followed by
				// nothing (see groupAnalysis.typeOnly).
				n = len(code)
			}
			if m := identEnd(code, n); m > n && !isDigit(code[n]) {
				next = string(code[n:m])
			} else if n < len(code) {
				next = string(code[n])
			}
			f.next[name] = append(f.next[name], next)
		}
		if w := string(code[i:j]); w == "struct" || w == "union" || w == "enum" {
			// A tag defined: struct s {
			n := skipBlanks(code, j)
			if m := identEnd(code, n); m > n && !isDigit(code[n]) {
				if b := skipBlanks(code, m); b < len(code) && code[b] == '{' {
					f.tagDefs[w+" "+string(code[n:m])] = true
				}
			}
		}
		i = j
	}
	return f
}

// skipBlanks returns the offset of the first byte at or after i that is
// not a blank or a newline.
func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
		i++
	}
	return i
}

// simpleArgs reports whether the arguments of an invocation are
// identifiers alone, separated by commas.
func simpleArgs(b []byte) bool {
	for _, arg := range bytes.Split(b, []byte(",")) {
		arg = bytes.TrimSpace(arg)
		if len(arg) == 0 || isDigit(arg[0]) || identEnd(arg, 0) != len(arg) {
			return false
		}
	}
	return true
}

// directiveLines are the indexes of the lines that are directives.
func directiveLines[L any](lines []L, word func(L) string) []int {
	var out []int
	for i, l := range lines {
		if word(l) != "" {
			out = append(out, i)
		}
	}
	return out
}

// cutWord splits b after its leading identifier.
func cutWord(b []byte) ([]byte, []byte) {
	j := identEnd(b, 0)
	return b[:j], b[j:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c)
}

// identEnd returns the end of the identifier (or number) at b[i:], i if
// there is none.
func identEnd(b []byte, i int) int {
	j := i
	for j < len(b) && isIdentByte(b[j]) {
		j++
	}
	return j
}

// scanIdents calls fn with every identifier of b (not numbers).
func scanIdents(b []byte, fn func([]byte)) {
	for i := 0; i < len(b); {
		j := identEnd(b, i)
		if j == i {
			i++
			continue
		}
		if !isDigit(b[i]) && (i == 0 || b[i-1] != '.' || !isDigit(b[max(i-2, 0)])) {
			fn(b[i:j])
		}
		i = j
	}
}

// guardedLines reports whether a file's lines (the directive word and
// name of each, "" for other lines, and whether it is code) put it all
// inside an include guard: "#ifndef G" and "#define G" come first (after
// #includes only), and the #endif closing that #ifndef is the last
// directive, with no code before or after.
func guardedLines(n int, at func(int) (string, string, bool)) bool {
	var dirs []int
	for i := range n {
		w, _, code := at(i)
		if code && len(dirs) == 0 {
			return false
		}
		if w != "" {
			dirs = append(dirs, i)
		}
	}
	// #includes may come before the guard: entering the file again
	// enters them again, and what they enter is checked on its own.
	for len(dirs) > 0 {
		if w, _, _ := at(dirs[0]); w != "include" {
			break
		}
		dirs = dirs[1:]
	}
	if len(dirs) < 3 {
		return false
	}
	w0, g, _ := at(dirs[0])
	w1, g1, _ := at(dirs[1])
	if w0 != "ifndef" || w1 != "define" || g == "" || g != g1 {
		return false
	}
	depth := 0
	for k, i := range dirs {
		switch w, _, _ := at(i); w {
		case "if", "ifdef", "ifndef":
			depth++
		case "endif":
			depth--
			if depth == 0 {
				if k != len(dirs)-1 {
					return false
				}
				for j := i + 1; j < n; j++ {
					if _, _, code := at(j); code {
						return false
					}
				}
				return true
			}
		}
	}
	return false
}

// spoilers returns a function telling the headers likely to spoil a
// group translation, for themselves or for the headers after them. By
// the text of the headers in its closure (their #includes in branches not
// known to be skipped), a header spoils when one of them:
//   - includes a file that is not in the tree (the preprocessor stops);
//   - has an #error not known to be skipped;
//   - defines again a macro of X differently (another architecture's
//     XEN_GUEST_HANDLE breaks every header after it);
//   - is included by other headers only in branches skipped for this
//     target and mode (another architecture's part, like arch-x86/pmu.h
//     on arm);
//   - uses a function-like macro that only files outside the closure
//     and X define (a part of another header, like arch-x86/hvm/save.h).
//
// Only speed depends on it: a header it misses costs a round of the
// group, one it names a translation of its own.
func spoilers(tx *treeText, x map[string]bool, all []string) func(string) bool {
	xdefs := map[string]map[string]bool{}
	for f := range x {
		t := tx.get(f)
		if t == nil {
			continue
		}
		for name, defs := range t.definitions {
			if xdefs[name] == nil {
				xdefs[name] = map[string]bool{}
			}
			for _, d := range defs {
				xdefs[name][d] = true
			}
		}
	}
	inTree := map[string]bool{}
	for _, h := range all {
		inTree[h] = true
	}
	includedActive, includedAny := map[string]bool{}, map[string]bool{}
	macroFiles := map[string][]string{}
	for _, f := range all {
		t := tx.get(f)
		if t == nil {
			continue
		}
		for _, inc := range t.includes {
			includedActive[resolveInclude(inTree, f, inc)] = true
		}
		for _, inc := range t.allIncludes {
			includedAny[resolveInclude(inTree, f, inc)] = true
		}
		for m := range t.definitions {
			macroFiles[m] = append(macroFiles[m], f)
		}
	}
	bad := map[string]bool{} // by file: itself, not its closure
	fileBad := func(f string) bool {
		if v, ok := bad[f]; ok {
			return v
		}
		t := tx.get(f)
		v := t == nil || t.hasError || includedAny[f] && !includedActive[f]
		if t != nil {
			for _, inc := range t.includes {
				if resolveInclude(inTree, f, inc) == "" {
					v = true
				}
			}
			if !x[f] {
				for name, defs := range t.definitions {
					for _, d := range defs {
						if xdefs[name] != nil && !xdefs[name][d] {
							v = true
						}
					}
				}
			}
		}
		bad[f] = v
		return v
	}
	return func(h string) bool {
		seen := map[string]bool{}
		var walk func(f string) bool
		walk = func(f string) bool {
			if seen[f] || x[f] {
				return false // X's files are read already, each once
			}
			seen[f] = true
			if fileBad(f) {
				return true
			}
			if t := tx.get(f); t != nil {
				for _, inc := range t.includes {
					if r := resolveInclude(inTree, f, inc); r != "" && walk(r) {
						return true
					}
				}
			}
			return false
		}
		if walk(h) {
			return true
		}
		for f := range seen {
			t := tx.get(f)
			if t == nil {
				continue
			}
		next:
			for n := range t.invocations {
				files := macroFiles[n]
				if len(files) == 0 || xdefs[n] != nil {
					continue
				}
				for _, g := range files {
					if seen[g] || x[g] {
						continue next
					}
				}
				return true
			}
		}
		return false
	}
}

// resolveInclude finds the tree file an #include of name in file from
// names: beside from, else at the tree's root; "" when neither exists.
func resolveInclude(inTree map[string]bool, from, name string) string {
	if r := path.Clean(path.Join(path.Dir(from), name)); inTree[r] {
		return r
	}
	if r := path.Clean(name); inTree[r] {
		return r
	}
	return ""
}

// mentions reports whether identifier name is anywhere in the file's
// text (code, directives, macro bodies).
func (f *fileText) mentions(name string) bool {
	f.mentionOnce.Do(func() {
		f.mentioned = map[string]bool{}
		for id := range f.idents {
			f.mentioned[id] = true
		}
		for m, body := range f.macros {
			f.mentioned[m] = true
			for _, id := range body {
				f.mentioned[id] = true
			}
		}
	})
	return f.mentioned[name]
}
