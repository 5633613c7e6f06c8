package parser

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/cc/v4"
)

// probeSource names the probe pass's extra source.
const probeSource = "<probe>"

// probePrefix names the objects of the probe pass.
const probePrefix = "__xenbind_probe_"

// probeMacroValues gives a value to the object-like macros that expand to
// a call of a function-like macro and that cc/v4's macro evaluation leaves
// without one: Linux's ioctl numbers, _IOC(_IOC_NONE, 'P', 0,
// sizeof(struct privcmd_hypercall)), are of this kind. The unit is
// translated once more with one constant object per such macro,
//
//	static const unsigned long long __xenbind_probe_NAME = (NAME);
//
// and the compiler's value of each initializer becomes the macro's value:
// sizeof, the shifts and the casts are the C front end's, for the target.
// A macro that is not an expression makes the probe fail; then no macro
// gets a value from it (an absent constant, never a wrong one).
//
// sizeof, _Alignof and offsetof are cc/v4's own record layout, which
// ignores packed and #pragma pack and is wrong for some bit-fields. So
// every macro with a value whose expansion takes one of them, probed or
// evaluated by cc/v4 alone, is probed too, and its operands that involve
// a record are listed (Macro.Layout) with its expression (Macro.Expr):
// package layout holds them to its own engine. An operand the model
// cannot name leaves the macro without a value (Macro.NoValue).
//
// The probe unit is new text for cc/v4, so it is translated in a child
// process first, like the unit itself (see child.go); a probe the child
// cannot finish gives no values.
func probeMacroValues(c Config, cfg *cc.Config, sources []cc.Source, b *builder) {
	// A candidate calls a function-like macro (or an operator that looks
	// like one): text that merely has the shape, such as
	// __attribute__((aligned(8))), is no expression and would fail the
	// probe of every other candidate with it.
	callable := map[string]bool{}
	for _, m := range b.unit.Macros {
		if m.FuncLike {
			callable[m.Name] = true
		}
	}
	var calls, sized []*Macro
	for _, m := range b.unit.Macros {
		if m.FuncLike {
			continue
		}
		if m.Value != nil {
			if b.takesLayout(m.Name, map[string]bool{}) {
				sized = append(sized, m)
			}
			continue
		}
		text := strings.TrimSpace(m.Text)
		n := strings.IndexFunc(text, func(r rune) bool {
			return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		})
		if n < 0 {
			n = len(text)
		}
		if n == 0 || !strings.HasPrefix(strings.TrimSpace(text[n:]), "(") || !callable[text[:n]] && !probeOperator(text[:n]) {
			continue
		}
		calls = append(calls, m)
	}
	vals, ok := b.probedAll(calls, sized)
	if !ok {
		vals = probeMacros(c, cfg, sources, append(append([]*Macro(nil), calls...), sized...))
	}
	if vals == nil && len(calls) > 0 && len(sized) > 0 {
		// One call candidate that is no expression fails the whole
		// probe: the macros cc/v4 gave a value still need theirs checked.
		vals = probeMacros(c, cfg, sources, sized)
	}
	for _, m := range calls {
		in := vals[m.Name]
		if in == nil || in.AssignmentExpression == nil {
			continue
		}
		e := probedExpr(in)
		switch v := e.Value().(type) {
		case cc.Int64Value:
			m.Value = int64(v)
		case cc.UInt64Value:
			m.Value = uint64(v)
		}
		if m.Value != nil && e.Type() != nil {
			m.CType = e.Type().String()
		}
		if m.Value != nil && b.takesLayout(m.Name, map[string]bool{}) {
			sized = append(sized, m)
		}
	}
	for _, m := range sized {
		in := vals[m.Name]
		if in == nil || in.AssignmentExpression == nil {
			m.Value, m.CType = nil, ""
			m.NoValue = "its value takes sizeof, _Alignof or offsetof, and xenbind could not check the operands against its layout engine"
			continue
		}
		e := probedExpr(in)
		uses, whole, err := b.layoutUses(e)
		if err != nil {
			m.Value, m.CType = nil, ""
			m.NoValue = err.Error()
			continue
		}
		m.Layout, m.Whole = uses, whole
		if x, err := b.layoutExpr(e); err == nil && !whole {
			m.Expr = x
		}
	}
}

