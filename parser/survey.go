package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"modernc.org/cc/v4"
)

// Which headers stand alone, with few translations.
//
// A header stands alone for a target and mode when xen.h followed by it
// translates without error (gcc's view: cc/v4 also accepts some
// redefinitions gcc refuses, see redefinedTags). Translating each header
// on its own after xen.h costs one translation per header, most of it
// xen.h's again. Instead, Standalone translates xen.h followed by all the
// candidate headers as one unit (a group), and takes a header's verdict
// from the group when the header's part of the group provably went as it
// would on its own:
//
//   - X is what xen.h alone reads; it comes first in both and is the same.
//   - Ch, the header's closure, is the set of files it enters (after X),
//     read from the include marks of the group (safe.go): the files its
//     #includes really entered. Every file of Ch has an include guard or
//     is entered only from Ch, so it is read as often alone.
//   - Nothing the rest of the group (O, the files of the other headers)
//     declares or defines is used by a file of Ch: not a macro (by name,
//     and through the bodies of the macros Ch uses), not a declared name
//     (the group's file scope, each name with the files of its
//     declarations), not a name built by ## (matched, as an argument with
//     at most two pieces before and after it, by the arguments Ch and O
//     pass to pasting macros; see builtFrom). A file whose every
//     invocation of a macro that only names a type (XEN_GUEST_HANDLE(x),
//     one identifier pasted from identifiers) stands where no declarator
//     can, before an identifier or '*', uses the name it builds but does
//     not declare it (typeOnly): DEFINE_XEN_GUEST_HANDLE(x) does. What a
//     file uses is read from its text, in the branches of its
//     conditionals not known to be skipped for the target and mode
//     (active.go).
//   - Within Ch, a file uses nothing of the files of Ch outside its own
//     closure (but its only includer's), and nothing of the other files
//     of Ch before its last #include; so whether a file of Ch was first
//     read in this header's part of the group or in an earlier header's,
//     it saw the same definitions.
//
// Then every token of the header's part is the same alone as in the group,
// and the group translated without error. A header for which any of this
// does not hold, and every header the group's errors point at (a group
// with errors is translated again without them), is translated on its own
// as before: that translation also gives the reason a header is left out.
// So is every header of a group stopped at a time or memory limit (its own
// translation names the one at fault).
// TestStandaloneEquivalent compares the decisions with one translation per
// header on every pinned tree, target and mode.
//
// The headers likely to spoil the group (survey_text.go's spoilers) are
// translated on their own first; those that stand alone join the group
// with their verdict known. The group is translated as Parse translates
// (macro values, model): when the headers that stand alone are exactly
// the group's, as they are on the pinned trees, that translation is the
// final parse of -include all, which is then not made again.

// surveyInfo is what a survey translation tells about its unit besides
// the verdict.
type surveyInfo struct {
	// Edges are the entries into files, in order, each with the file
	// whose #include entered it ("" for a header of the unit).
	Edges [][2]string
	// Names are the names the unit declares at file scope (ordinary
	// identifiers and tags), each with the files of its declarations;
	// only when the unit translated.
	Names map[string][]string `json:",omitempty"`
	// Tags are the tags defined with a body ("struct s", "union u",
	// "enum e"), each with the place of every definition.
	Tags map[string][]Pos `json:",omitempty"`
	// Macros are the macros defined at the end of the unit, sorted.
	Macros []string `json:",omitempty"`
}

