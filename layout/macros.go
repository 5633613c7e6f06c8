package layout

import (
	"fmt"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// checkMacros holds the unit's macro values to the engine's layouts. cc/v4
// evaluated every sizeof, _Alignof and offsetof with its own record
// layout, which ignores packed and #pragma pack and gets some bit-fields
// wrong; the parser lists those operands (Macro.Layout). Where the engine
// agrees on each, the value stands. Where it does not, a macro that is the
// operand alone takes the engine's value; any other loses its value, with
// a note saying why: xenbind does not re-evaluate C expressions, and a
// wrong constant is worse than none.
func (l *Layout) checkMacros() {
	for _, m := range l.unit.Macros {
		if m.NoValue != "" && m.Value == nil && len(m.Layout) == 0 {
			l.notes = append(l.notes, l.unit.Errorf(m.Pos, "macro %s has no value: %s", m.Name, m.NoValue))
			continue
		}
		if m.Value == nil || len(m.Layout) == 0 {
			continue
		}
		var differ []string
		vals := make([]int64, len(m.Layout))
		for i, use := range m.Layout {
			v, err := l.operand(use)
			if err != nil {
				l.refuse(m, fmt.Sprintf("its value takes %s: %v", use, err))
				differ = nil
				break
			}
			vals[i] = v
			if v != use.Value {
				differ = append(differ, fmt.Sprintf("%s is %d on %s where cc/v4 evaluated the macro with %d", use, v, l.unit.Target, use.Value))
			}
		}
		switch {
		case len(differ) == 0:
		case m.Whole:
			m.Value = typedValue(m.Value, uint64(vals[0]))
		case m.Expr != nil:
			v, err := eval(m.Expr, vals)
			if err != nil {
				l.refuse(m, strings.Join(differ, "; ")+"; evaluated with it, "+err.Error())
				break
			}
			m.Value = typedValue(m.Value, v)
		default:
			l.refuse(m, strings.Join(differ, "; ")+" (the expression uses an operator xenbind does not evaluate again with its own layout)")
		}
	}
}

// eval evaluates e with the operands' values vals, as C does in e's
// types. The result has the bits of the value in the root's type,
// sign-extended when it is signed.
func eval(e *parser.LayoutExpr, vals []int64) (uint64, error) {
	var v uint64
	switch e.Op {
	case "const":
		v = e.Value
	case "use":
		if e.Use < 0 || e.Use >= len(vals) {
			return 0, fmt.Errorf("bad operand %d", e.Use)
		}
		v = uint64(vals[e.Use])
	default:
		if e.X == nil {
			return 0, fmt.Errorf("operator %s without operand", e.Op)
		}
		x, err := eval(e.X, vals)
		if err != nil {
			return 0, err
		}
		if e.Y == nil {
			switch e.Op {
			case "cast", "+":
				v = x
			case "-":
				v = -x
			case "~":
				v = ^x
			default:
				return 0, fmt.Errorf("unary operator %s", e.Op)
			}
			break
		}
		y, err := eval(e.Y, vals)
		if err != nil {
			return 0, err
		}
		if e.Op == "<<" || e.Op == ">>" {
			// The result has the promoted left operand's type; the count
			// must be below its width.
			x = fit(x, e.Size, e.Signed)
			if e.Y.Signed && int64(y) < 0 || y >= uint64(8*e.Size) {
				return 0, fmt.Errorf("shift count %d out of range", int64(y))
			}
			if e.Op == "<<" {
				v = x << y
			} else if e.Signed {
				v = uint64(int64(x) >> y)
			} else {
				v = x >> y
			}
			break
		}
		// The usual arithmetic conversions: both operands in the
		// result's type.
		x, y = fit(x, e.Size, e.Signed), fit(y, e.Size, e.Signed)
		switch e.Op {
		case "+":
			v = x + y
		case "-":
			v = x - y
		case "*":
			v = x * y
		case "&":
			v = x & y
		case "|":
			v = x | y
		case "^":
			v = x ^ y
		case "/", "%":
			if y == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			switch {
			case !e.Signed && e.Op == "/":
				v = x / y
			case !e.Signed:
				v = x % y
			case e.Op == "/":
				v = uint64(int64(x) / int64(y))
			default:
				v = uint64(int64(x) % int64(y))
			}
		default:
			return 0, fmt.Errorf("operator %s", e.Op)
		}
	}
	return fit(v, e.Size, e.Signed), nil
}

// fit converts v to an integer type of size bytes.
func fit(v uint64, size int64, signed bool) uint64 {
	if size >= 8 || size <= 0 {
		return v
	}
	bits := uint(8 * size)
	v &= 1<<bits - 1
	if signed && v>>(bits-1) != 0 {
		v |= ^uint64(0) << bits
	}
	return v
}

// refuse removes m's value, saying why.
func (l *Layout) refuse(m *parser.Macro, why string) {
	m.Value, m.CType, m.NoValue = nil, "", why
	l.notes = append(l.notes, l.unit.Errorf(m.Pos, "macro %s has no value: %s", m.Name, why))
}

// typedValue is v in the Go type of old, the macro's value.
func typedValue(old any, v uint64) any {
	if _, ok := old.(uint64); ok {
		return v
	}
	return int64(v)
}

// operand is the engine's value of a macro's operand.
func (l *Layout) operand(use parser.LayoutUse) (int64, error) {
	switch use.Op {
	case parser.SizeOf:
		return l.SizeOf(use.Type)
	case parser.AlignOf:
		return l.AlignOf(use.Type)
	}
	t := use.Type.Resolve()
	if t.Kind != parser.RecordRef {
		return 0, fmt.Errorf("%s is not a record", use.Type)
	}
	var off int64
	r := t.Record
	for i, name := range use.Member {
		if r == nil || !r.Complete() {
			return 0, fmt.Errorf("incomplete type %s", use.Type)
		}
		o, m, ok := l.member(r, name)
		if !ok {
			return 0, fmt.Errorf("%s has no member %s", r.Name, name)
		}
		if m.IsBitField() {
			return 0, fmt.Errorf("member %s is a bit-field", name)
		}
		off += o
		r = nil
		if i < len(use.Member)-1 {
			if mt := m.Type.Resolve(); mt.Kind == parser.RecordRef {
				r = mt.Record
			}
		}
	}
	return off, nil
}

// member finds a member of r by name, looking into anonymous members as C
// does, and returns its offset from r's start.
func (l *Layout) member(r *parser.Record, name string) (int64, *parser.Member, bool) {
	rl := l.Of(r)
	if rl == nil {
		return 0, nil, false
	}
	for i, m := range r.Members {
		if m.Name == name {
			return rl.Members[i].Offset, m, true
		}
		if m.Name == "" && !m.IsBitField() {
			if mt := m.Type.Resolve(); mt.Kind == parser.RecordRef && mt.Record.Complete() {
				if o, found, ok := l.member(mt.Record, name); ok {
					return rl.Members[i].Offset + o, found, true
				}
			}
		}
	}
	return 0, nil, false
}

// Notes are what the layout's user should know about the unit: macros
// left without a value, and why, at their positions.
func (l *Layout) Notes() parser.ErrorList { return l.notes }

// checkConstants refuses the unit where an array length or an enumerator
// took sizeof, _Alignof or offsetof of a record that cc/v4 lays out
// differently from the engine: the model's number is cc/v4's, and
// xenbind does not evaluate declarations again.
func (l *Layout) checkConstants() {
	for _, c := range l.unit.LayoutChecks {
		for _, use := range c.Uses {
			v, err := l.operand(use)
			if err != nil {
				l.errorf(c.Pos, "%s takes %s: %v", c.What, use, err)
				break
			}
			if v != use.Value {
				l.errorf(c.Pos, "%s takes %s, which is %d on %s where cc/v4 computed it with %d: xenbind cannot lay this out right", c.What, use, v, l.unit.Target, use.Value)
				break
			}
		}
	}
}