// probeOperator reports whether name, followed by '(', may start a
// constant expression without being a macro: sizeof and its kin, and
// the compiler's builtins.
func probeOperator(name string) bool {
	switch name {
	case "sizeof", "_Alignof", "__alignof__", "__alignof":
		return true
	}
	return strings.HasPrefix(name, "__builtin_")
}

// probeMacros translates the unit once more with one constant object per macro
// and returns the initializer of each, by macro name; nil if the probe
// fails.
func probeMacros(c Config, cfg *cc.Config, sources []cc.Source, macros []*Macro) map[string]*cc.Initializer {
	if len(macros) == 0 {
		return nil
	}
	names := make([]string, len(macros))
	for i, m := range macros {
		names[i] = m.Name
	}
	src := probeText(names, false)
	probe := append(append([]cc.Source(nil), sources...), cc.Source{Name: probeSource, Value: src})
	// Only the initializers are read, and their values are the type
	// checker's: evaluating every macro again (EvalAllMacros, which comes
	// after the check and changes neither its errors nor its values) would
	// be a third of the probe's time for nothing.
	pcfg := *cfg
	pcfg.EvalAllMacros = false
	timeout := time.Duration(-1)
	switch err := checkInChild(c, false, src); {
	case err == errNoChild:
		timeout = c.limits().timeout(0)
	case err != nil:
		return nil
	}
	ast, err := translate(&pcfg, probe, timeout, "")
	if err != nil {
		return nil
	}
	vals, _ := probeInitializers(ast)
	return vals
}

// probeText is the probe's source for the macros names: one constant
// object each. With guarded set, each of names is a guess (probeGuess):
// a macro's name and the names of the macros it calls, and its object is
// declared only if they are all defined.
func probeText(names []string, guarded bool) string {
	var src strings.Builder
	for _, n := range names {
		if guarded {
			need := strings.Fields(n)
			if len(need) == 0 {
				continue
			}
			n = need[0]
			src.WriteString("#if defined(" + strings.Join(need, ") && defined(") + ")\n")
		}
		fmt.Fprintf(&src, "static const unsigned long long %s%s = (%s);\n", probePrefix, n, n)
		if guarded {
			src.WriteString("#endif\n")
		}
	}
	return src.String()
}

// probeInitializers returns the initializer of each of the probe's
// objects in a translated unit, by macro name. ok says whether the
// declarations of the probe source all come after the unit's and each
// declares one probe object: then the unit's own declarations ended
// before the probe began, as they end in a translation without it.
func probeInitializers(ast *cc.AST) (vals map[string]*cc.Initializer, ok bool) {
	vals = map[string]*cc.Initializer{}
	ok = true
	inProbe := false
	for l := ast.TranslationUnit; l != nil; l = l.TranslationUnit {
		ed := l.ExternalDeclaration
		if ed == nil {
			continue
		}
		if ed.Position().Filename == probeSource {
			inProbe = true
		} else if inProbe {
			ok = false
		}
		if ed.Case != cc.ExternalDeclarationDecl || ed.Declaration == nil {
			if inProbe {
				ok = false
			}
			continue
		}
		n := 0
		for il := ed.Declaration.InitDeclaratorList; il != nil; il = il.InitDeclaratorList {
			id := il.InitDeclarator
			if id == nil || id.Declarator == nil || id.Initializer == nil {
				continue
			}
			if name, found := strings.CutPrefix(id.Declarator.Name(), probePrefix); found {
				vals[name] = id.Initializer
				n++
			}
		}
		if inProbe != (n == 1) || n > 1 {
			ok = false
		}
	}
	return vals, ok
}

// The group translation of -include all (survey.go) is also its final
// parse, and that parse's probe would translate every header once more.
// So the parent guesses from the headers' text which macros the probe
// will need (probeGuess), and the child translates the group followed by
// the probe of every guessed macro defined at its end (translateGuessed;
// once more without the guesses a failed translation's errors are all
// in). The probe's values come from that one translation only when it
// has no error, the unit's declarations end where the probe begins, every
// guessed macro defined at the end has its object, and the macros the
// probe needs are all among them (builder.probedAll; otherwise the exact
// probe is translated as for any unit). A group whose guessed probe does
// not translate is translated alone. The probe's objects are not the
// unit's: the builder and the survey take declarations from the tree's
// files only.