// newSurvey collects what a survey answers from a translation.
func newSurvey(g *syntaxGuard, ast *cc.AST, ok bool) *surveyInfo {
	s := &surveyInfo{Edges: g.edges}
	if !ok || ast == nil || ast.Scope == nil {
		return s
	}
	s.Names = map[string][]string{}
	s.Tags = map[string][]Pos{}
	for name, nodes := range ast.Scope.Nodes {
		var files []string
		for _, n := range nodes {
			p := n.Position()
			if p.Filename == probeSource {
				continue // the macro probe's objects (translateGuessed)
			}
			f := strings.TrimPrefix(p.Filename, treeRoot+"/")
			files = append(files, f)
			if kind := tagDefinition(n); kind != "" {
				k := kind + " " + name
				s.Tags[k] = append(s.Tags[k], Pos{File: f, Line: p.Line, Col: p.Column})
			}
		}
		if len(files) == 0 && len(nodes) > 0 {
			continue
		}
		sort.Strings(files)
		s.Names[name] = compactStrings(files)
	}
	for m := range ast.Macros {
		s.Macros = append(s.Macros, m)
	}
	sort.Strings(s.Macros)
	return s
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// survey translates xen.h followed by includes, as a probe does (no
// macro values), and returns what the translation tells. Its error is
// the translation's (an ErrorList), or a *LimitError.
func survey(base Config, includes []string) (*surveyInfo, error) {
	s, _, err := surveyParse(base, includes, false, nil)
	return s, err
}

// surveyParse is survey, also asking the child for the whole parse (macro
// values and the encoded model, as Parse does) when parse is set: the
// model, nil when the translation failed, its model has errors or no
// child ran. probe guesses the macros the parse's probe needs
// (probeGuess).
func surveyParse(base Config, includes []string, parse bool, probe []string) (*surveyInfo, []byte, error) {
	c := base
	c.Includes = includes
	if _, _, err := ccConfig(c, nil); err != nil {
		return nil, nil, err
	}
	res, err := runChildResult(c, childRequest{TreeName: c.TreeName, Target: c.Target, Mode: c.Mode, Includes: c.Includes, Dialect: c.Dialect, Survey: true, Eval: parse, Model: parse, Probe: probe})
	if err == errNoChild {
		s, err := surveyHere(c)
		return s, nil, err
	}
	if res == nil || res.Survey == nil {
		if err == nil {
			err = errors.New("the parser's child sent no survey")
		}
		return nil, nil, err
	}
	return res.Survey, res.Model, err
}

// surveyHere is survey in this process, where no child can run.
func surveyHere(c Config) (*surveyInfo, error) {
	ccfg, sources, err := ccConfig(c, nil)
	if err != nil {
		return nil, err
	}
	ccfg.EvalAllMacros = false
	display := c.display(c.includes()[len(c.includes())-1])
	ast, err := translate(ccfg, sources, c.limits().timeout(0), display)
	if le := (*LimitError)(nil); errors.As(err, &le) {
		return nil, err
	}
	err = settleConflicts(ccfg, sources, err) // as the child does (conflicts.go)
	g := ccfg.FS.(vfs).guard
	s := newSurvey(g, ast, err == nil && g.err == nil)
	if g.err != nil {
		g.err.display = c.display(g.err.Pos.File)
		return s, ErrorList{g.err}
	}
	if err != nil {
		return s, c.ccErrors(err)
	}
	return s, nil
}

// verdict is what Standalone decided about one header.
type verdict struct {
	ok     bool
	reason string // why it is left out
	// err is the translation's error when !ok (for telling a syntax
	// error from a header that legitimately does not stand alone).
	err error
	// info is the survey whose part for this header is as the header's
	// own translation (its closure and tags), nil for a header whose
	// configuration fails.
	info *surveyInfo
}

// maxGroupRounds bounds the translations of the group: after as many
// rounds with errors, the headers left are translated one by one.
const maxGroupRounds = 8

// groupParse is the whole parse (as Parse makes it in its child) of the
// translated group: when the headers that stand alone are exactly the
// group's, the final parse of -include all is this translation, which
// need not be made again.
type groupParse struct {
	includes []string  // the unit's headers, xen.h first
	model    []byte    // encoded (codec.go)
	reads    *recordFS // what the translation read, for the cache's manifest
}

// decide finds the verdict of every header of all (sorted, xen.h among
// them) for cfg's target and mode. The error is a *LimitError (or a list
// of them), never a verdict. The group's parse is nil when the group did
// not translate or no child sent its model.
func decide(base Config, all []string) (map[string]verdict, *surveyInfo, *groupParse, error) {
	xen, err := survey(base, nil)
	if le := (*LimitError)(nil); errors.As(err, &le) {
		return nil, nil, nil, err
	}
	out := map[string]verdict{}
	var single []string // headers translated on their own
	var members []string
	for _, h := range all {
		if h != "xen.h" {
			members = append(members, h)
		}
	}
	var gp *groupParse
	if err != nil {
		// xen.h alone fails: so does every header (the real parse
		// reports why); translate them one by one as a probe would.
		single = members
		xen = nil
	} else {
		tx := newTreeText(base, all)
		x := xen.files()
		var group *surveyInfo
		// Headers that would spoil the group for the others go on
		// their own first (a choice of speed, not of verdicts). Those
		// that stand alone join the group after all, with their
		// verdict known: then the group can be the final parse.
		var spoiled, pending []string
		spoils := spoilers(tx, x, all)
		for _, h := range members {
			if spoils(h) || !x[h] && redefinesXTag(tx, h, xen) {
				spoiled = append(spoiled, h)
			} else {
				pending = append(pending, h)
			}
		}
		res, err := translateSingles(base, spoiled)
		if err != nil {
			return nil, nil, nil, err
		}
		known := map[string]bool{}
		for i, h := range spoiled {
			out[h] = res[i]
			if res[i].ok {
				known[h] = true
				if tag, _ := redefinedTags(h, res[i].info, xen); tag == "" {
					pending = append(pending, h)
				} // else left out all the same: not in the final parse
			}
		}
		sort.Strings(pending)
		guess := probeGuess(tx, all)
		var model []byte
		var reads *recordFS
		for round := 0; len(pending) > 0; round++ {
			if round == maxGroupRounds {
				single = append(single, pending...)
				pending = nil
				break
			}
			c := base
			reads = &recordFS{fs: base.Tree, reads: map[string]string{}}
			c.Tree = reads
			s, m, err := surveyParse(c, pending, true, guess)
			if le := (*LimitError)(nil); errors.As(err, &le) {
				// No verdict about any header: their own translations
				// find the one at fault (and name it).
				single = append(single, pending...)
				pending = nil
				break
			}
			if err == nil {
				group, model = s, m
				break
			}
			blamed := blame(s, err, pending)
			if len(blamed) == 0 {
				single = append(single, pending...)
				pending = nil
				break
			}
			var rest []string
			for _, h := range pending {
				if blamed[h] {
					single = append(single, h)
				} else {
					rest = append(rest, h)
				}
			}
			pending = rest
		}
		if group != nil {
			if model != nil {
				gp = &groupParse{includes: append([]string{"xen.h"}, pending...), model: model, reads: reads}
			}
			a := newGroupAnalysis(tx, x, xen, group)
			for _, h := range pending {
				if known[h] {
					continue
				}
				if a.clean(h) {
					out[h] = verdict{ok: true, info: group}
				} else {
					single = append(single, h)
				}
			}
		}
		// A header whose verdict is known needs no second translation.
		var rest []string
		for _, h := range single {
			if !known[h] {
				rest = append(rest, h)
			}
		}
		single = rest
	}
	// The rest, one translation each.
	sort.Strings(single)
	res, err := translateSingles(base, single)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, h := range single {
		out[h] = res[i]
	}
	return out, xen, gp, nil
}

// redefinesXTag reports whether header h's text defines a tag that
// xen.h's unit defines: gcc refuses it after xen.h (see redefinedTags),
// and so the final parse leaves it out of the group's headers.
func redefinesXTag(tx *treeText, h string, xen *surveyInfo) bool {
	t := tx.get(h)
	if t == nil {
		return false
	}
	for tag := range t.tagDefs {
		if len(xen.Tags[tag]) > 0 {
			return true
		}
	}
	return false
}

// translateSingles translates xen.h followed by each of headers on its
// own, as many at a time as there are CPUs, and returns their verdicts.
// The error is the *LimitError of every translation stopped at a limit
// (after one, the rest are not translated: the answer is an error
// anyway).
func translateSingles(base Config, headers []string) ([]verdict, error) {
	res := make([]verdict, len(headers))
	limitErrs := make([]error, len(headers))
	var stopped bool
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(headers)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				mu.Lock()
				stop := stopped
				mu.Unlock()
				if stop {
					continue
				}
				s, err := survey(base, []string{headers[i]})
				switch le := (*LimitError)(nil); {
				case errors.As(err, &le):
					limitErrs[i] = err
					mu.Lock()
					stopped = true
					mu.Unlock()
				case err != nil:
					res[i] = verdict{reason: firstLine(err.Error()), err: err, info: s}
				default:
					res[i] = verdict{ok: true, info: s}
				}
			}
		}()
	}
	for i := range headers {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(limitErrs...); err != nil {
		return nil, err
	}
	return res, nil
}

