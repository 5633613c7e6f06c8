package emit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/xenbind/xenbind/parser"
)

// argMode is how a typed wrapper takes its command's argument.
type argMode int

const (
	modeNone  argMode = iota // arg == NULL
	modeInOut                // a pointer parameter, copied in and back
	modeIn                   // a value parameter
	modeOut                  // a result
	modeFlat                 // parameters and results are members
	modeBatch                // a slice of structs with its count
)

// command is one command of a family on this target, with what the
// headers and the spec say about it.
type command struct {
	fam   *family
	rc    *rawCall
	macro *parser.Macro
	spec  *cmdSpec // never nil; empty when the spec has no line
	doc   []string // the header's comment
	rec   *parser.Record
	td    *parser.Typedef // a typedef argument that is not a record
	argC  string          // the argument's C name, for docs
	// argIndex, cmdIndex and countIndex are the raw function's parameters
	// that take the argument, command and count; -1 if absent.
	argIndex, cmdIndex, countIndex int
	// env is the family's envelope, nil without one; member is the
	// envelope union's member holding the argument ("" for none).
	env    *envelope
	member string
}

// envelope is an envelope line resolved on this target.
type envelope struct {
	spec                   *envelopeSpec
	rec                    *parser.Record // struct xen_domctl
	goType                 string         // Domctl
	union                  *parser.Record // its payload union
	cmd, version, domain   *memberRef
	payloadStep, versionGo string
}

// familyRE reads grant_table.h's "GNTTABOP_* => struct gnttab_*".
var familyRE = regexp.MustCompile(`(\w+)\*\s*=>\s*struct\s+(\w+)\*`)

// argRE reads memory.h's "arg == addr of struct xen_memory_reservation"
// and version.h's "arg == xen_extraversion_t" and "arg == NULL".
var argRE = regexp.MustCompile(`\barg\s*==\s*(?:addr\s+of\s+)?(?:struct\s+)?(\w+)`)

// buildFamily makes the typed wrappers of one family.
func (b *callBuilder) buildFamily(fam *family) {
	rc := b.raw[fam.hypercall]
	if rc == nil {
		return // the hypercall is not in these headers
	}
	missing := false
	index := func(name string) int {
		if name == "" {
			return -1
		}
		for i, p := range rc.proto.Params {
			if p.Name == name {
				return i
			}
		}
		b.notef("%s:%d: no wrappers for %s*: hypercall %s has no parameter %s in these headers", fam.file, fam.line, fam.prefix, fam.hypercall, name)
		missing = true
		return -1
	}
	cmdIndex, argIndex, countIndex := index(fam.cmdParam), index(fam.argParam), index(fam.countParam)
	if missing {
		return
	}
	var cmds []*parser.Macro
	for _, m := range b.u.Macros {
		rest, ok := strings.CutPrefix(m.Name, fam.prefix)
		if !ok || !isCommandName(rest) || !isInteger(m) || b.spec.ignored(m.Name) || b.spec.subopGroupOf(m.Name) != nil {
			continue
		}
		cmds = append(cmds, m)
	}
	if len(cmds) == 0 {
		return
	}
	var env *envelope
	if es := b.spec.envelope(fam.prefix); es != nil {
		if env = b.resolveEnvelope(es); env == nil {
			return
		}
		b.envelopeWrapper(fam, rc, env, argIndex)
	}
	// The family's rule naming each command's struct, if it states one.
	var structPrefix string
	for i := range b.u.Annotations {
		text := b.annotationText(i)
		if !strings.Contains(text, "=>") { // what familyRE needs: most annotations lack it
			continue
		}
		if s := familyRE.FindStringSubmatch(text); s != nil && s[1] == fam.prefix {
			structPrefix = s[2]
			break
		}
	}
	for i, m := range cmds {
		c := &command{fam: fam, rc: rc, macro: m, spec: b.spec.cmds[m.Name], cmdIndex: cmdIndex, argIndex: argIndex, countIndex: countIndex, env: env}
		if c.spec == nil {
			c.spec = &cmdSpec{name: m.Name}
		}
		c.doc = b.commandDoc(cmds, i)
		if env != nil {
			// domctl.h and sysctl.h list the commands in one block of
			// consecutive lines: a neighbour's comment is not this one's.
			c.doc = nil
			if d := strings.TrimSpace(m.Doc); d != "" && !strings.HasPrefix(d, "`") {
				c.doc = docLines(m.Doc)
			}
		}
		if why, ok := b.spec.nowrap[m.Name]; ok {
			b.notef("%s: no wrapper for %s: %s", m.Pos, m.Name, why)
			continue
		}
		if !b.commandArg(c, cmds, i, structPrefix) {
			continue
		}
		if c.rec != nil && (len(c.doc) == 0 || strings.HasPrefix(strings.Join(c.doc, " "), "`")) {
			c.doc = docLines(c.rec.Doc)
		}
		b.typedWrapper(c, nil, c.spec)
		b.buildSubops(c)
	}
}

// group returns the indexes of the commands defined on consecutive lines
// with cmds[i], which share a comment and an argument.
func group(cmds []*parser.Macro, i int) (first, last int) {
	first, last = i, i
	for first > 0 && sameGroup(cmds[first-1], cmds[first]) {
		first--
	}
	for last+1 < len(cmds) && sameGroup(cmds[last], cmds[last+1]) {
		last++
	}
	return first, last
}

// sameGroup reports whether b is defined on the line after a, in the
// same file.
func sameGroup(a, b *parser.Macro) bool {
	return a.Pos.File == b.Pos.File && a.Pos.Line+1 == b.Pos.Line
}

// commandDoc is the header's comment of a command: its own, or that of the
// group it is defined in. Annotations ("` enum grant_table_op {") are not
// documentation.
func (b *callBuilder) commandDoc(cmds []*parser.Macro, i int) []string {
	first, _ := group(cmds, i)
	for j := i; j >= first; j-- {
		if d := strings.TrimSpace(cmds[j].Doc); d != "" && !strings.HasPrefix(d, "`") {
			return docLines(cmds[j].Doc)
		}
	}
	return nil
}

