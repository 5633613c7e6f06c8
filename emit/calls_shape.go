package emit

import (
	"fmt"

	"github.com/xenbind/xenbind/parser"
)

// What a wrapper can marshal. A typed wrapper copies its argument between
// Go memory and hypervisor-visible memory as bytes, so the argument must
// be all the memory Xen reads and writes: a record with a flexible array
// member continues past its Go size, and a raw pointer inside it points
// into the caller's memory, which Xen would use as is. Guest handles are
// pointers too; they are marshalled only when the spec describes them
// (handle=), and otherwise stay NULL or stop the wrapper. A command whose
// argument has any other shape gets no wrapper and a note, never one that
// copies the wrong bytes (4.20's XENVER_*2 with struct xen_varbuf did).

// wrapperShape records how an emitted typed wrapper marshals its argument;
// tests check every one against the argument's C definition.
type wrapperShape struct {
	op      string // C name of the command or sub-command
	target  parser.Target
	mode    argMode
	rec     *parser.Record  // the argument's record, or nil
	td      *parser.Typedef // a typedef argument that is not a record
	flex    string          // the flexible array passed as a []byte (flex=)
	handles []string        // C paths of the guest handles passed as slices
}

// copyShape says why a record's bytes are not all of the argument, or ""
// when copying sizeof(record) bytes marshals it. flex is the flexible
// array member the wrapper passes separately ("" for none); handles are
// skipped (handle= describes them, or the wrapper refuses them).
func (b *callBuilder) copyShape(r *parser.Record, flex string) string {
	return b.recordShape(r, "", flex)
}

func (b *callBuilder) recordShape(r *parser.Record, prefix, flex string) string {
	for i, m := range r.Members {
		path := prefix + m.Name
		if m.Name == "" {
			path = prefix + "(anonymous)"
		}
		if _, ok, _ := b.handleElem(m); ok {
			continue
		}
		last := i == len(r.Members)-1
		if why := b.typeShape(m.Type, path, prefix == "" && last && m.Name == flex && flex != ""); why != "" {
			return why
		}
	}
	return ""
}

// typeShape is recordShape for one member's type; flexOK allows a
// flexible array (the one flex= names).
func (b *callBuilder) typeShape(t *parser.Type, path string, flexOK bool) string {
	switch rt := t.Resolve(); rt.Kind {
	case parser.Pointer:
		return fmt.Sprintf("%s is a pointer into the caller's memory, which a copy of the argument does not bounce", path)
	case parser.Func:
		return fmt.Sprintf("%s is a function", path)
	case parser.Array:
		if rt.Len < 0 || rt.Len == 0 {
			if flexOK {
				return ""
			}
			return fmt.Sprintf("%s is a flexible array: the argument continues past its struct, and %s does not say how far (flex=)", path, specName)
		}
		return b.typeShape(rt.Elem, path+"[]", false)
	case parser.RecordRef:
		if !rt.Record.Complete() {
			return fmt.Sprintf("%s is an incomplete %s", path, rt.Record.Name)
		}
		return b.recordShape(rt.Record, path+".", "")
	}
	return ""
}

// typedefShape is copyShape for a typedef argument that is not a record.
func (b *callBuilder) typedefShape(td *parser.Typedef) string {
	return b.typeShape(td.Type, td.Name, false)
}