// files is the set of files a survey's unit entered.
func (s *surveyInfo) files() map[string]bool {
	m := map[string]bool{}
	for _, e := range s.Edges {
		m[e[1]] = true
	}
	return m
}

// firstTops maps each file a unit entered to the header of the unit
// under which it was first entered.
func (s *surveyInfo) firstTops() map[string]string {
	m := map[string]string{}
	top := ""
	for _, e := range s.Edges {
		if e[0] == "" {
			top = e[1]
		}
		if _, ok := m[e[1]]; !ok {
			m[e[1]] = top
		}
	}
	return m
}

// blame finds the headers of a failed group whose part holds an error.
// It returns nothing when an error is not in any header's part.
func blame(s *surveyInfo, err error, members []string) map[string]bool {
	var list ErrorList
	if !errors.As(err, &list) || s == nil {
		return nil
	}
	isMember := map[string]bool{}
	for _, h := range members {
		isMember[h] = true
	}
	tops := s.firstTops()
	out := map[string]bool{}
	for _, e := range list {
		top := tops[e.Pos.File]
		if !isMember[top] {
			return nil
		}
		out[top] = true
	}
	return out
}

// groupAnalysis decides which headers of a translated group take their
// verdict from it.
type groupAnalysis struct {
	tx    *treeText
	x     map[string]bool // the files xen.h alone enters
	group *surveyInfo
	// children are the files each file's #includes entered, in order;
	// parents, the files whose #includes entered each file ("" for the
	// top level), once per entry.
	children, parents map[string][]string
	// macros are the bodies of every macro of the files entered, by
	// name (all definitions together).
	macros map[string][]string
	// pasting are the macros that paste tokens (## in their body, or a
	// pasting macro used in it); pastes, those with ## in their body.
	pasting, pastes map[string]bool
	// pieces are the identifiers of the bodies of the macros that
	// paste; piecesBy, the same by their first byte.
	pieces   map[string]bool
	piecesBy [256][]string
	// declared are the names the group declares that xen.h alone does
	// not, each with the files (outside X) of its declarations; names
	// declared only in X's files (built by a macro of X) are generated.
	declared  map[string][]string
	generated []string

	// xMacros are the macros defined at the end of xen.h's unit;
	// undefined, the macros some file of the group #undefs.
	xMacros, undefined map[string]bool
	// groupMacros are the macros defined at the end of the group.
	groupMacros map[string]bool

	// definitions are the texts of every definition of each macro in
	// the files entered (fileText.definitions); objectLike, the macros
	// some file defines without parameters; unread, whether the group
	// entered a file whose text the analysis cannot read.
	definitions map[string][]string
	objectLike  map[string]bool
	unread      bool

	// Set by index: the files outside X defining each name, what each
	// file uses, the generated names each may use, and of those, the
	// ones it may use before its last #include.
	defFiles  map[string][]string
	fileUses  map[string]map[string]bool
	genUsed   map[string][]string
	genPrefix map[string][]string
	// nameOnly remembers nameOnly's answers.
	nameOnlyMemo map[string]bool
}