// commandArg finds a command's argument: from the spec, the family's
// naming rule, the comment, a struct named after the command, or the
// first struct or typedef defined after it. It reports false (with a note)
// when there is none to be found.
func (b *callBuilder) commandArg(c *command, cmds []*parser.Macro, i int, structPrefix string) bool {
	m := c.macro
	rest := strings.TrimPrefix(m.Name, c.fam.prefix)
	name := c.spec.arg
	if c.env != nil {
		return b.envelopeArg(c, rest)
	}
	switch {
	case name == "none":
		return true
	case name != "":
		if !b.setArg(c, name) {
			b.notef("%s:%d: no wrapper for %s: no struct or typedef %s in these headers", c.spec.file, c.spec.line, m.Name, name)
			return false
		}
		return true
	case structPrefix != "":
		if b.setArg(c, structPrefix+rest) {
			return true
		}
	}
	first, last := group(cmds, i)
	for j := first; j <= last; j++ {
		if !strings.Contains(cmds[j].Doc, "arg") { // what argRE needs
			continue
		}
		s := argRE.FindStringSubmatch(cmds[j].Doc)
		if s == nil {
			continue
		}
		if s[1] == "NULL" {
			return true
		}
		if b.setArg(c, s[1]) {
			return true
		}
	}
	if b.setArg(c, "xen_"+rest) {
		return true
	}
	// The first struct or typedef after the group, before the family's
	// next command.
	end := 1 << 30
	if last+1 < len(cmds) && cmds[last+1].Pos.File == m.Pos.File {
		end = cmds[last+1].Pos.Line
	}
	start := cmds[last].Pos.Line
	best := ""
	bestLine := end
	for _, r := range b.u.Records {
		if r.Parent == nil && r.Tag != "" && r.Complete() && r.Pos.File == m.Pos.File && r.Pos.Line > start && r.Pos.Line < bestLine {
			best, bestLine = r.Name, r.Pos.Line
		}
	}
	for _, td := range b.u.Typedefs {
		if td.Pos.File != m.Pos.File || td.Pos.Line <= start || td.Pos.Line >= bestLine || isHandleName(td.Name) {
			continue
		}
		if k := td.Type.Resolve().Kind; k == parser.EnumRef || k == parser.RecordRef {
			continue // an enum's name, or a record's second name
		}
		best, bestLine = td.Name, td.Pos.Line
	}
	if best != "" && b.setArg(c, best) {
		return true
	}
	b.notef("%s: no wrapper for %s: its argument is not stated in the header or in %s", m.Pos, m.Name, specName)
	return false
}

// setArg makes a C name the command's argument: "struct X", X naming a
// struct, or a typedef.
func (b *callBuilder) setArg(c *command, name string) bool {
	if r := b.u.Record(name); r != nil && r.Complete() {
		c.rec, c.argC = r, r.Name
		return true
	}
	if r := b.u.Record("struct " + name); r != nil && r.Complete() {
		c.rec, c.argC = r, r.Name
		return true
	}
	if td := b.u.Typedef(name); td != nil {
		if rt := td.Type.Resolve(); rt.Kind == parser.RecordRef && rt.Record.Complete() {
			c.rec, c.argC = rt.Record, rt.Record.Name
			return true
		}
		if isHandleName(td.Name) {
			return false
		}
		c.td, c.argC = td, td.Name
		return true
	}
	return false
}

// buildSubops makes the wrappers of a command's sub-commands.
func (b *callBuilder) buildSubops(c *command) {
	for _, grp := range b.spec.subops {
		if grp.parent != c.macro.Name {
			continue
		}
		if c.rec == nil {
			b.notef("%s:%d: no wrappers for the sub-commands of %s: its argument is not a struct in these headers", grp.file, grp.line, c.macro.Name)
			return
		}
		sel, err := b.resolve(c.rec, grp.selector)
		if err != nil {
			b.notef("%s:%d: no wrappers for the sub-commands of %s: %v", grp.file, grp.line, c.macro.Name, err)
			return
		}
		done := map[string]bool{}
		for _, v := range b.spec.variants {
			if !strings.HasPrefix(v.name, grp.prefix) {
				continue
			}
			m := b.macro(v.name)
			if m == nil {
				b.notef("%s:%d: no wrapper for %s: no such sub-command in these headers", v.file, v.line, v.name)
				continue
			}
			done[v.name] = true
			b.typedWrapper(c, &subop{macro: m, sel: sel}, v)
		}
		for _, m := range b.u.Macros {
			if strings.HasPrefix(m.Name, grp.prefix) && isInteger(m) && !done[m.Name] {
				b.notef("%s: no wrapper for sub-command %s of %s: %s has no subop line for it", m.Pos, m.Name, c.macro.Name, specName)
			}
		}
	}
}

// subop is the sub-command a wrapper issues.
type subop struct {
	macro *parser.Macro
	sel   *memberRef // the member selecting it
}

