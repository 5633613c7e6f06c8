package emit

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/xenbind/xenbind/parser"
)

// Hypercall wrappers. For each target the generator reads the hypercalls
// and their commands from the model (see hypercalls.spec for the header
// conventions it relies on) and builds Go functions:
//
//   - a raw function per hypercall, HypervisorMemoryOp(c, cmd, arg), whose
//     uint64 arguments are addresses of hypervisor-visible memory or
//     plain values, split into two words where a 64-bit value takes two
//     registers (32-bit targets);
//   - a typed wrapper per command and sub-command, XenmemExchange(c, arg,
//     inExtentStart, outExtentStart), which bounces Go values through an
//     hypercall.Arena, checks what the header demands before Xen sees it,
//     and copies the results back.
//
// A function whose text is the same on every target goes into zcalls.go,
// the others into zcalls_<goarch>.go.

// hypercallPkg is the runtime package the wrappers call.
const hypercallPkg = "github.com/xenbind/xenbind/runtime/hypercall"

// callDecl is one generated declaration for one target.
type callDecl struct {
	name  string // Go name: the key across targets
	order int
	doc   []string
	code  *jen.Statement
	raw   string // the code as jennifer renders it, not formatted (text)
}

// text is the code as jennifer renders it, not formatted: rendered when
// first asked for.
func (d *callDecl) text() string {
	if d.raw == "" && d.code != nil {
		d.raw = rawText(d.code)
	}
	return d.raw
}

// sameText reports whether two targets' declarations read the same once
// formatted. Equal unformatted text is equal formatted text. go/format
// changes only the spacing of the text jennifer writes (its few other
// rewrites, such as 0X to 0x, never apply: xenbind writes neither), so
// texts that differ in more than spacing differ formatted too. Only texts
// that differ in spacing alone are formatted to compare.
//
// Equal jennifer trees render the same text, so they are compared first:
// most declarations are the same on every target, and comparing their
// trees is cheaper than rendering them.
func (d *callDecl) sameText(e *callDecl) bool {
	if !slices.Equal(d.doc, e.doc) {
		return false
	}
	if d.code != nil && e.code != nil && sameTree(&d.code, &e.code) {
		return true
	}
	a, b := d.text(), e.text()
	if a == b {
		return true
	}
	if !equalIgnoringSpace(a, b) {
		return false
	}
	return sameFormatted(a, b)
}