func newGroupAnalysis(tx *treeText, x map[string]bool, xen, group *surveyInfo) *groupAnalysis {
	a := &groupAnalysis{tx: tx, x: x, group: group, xMacros: map[string]bool{}, groupMacros: map[string]bool{}, children: map[string][]string{}, parents: map[string][]string{}, macros: map[string][]string{}, pasting: map[string]bool{}, pastes: map[string]bool{}, pieces: map[string]bool{}, declared: map[string][]string{}, definitions: map[string][]string{}, objectLike: map[string]bool{}}
	seen := map[string]bool{}
	for _, e := range group.Edges {
		if e[0] != "" {
			a.children[e[0]] = append(a.children[e[0]], e[1])
		}
		a.parents[e[1]] = append(a.parents[e[1]], e[0])
		if seen[e[1]] {
			continue
		}
		seen[e[1]] = true
		if f := tx.get(e[1]); f != nil {
			for name, body := range f.macros {
				a.macros[name] = append(a.macros[name], body...)
			}
			for name, defs := range f.definitions {
				a.definitions[name] = append(a.definitions[name], defs...)
			}
			for name := range f.objectLike {
				a.objectLike[name] = true
			}
		} else if _, ok := builtinHeaders[e[1]]; !ok {
			a.unread = true
		}
	}
	for name := range seen {
		if f := tx.get(name); f != nil {
			for m := range f.pastes {
				a.pasting[m] = true
				a.pastes[m] = true
				for _, id := range f.macros[m] {
					a.pieces[id] = true
				}
			}
		}
	}
	for p := range a.pieces {
		if p != "" {
			a.piecesBy[p[0]] = append(a.piecesBy[p[0]], p)
		}
	}
	for changed := true; changed; {
		changed = false
		for m, body := range a.macros {
			if a.pasting[m] {
				continue
			}
			for _, id := range body {
				if a.pasting[id] {
					a.pasting[m] = true
					changed = true
					break
				}
			}
		}
	}
	for _, m := range xen.Macros {
		a.xMacros[m] = true
	}
	for _, m := range group.Macros {
		a.groupMacros[m] = true
	}
	for name, files := range group.Names {
		if _, ok := xen.Names[name]; ok {
			continue
		}
		var outside []string
		for _, f := range files {
			if !x[f] && seen[f] {
				outside = append(outside, f)
			}
		}
		if len(outside) == 0 {
			a.generated = append(a.generated, name)
			continue
		}
		a.declared[name] = outside
		// A name not in the text of the file it is placed in was built
		// by a macro of that file (##) for whichever file used the
		// macro: generated as well.
		for _, f := range outside {
			if t := tx.get(f); t == nil || !t.mentions(name) {
				a.generated = append(a.generated, name)
				break
			}
		}
	}
	sort.Strings(a.generated)
	return a
}