// macro returns the macro of that name, or nil.
func (b *callBuilder) macro(name string) *parser.Macro {
	for _, m := range b.u.Macros {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// familyWord is a family prefix as the start of a Go name: XENMEM_ is
// Xenmem.
func familyWord(prefix string) string {
	var out strings.Builder
	for _, w := range strings.Split(strings.ToLower(strings.TrimSuffix(prefix, "_")), "_") {
		if w != "" {
			out.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return out.String()
}

// handleArg is a guest handle a wrapper passes as a slice.
type handleArg struct {
	spec   handleSpec
	ref    *memberRef
	elem   string // Go element type
	param  string // the slice parameter
	buf    string // the bounce copy
	count  *memberRef
	fixed  int64    // a fixed number of elements, or 0
	factor []string // MEMBER*MEMBER
	shared string   // an earlier slice parameter with the same count
}

// result is one named result of a wrapper.
type result struct {
	name, typ string
	// record: a struct type, which may hold align8 (sync/atomic) on 386
	// and arm, so the wrapper never copies it by value: it is filled with
	// hypercall.Copy and returned by a bare return or as a zero literal.
	record bool
}

// wrapperFn accumulates one typed wrapper.
type wrapperFn struct {
	b       *callBuilder
	op      string // the C name in errors
	where   string // the spec line or header position, in notes
	params  []jen.Code
	results []result
	pre     []jen.Code // checks of Go values, before any allocation
	setup   []jen.Code
	checks  []jen.Code
	post    []jen.Code // copying back, after the call
	after   []jen.Code // status and outputs, once the call succeeded
	use     []string   // how the Go parameters map to C, for the doc
	names   map[string]bool
	bad     bool
}

// name claims a Go parameter or result name, reporting a clash with
// another or with the wrapper's own variables.
func (f *wrapperFn) name(n string) string {
	if f.names[n] || n == "" {
		f.b.notef("%s: no wrapper for %s: parameter or result %q clashes; name it in %s", f.where, f.op, n, specName)
		f.bad = true
	}
	f.names[n] = true
	return n
}

// ret returns the named results with err, before the hypercall: a struct
// result is still zero, and is returned as a zero literal.
func (f *wrapperFn) ret(err jen.Code) *jen.Statement {
	var vals []jen.Code
	for _, r := range f.results {
		if r.record {
			vals = append(vals, jen.Id(r.typ).Values())
		} else {
			vals = append(vals, jen.Id(r.name))
		}
	}
	return jen.Return(append(vals, err)...)
}

// retAfter returns the named results with err (nil: the success at the
// end), after the hypercall. A wrapper with a struct result sets err and
// returns bare: "return v, err" would copy v, which go vet reports on 386
// and arm where v holds align8.
func (f *wrapperFn) retAfter(err jen.Code) *jen.Statement {
	for _, r := range f.results {
		if !r.record {
			continue
		}
		if err == nil {
			return jen.Return()
		}
		return jen.Err().Op("=").Add(err).Line().Return()
	}
	if err == nil {
		err = jen.Nil()
	}
	return f.ret(err)
}

// argErr returns an *hypercall.ArgError.
func (f *wrapperFn) argErr(field string, entry jen.Code, reason string) *jen.Statement {
	if entry == nil {
		entry = jen.Lit(-1)
	}
	return f.ret(jen.Op("&").Qual(hypercallPkg, "ArgError").Values(jen.Dict{
		jen.Id("Op"):     jen.Lit(f.op),
		jen.Id("Field"):  jen.Lit(field),
		jen.Id("Entry"):  entry,
		jen.Id("Reason"): jen.Lit(reason),
	}))
}

// typedWrapper builds the wrapper of a command, or of one of its
// sub-commands (sub != nil) as the spec line cs describes it.
func (b *callBuilder) typedWrapper(c *command, sub *subop, cs *cmdSpec) {
	m := c.macro
	op := m.Name
	goName := familyWord(c.fam.prefix) + wordsGo(strings.TrimPrefix(m.Name, c.fam.prefix))
	if sub != nil {
		op = sub.macro.Name
		goName = familyWord(c.fam.prefix) + wordsGo(strings.TrimPrefix(sub.macro.Name, c.fam.prefix)) + cs.variant
	}
	where := fmt.Sprintf("%s:%d", cs.file, cs.line)
	if cs.line == 0 {
		where = m.Pos.String()
	}
	f := &wrapperFn{b: b, op: op, where: where, names: map[string]bool{"c": true, "a": true, "p": true, "ps": true, "addr": true, "r": true, "err": true, "failed": true, "i": true, "env": true}}
	f.params = append(f.params, jen.Id("c").Qual(hypercallPkg, "Caller"))
	env := c.env
	domainParam := ""
	if env != nil && env.domain != nil {
		domainParam = f.name("domain")
		f.params = append(f.params, jen.Id(domainParam).Id(env.domain.goType))
	}
	// Extra parameters of the hypercall (vcpu_op's vcpuid) are the
	// wrapper's too.
	extra := map[int]string{}
	for i, prm := range c.rc.proto.Params {
		if i == c.cmdIndex || i == c.argIndex || i == c.countIndex || prm.Name == "" {
			continue // an unnamed parameter is C's "...": passed as 0
		}
		n := f.name(paramName(prm.Name))
		extra[i] = n
		typ := "uint64"
		switch prm.Type {
		case "int", "unsigned int", "uint32_t":
			typ = "uint32"
		}
		f.params = append(f.params, jen.Id(n).Id(typ))
	}

	mode := modeInOut
	switch {
	case c.rec == nil && c.td == nil:
		mode = modeNone
	case sub != nil || len(cs.ins) > 0 || len(cs.outs) > 0 || cs.flex != nil:
		mode = modeFlat
	case cs.dir == "out":
		mode = modeOut
	case cs.dir == "in":
		mode = modeIn
	case c.countIndex >= 0 && !cs.single && c.rec != nil:
		mode = modeBatch
	}
	if (mode == modeFlat || mode == modeBatch) && c.rec == nil {
		b.skipf(where, op, "its argument %s is not a struct in these headers (in=, out=, flex= and batches need one)", c.argC)
		return
	}
	if len(cs.handles) > 0 && mode != modeFlat && mode != modeInOut {
		b.skipf(where, op, "handles need the argument passed by pointer or as members")
		return
	}

	// A wrapper refers to its command's macro and argument type: none may
	// be skipped by the config.
	for _, n := range []string{m.Name, op} {
		if b.g.cfg.skipped(n) {
			b.skipf(where, op, "the config skips %s", n)
			return
		}
	}
	if c.rec != nil && (b.g.cfg.skipped(c.rec.Name) || b.g.names.name(c.rec.Name) == "") {
		b.skipf(where, op, "the config skips its argument %s", c.rec.Name)
		return
	}
	for _, fl := range cs.flags {
		if b.g.cfg.skipped(fl.macro) {
			b.skipf(where, op, "the config skips %s", fl.macro)
			return
		}
	}

	// Only a shape the wrapper marshals right gets a wrapper.
	flexMember := ""
	if cs.flex != nil {
		flexMember = cs.flex.member
	}
	if c.rec != nil {
		if why := b.copyShape(c.rec, flexMember); why != "" {
			b.skipf(where, op, "argument %s: %s", c.argC, why)
			return
		}
		if cs.flex != nil {
			if n := len(c.rec.Members); n == 0 || c.rec.Members[n-1].Name != cs.flex.member || c.rec.Members[n-1].Type.Resolve().Kind != parser.Array || c.rec.Members[n-1].Type.Resolve().Len > 0 {
				b.skipf(where, op, "flex=%s: %s does not end in flexible array %s", cs.flex.member, c.argC, cs.flex.member)
				return
			}
		}
	} else if c.td != nil {
		if why := b.typedefShape(c.td); why != "" {
			b.skipf(where, op, "argument %s", why)
			return
		}
	}

	// The argument's Go type.
	var argGo string
	if c.rec != nil {
		argGo = b.g.names.name(c.rec.Name)
	} else if c.td != nil {
		gt, _, err := b.t.goType(&parser.Type{Kind: parser.TypedefRef, Typedef: c.td})
		if err != nil {
			b.skipf(where, op, "argument %s: %v", c.td.Name, err)
			return
		}
		argGo = gt
	}

	// Handles must all be described, or stay NULL.
	var handles []*handleArg
	if c.rec != nil {
		covered := map[string]bool{}
		for _, hs := range cs.handles {
			covered[hs.path] = true
		}
		for _, hp := range b.handlePaths(c.rec, "") {
			if covered[hp] || mode == modeFlat {
				continue
			}
			if cs.line == 0 {
				b.notef("%s: no wrapper for %s: %s holds guest handle %s, which %s does not describe", m.Pos, op, c.argC, hp, specName)
			} else {
				b.skipf(where, op, "guest handle %s of %s is not described", hp, c.argC)
			}
			return
		}
		for _, s := range cs.spares {
			ok := false
			for _, hs := range cs.handles {
				ok = ok || hs.path == s && hs.dir == "out"
			}
			if !ok {
				b.skipf(where, op, "spare=%s: not the path of an out handle", s)
				return
			}
		}
		for _, hs := range cs.handles {
			hs.spare = contains(cs.spares, hs.path)
			h, err := b.handleArg(c.rec, hs, handles)
			if err != nil {
				b.skipf(where, op, "%v", err)
				return
			}
			if hs.elem != "" {
				defer func() { b.entryUse[hs.elem] = append(b.entryUse[hs.elem], op) }()
			}
			f.name(h.param)
			handles = append(handles, h)
		}
	}

	// Flat members.
	type flatIn struct {
		ref   *memberRef
		param string
		typ   string
		doc   string
	}
	var ins []flatIn
	for _, fs := range cs.ins {
		ref, err := b.resolve(c.rec, fs.path)
		if err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		n := fs.name
		if n == "" {
			n = lastPart(fs.path)
		}
		typ := ref.goType
		if fs.ctype != "" {
			td := b.u.Typedef(fs.ctype)
			if td == nil {
				b.skipf(where, op, "no typedef %s", fs.ctype)
				return
			}
			typ, _, err = b.t.goType(&parser.Type{Kind: parser.TypedefRef, Typedef: td})
			if err != nil {
				b.skipf(where, op, "%s: %v", fs.ctype, err)
				return
			}
		}
		ins = append(ins, flatIn{ref: ref, param: f.name(paramName(n)), typ: typ, doc: memberDoc(ref.member)})
	}
	type flatOut struct {
		ref  *memberRef
		name string
	}
	var outs []flatOut
	for _, fs := range cs.outs {
		ref, err := b.resolve(c.rec, fs.path)
		if err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		n := fs.name
		if n == "" {
			n = lastPart(fs.path)
		}
		outs = append(outs, flatOut{ref: ref, name: f.name(paramName(n))})
	}
	var flexRef *memberRef
	var flexParam string
	if cs.flex != nil {
		var err error
		if flexRef, err = b.resolve(c.rec, cs.flex.count); err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		flexParam = f.name(paramName(cs.flex.member))
	}
	if f.bad {
		return
	}

	// Parameters and results.
	argParam := ""
	switch mode {
	case modeInOut:
		argParam = f.name("arg")
		f.params = append(f.params, jen.Id(argParam).Op("*").Id(argGo))
	case modeIn:
		argParam = f.name("arg")
		f.params = append(f.params, jen.Id(argParam).Op("*").Id(argGo))
	case modeBatch:
		argParam = "ops"
		f.params = append(f.params, jen.Id(argParam).Index().Id(argGo))
	case modeOut:
		f.results = append(f.results, result{name: f.name(paramName(trimCName(c.argC))), typ: argGo, record: true})
	}
	if env != nil && cs.domainUse == "out" {
		f.results = append(f.results, result{name: f.name("domid"), typ: env.domain.goType})
	}
	whole := mode == modeFlat && cs.dir == "out" // members in, the struct out
	if whole {
		f.results = append(f.results, result{name: f.name(paramName(trimCName(c.argC))), typ: argGo, record: true})
	}
	for _, in := range ins {
		f.params = append(f.params, jen.Id(in.param).Id(in.typ))
	}
	for _, h := range handles {
		f.params = append(f.params, jen.Id(h.param).Index().Id(h.elem))
	}
	if flexParam != "" {
		f.params = append(f.params, jen.Id(flexParam).Index().Byte())
	}
	for _, o := range outs {
		f.results = append(f.results, result{name: o.name, typ: o.ref.goType})
	}
	// A flexible array with a result is a variable-length buffer (struct
	// xen_varbuf, xen_build_id): Xen writes the result's number of bytes
	// into it, and the wrapper returns them.
	dataName := ""
	if cs.flex != nil && cs.result != "" {
		dataName = f.name("data")
		f.results = append(f.results, result{name: dataName, typ: "[]byte"})
	}
	if cs.result != "" {
		typ := "uint64"
		if cs.resultType != "" {
			known := false
			for _, p := range b.spec.packed {
				known = known || p.name == cs.resultType
			}
			if !known || dataName != "" {
				b.skipf(where, op, "result type %s is not a packed line of %s, or the result is a size", cs.resultType, specName)
				return
			}
			typ = cs.resultType
		}
		f.results = append(f.results, result{name: f.name(paramName(cs.result)), typ: typ})
	}
	if f.bad {
		return
	}
	if cs.resultType != "" {
		b.packedUse[cs.resultType] = append(b.packedUse[cs.resultType], op)
	}

	// Checks on the Go slices, before anything is allocated.
	first := map[string]*handleArg{}
	for _, h := range handles {
		if h.shared != "" {
			f.pre = append(f.pre, jen.If(jen.Len(jen.Id(h.param)).Op("!=").Len(jen.Id(h.shared))).Block(
				f.argErr(h.spec.path, nil, fmt.Sprintf("has %s elements, as many as %s", h.spec.count, first[h.spec.count].spec.path))))
		} else if h.count != nil {
			first[h.spec.count] = h
		}
		if h.spec.size > 0 {
			f.pre = append(f.pre, jen.If(jen.Len(jen.Id(h.param)).Op("%").Lit(int(h.spec.size)).Op("!=").Lit(0)).Block(
				f.argErr(h.spec.path, nil, fmt.Sprintf("holds %d-byte entries: its length must be a multiple of %d", h.spec.size, h.spec.size))))
		}
	}
	for _, d := range cs.disjoint {
		x, y := handleByPath(handles, d[0]), handleByPath(handles, d[1])
		if x == nil || y == nil {
			b.skipf(where, op, "disjoint= names %s and %s, which are not handle= slices", d[0], d[1])
			return
		}
		f.pre = append(f.pre, jen.If(jen.Qual(hypercallPkg, "Overlap").Call(jen.Id(x.param), jen.Id(y.param))).Block(
			f.argErr(d[1], nil, "overlaps "+d[0]+": the lists may not share memory")))
	}
	if mode == modeBatch {
		f.pre = append(f.pre, jen.If(jen.Len(jen.Id("ops")).Op("==").Lit(0)).Block(f.ret(jen.Nil())))
	}
	for _, ne := range cs.nonempty {
		h := handleByPath(handles, ne)
		if h == nil {
			b.skipf(where, op, "nonempty=%s is not a handle= slice", ne)
			return
		}
		f.pre = append(f.pre, jen.If(jen.Len(jen.Id(h.param)).Op("==").Lit(0)).Block(
			f.argErr(ne, nil, "may not be empty: Xen would have nowhere to write")))
	}
	if domainParam != "" && cs.domainUse == "" {
		f.pre = append(f.pre, jen.If(jen.Id(domainParam).Op(">=").Id(b.g.names.name(env.spec.domainLimit))).Block(
			f.argErr(env.spec.domain, nil, "ids from "+env.spec.domainLimit+" on name no domain here (DOMID_SELF included)")))
	}

	// The argument in hypervisor-visible memory.
	hasArg := mode != modeNone
	base := "p"
	if env != nil {
		hasArg = true
		f.setup = append(f.setup, b.envelopeSetup(c, f, domainParam)...)
		switch mode {
		case modeInOut, modeIn:
			f.setup = append(f.setup, jen.Qual(hypercallPkg, "Copy").Call(jen.Id("p"), jen.Id(argParam)))
		case modeBatch:
			b.skipf(where, op, "a command in an envelope takes one struct")
			return
		}
	} else {
		base = f.argSetup(mode, argParam, argGo, cs, flexRef, flexParam)
	}
	if sub != nil {
		f.setup = append(f.setup, sub.sel.expr("p").Op("=").Id(b.g.names.name(sub.macro.Name)))
	}
	for _, in := range ins {
		v := jen.Id(in.param)
		if in.typ != in.ref.goType {
			v = jen.Id(in.ref.goType).Call(v)
		}
		f.setup = append(f.setup, in.ref.expr("p").Op("=").Add(v))
	}
	for _, fl := range cs.flags {
		ref, err := b.resolve(c.rec, fl.path)
		if err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		if b.macro(fl.macro) == nil {
			b.skipf(where, op, "no macro %s", fl.macro)
			return
		}
		f.setup = append(f.setup, ref.expr("p").Op("|=").Id(b.g.names.name(fl.macro)))
	}
	for _, h := range handles {
		buf := jen.Id(h.buf)
		if h.spec.dir == "in" {
			buf = jen.Id("_") // nothing to copy back
		}
		in := h.param
		if h.spec.spare {
			// Room for one element more than the caller's slice: the
			// hypervisor never writes it, and it is not copied back.
			in = h.param + "Room"
			f.setup = append(f.setup,
				jen.Id(in).Op(":=").Id(h.param),
				jen.If(jen.Len(jen.Id(h.param)).Op(">").Lit(0)).Block(
					jen.Id(in).Op("=").Make(jen.Index().Id(h.elem), jen.Len(jen.Id(h.param)).Op("+").Lit(1))))
		}
		f.setup = append(f.setup,
			jen.List(buf, jen.Id(h.buf+"Addr")).Op(":=").Qual(hypercallPkg, "Slice").Call(jen.Op("&").Id("a"), jen.Id(in), jen.Lit(h.spec.dir != "out")),
			h.ref.sel("p").Dot("Set").Call(jen.Id(h.buf+"Addr")),
		)
		n := jen.Len(jen.Id(in))
		if h.spec.size > 0 {
			n = jen.Len(jen.Id(h.param)).Op("/").Lit(int(h.spec.size))
		}
		switch {
		case h.count != nil && h.shared == "":
			f.setup = append(f.setup, jen.If(jen.Op("!").Qual(hypercallPkg, "SetCount").Call(h.count.ptr("p"), n)).Block(
				f.argErr(h.spec.path, nil, "too many elements for "+h.spec.count)))
		case h.fixed > 0:
			f.checks = append(f.checks, jen.If(jen.Len(jen.Id(h.param)).Op("!=").Lit(0).Op("&&").Add(n).Op("!=").Lit(int(h.fixed))).Block(
				f.argErr(h.spec.path, nil, fmt.Sprintf("must hold %d elements, or none", h.fixed))))
		case h.factor != nil:
			x, _ := b.resolve(c.rec, h.factor[0])
			y, _ := b.resolve(c.rec, h.factor[1])
			f.checks = append(f.checks, jen.If(jen.Len(jen.Id(h.param)).Op("!=").Lit(0).Op("&&").Uint64().Call(n).Op("!=").Uint64().Call(x.expr("p")).Op("*").Uint64().Call(y.expr("p"))).Block(
				f.argErr(h.spec.path, nil, fmt.Sprintf("must hold %s elements, or none", h.spec.count))))
		}
	}
	for _, z := range cs.zeros {
		ref, err := b.resolve(c.rec, z)
		if err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		f.setup = append(f.setup, ref.expr("p").Op("=").Lit(0).Comment("the header: must be zero"))
	}
	for _, d := range cs.domids {
		ref, err := b.resolve(c.rec, d)
		if err != nil {
			b.skipf(where, op, "%v", err)
			return
		}
		if b.macro("DOMID_FIRST_RESERVED") == nil || b.macro("DOMID_SELF") == nil {
			b.skipf(where, op, "domid= needs DOMID_FIRST_RESERVED and DOMID_SELF")
			return
		}
		f.checks = append(f.checks, jen.If(ref.expr("p").Op(">=").Id(b.g.names.name("DOMID_FIRST_RESERVED")).Op("&&").Add(ref.expr("p")).Op("!=").Id(b.g.names.name("DOMID_SELF"))).Block(
			f.argErr(d, nil, "not a domain id or DOMID_SELF")))
	}
	for _, e := range cs.equals {
		x, err1 := b.resolve(c.rec, e[0])
		y, err2 := b.resolve(c.rec, e[1])
		if err1 != nil || err2 != nil {
			b.skipf(where, op, "equal=%s,%s: %v%v", e[0], e[1], err1, err2)
			return
		}
		f.checks = append(f.checks, jen.If(x.expr("p").Op("!=").Add(y.expr("p"))).Block(
			f.argErr(e[1], nil, "must equal "+e[0])))
	}
	for _, s := range cs.shifteqs {
		var refs [4]*memberRef
		for i, path := range s {
			r, err := b.resolve(c.rec, path)
			if err != nil {
				b.skipf(where, op, "%v", err)
				return
			}
			refs[i] = r
		}
		f.checks = append(f.checks, jen.If(jen.Op("!").Qual(hypercallPkg, "ShiftEqual").Call(
			jen.Uint64().Call(refs[0].expr("p")), jen.Uint32().Call(refs[1].expr("p")),
			jen.Uint64().Call(refs[2].expr("p")), jen.Uint32().Call(refs[3].expr("p")))).Block(
			f.argErr(s[2], nil, fmt.Sprintf("%s<<%s must equal %s<<%s", s[2], s[3], s[0], s[1]))))
	}
	for _, pf := range cs.pagefits {
		off, err1 := b.resolve(c.rec, pf.offset)
		ln, err2 := b.resolve(c.rec, pf.length)
		if err1 != nil || err2 != nil {
			b.skipf(where, op, "pagefit: %v%v", err1, err2)
			return
		}
		reason := fmt.Sprintf("%s+%s exceeds %d: a copy may not cross a page", pf.offset, pf.length, pf.size)
		if mode == modeBatch {
			el := func(r *memberRef) *jen.Statement { return r.exprOn(jen.Id("ps").Index(jen.Id("i"))) }
			f.checks = append(f.checks, jen.For(jen.Id("i").Op(":=").Range().Id("ps")).Block(
				jen.If(jen.Uint64().Call(el(off)).Op("+").Uint64().Call(el(ln)).Op(">").Lit(int(pf.size))).Block(
					f.argErr(pf.offset, jen.Id("i"), reason))))
		} else {
			f.checks = append(f.checks, jen.If(jen.Uint64().Call(off.expr(base)).Op("+").Uint64().Call(ln.expr(base)).Op(">").Lit(int(pf.size))).Block(
				f.argErr(pf.offset, nil, reason)))
		}
	}

	// The call.
	var args []jen.Code
	for i := range c.rc.params {
		switch i {
		case c.cmdIndex:
			args = append(args, jen.Id(b.g.names.name(m.Name)))
		case c.argIndex:
			if hasArg {
				args = append(args, jen.Id("addr"))
			} else {
				args = append(args, jen.Lit(0))
			}
		case c.countIndex:
			if mode == modeBatch {
				args = append(args, jen.Uint64().Call(jen.Len(jen.Id("ops"))))
			} else {
				args = append(args, jen.Lit(1))
			}
		default:
			if n, ok := extra[i]; ok {
				args = append(args, jen.Uint64().Call(jen.Id(n)))
			} else {
				args = append(args, jen.Lit(0))
			}
		}
	}
	// err is a named result: assign it, and declare r only when it is used.
	call := jen.List(jen.Id("_"), jen.Err()).Op("=").Id(c.rc.goName).Call(append([]jen.Code{jen.Id("c")}, args...)...)
	if cs.result != "" {
		call = jen.List(jen.Id("r"), jen.Err()).Op(":=").Id(c.rc.goName).Call(append([]jen.Code{jen.Id("c")}, args...)...)
	}

	// Copying back, whatever the outcome: a partial success (nr_exchanged,
	// ERANGE with the needed nr_entries) is reported in the argument.
	switch mode {
	case modeInOut:
		var saves []jen.Code
		var restores []jen.Code
		for i, h := range handles {
			v := fmt.Sprintf("h%d", i)
			saves = append(saves, jen.Id(v).Op(":=").Add(h.ref.call(argParam, "Addr")))
			restores = append(restores, h.ref.call(argParam, "Set", jen.Id(v)))
		}
		f.post = append(f.post, saves...)
		f.post = append(f.post, jen.Qual(hypercallPkg, "Copy").Call(jen.Id(argParam), jen.Id("p")))
		if len(restores) > 0 {
			f.post = append(f.post, jen.Comment("The handles held bounce buffers: give back the caller's."))
			f.post = append(f.post, restores...)
		}
	case modeBatch:
		f.post = append(f.post, jen.Id("copy").Call(jen.Id("ops"), jen.Id("ps")))
	}
	for _, h := range handles {
		if h.spec.dir != "in" {
			f.post = append(f.post, jen.Id("copy").Call(jen.Id(h.param), jen.Id(h.buf)))
		}
	}
	if cs.flex != nil && dataName == "" {
		f.post = append(f.post, jen.Id("copy").Call(jen.Id(flexParam), jen.Id("tail")))
	}

	// After a successful call: statuses, results.
	if st := c.fam.status; st != "" && c.rec != nil {
		if ref, err := b.resolve(c.rec, st); err == nil {
			typ := b.statusType(c.fam)
			if typ == "" {
				b.skipf(fmt.Sprintf("%s:%d", c.fam.file, c.fam.line), op, "no typed constant group %s for statuses", c.fam.statusPrefix)
				return
			}
			if mode == modeBatch {
				f.after = append(f.after,
					jen.Var().Id("failed").Op("*").Qual(hypercallPkg, "BatchError"),
					jen.For(jen.Id("i").Op(":=").Range().Id("ops")).Block(
						jen.If(jen.Id("st").Op(":=").Add(ref.exprOn(jen.Id("ops").Index(jen.Id("i")))), jen.Id("st").Op("!=").Lit(0)).Block(
							jen.Id("failed").Op("=").Id("failed").Dot("Add").Call(jen.Lit(op), jen.Id("i"), jen.Id(typ).Call(jen.Id("st"))))),
					jen.If(jen.Id("failed").Op("!=").Nil()).Block(f.retAfter(jen.Id("failed"))),
				)
			} else {
				f.after = append(f.after, jen.If(jen.Id("st").Op(":=").Add(ref.expr("p")), jen.Id("st").Op("!=").Lit(0)).Block(
					f.retAfter(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": %w"), jen.Id(typ).Call(jen.Id("st"))))))
			}
		}
	}
	// Outputs are copied back like the rest, even on failure: some
	// commands report a failure's details in them (GNTTABOP_set_version
	// writes back the version in force).
	for _, o := range outs {
		f.post = append(f.post, jen.Id(o.name).Op("=").Add(o.ref.expr("p")))
	}
	if mode == modeOut {
		f.post = append(f.post, jen.Qual(hypercallPkg, "Copy").Call(jen.Op("&").Id(f.results[0].name), jen.Id("p")))
	}
	if whole {
		f.post = append(f.post, jen.Qual(hypercallPkg, "Copy").Call(jen.Op("&").Id(f.results[len(f.results)-1].name), jen.Id("p")))
	}
	if env != nil && cs.domainUse == "out" {
		f.post = append(f.post, jen.Id("domid").Op("=").Add(env.domain.expr("env")))
	}
	var outAssign []jen.Code
	if dataName != "" {
		f.after = append(f.after, jen.If(jen.Len(jen.Id(flexParam)).Op(">").Lit(0)).Block(
			jen.If(jen.Id("r").Op(">").Uint64().Call(jen.Len(jen.Id(flexParam)))).Block(
				f.retAfter(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": Xen reported %d bytes written to a buffer of %d"), jen.Id("r"), jen.Len(jen.Id(flexParam))))),
			jen.Id(dataName).Op("=").Id(flexParam).Index(jen.Empty(), jen.Id("copy").Call(jen.Id(flexParam), jen.Id("tail").Index(jen.Empty(), jen.Id("r")))),
		))
	}
	if cs.result != "" {
		r := jen.Id("r")
		if cs.resultType != "" {
			r = jen.Id(cs.resultType).Call(jen.Id("r"))
		}
		outAssign = append(outAssign, jen.Id(f.results[len(f.results)-1].name).Op("=").Add(r))
	}

	// Error codes of the command's own.
	var codeCases []jen.Code
	for _, ec := range b.spec.errcodes {
		if !contains(ec.cmds, op) {
			continue
		}
		if b.macro(ec.macro) == nil || b.g.cfg.skipped(ec.macro) {
			continue // noted once by noteUnused, or skipped on purpose
		}
		codeCases = append(codeCases, jen.Case(jen.Id(b.g.names.name(ec.macro))).Block(jen.Id("err").Op("=").Id(b.errVarName(c.fam, ec.macro))))
		b.errcodeVar(c.fam, ec)
	}

	// Assemble.
	var body []jen.Code
	body = append(body, f.pre...)
	usesArena := hasArg || len(handles) > 0
	if usesArena {
		body = append(body,
			jen.Id("a").Op(":=").Qual(hypercallPkg, "NewArena").Call(jen.Id("c")),
			jen.Defer().Id("a").Dot("Release").Call())
	}
	body = append(body, f.setup...)
	body = append(body, f.checks...)
	if usesArena {
		body = append(body, jen.If(jen.Err().Op(":=").Id("a").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			f.ret(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": %w"), jen.Err()))))
	}
	body = append(body, call)
	body = append(body, f.post...)
	errBlock := []jen.Code{}
	if env != nil {
		errBlock = append(errBlock, b.versionErr(env, op, f, jen.Id(env.versionGo)))
	}
	if dataName != "" {
		errBlock = append(errBlock, jen.If(jen.List(jen.Id("e"), jen.Id("ok")).Op(":=").Err().Assert(jen.Qual(hypercallPkg, "Errno")), jen.Id("ok").Op("&&").Id("e").Op("==").Qual(hypercallPkg, "ENOBUFS")).Block(
			f.retAfter(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": "+flexParam+" of %d bytes is too small for what Xen has (an empty "+flexParam+" asks for the size): %w"), jen.Len(jen.Id(flexParam)), jen.Err()))))
	}
	if len(codeCases) > 0 {
		errBlock = append(errBlock, jen.If(jen.List(jen.Id("e"), jen.Id("ok")).Op(":=").Err().Assert(jen.Qual(hypercallPkg, "Errno")), jen.Id("ok")).Block(
			jen.Switch(jen.Op("-").Int().Call(jen.Id("e"))).Block(codeCases...)))
	}
	errBlock = append(errBlock, f.retAfter(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": %w"), jen.Err())))
	body = append(body, jen.If(jen.Err().Op("!=").Nil()).Block(errBlock...))
	body = append(body, f.after...)
	body = append(body, outAssign...)
	body = append(body, f.retAfter(nil))

	var res []jen.Code
	for _, r := range f.results {
		res = append(res, jen.Id(r.name).Id(r.typ))
	}
	res = append(res, jen.Err().Error())

	// The doc.
	doc := b.wrapperDoc(c, sub, cs, goName, mode, argParam, handles, flexParam)
	for _, in := range ins {
		d := fmt.Sprintf("%s sets %s", in.param, in.ref.path)
		if in.doc != "" {
			d += " (" + in.doc + ")"
		}
		f.use = append(f.use, d+".")
	}
	for _, o := range outs {
		d := fmt.Sprintf("%s is %s", o.name, o.ref.path)
		if dd := memberDoc(o.ref.member); dd != "" {
			d += " (" + dd + ")"
		}
		f.use = append(f.use, d+".")
	}
	if len(outs) > 0 {
		f.use = append(f.use, "The results are what Xen wrote, also when the call fails.")
	}
	if len(f.use) > 0 {
		doc = append(doc, "")
		doc = append(doc, wrap(strings.Join(f.use, " "))...)
	}
	if b.add(goName, doc, jen.Func().Id(goName).Params(f.params...).Params(res...).Block(body...)) {
		sh := wrapperShape{op: op, target: b.t.abi.Target, mode: mode, rec: c.rec, td: c.td, flex: flexMember}
		for _, h := range handles {
			sh.handles = append(sh.handles, h.spec.path)
		}
		b.shapes = append(b.shapes, sh)
	}
}