// translateGuessed translates cfg's unit followed by the probe of the
// macros guess names (see probeGuess) that are defined at the end with
// the macros they need, EvalAllMacros as eval says, as a child does. When
// the only errors are of some of the guess's objects, it tries once more
// without them. It returns the configuration, sources and pack pragmas
// of the translation with the unit and the probe's initializers, or a nil
// unit when no translation passed (see above).
func translateGuessed(cfg Config, eval bool, guess []string) (*cc.Config, []cc.Source, []pragma, *cc.AST, map[string]*cc.Initializer) {
	for try := 0; try < 2 && len(guess) > 0; try++ {
		var pragmas []pragma
		ccfg, sources, err := ccConfig(cfg, &pragmas)
		if err != nil {
			return nil, nil, nil, nil, nil
		}
		ccfg.EvalAllMacros = eval
		var ast *cc.AST
		var vals map[string]*cc.Initializer
		if ast, vals, guess = translateProbed(ccfg, sources, guess); ast != nil {
			return ccfg, sources, pragmas, ast, vals
		}
	}
	return nil, nil, nil, nil, nil
}

// translateProbed is one try of translateGuessed: the unit and the
// probe's initializers, or a nil unit and the guess without the objects
// the translation's errors are all in (nil when an error is elsewhere).
func translateProbed(cfg *cc.Config, sources []cc.Source, guess []string) (*cc.AST, map[string]*cc.Initializer, []string) {
	var used []string // the guesses of the probe's text, in order
	for _, g := range guess {
		if len(strings.Fields(g)) > 0 {
			used = append(used, g)
		}
	}
	src := probeText(used, true)
	ast, err := translateAST(cfg, append(append([]cc.Source(nil), sources...), cc.Source{Name: probeSource, Value: src}))
	if cfg.FS.(vfs).guard.err != nil {
		return nil, nil, nil
	}
	if err != nil || ast == nil {
		return nil, nil, withoutFailed(used, err)
	}
	vals, ok := probeInitializers(ast)
	defined := 0
next:
	for _, g := range used {
		for _, n := range strings.Fields(g) {
			if ast.Macros[n] == nil {
				continue next
			}
		}
		defined++
	}
	if !ok || len(vals) != defined {
		return nil, nil, nil
	}
	return ast, vals, nil
}

// withoutFailed returns used (the guesses of a probe's text, three lines
// each) without those whose lines hold an error of err, or nil when an
// error is not on such a line. After a syntax error, which stops the
// parser, the errors that follow are not the guesses' own: only the
// first counts.
func withoutFailed(used []string, err error) []string {
	if err == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	syntax := strings.Contains(lines[0], ": unexpected ")
	failed := map[int]bool{}
	for _, line := range lines {
		if strings.Contains(line, "TODO") || strings.Contains(line, "missed/failed type check") {
			continue // cc/v4's follow-on complaints (as ccErrors skips them)
		}
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), probeSource+":")
		if !ok {
			return nil
		}
		n, _, _ := strings.Cut(rest, ":")
		l, err := strconv.Atoi(n)
		if err != nil || l < 1 || (l-1)/3 >= len(used) {
			return nil
		}
		failed[(l-1)/3] = true
		if syntax {
			break
		}
	}
	if len(failed) == 0 {
		return nil
	}
	var out []string
	for i, g := range used {
		if !failed[i] {
			out = append(out, g)
		}
	}
	return out
}

// probedAll returns the initializers of the macros calls and sized from
// the probe translated with the unit, if it holds them all.
func (b *builder) probedAll(calls, sized []*Macro) (map[string]*cc.Initializer, bool) {
	if b.probed == nil {
		return nil, false
	}
	for _, list := range [][]*Macro{calls, sized} {
		for _, m := range list {
			if b.probed[m.Name] == nil {
				return nil, false
			}
		}
	}
	return b.probed, true
}