// uses is every identifier file f uses: those of its text, and those of
// the bodies of the macros among them, again and again.
func (a *groupAnalysis) uses(f *fileText) map[string]bool { return a.usesOf(f.idents) }

// usesOf is ids and the identifiers of the bodies of the macros among
// them, again and again.
func (a *groupAnalysis) usesOf(ids map[string]bool) map[string]bool {
	u := map[string]bool{}
	var work []string
	for id := range ids {
		u[id] = true
		work = append(work, id)
	}
	for len(work) > 0 {
		id := work[len(work)-1]
		work = work[:len(work)-1]
		for _, b := range a.macros[id] {
			if !u[b] {
				u[b] = true
				work = append(work, b)
			}
		}
	}
	return u
}

// pastingArgs are the identifiers file f gives pasting macros: the
// arguments of its invocations of them (invocations, of f's) and the
// bodies of the pasting macros it uses, with the bodies of the macros
// among those. The macros skip is true for are left out.
func (a *groupAnalysis) pastingArgs(f *fileText, uses map[string]bool, invocations map[string][]string, skip func(string) bool) map[string]bool {
	p := map[string]bool{}
	var work []string
	add := func(id string) {
		if !p[id] {
			p[id] = true
			work = append(work, id)
		}
	}
	for id := range uses {
		if !a.pasting[id] || skip != nil && skip(id) {
			continue
		}
		for _, arg := range invocations[id] {
			add(arg)
		}
		if !a.pastes[id] || len(invocations[id]) == 0 {
			// A macro that passes names on to a pasting macro: what
			// its body passes. (The body of one that pastes holds the
			// pieces it pastes to its arguments, which stand for the
			// name, unless it has none.)
			for _, b := range a.macros[id] {
				add(b)
			}
		}
	}
	for len(work) > 0 {
		id := work[len(work)-1]
		work = work[:len(work)-1]
		if a.pastes[id] {
			continue // its pieces, not names it passes on
		}
		for _, b := range a.macros[id] {
			add(b)
		}
	}
	return p
}

// index computes, once per group, what each file of the group outside X
// defines and uses.
func (a *groupAnalysis) index() {
	a.defFiles = map[string][]string{}
	a.undefined = map[string]bool{}
	for f := range a.group.files() {
		if t := a.tx.get(f); t != nil {
			for m := range t.undefs {
				a.undefined[m] = true
			}
		}
	}
	a.fileUses = map[string]map[string]bool{}
	a.genUsed = map[string][]string{}
	a.genPrefix = map[string][]string{}
	a.nameOnlyMemo = map[string]bool{}
	for f := range a.group.files() {
		if a.x[f] {
			continue
		}
		t := a.tx.get(f)
		if t == nil {
			continue
		}
		u := a.uses(t)
		args := a.pastingArgs(t, u, t.invocations, nil)
		// What f may build and declare: not what its invocations of
		// macros that only name a type build (XEN_GUEST_HANDLE(x) p;
		// uses __guest_handle_x, DEFINE_XEN_GUEST_HANDLE(x); declares
		// it).
		defArgs := a.pastingArgs(t, u, t.invocations, func(m string) bool { return a.typeOnly(t, m) })
		prefixArgs := a.pastingArgs(t, a.usesOf(t.prefix), t.prefixInvocations, nil)
		a.fileUses[f] = u
		for m := range t.macros {
			if !t.undefs[m] && a.sameAsX(m, t.definitions[m]) {
				continue // X's own definition again: changes nothing
			}
			if t.defaults[m] && a.xMacros[m] && !a.undefined[m] {
				continue // a default for a macro X defines: never taken
			}
			if !a.groupMacros[m] && !a.undefined[m] {
				continue // never defined in the group: its #defines are in branches not taken
			}
			a.defFiles[m] = append(a.defFiles[m], f)
		}
		argList, defList, prefixList := nonEmptyKeys(args), nonEmptyKeys(defArgs), nonEmptyKeys(prefixArgs)
		for _, n := range a.generated {
			if !a.builtFrom(n, args, argList) {
				continue
			}
			// f may have built n, and may use it.
			a.genUsed[f] = append(a.genUsed[f], n)
			if a.isMacro(n) || a.builtFrom(n, defArgs, defList) {
				a.defFiles[n] = append(a.defFiles[n], f)
			}
			if a.builtFrom(n, prefixArgs, prefixList) {
				a.genPrefix[f] = append(a.genPrefix[f], n)
			}
		}
	}
	for n, files := range a.declared {
		a.defFiles[n] = append(a.defFiles[n], files...)
	}
}