// exprOn is expr on an arbitrary base expression (an element of a slice).
func (m *memberRef) exprOn(base *jen.Statement) *jen.Statement {
	s := base
	for _, st := range m.steps {
		s = s.Dot(st.name)
		if st.call {
			s = s.Call()
		}
	}
	if m.viaAccessor() {
		return jen.Op("*").Add(s)
	}
	return s
}

// handleArg resolves a handle= key.
func (b *callBuilder) handleArg(r *parser.Record, hs handleSpec, earlier []*handleArg) (*handleArg, error) {
	ref, err := b.resolve(r, hs.path)
	if err != nil {
		return nil, err
	}
	elem, ok, err := b.handleElem(ref.member)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hs.path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s is not a guest handle", hs.path)
	}
	switch {
	case elem == "" && hs.elem != "":
		if b.spec.entry(hs.elem) == nil {
			return nil, fmt.Errorf("%s: %s is not an entry line of %s", hs.path, hs.elem, specName)
		}
		elem = hs.elem
	case elem == "" && hs.size == 0:
		return nil, fmt.Errorf("%s is a handle of void: give the element size or entry type", hs.path)
	case elem == "":
		elem = "byte"
	case hs.size != 0 || hs.elem != "":
		return nil, fmt.Errorf("%s has elements of type %s: no size wanted", hs.path, elem)
	}
	p := hs.path
	if l := lastPart(p); (l == "h" || l == "p") && strings.Contains(p, ".") {
		p = strings.TrimSuffix(p, "."+l) // the handle of a union with padding
	}
	h := &handleArg{spec: hs, ref: ref, elem: elem, param: paramName(strings.ReplaceAll(p, ".", "_"))}
	h.buf = h.param + "Buf"
	switch {
	case isNumber(hs.count):
		n, _ := strconv.ParseInt(hs.count, 10, 64)
		h.fixed = n
	case strings.Contains(hs.count, "*"):
		x, y, _ := strings.Cut(hs.count, "*")
		for _, f := range []string{x, y} {
			if _, err := b.resolve(r, f); err != nil {
				return nil, err
			}
		}
		h.factor = []string{x, y}
	default:
		cnt, err := b.resolve(r, hs.count)
		if err != nil {
			return nil, err
		}
		h.count = cnt
		for _, e := range earlier {
			if e.spec.count == hs.count && e.shared == "" {
				h.shared = e.param
			}
		}
	}
	return h, nil
}