// probeGuess names the macros of the tree's text that probeMacroValues
// may probe for tx's target and mode: object-like macros whose body
// calls a function-like macro of the tree, sizeof or a builtin, or
// mentions sizeof, _Alignof or offsetof through the bodies of the
// macros it names. Each is the macro's name followed by the macros of the
// tree its expansion names (outside the operands of sizeof and its kin),
// which must be defined for it to be probed; one that names a macro the
// tree does not define is left out. A guess: the probe checks its own
// candidates against it (see translateGuessed).
func probeGuess(tx *treeText, all []string) []string {
	// defs are the definitions of each macro: a function-like one's
	// parameters and body, an object-like one's body (nil parameters).
	type def struct {
		params map[string]bool
		body   string
	}
	funcLike := map[string]bool{}
	bodies := map[string][]string{}
	defs := map[string][]def{}
	var texts []*fileText
	for _, f := range all {
		t := tx.get(f)
		if t == nil {
			continue
		}
		texts = append(texts, t)
		for name, ds := range t.definitions {
			for _, d := range ds {
				// The text does not keep the blank that tells
				// "#define X (1)" from "#define X(a)": a file's one
				// definition of an object-like macro is one.
				params, body, ok := splitDefinition(d)
				if !ok || t.objectLike[name] && len(ds) == 1 {
					params, body = nil, d
				} else {
					funcLike[name] = true
				}
				defs[name] = append(defs[name], def{params, body})
			}
		}
		for name, body := range t.macros {
			bodies[name] = append(bodies[name], body...)
		}
	}
	// noLayout: the macros whose bodies, followed all the way, name
	// none of layoutWords.
	noLayout := map[string]bool{}
	var reaches func(name string, seen map[string]bool) bool
	reaches = func(name string, seen map[string]bool) bool {
		if layoutWords[name] {
			return true
		}
		if seen[name] || noLayout[name] {
			return false
		}
		seen[name] = true
		for _, id := range bodies[name] {
			if reaches(id, seen) {
				return true
			}
		}
		return false
	}
	takes := func(name string) bool {
		seen := map[string]bool{}
		if reaches(name, seen) {
			return true
		}
		for n := range seen {
			noLayout[n] = true
		}
		return false
	}
	// needs adds to need the macros of the tree that the expansion of
	// macro name names, and reports whether it names no macro from
	// elsewhere: a name in capitals that no file of the tree defines
	// (PAGE_SIZE, the host's) would fail the whole translation.
	var needs func(name string, need map[string]bool) bool
	needs = func(name string, need map[string]bool) bool {
		if need[name] {
			return true
		}
		need[name] = true
		for _, d := range defs[name] {
			for _, id := range exprNames(d.body) {
				switch {
				case d.params[id]:
				case len(defs[id]) > 0:
					if !needs(id, need) {
						return false
					}
				case strings.ToUpper(id) == id && strings.ContainsAny(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
					return false
				}
			}
		}
		return true
	}
	guess := map[string]string{}
	for _, t := range texts {
		for name := range t.objectLike {
			if _, ok := guess[name]; ok {
				continue
			}
			call := false
			for _, d := range t.definitions[name] {
				n := 0
				for n < len(d) && isIdentByte(d[n]) {
					n++
				}
				call = call || n > 0 && strings.HasPrefix(strings.TrimSpace(d[n:]), "(") && (funcLike[d[:n]] || probeOperator(d[:n]))
			}
			if !call && !takes(name) {
				continue
			}
			need := map[string]bool{}
			if !needs(name, need) {
				continue
			}
			delete(need, name)
			list := []string{name}
			for n := range need {
				list = append(list, n)
			}
			sort.Strings(list[1:])
			guess[name] = strings.Join(list, " ")
		}
	}
	out := make([]string, 0, len(guess))
	for _, g := range guess {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// exprNames are the identifiers of a macro body's text, but those within
// the parentheses after sizeof and its kin, offsetof and the builtins
// (type names, tags and members).
func exprNames(body string) []string {
	var out []string
	b := []byte(body)
	for i := 0; i < len(b); {
		j := identEnd(b, i)
		if j == i {
			i++
			continue
		}
		name := body[i:j]
		if isDigit(b[i]) {
			i = j
			continue
		}
		if k := skipBlanks(b, j); (layoutWords[name] || probeOperator(name)) && k < len(b) && b[k] == '(' {
			depth := 0
			for j = k; j < len(b); j++ {
				if b[j] == '(' {
					depth++
				} else if b[j] == ')' {
					if depth--; depth == 0 {
						j++
						break
					}
				}
			}
		} else if !layoutWords[name] {
			out = append(out, name)
		}
		i = j
	}
	return out
}

// probedExpr returns the macro's expression of a probe initializer: the
// value before the probe's conversion, in the macro's own type.
func probedExpr(in *cc.Initializer) cc.ExpressionNode {
	e := in.AssignmentExpression
	if p, ok := e.(*cc.PrimaryExpression); ok && p.Case == cc.PrimaryExpressionExpr {
		e = p.ExpressionList
	}
	return e
}

// layoutWords are the keywords and macros whose value is a size,
// alignment or offset.
var layoutWords = map[string]bool{
	"sizeof": true, "_Alignof": true, "alignof": true, "__alignof__": true, "__alignof": true,
	"offsetof": true, "__builtin_offsetof": true,
}

// takesLayout reports whether the expansion of macro name mentions
// sizeof, _Alignof or offsetof, directly or through other macros.
func (b *builder) takesLayout(name string, seen map[string]bool) bool {
	if seen[name] {
		return false
	}
	seen[name] = true
	m := b.ast.Macros[name]
	if m == nil {
		return false
	}
	for _, t := range m.ReplacementList() {
		w := t.SrcStr()
		if layoutWords[w] || b.takesLayout(w, seen) {
			return true
		}
	}
	return false
}

// layoutUses lists the operands of e that take the size, alignment or a
// member offset of a type involving a record, and says whether e is one
// of them alone. An operand the model cannot name is an error: the
// macro's value could not be checked.
func (b *builder) layoutUses(e cc.ExpressionNode) (uses []LayoutUse, whole bool, err error) {
	b.useNodes = b.useNodes[:0]
	root := stripCasts(e)
	var walk func(n cc.ExpressionNode)
	walk = func(n cc.ExpressionNode) {
		if n == nil || err != nil {
			return
		}
		if u, ok := n.(*cc.UnaryExpression); ok {
			var use LayoutUse
			var t cc.Type
			switch u.Case {
			case cc.UnaryExpressionSizeofType, cc.UnaryExpressionAlignofType:
				t = u.TypeName.Type()
			case cc.UnaryExpressionSizeofExpr, cc.UnaryExpressionAlignofExpr:
				t = u.UnaryExpression.Type()
			case cc.UnaryExpressionAddrof:
				found, e := b.offsetOf(u, &use)
				if e != nil {
					err = e
					return
				}
				if found {
					uses = append(uses, use)
					b.useNodes = append(b.useNodes, n)
					whole = whole || stripCasts(n) == root || root == n
					return
				}
			}
			if t != nil {
				use.Op = SizeOf
				if u.Case == cc.UnaryExpressionAlignofType || u.Case == cc.UnaryExpressionAlignofExpr {
					use.Op = AlignOf
				}
				mt, rec, ok := b.modelType(t)
				if !rec {
					return // scalars and pointers: cc/v4's sizes are the target's
				}
				if !ok {
					err = fmt.Errorf("its value takes %s of %s, a type xenbind's model cannot name, so its layout cannot be checked", use.Op, t)
					return
				}
				v, ok := valueInt(u.Value())
				if !ok {
					err = fmt.Errorf("its value takes %s of %s, which cc/v4 gives no value", use.Op, mt)
					return
				}
				use.Type, use.Value = mt, v
				uses = append(uses, use)
				b.useNodes = append(b.useNodes, n)
				whole = whole || n == root
				return
			}
		}
		walkChildren(n, walk)
	}
	walk(e)
	if len(uses) != 1 {
		whole = false
	}
	return uses, whole, err
}

// offsetOf recognizes __builtin_offsetof(T, a.b) as cc/v4 expands it,
// &(((T*)0)->a.b), and fills use. It reports false for any other
// address.
func (b *builder) offsetOf(u *cc.UnaryExpression, use *LayoutUse) (bool, error) {
	var path []string
	x := stripParens(u.CastExpression)
	for {
		pe, ok := x.(*cc.PostfixExpression)
		if !ok {
			return false, nil
		}
		switch pe.Case {
		case cc.PostfixExpressionSelect:
			path = append([]string{pe.Token2.SrcStr()}, path...)
			x = stripParens(pe.PostfixExpression)
			continue
		case cc.PostfixExpressionPSelect:
			path = append([]string{pe.Token2.SrcStr()}, path...)
		case cc.PostfixExpressionIndex:
			return true, fmt.Errorf("its value takes an offsetof with an array index, which xenbind does not check against its layout engine")
		default:
			return false, nil
		}
		base := stripParens(pe.PostfixExpression)
		c, ok := base.(*cc.CastExpression)
		if !ok || c.Case != cc.CastExpressionCast {
			return false, nil
		}
		if v, ok := valueInt(c.CastExpression.Value()); !ok || v != 0 {
			return false, nil
		}
		pt, ok := c.Type().(*cc.PointerType)
		if !ok {
			return false, nil
		}
		mt, rec, ok := b.modelType(pt.Elem())
		if !rec || !ok || mt.Resolve().Kind != RecordRef {
			return true, fmt.Errorf("its value takes offsetof in %s, a type xenbind's model cannot name, so its layout cannot be checked", pt.Elem())
		}
		v, ok := valueInt(u.Value())
		if !ok {
			return true, fmt.Errorf("its value takes offsetof(%s, %s), which cc/v4 gives no value", mt, strings.Join(path, "."))
		}
		*use = LayoutUse{Op: OffsetOf, Type: mt, Member: path, Value: v}
		return true, nil
	}
}

// modelType returns the model's type for a cc/v4 type. rec says whether
// the type's layout involves a record (else cc/v4's size is right and
// the caller need not check it); ok whether the model could name it.
func (b *builder) modelType(t cc.Type) (mt *Type, rec, ok bool) {
	if d := t.Typedef(); d != nil {
		if td := b.unit.typedefs[d.Name()]; td != nil {
			if !involvesRecord(td.Type, map[*Type]bool{}) {
				return nil, false, true
			}
			return &Type{Kind: TypedefRef, Typedef: td, Elem: td.Type}, true, true
		}
	}
	switch t.Kind() {
	case cc.Struct, cc.Union:
		var tag string
		kind := Struct
		switch x := t.(type) {
		case *cc.StructType:
			tok := x.Tag()
			tag = tok.SrcStr()
		case *cc.UnionType:
			tok := x.Tag()
			tag, kind = tok.SrcStr(), Union
		}
		r := b.unit.records[recordKey(kind, tag)]
		if tag == "" || r == nil {
			return nil, true, false
		}
		return &Type{Kind: RecordRef, Record: r}, true, true
	case cc.Array:
		at := t.(*cc.ArrayType)
		elem, rec, ok := b.modelType(at.Elem())
		if !rec || !ok {
			return nil, rec, ok
		}
		return &Type{Kind: Array, Elem: elem, Len: at.Len()}, true, true
	}
	return nil, false, true
}

// involvesRecord reports whether the layout of t depends on a record's.
func involvesRecord(t *Type, seen map[*Type]bool) bool {
	if t == nil || seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind {
	case RecordRef:
		return true
	case Array, TypedefRef:
		return involvesRecord(t.Elem, seen)
	}
	return false
}

// stripParens removes the parentheses around an expression.
func stripParens(e cc.ExpressionNode) cc.ExpressionNode {
	for {
		p, ok := e.(*cc.PrimaryExpression)
		if !ok || p.Case != cc.PrimaryExpressionExpr {
			return e
		}
		e = p.ExpressionList
	}
}

// stripCasts removes parentheses and integer casts.
func stripCasts(e cc.ExpressionNode) cc.ExpressionNode {
	for {
		e = stripParens(e)
		c, ok := e.(*cc.CastExpression)
		if !ok || c.Case != cc.CastExpressionCast || !cc.IsIntegerType(c.Type()) {
			return e
		}
		e = c.CastExpression
	}
}

// exprNode is the type of cc/v4's expression fields.
var exprNode = reflect.TypeFor[cc.ExpressionNode]()

// walkChildren calls f on each subexpression of n.
func walkChildren(n cc.ExpressionNode, f func(cc.ExpressionNode)) {
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		fv := v.Field(i)
		if v.Type().Field(i).Type != exprNode || fv.IsNil() {
			continue
		}
		f(fv.Interface().(cc.ExpressionNode))
	}
}

// errNoExpr: an operator layoutExpr does not evaluate.
var errNoExpr = fmt.Errorf("not evaluated")

// layoutExpr reduces e to a LayoutExpr over the operands layoutUses
// found last (b.useNodes).
func (b *builder) layoutExpr(e cc.ExpressionNode) (*LayoutExpr, error) {
	for i, n := range b.useNodes {
		if n == e {
			// offsetof's &((T*)0)->m is an address: its cast gives it
			// its integer type.
			return &LayoutExpr{Op: "use", Use: i, Size: 8}, nil
		}
	}
	t := e.Type()
	if t == nil || !cc.IsIntegerType(t) || t.Size() <= 0 || t.Size() > 8 {
		return nil, errNoExpr
	}
	x := &LayoutExpr{Size: t.Size(), Signed: cc.IsSignedInteger(t)}
	if !b.holdsUse(e) {
		switch v := e.Value().(type) {
		case cc.Int64Value:
			x.Op, x.Value = "const", uint64(v)
		case cc.UInt64Value:
			x.Op, x.Value = "const", uint64(v)
		default:
			return nil, errNoExpr
		}
		return x, nil
	}
	switch n := e.(type) {
	case *cc.PrimaryExpression:
		if n.Case != cc.PrimaryExpressionExpr {
			return nil, errNoExpr
		}
		return b.layoutExpr(n.ExpressionList)
	case *cc.CastExpression:
		if n.Case != cc.CastExpressionCast {
			return nil, errNoExpr
		}
		y, err := b.layoutExpr(n.CastExpression)
		x.Op, x.X = "cast", y
		return x, err
	case *cc.UnaryExpression:
		var arg cc.ExpressionNode
		switch n.Case {
		case cc.UnaryExpressionMinus:
			x.Op, arg = "-", n.CastExpression
		case cc.UnaryExpressionCpl:
			x.Op, arg = "~", n.CastExpression
		case cc.UnaryExpressionPlus:
			x.Op, arg = "+", n.CastExpression
		default:
			return nil, errNoExpr
		}
		y, err := b.layoutExpr(arg)
		x.X = y
		return x, err
	case *cc.AdditiveExpression, *cc.MultiplicativeExpression, *cc.ShiftExpression,
		*cc.AndExpression, *cc.ExclusiveOrExpression, *cc.InclusiveOrExpression:
		v := reflect.ValueOf(n).Elem()
		left, _ := v.FieldByName(v.Type().Name()).Interface().(cc.ExpressionNode)
		var right cc.ExpressionNode
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.Type == exprNode && f.Name != v.Type().Name() {
				right, _ = v.Field(i).Interface().(cc.ExpressionNode)
			}
		}
		tok := v.FieldByName("Token").Interface().(cc.Token)
		x.Op = tok.SrcStr()
		if left == nil || right == nil {
			return nil, errNoExpr
		}
		var err error
		if x.X, err = b.layoutExpr(left); err != nil {
			return nil, err
		}
		x.Y, err = b.layoutExpr(right)
		return x, err
	}
	return nil, errNoExpr
}

// holdsUse reports whether e is or contains one of b.useNodes.
func (b *builder) holdsUse(e cc.ExpressionNode) bool {
	for _, n := range b.useNodes {
		if n == e {
			return true
		}
	}
	found := false
	walkChildren(e, func(c cc.ExpressionNode) { found = found || b.holdsUse(c) })
	return found
}

// layoutChecks lists the array lengths and enumerators that take the
// layout of a record (Unit.LayoutChecks); one whose operand the model
// cannot name is an error, as xenbind could not check its value.
func (b *builder) layoutChecks() {
	for _, c := range b.sized {
		if !mentionsLayout(c.e) {
			continue
		}
		uses, _, err := b.layoutUses(c.e)
		if err != nil {
			b.errorf(c.pos, "%s: %v", c.what, strings.Replace(err.Error(), "its value takes", "it takes", 1))
			continue
		}
		if len(uses) > 0 {
			b.unit.LayoutChecks = append(b.unit.LayoutChecks, LayoutCheck{What: c.what, Pos: c.pos, Uses: uses})
		}
	}
	b.sized = nil
}

// mentionsLayout reports whether e holds a sizeof, an _Alignof or an
// address (offsetof) anywhere.
func mentionsLayout(e cc.ExpressionNode) bool {
	if u, ok := e.(*cc.UnaryExpression); ok {
		switch u.Case {
		case cc.UnaryExpressionSizeofType, cc.UnaryExpressionAlignofType, cc.UnaryExpressionSizeofExpr,
			cc.UnaryExpressionAlignofExpr, cc.UnaryExpressionAddrof:
			return true
		}
	}
	found := false
	walkChildren(e, func(c cc.ExpressionNode) { found = found || mentionsLayout(c) })
	return found
}