// nonEmptyKeys are the keys of m but "".
func nonEmptyKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// isMacro reports whether name may be a macro somewhere in the group.
func (a *groupAnalysis) isMacro(name string) bool {
	_, inFiles := a.macros[name]
	_, outside := a.tx.env.predefinedMacro(name)
	return inFiles || outside || a.xMacros[name] || a.groupMacros[name] || a.undefined[name]
}

// typeOnly reports whether every invocation of macro m in f's text is a
// type name and nothing else: m only names a type (nameOnly), every
// invocation's arguments are identifiers that are not macros, and each
// is followed by '*' or by an identifier that is not a macro or a
// keyword that may follow a declarator (an attribute, asm). Then the
// invocation declares nothing: a declarator cannot be followed by
// either.
func (a *groupAnalysis) typeOnly(f *fileText, m string) bool {
	if len(f.next[m]) == 0 || !a.nameOnly(m, map[string]bool{}) {
		return false
	}
	for _, arg := range f.invocations[m] {
		if a.isMacro(arg) {
			return false
		}
	}
	for _, n := range f.next[m] {
		switch {
		case n == "*":
		case n == "" || !isIdentByte(n[0]) || isDigit(n[0]) || a.isMacro(n):
			return false
		case strings.HasPrefix(n, "__attribute") || n == "asm" || strings.HasPrefix(n, "__asm"):
			return false
		}
	}
	return true
}

// nameOnly reports whether every expansion of function-like macro m,
// given identifiers that are not macros, is one identifier that is not
// a macro: every definition of m in the group's files is
//
//	P ## a ## b ...     (P not a parameter, and no macro name begins with P)
//	N                   (not a parameter, not a macro)
//	M2(A1, ...)         (M2 nameOnly; each Ai a parameter, an identifier
//	                     that is not a macro, or P ## a ... as above)
//
// and nothing else defines it (no predefined macro, no object-like
// definition, no #undef in the group, no file the analysis cannot
// read). seen guards against recursion.
func (a *groupAnalysis) nameOnly(m string, seen map[string]bool) bool {
	if v, ok := a.nameOnlyMemo[m]; ok {
		return v
	}
	if seen[m] {
		return false
	}
	seen[m] = true
	v := a.nameOnlyDefs(m, seen)
	a.nameOnlyMemo[m] = v
	return v
}

func (a *groupAnalysis) nameOnlyDefs(m string, seen map[string]bool) bool {
	defs := a.definitions[m]
	if a.unread || len(defs) == 0 || a.objectLike[m] || a.undefined[m] {
		return false
	}
	if _, ok := a.tx.env.predefinedMacro(m); ok {
		return false
	}
	for _, d := range defs {
		params, body, ok := splitDefinition(d)
		if !ok {
			return false
		}
		toks, ok := defTokens(body)
		if !ok || len(toks) == 0 {
			return false
		}
		// pasted: whether toks[i:j] is a ## b ## ... whose result is
		// one identifier that is not a macro.
		pasted := func(toks []string, paramAlone bool) bool {
			if len(toks)%2 == 0 {
				return false
			}
			for i, t := range toks {
				if (i%2 == 1) != (t == "##") || i%2 == 0 && !isIdentByte(t[0]) {
					return false
				}
			}
			if len(toks) == 1 {
				if params[toks[0]] {
					return paramAlone
				}
				return !a.isMacro(toks[0])
			}
			return !params[toks[0]] && !a.macroWithPrefix(toks[0])
		}
		if pasted(toks, false) {
			continue
		}
		// M2(A1, ...)
		if len(toks) < 3 || toks[1] != "(" || toks[len(toks)-1] != ")" || params[toks[0]] || !a.nameOnly(toks[0], seen) {
			return false
		}
		var arg []string
		for _, t := range toks[2:] {
			if t == "," || t == ")" {
				if !pasted(arg, true) {
					return false
				}
				arg = arg[:0]
				continue
			}
			if t == "(" {
				return false
			}
			arg = append(arg, t)
		}
	}
	return true
}