// handleByPath returns the handle= slice of a C path, or nil.
func handleByPath(hs []*handleArg, path string) *handleArg {
	for _, h := range hs {
		if h.spec.path == path {
			return h
		}
	}
	return nil
}

// isNumber reports whether a count is a literal number of elements.
func isNumber(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// lastPart is the last member name of a C path.
func lastPart(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}

// sectionRE matches the comments that head a group of members rather
// than describe one ("IN parameters.", "OUT").
var sectionRE = regexp.MustCompile(`^(?i:(IN|OUT|IN/OUT)( parameters)?\.?)$`)

// memberDoc is the first line of a member's comment, unless it heads a
// group of members, without a final period.
func memberDoc(m *parser.Member) string {
	s, _, _ := strings.Cut(strings.TrimSpace(m.Doc), "\n")
	if sectionRE.MatchString(s) {
		return ""
	}
	return strings.TrimSuffix(s, ".")
}

// trimCName is a C type's name without struct, xen_ and _t, for a result
// named after it: xen_extraversion_t is extraversion.
func trimCName(c string) string {
	c = strings.TrimPrefix(c, "struct ")
	c = strings.TrimPrefix(c, "xen_")
	return strings.TrimSuffix(c, "_t")
}

// statusType is the Go type of a family's statuses.
func (b *callBuilder) statusType(fam *family) string {
	for _, ct := range b.g.cfg.ConstTypes {
		if ct.Prefix != fam.statusPrefix {
			continue
		}
		// The type is declared only with a constant of the group.
		for _, m := range b.u.Macros {
			if strings.HasPrefix(m.Name, ct.Prefix) && isInteger(m) && !b.g.cfg.skipped(m.Name) {
				return b.g.names.name("consttype " + ct.Name)
			}
		}
	}
	return ""
}

// errVarName is the Go variable of an error code: XENMEM_SHARING_OP_S_HANDLE_INVALID
// is ErrSharingOpSHandleInvalid.
func (b *callBuilder) errVarName(fam *family, macro string) string {
	return "Err" + wordsGo(strings.TrimPrefix(macro, fam.prefix))
}

// errcodeVar declares an error code's variable once.
func (b *callBuilder) errcodeVar(fam *family, ec *errcodeSpec) {
	name := b.errVarName(fam, ec.macro)
	if b.taken[name] {
		return
	}
	m := b.macro(ec.macro)
	doc := []string{
		fmt.Sprintf("%s is %s (%s), which %s return as their result (%s line %d): %s.", name, ec.macro, m.Pos, strings.Join(ec.cmds, ", "), ec.file, ec.line, ec.text),
		"As an errno it would read as another error; the wrappers return this instead.",
	}
	code := jen.Var().Id(name).Op("=").Op("&").Qual(hypercallPkg, "CodeError").Values(jen.Dict{
		jen.Id("Name"): jen.Lit(ec.macro),
		jen.Id("Code"): jen.Id(b.g.names.name(ec.macro)),
		jen.Id("Text"): jen.Lit(ec.text),
	})
	b.add(name, doc, code)
}

// wrapperDoc writes a wrapper's doc: what it issues, the header's comment,
// and how the Go parameters become the argument.
func (b *callBuilder) wrapperDoc(c *command, sub *subop, cs *cmdSpec, goName string, mode argMode, argParam string, handles []*handleArg, flexParam string) []string {
	m := c.macro
	with := ""
	switch mode {
	case modeNone:
		with = "with a NULL argument"
	case modeBatch:
		with = "with a batch of " + c.argC
	default:
		with = "with a " + c.argC
		if c.countIndex >= 0 {
			with = "with one " + c.argC
		}
	}
	var doc []string
	if sub != nil {
		doc = wrap(fmt.Sprintf("%s issues %s (%s), a sub-command of %s (%s), through %s %s.", goName, sub.macro.Name, sub.macro.Pos, m.Name, m.Pos, c.rc.cname, with))
	} else {
		doc = wrap(fmt.Sprintf("%s issues %s (%s) through %s %s.", goName, m.Name, m.Pos, c.rc.cname, with))
	}
	var hdr []string
	if sub != nil {
		hdr = docLines(sub.macro.Doc)
	} else {
		hdr = c.doc
	}
	if len(hdr) > 0 {
		doc = append(doc, "")
		doc = append(doc, hdr...)
	}
	var use []string
	switch mode {
	case modeInOut:
		use = append(use, fmt.Sprintf("*%s is copied to hypervisor-visible memory and back, so that the members Xen writes are seen in it.", argParam))
	case modeIn:
		use = append(use, fmt.Sprintf("*%s is copied to hypervisor-visible memory, and not back.", argParam))
	case modeOut:
		use = append(use, "Xen writes the result to hypervisor-visible memory, which is copied into the returned value.")
	case modeFlat:
		use = append(use, fmt.Sprintf("The wrapper builds the %s from its parameters in hypervisor-visible memory.", c.argC))
	case modeBatch:
		use = append(use, "The entries are copied to hypervisor-visible memory and back; an empty batch issues no hypercall.")
	}
	for _, h := range handles {
		s := fmt.Sprintf("%s is handle %s", h.param, h.spec.path)
		switch {
		case h.count != nil:
			s += fmt.Sprintf(" (%s is set to its length", h.spec.count)
			if h.spec.size > 0 {
				s += fmt.Sprintf(" in %d-byte entries", h.spec.size)
			}
			s += ")"
		case h.fixed > 0:
			s += fmt.Sprintf(" (%d elements)", h.fixed)
		case h.factor != nil:
			s += fmt.Sprintf(" (%s elements)", h.spec.count)
		}
		switch h.spec.dir {
		case "in":
			s += ", which Xen reads"
		case "out":
			s += ", which Xen writes: its elements are copied back, those Xen leaves come back zero"
		case "inout":
			s += ", which Xen reads and writes: its elements are copied back"
		}
		use = append(use, s+"; an empty slice is a NULL handle.")
		if h.spec.spare {
			use = append(use, fmt.Sprintf("Xen needs room for one element more than it writes (it refuses a %s of exactly the entries it has with EINVAL): the wrapper passes len(%s)+1 elements itself, so a %s as long as the %s a call with an empty %s reported is enough.", h.param, h.param, h.param, h.spec.count, h.param))
		}
	}
	if flexParam != "" {
		use = append(use, fmt.Sprintf("%s is the flexible array %s, of %s bytes; an empty %s passes a NULL argument.", flexParam, cs.flex.member, cs.flex.count, flexParam))
		if cs.result != "" {
			use = append(use, fmt.Sprintf("data is %s[:%s], the bytes Xen wrote; the rest of %s is left as it was (an empty one asks for the size). A %s too small for what Xen has fails with an error wrapping hypercall.ENOBUFS.", flexParam, paramName(cs.result), flexParam, flexParam))
		}
	}
	if c.fam.status != "" && c.rec != nil && mode == modeBatch {
		if _, err := b.resolve(c.rec, c.fam.status); err == nil {
			use = append(use, fmt.Sprintf("Entries whose %s is not okay come back as a *hypercall.BatchError listing each entry's %s, with the header's message.", c.fam.status, b.statusType(c.fam)))
		}
	} else if c.fam.status != "" && c.rec != nil {
		if _, err := b.resolve(c.rec, c.fam.status); err == nil {
			use = append(use, fmt.Sprintf("A %s other than okay is returned as a %s error.", c.fam.status, b.statusType(c.fam)))
		}
	}
	var checks []string
	for _, z := range cs.zeros {
		checks = append(checks, z+" is zeroed")
	}
	for _, e := range cs.equals {
		checks = append(checks, e[0]+" must equal "+e[1])
	}
	for _, d := range cs.disjoint {
		checks = append(checks, d[0]+" and "+d[1]+" may not overlap")
	}
	for _, s := range cs.shifteqs {
		checks = append(checks, fmt.Sprintf("%s<<%s must equal %s<<%s", s[0], s[1], s[2], s[3]))
	}
	for _, p := range cs.pagefits {
		checks = append(checks, fmt.Sprintf("%s+%s may not exceed %d", p.offset, p.length, p.size))
	}
	if len(checks) > 0 {
		use = append(use, fmt.Sprintf("As the header demands, before Xen sees the argument %s; a violation is a *hypercall.ArgError.", strings.Join(checks, ", ")))
	}
	if cs.result != "" {
		if cs.resultType != "" {
			use = append(use, fmt.Sprintf("%s is Xen's non-negative result, as a %s.", paramName(cs.result), cs.resultType))
		} else {
			use = append(use, fmt.Sprintf("%s is Xen's non-negative result.", paramName(cs.result)))
		}
	}
	only := cs.only
	if only == "" && sub != nil {
		only = c.spec.only
	}
	if only != "" {
		use = append(use, fmt.Sprintf("Xen implements it on %s only; elsewhere it fails with ENOSYS.", only))
	}
	if cs.enosys != "" {
		use = append(use, fmt.Sprintf("Xen %s does not implement it: it always fails with ENOSYS there.", cs.enosys))
	}
	if len(use) > 0 {
		doc = append(doc, "")
		doc = append(doc, wrap(strings.Join(use, " "))...)
	}
	return doc
}

// argSetup puts the argument (not in an envelope) in hypervisor-visible
// memory: p (ps for a batch) and addr. It returns the base of member
// expressions.
func (f *wrapperFn) argSetup(mode argMode, argParam, argGo string, cs *cmdSpec, flexRef *memberRef, flexParam string) string {
	base := "p"
	switch mode {
	case modeInOut, modeIn:
		f.setup = append(f.setup, jen.List(jen.Id("p"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "Value").Call(jen.Op("&").Id("a"), jen.Id(argParam)))
	case modeOut:
		f.setup = append(f.setup, jen.List(jen.Id("p"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "New").Types(jen.Id(argGo)).Call(jen.Op("&").Id("a")))
	case modeFlat:
		if cs.flex != nil {
			f.setup = append(f.setup,
				jen.List(jen.Id("p"), jen.Id("tail"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "NewBytes").Types(jen.Id(argGo)).Call(jen.Op("&").Id("a"), jen.Len(jen.Id(flexParam))),
				jen.If(jen.Op("!").Qual(hypercallPkg, "SetCount").Call(flexRef.ptr("p"), jen.Len(jen.Id(flexParam)))).Block(
					f.argErr(cs.flex.member, nil, "too long for "+cs.flex.count)),
				jen.If(jen.Len(jen.Id(flexParam)).Op("==").Lit(0)).Block(
					jen.Id("addr").Op("=").Lit(0).Comment("no buffer: Xen is asked for the size")),
			)
			f.names["tail"] = true
		} else {
			f.setup = append(f.setup, jen.List(jen.Id("p"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "New").Types(jen.Id(argGo)).Call(jen.Op("&").Id("a")))
		}
	case modeBatch:
		base = ""
		f.setup = append(f.setup, jen.List(jen.Id("ps"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "Slice").Call(jen.Op("&").Id("a"), jen.Id("ops"), jen.True()))
	}
	return base
}