// sameFormatted reports whether two texts that differ in spacing alone
// read the same once formatted.
func sameFormatted(textA, textB string) bool {
	a, errA := format.Source([]byte(textA))
	b, errB := format.Source([]byte(textB))
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// equalIgnoringSpace reports whether a and b are equal once every space,
// tab and newline is removed.
func equalIgnoringSpace(a, b string) bool {
	i, j := 0, 0
	for {
		for i < len(a) && isSpace(a[i]) {
			i++
		}
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// rawText renders code without formatting it, as a file of its own.
func rawText(code jen.Code) string {
	f := jen.NewFile("p")
	f.NoFormat = true
	// Named, so that jennifer does not guess the name (it compiles a
	// regexp to guess).
	f.ImportName(hypercallPkg, "hypercall")
	f.Add(code)
	var b strings.Builder
	if err := f.Render(&b); err != nil {
		// Unreachable with NoFormat: only formatting fails. A text no
		// other target has keeps the declaration per target.
		return "\x00" + err.Error()
	}
	return b.String()
}

// renderCalls generates the wrappers for every target and returns their
// files, or none when the headers declare no hypercalls.
func (g *gen) renderCalls() ([]pending, error) {
	spec, err := parseCallSpec(specName, hypercallsSpec)
	if err != nil {
		return nil, err
	}
	for _, sf := range g.opts.Specs {
		user, err := parseCallSpec(sf.Name, sf.Data)
		if err != nil {
			return nil, err
		}
		spec.merge(user)
	}
	per := make([][]*callDecl, len(g.targets))
	notes := map[string]bool{}
	builders := make([]*callBuilder, len(g.targets))
	parallel(len(g.targets), func(i int) {
		builders[i] = newCallBuilder(g.targets[i], spec)
		builders[i].build()
	})
	for i, b := range builders {
		for _, n := range b.notes {
			if !notes[n] {
				notes[n] = true
				g.names.Reports = append(g.names.Reports, Note{Text: n})
			}
		}
		per[i] = b.decls
		g.shapes = append(g.shapes, b.shapes...)
	}
	return g.placeCalls(per)
}

// placeCalls puts each declaration in the shared file when every target
// has it with the same text, else in the per-arch files.
func (g *gen) placeCalls(per [][]*callDecl) ([]pending, error) {
	type slot struct {
		order int
		name  string
		decls []*callDecl // by target
	}
	slots := map[string]*slot{}
	var list []*slot
	for ti, decls := range per {
		for _, d := range decls {
			s := slots[d.name]
			if s == nil {
				s = &slot{order: ti*1_000_000 + d.order, name: d.name, decls: make([]*callDecl, len(per))}
				slots[d.name] = s
				list = append(list, s)
			}
			s.decls[ti] = d
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].order != list[j].order {
			return list[i].order < list[j].order
		}
		return list[i].name < list[j].name
	})
	shared := []*callDecl{}
	perArch := make([][]*callDecl, len(per))
	for _, s := range list {
		same := true
		for _, d := range s.decls {
			if d == nil || !d.sameText(s.decls[0]) {
				same = false
				break
			}
		}
		if same {
			shared = append(shared, s.decls[0])
			continue
		}
		for ti, d := range s.decls {
			if d != nil {
				perArch[ti] = append(perArch[ti], d)
			}
		}
	}
	var files []pending
	if len(shared) > 0 {
		files = append(files, pending{name: "zcalls.go", f: g.renderCallFile("", shared)})
	}
	for ti, t := range g.targets {
		if len(perArch[ti]) == 0 {
			continue
		}
		name := "zcalls_" + t.abi.GOARCH + ".go"
		files = append(files, pending{name: name, f: g.renderCallFile(t.abi.GOARCH, perArch[ti])})
	}
	return files, nil
}

// renderCallFile builds one zcalls file: decls in order, with the
// generated-code header and, for a per-arch file, its build constraint.
func (g *gen) renderCallFile(goarch string, decls []*callDecl) *jen.File {
	f := jen.NewFile(g.opts.Package)
	f.HeaderComment(fmt.Sprintf("Code generated by %q; DO NOT EDIT.", g.opts.Invocation))
	if goarch != "" {
		f.HeaderComment("//go:build " + goarch)
	}
	f.ImportName(hypercallPkg, "hypercall")
	f.ImportName("fmt", "fmt")
	for _, d := range decls {
		// The doc is an item of its own, so that it abuts the declaration
		// and go/format formats it as a doc comment in its one pass.
		if c := docComment(d.doc); c != nil {
			f.Add(c)
		}
		f.Add(d.code)
		f.Line()
	}
	return f
}

// rawCall is the raw function of one hypercall on one target.
type rawCall struct {
	cname  string // "HYPERVISOR_memory_op"
	goName string // "HypervisorMemoryOp"
	macro  *parser.Macro
	proto  *parser.Prototype
	params []string // Go parameter names, in prototype order
}

// callBuilder builds the declarations of one target.
type callBuilder struct {
	t      *target
	g      *gen
	u      *parser.Unit
	spec   *callSpec
	notes  []string
	shapes []wrapperShape // of the typed wrappers added
	decls  []*callDecl
	raw    map[string]*rawCall // by C function name
	taken  map[string]bool     // Go names of this file
	// packedUse lists the commands whose wrappers return each packed type.
	packedUse map[string][]string
	// entryUse lists the commands whose handles hold each entry type.
	entryUse map[string][]string
	// annotationTexts are the Text of u's annotations, made once: each
	// family reads them all.
	annotationTexts []string
}

// annotationText is the Text of the unit's i'th annotation.
func (b *callBuilder) annotationText(i int) string {
	if b.annotationTexts == nil {
		b.annotationTexts = make([]string, len(b.u.Annotations))
		for j, a := range b.u.Annotations {
			b.annotationTexts[j] = a.Text()
		}
	}
	return b.annotationTexts[i]
}

// newCallBuilder returns the builder of one target's declarations.
func newCallBuilder(t *target, spec *callSpec) *callBuilder {
	return &callBuilder{t: t, g: t.g, u: t.unit, spec: spec, raw: map[string]*rawCall{}, taken: map[string]bool{}, packedUse: map[string][]string{}, entryUse: map[string][]string{}}
}

// notef records a note for the user: something the generator skipped.
func (b *callBuilder) notef(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// skipf records that a command gets no wrapper, and why: where is the
// spec line or the header position that asked for it. The spec and the
// headers at hand disagree (a member, struct or command another Xen
// release has), which is not an error: generation goes on without it.
func (b *callBuilder) skipf(where, op, format string, args ...any) {
	b.notef("%s: no wrapper for %s: %s", where, op, fmt.Sprintf(format, args...))
}

// add records a declaration under a Go name no other declaration of the
// package has; a clash leaves the declaration out, with a note.
func (b *callBuilder) add(name string, doc []string, code *jen.Statement) bool {
	if b.taken[name] {
		b.notef("%s: left out: the Go name is generated twice", name)
		return false
	}
	if c, ok := b.g.names.taken[name]; ok {
		b.notef("%s: left out: the Go name is taken by %s", name, c)
		return false
	}
	b.taken[name] = true
	b.decls = append(b.decls, &callDecl{name: name, order: len(b.decls), doc: doc, code: code})
	return true
}

// build makes the raw functions, then the typed wrappers of each family
// whose hypercall the headers have.
func (b *callBuilder) build() {
	b.buildRaw()
	if len(b.raw) == 0 {
		return
	}
	for _, fam := range b.spec.families {
		b.buildFamily(fam)
	}
	b.buildPacked(b.packedUse)
	b.buildEntries(b.entryUse)
	b.noteUnused()
}

// noteUnused notes each spec line naming a command, sub-command or error
// code these headers do not define (another Xen release's), one note a
// line, or one for a whole family the headers lack.
func (b *callBuilder) noteUnused() {
	famOf := func(name string) *family {
		for _, f := range b.spec.families {
			if strings.HasPrefix(name, f.prefix) {
				return f
			}
		}
		return nil
	}
	present := map[*family]bool{}
	for _, f := range b.spec.families {
		if b.raw[f.hypercall] == nil {
			b.notef("%s:%d: no wrappers for %s*: these headers do not define %s", specName, f.line, f.prefix, f.hypercall)
			continue
		}
		for _, m := range b.u.Macros {
			if rest, ok := strings.CutPrefix(m.Name, f.prefix); ok && isCommandName(rest) && isInteger(m) {
				present[f] = true
				break
			}
		}
		if !present[f] {
			b.notef("%s:%d: no wrappers for %s*: these headers define no such command", specName, f.line, f.prefix)
		}
	}
	absent := func(line int, name, what string) {
		if f := famOf(name); f != nil && present[f] && b.macro(name) == nil {
			b.notef("%s:%d: no wrapper for %s: these headers define no such %s", specName, line, name, what)
		}
	}
	var names []string
	for name := range b.spec.cmds {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return b.spec.cmds[names[i]].line < b.spec.cmds[names[j]].line })
	for _, name := range names {
		absent(b.spec.cmds[name].line, name, "command")
	}
	for _, g := range b.spec.subops {
		if b.spec.cmds[g.parent] == nil {
			absent(g.line, g.parent, "command")
		}
	}
	for _, ec := range b.spec.errcodes {
		if f := famOf(ec.macro); f != nil && present[f] && b.macro(ec.macro) == nil {
			b.notef("%s:%d: no error code %s: these headers do not define it", specName, ec.line, ec.macro)
		}
	}
}

// hypercallListRE finds the header's statement of how hypercall numbers
// and functions are named.
var hypercallListRE = regexp.MustCompile(`enum\s+hypercall_num\s*\{\s*//\s*(\w+)\*\s*=>\s*(\w+)\*\(\)`)

// buildRaw makes a raw function for every hypercall of the list.
func (b *callBuilder) buildRaw() {
	var listFile, numPrefix, funcPrefix string
	annotated := map[string]*parser.Prototype{}
	for i, a := range b.u.Annotations {
		if text := b.annotationText(i); listFile == "" && strings.Contains(text, "hypercall_num") { // what hypercallListRE needs
			if s := hypercallListRE.FindStringSubmatch(text); s != nil {
				listFile, numPrefix, funcPrefix = a.Pos.File, s[1], s[2]
			}
		}
		for _, p := range a.Prototypes() {
			if annotated[p.Name] == nil {
				annotated[p.Name] = p
			}
		}
	}
	if listFile == "" {
		return
	}
	fromSpec := map[string]*parser.Prototype{}
	for _, sp := range b.spec.protos {
		if sp.goarchs != nil && !contains(sp.goarchs, b.t.abi.GOARCH) {
			continue
		}
		fromSpec[sp.proto.Name] = sp.proto
	}
	for _, m := range b.u.Macros {
		rest, ok := strings.CutPrefix(m.Name, numPrefix)
		if !ok || m.Header != listFile || !isCommandName(rest) || !isInteger(m) {
			continue
		}
		cname := funcPrefix + rest
		if b.g.cfg.skipped(m.Name) {
			b.notef("%s: no raw function for %s: the config skips %s", m.Pos, cname, m.Name)
			continue
		}
		p := annotated[cname]
		if p == nil {
			p = fromSpec[cname]
		}
		if p == nil {
			b.notef("%s: no raw function for %s: neither the headers nor %s give its prototype", m.Pos, m.Name, specName)
			continue
		}
		b.rawFunc(m, cname, "Hypervisor"+wordsGo(rest), p)
	}
}

// isCommandName reports whether the part of a macro's name after its
// family prefix names a command: Xen spells commands in lower case and
// flags and limits in upper case (XENMEM_exchange, XENMEM_RDM_ALL).
func isCommandName(rest string) bool {
	return rest != "" && rest[0] >= 'a' && rest[0] <= 'z'
}

// isInteger reports whether a macro is an object-like macro with an
// integer value.
func isInteger(m *parser.Macro) bool {
	if m.FuncLike {
		return false
	}
	switch m.Value.(type) {
	case int64, uint64:
		return true
	}
	return false
}

// is64 reports whether a prototype parameter is a 64-bit value, which a
// target with 32-bit registers passes in two.
func is64(typ string) bool {
	switch typ {
	case "u64", "uint64_t", "unsigned long long", "long long", "int64_t", "s64":
		return true
	}
	return false
}

// rawFunc builds the raw function of one hypercall.
func (b *callBuilder) rawFunc(m *parser.Macro, cname, goName string, p *parser.Prototype) {
	rc := &rawCall{cname: cname, goName: goName, macro: m, proto: p}
	params := []jen.Code{jen.Id("c").Qual(hypercallPkg, "Caller")}
	var args []jen.Code
	var names []string
	var addrs, splits []string
	used := map[string]bool{"c": true}
	for i, prm := range p.Params {
		n := paramName(prm.Name)
		if n == "" {
			n = fmt.Sprintf("a%d", i)
		}
		if used[n] {
			n += fmt.Sprint(i)
		}
		used[n] = true
		names = append(names, n)
		rc.params = append(rc.params, n)
		if prm.IsPointer() {
			addrs = append(addrs, n)
		}
		if is64(prm.Type) && b.t.abi.LongSize == 4 {
			// The low word first, as the x86_32 and arm32 hypercall ABIs
			// (and Linux's HYPERVISOR_update_va_mapping) pass it.
			args = append(args, jen.Uint64().Call(jen.Uint32().Call(jen.Id(n))), jen.Id(n).Op(">>").Lit(32))
			splits = append(splits, n)
			continue
		}
		args = append(args, jen.Id(n))
	}
	if len(args) > 5 {
		b.notef("%s: no raw function for %s: it takes %d argument words; hypercalls have five", p.Pos, cname, len(args))
		return
	}
	if len(names) > 0 {
		params = append(params, jen.List(idList(names)...).Uint64())
	}
	var proto strings.Builder
	fmt.Fprintf(&proto, "%s %s(", p.Result, p.Name)
	for i, prm := range p.Params {
		if i > 0 {
			proto.WriteString(", ")
		}
		proto.WriteString(cDecl(prm))
	}
	proto.WriteString(")")
	doc := wrap(fmt.Sprintf("%s issues hypercall %s (%s), whose prototype is (%s):", goName, m.Name, m.Pos, protoSource(p)))
	doc = append(doc, "", "\t"+proto.String(), "")
	var use strings.Builder
	if len(addrs) > 0 {
		fmt.Fprintf(&use, "%s %s the address of hypervisor-visible memory (a hypercall.Buffer's Addr), never of a Go value. ", strings.Join(addrs, ", "), plural(len(addrs), "is", "are"))
	}
	if len(splits) > 0 {
		fmt.Fprintf(&use, "On %s %s %s passed in two 32-bit words. ", b.t.abi.Target, strings.Join(splits, ", "), plural(len(splits), "is", "are"))
	}
	use.WriteString("It returns Xen's non-negative result, or the Caller's error (a hypercall.Errno for -errno).")
	doc = append(doc, wrap(use.String())...)
	if d := docLines(p.Doc); len(d) > 0 {
		doc = append(doc, "")
		doc = append(doc, d...)
	}
	code := jen.Func().Id(goName).Params(params...).Params(jen.Uint64(), jen.Error()).Block(
		jen.Return(jen.Id("c").Dot("Call").Call(jen.Id(b.g.names.name(m.Name)), jen.Index(jen.Lit(5)).Uint64().Values(args...))),
	)
	b.raw[cname] = rc
	b.add(goName, doc, code)
}

// protoSource says where a prototype comes from.
func protoSource(p *parser.Prototype) string {
	if p.Pos.File == specName {
		return fmt.Sprintf("%s line %d", specName, p.Pos.Line)
	}
	return p.Pos.File + ":" + fmt.Sprint(p.Pos.Line)
}

// cDecl spells a prototype parameter as C.
func cDecl(p parser.Param) string {
	if p.Name == "" {
		return p.Type
	}
	t, dims, _ := strings.Cut(p.Type, " [")
	if dims != "" {
		return t + " " + p.Name + "[" + dims
	}
	if strings.HasSuffix(t, "*") {
		return t + p.Name
	}
	return t + " " + p.Name
}

// plural picks the verb form for n subjects.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// idList makes identifiers of names, for a parameter list.
func idList(names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, n := range names {
		out[i] = jen.Id(n)
	}
	return out
}

// extraInitialisms spell words of command names that the type names do
// not use.
var extraInitialisms = map[string]string{"ram": "RAM", "va": "VA", "vnumainfo": "VNUMAInfo"}

// wordsGo spells a C name's words as an exported Go name: "maximum_ram_page"
// is MaximumRAMPage.
func wordsGo(c string) string {
	var b strings.Builder
	for _, w := range strings.Split(c, "_") {
		if w == "" {
			continue
		}
		if s, ok := extraInitialisms[strings.ToLower(w)]; ok {
			b.WriteString(s)
			continue
		}
		if w[0] >= '0' && w[0] <= '9' {
			b.WriteString(w) // HYPERVISOR_arch_0 is HypervisorArch0
			continue
		}
		b.WriteString(goName(strings.ToLower(w)))
	}
	return b.String()
}

// paramName spells a C name as a Go parameter: "source_gfn" is sourceGFN.
// Go keywords get a trailing underscore.
func paramName(c string) string {
	words := strings.FieldsFunc(c, func(r rune) bool { return r == '_' || r == '.' })
	if len(words) == 0 {
		return ""
	}
	s := strings.ToLower(words[0])
	if len(words) > 1 {
		s += wordsGo(strings.Join(words[1:], "_"))
	}
	if token.IsKeyword(s) || predeclared[s] {
		s += "_"
	}
	return s
}

// predeclared names would be shadowed by a parameter of that name, and the
// wrappers use some of them (len, copy).
var predeclared = map[string]bool{
	"len": true, "copy": true, "cap": true, "new": true, "make": true, "append": true,
	"string": true, "error": true, "int": true, "uint": true, "byte": true, "any": true,
	"min": true, "max": true, "clear": true, "nil": true, "true": true, "false": true,
}

// wrap breaks a paragraph into comment lines of at most 76 characters.
func wrap(s string) []string {
	var out []string
	line := make([]byte, 0, 80) // one string per line, not per word
	for w := range strings.FieldsSeq(s) {
		if len(line) > 0 && len(line)+1+len(w) > 76 {
			out = append(out, string(line))
			line = line[:0]
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		line = append(line, w...)
	}
	if len(line) > 0 {
		out = append(out, string(line))
	}
	return out
}