// macroWithPrefix reports whether a macro's name may begin with p.
func (a *groupAnalysis) macroWithPrefix(p string) bool {
	for _, set := range []map[string]bool{a.xMacros, a.groupMacros, a.undefined} {
		for name := range set {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
	}
	for name := range a.macros {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return a.tx.env.predefinedWithPrefix(p)
}

// splitDefinition splits the text of a function-like macro's definition
// (fileText.definitions: "(a, b) body") into its parameters and body.
func splitDefinition(d string) (map[string]bool, string, bool) {
	if !strings.HasPrefix(d, "(") {
		return nil, "", false
	}
	list, body, ok := strings.Cut(d[1:], ")")
	if !ok {
		return nil, "", false
	}
	params := map[string]bool{}
	if strings.TrimSpace(list) != "" {
		for _, p := range strings.Split(list, ",") {
			p = strings.TrimSpace(p)
			if p == "" || isDigit(p[0]) || identEnd([]byte(p), 0) != len(p) {
				return nil, "", false // "...", or not a parameter list
			}
			params[p] = true
		}
	}
	return params, body, true
}

// defTokens splits a macro body into identifiers, "##", "(", ")" and
// ","; ok is false for anything else.
func defTokens(body string) ([]string, bool) {
	var toks []string
	b := []byte(body)
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '#' && i+1 < len(b) && b[i+1] == '#':
			toks = append(toks, "##")
			i += 2
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case isIdentByte(c) && !isDigit(c):
			j := identEnd(b, i)
			toks = append(toks, body[i:j])
			i = j
		default:
			return nil, false
		}
	}
	return toks, true
}

// sameAsX reports whether every one of defs is the one definition X's
// files give macro m.
func (a *groupAnalysis) sameAsX(m string, defs []string) bool {
	if len(defs) == 0 {
		return false
	}
	var xdef string
	for f := range a.x {
		t := a.tx.get(f)
		if t == nil {
			continue
		}
		if t.undefs[m] {
			return false
		}
		for _, d := range t.definitions[m] {
			if xdef != "" && d != xdef {
				return false
			}
			xdef = d
		}
	}
	for _, d := range defs {
		if d != xdef {
			return false
		}
	}
	return true
}

