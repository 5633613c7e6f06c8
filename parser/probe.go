package parser

import (
	"fmt"
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
// sizeof is cc/v4's own layout, which is wrong for some bit-fields and
// packed records: the compiler goldens check every probed value. A macro
// that is not an expression makes the probe fail; then no macro gets a
// value from it (an absent constant, never a wrong one).
//
// The probe unit is new text for cc/v4, so it is translated in a child
// process first, like the unit itself (see child.go); a probe the child
// cannot finish gives no values.
func probeMacroValues(c Config, cfg *cc.Config, sources []cc.Source, b *builder) {
	var cands []*Macro
	var src strings.Builder
	for _, m := range b.unit.Macros {
		if m.FuncLike || m.Value != nil {
			continue
		}
		text := strings.TrimSpace(m.Text)
		n := strings.IndexFunc(text, func(r rune) bool {
			return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		})
		if n < 0 {
			n = len(text)
		}
		if n == 0 || !strings.HasPrefix(strings.TrimSpace(text[n:]), "(") {
			continue
		}
		cands = append(cands, m)
		fmt.Fprintf(&src, "static const unsigned long long %s%s = (%s);\n", probePrefix, m.Name, m.Name)
	}
	if len(cands) == 0 {
		return
	}
	probe := append(append([]cc.Source(nil), sources...), cc.Source{Name: probeSource, Value: src.String()})
	timeout := time.Duration(-1)
	switch err := checkInChild(c, true, src.String()); {
	case err == errNoChild:
		timeout = c.limits().timeout(0)
	case err != nil:
		return
	}
	ast, err := translate(cfg, probe, timeout, "")
	if err != nil {
		return
	}
	vals := map[string]*cc.Initializer{}
	for l := ast.TranslationUnit; l != nil; l = l.TranslationUnit {
		ed := l.ExternalDeclaration
		if ed == nil || ed.Case != cc.ExternalDeclarationDecl || ed.Declaration == nil {
			continue
		}
		for il := ed.Declaration.InitDeclaratorList; il != nil; il = il.InitDeclaratorList {
			id := il.InitDeclarator
			if id == nil || id.Declarator == nil || id.Initializer == nil {
				continue
			}
			if name, ok := strings.CutPrefix(id.Declarator.Name(), probePrefix); ok {
				vals[name] = id.Initializer
			}
		}
	}
	for _, m := range cands {
		in := vals[m.Name]
		if in == nil || in.AssignmentExpression == nil {
			continue
		}
		e := in.AssignmentExpression
		// The value before the probe's conversion: the macro's own type.
		if p, ok := e.(*cc.PrimaryExpression); ok && p.Case == cc.PrimaryExpressionExpr {
			e = p.ExpressionList
		}
		switch v := e.Value().(type) {
		case cc.Int64Value:
			m.Value = int64(v)
		case cc.UInt64Value:
			m.Value = uint64(v)
		}
		if m.Value != nil && e.Type() != nil {
			m.CType = e.Type().String()
		}
	}
}
