package emit

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/xenbind/xenbind/parser"
)

// memberRef is a member of a hypercall argument reached by a C path
// ("u.nominate.u.gfn") and how Go reaches it: struct members are fields,
// union members are accessor methods returning a pointer.
type memberRef struct {
	path   string
	member *parser.Member
	goType string
	steps  []memberStep
}

type memberStep struct {
	name string // Go field or method
	call bool   // a union's accessor method
}

// sel is the selector chain from base, without a final dereference: a
// method with a pointer receiver may be called on it.
func (m *memberRef) sel(base string) *jen.Statement {
	s := jen.Id(base)
	for _, st := range m.steps {
		s = s.Dot(st.name)
		if st.call {
			s = s.Call()
		}
	}
	return s
}

// viaAccessor reports whether the last step is a union accessor.
func (m *memberRef) viaAccessor() bool {
	return len(m.steps) > 0 && m.steps[len(m.steps)-1].call
}

// expr is the member as an addressable value: it may be read or assigned.
func (m *memberRef) expr(base string) *jen.Statement {
	if m.viaAccessor() {
		return jen.Op("*").Add(m.sel(base))
	}
	return m.sel(base)
}

// call calls a pointer method of the member (a handle's Addr or Set):
// never a copy of the member, whose type may hold align8.
func (m *memberRef) call(base, method string, args ...jen.Code) *jen.Statement {
	return m.sel(base).Dot(method).Call(args...)
}

// ptr is the member's address.
func (m *memberRef) ptr(base string) *jen.Statement {
	if m.viaAccessor() {
		return m.sel(base)
	}
	return jen.Op("&").Add(m.sel(base))
}

// resolve finds a member of r by C path.
func (b *callBuilder) resolve(r *parser.Record, path string) (*memberRef, error) {
	ref := &memberRef{path: path}
	cur := r
	parts := strings.Split(path, ".")
	for i, name := range parts {
		if cur == nil {
			return nil, fmt.Errorf("%s: %s is not a struct or union", path, strings.Join(parts[:i], "."))
		}
		var m *parser.Member
		for _, mm := range cur.Members {
			if mm.Name == name {
				m = mm
				break
			}
		}
		if m == nil {
			return nil, fmt.Errorf("%s: %s has no member %s", path, cur.Name, name)
		}
		it := b.t.built[cur]
		if it == nil || it.typ == nil {
			return nil, fmt.Errorf("%s: %s has no Go type", path, cur.Name)
		}
		gn := goName(name)
		step := memberStep{name: gn}
		if cur.Kind == parser.Union {
			if !hasMethod(it.typ, gn, ptrAccessor) {
				return nil, fmt.Errorf("%s: union %s has no accessor %s", path, cur.Name, gn)
			}
			step.call = true
		} else if !hasField(it.typ, gn) {
			return nil, fmt.Errorf("%s: %s has no Go field %s (unaligned or renamed members are not supported)", path, cur.Name, gn)
		}
		ref.steps = append(ref.steps, step)
		ref.member = m
		gt, _, err := b.t.goType(m.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ref.goType = gt
		cur = nil
		if rt := m.Type.Resolve(); rt.Kind == parser.RecordRef && !isHandleRecord(rt.Record) {
			cur = rt.Record
		}
	}
	return ref, nil
}

// hasField reports whether the Go struct has a field of that name.
func hasField(td *typeDecl, name string) bool {
	for _, f := range td.fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// hasMethod reports whether the Go type has a generated method of that
// name and kind.
func hasMethod(td *typeDecl, name string, kind methodKind) bool {
	for _, m := range td.methods {
		if m.name == name && m.kind == kind {
			return true
		}
	}
	return false
}

// handleElem returns the Go element type of a guest handle member, "" for
// a handle of void, and whether the member is a guest handle.
func (b *callBuilder) handleElem(m *parser.Member) (string, bool, error) {
	if m.Type.Kind != parser.TypedefRef {
		return "", false, nil
	}
	elem, _, ok := b.t.handle(m.Type.Typedef)
	if !ok {
		return "", false, nil
	}
	if k := elem.Resolve().Kind; k == parser.Void {
		return "", true, nil
	}
	gt, _, err := b.t.goType(elem)
	if err != nil {
		return "", true, err
	}
	return gt, true, nil
}

// handlePaths lists the guest handles a record holds, nested records and
// unions included, by C path.
func (b *callBuilder) handlePaths(r *parser.Record, prefix string) []string {
	var out []string
	for _, m := range r.Members {
		if m.Name == "" {
			continue // anonymous members: none in the interfaces wrapped
		}
		if _, ok, _ := b.handleElem(m); ok {
			out = append(out, prefix+m.Name)
			continue
		}
		if rt := m.Type.Resolve(); rt.Kind == parser.RecordRef && rt.Record.Complete() && !isHandleRecord(rt.Record) {
			out = append(out, b.handlePaths(rt.Record, prefix+m.Name+".")...)
		}
	}
	return out
}