// builtFrom reports whether name may have been pasted from one of args:
// whether it is an argument with, before and after it, at most two
// pieces each, a piece being an argument or an identifier of the body of
// a macro that pastes (what ## joins: "__guest_handle_" ## "const_" ##
// "evtchn_port_t", "XEN_" ## "EPERM"). A name ## builds from more
// pieces than that is not recognized. argList is the non-empty keys of
// args.
func (a *groupAnalysis) builtFrom(name string, args map[string]bool, argList []string) bool {
	piece := func(s string) bool { return s == "" || a.pieces[s] || args[s] }
	// pieces2: s is a piece, or a piece p (non-empty, shorter than s) then
	// another. The candidates for p are the pieces and arguments s begins
	// with: far fewer than the places s may be split at.
	pieces2 := func(s string) bool {
		if piece(s) {
			return true
		}
		for _, list := range [][]string{a.piecesBy[s[0]], argList} {
			for _, p := range list {
				if len(p) < len(s) && p[0] == s[0] && strings.HasPrefix(s, p) && piece(s[len(p):]) {
					return true
				}
			}
		}
		return false
	}
	// Whether name[:i] and name[i:] are at most two pieces, by i: an
	// argument may occur many times in a name ("t", say).
	var before, after []int8 // made at the first occurrence of an argument
	memo := func(m []int8, i int, s string) bool {
		if m[i] == 0 {
			m[i] = 2
			if pieces2(s) {
				m[i] = 1
			}
		}
		return m[i] == 1
	}
	for _, arg := range argList {
		for i := strings.Index(name, arg); i >= 0; {
			if before == nil {
				before, after = make([]int8, len(name)+1), make([]int8, len(name)+1)
			}
			if memo(before, i, name[:i]) && memo(after, i+len(arg), name[i+len(arg):]) {
				return true
			}
			j := strings.Index(name[i+1:], arg)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

// clean reports whether header h's part of the group is as h's own
// translation after xen.h (see the comment at the top of this file).
func (a *groupAnalysis) clean(h string) bool {
	ok, _ := a.cleanWhy(h)
	return ok
}

// cleanWhy is clean, with the reason when h is not (for debugging).
func (a *groupAnalysis) cleanWhy(h string) (bool, string) {
	if a.defFiles == nil {
		a.index()
	}
	// Ch: the files h entered, outside X.
	closure := func(root string) map[string]bool {
		c := map[string]bool{}
		var walk func(f string)
		walk = func(f string) {
			if c[f] || a.x[f] {
				return
			}
			c[f] = true
			for _, ch := range a.children[f] {
				walk(ch)
			}
		}
		walk(root)
		return c
	}
	ch := closure(h)
	for f := range ch {
		t := a.tx.get(f)
		if t == nil || a.fileUses[f] == nil {
			return false, f + ": not read"
		}
		if !t.guarded {
			// Read as often as it is entered: only h's part may enter
			// it, so that it is read the same times alone.
			for _, p := range a.parents[f] {
				if !(ch[p] || p == "" && f == h) {
					return false, fmt.Sprintf("%s: no include guard, entered from %q", f, p)
				}
			}
		}
		// Files of X that f includes again must be guarded too.
		for _, c := range a.children[f] {
			if a.x[c] {
				if t := a.tx.get(c); t == nil || !t.guarded {
					return false, "unguarded X file " + c
				}
			}
		}
	}
	for f := range ch {
		t := a.tx.get(f)
		own := closure(f)
		check := func(n string) (bool, string) {
			for _, g := range a.defFiles[n] {
				switch {
				case !ch[g]:
					return false, fmt.Sprintf("%s uses %s of %s", f, n, g) // defined by the rest of the group
				case g != f && !own[g] && !a.onlyIncluder(f, g):
					return false, fmt.Sprintf("%s uses %s of sibling %s", f, n, g) // by a file of Ch outside f's closure
				}
			}
			return true, ""
		}
		for n := range a.fileUses[f] {
			if t.selfDefined[n] {
				continue
			}
			if ok, why := check(n); !ok {
				return false, why
			}
		}
		for _, n := range a.genUsed[f] {
			if ok, why := check(n); !ok {
				return false, "generated " + why
			}
		}
		// Before its last #include, f may see a file of Ch that it sees
		// later alone, or not at all: it must use nothing of them there.
		prefix := a.usesOf(t.prefix)
		for _, n := range a.genPrefix[f] {
			prefix[n] = true
		}
		for n := range prefix {
			if t.selfDefined[n] {
				continue
			}
			for _, g := range a.defFiles[n] {
				if g != f {
					return false, fmt.Sprintf("%s uses %s of %s before its last #include", f, n, g)
				}
			}
		}
	}
	return true, ""
}

// onlyIncluder reports whether every entry into file f was an #include
// of file g: then f is read where g includes it, alone as in the group,
// and sees what g defined before that.
func (a *groupAnalysis) onlyIncluder(f, g string) bool {
	ps := a.parents[f]
	for _, p := range ps {
		if p != g {
			return false
		}
	}
	return len(ps) > 0
}

// redefinedTags returns, for a header that stands alone by cc/v4, the tag
// a file of its closure defines again after xen.h's unit defined it, and
// the file of xen.h's definition: gcc and clang refuse any second
// definition ("redefinition of 'struct arch_vcpu_info'": Xen 4.19's
// arch-riscv.h after xen.h on arm), cc/v4 accepts an identical one.
func redefinedTags(h string, info, xen *surveyInfo) (string, string) {
	if info == nil || xen == nil {
		return "", ""
	}
	x := xen.files()
	// h's closure in info.
	children := map[string][]string{}
	for _, e := range info.Edges {
		if e[0] != "" {
			children[e[0]] = append(children[e[0]], e[1])
		}
	}
	ch := map[string]bool{}
	var walk func(f string)
	walk = func(f string) {
		if ch[f] || x[f] {
			return
		}
		ch[f] = true
		for _, c := range children[f] {
			walk(c)
		}
	}
	walk(h)
	// The first such definition: in h itself, else in the first file
	// of its closure by name, by line.
	var best Pos
	var bestTag, bestOf string
	before := func(a, b Pos) bool {
		if (a.File == h) != (b.File == h) {
			return a.File == h
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	}
	for tag, defs := range info.Tags {
		prev := xen.Tags[tag]
		if len(prev) == 0 {
			continue
		}
		for _, p := range defs {
			if ch[p.File] && (bestTag == "" || before(p, best) || p == best && tag < bestTag) {
				best, bestTag, bestOf = p, tag, prev[0].File
			}
		}
	}
	return bestTag, bestOf
}

// includedBy finds the headers of the tree that #include h (in any
// branch of their conditionals), by their text.
func includedBy(tree fs.FS, all []string, h string) []string {
	var out []string
	for _, f := range all {
		if f == h {
			continue
		}
		b, err := fs.ReadFile(tree, f)
		if err != nil {
			continue
		}
		for _, name := range includeNames(b) {
			if path.Clean(path.Join(path.Dir(f), name)) == h || path.Clean(name) == h {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// syntaxError reports whether a translation's first error is a syntax
// error of the C parser (not an #error, a missing file or a type
// conflict).
func syntaxError(err error) (*Error, bool) {
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return nil, false
	}
	e := list[0]
	return e, strings.HasPrefix(e.Msg, "unexpected ")
}

// errNotStandalone is the error -include all gives for a header with a
// syntax error that no other header includes: it is broken, not
// legitimately left out.
func errNotStandalone(e *Error, h string) error {
	return fmt.Errorf("%w (-include all: %s does not parse after xen.h, and no header that includes it does)", e, h)
}
