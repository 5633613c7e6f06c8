package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/xenbind/xenbind/parser"
)

// Envelopes: domctl and sysctl pass every command in one struct (struct
// xen_domctl) that carries the command number, the interface version Xen
// checks and, for domctl, the domain; the command's own argument is a
// member of a union in it (u.getdomaininfo). The spec's envelope line
// names those members; the wrappers fill them and take the domain as a
// parameter, and an EACCES answer becomes a *hypercall.VersionError.

// resolveEnvelope finds an envelope line's struct and members on this
// target, or records an error and returns nil.
func (b *callBuilder) resolveEnvelope(es *envelopeSpec) *envelope {
	where := fmt.Sprintf("%s:%d", es.file, es.line)
	r := b.u.Record("struct " + es.record)
	if r == nil || !r.Complete() {
		b.notef("%s: no wrappers for %s*: no struct %s", where, es.prefix, es.record)
		return nil
	}
	env := &envelope{spec: es, rec: r, goType: b.g.names.name(r.Name)}
	var err error
	if env.cmd, err = b.resolve(r, es.cmd); err != nil {
		b.notef("%s: no wrappers for %s*: %v", where, es.prefix, err)
		return nil
	}
	if env.version, err = b.resolve(r, es.version); err != nil {
		b.notef("%s: no wrappers for %s*: %v", where, es.prefix, err)
		return nil
	}
	if b.macro(es.versionMacro) == nil {
		b.notef("%s: no wrappers for %s*: no macro %s", where, es.prefix, es.versionMacro)
		return nil
	}
	if es.domain != "" {
		if env.domain, err = b.resolve(r, es.domain); err != nil {
			b.notef("%s: no wrappers for %s*: %v", where, es.prefix, err)
			return nil
		}
		if b.macro(es.domainLimit) == nil {
			b.notef("%s: no wrappers for %s*: no macro %s", where, es.prefix, es.domainLimit)
			return nil
		}
	}
	u, err := b.resolve(r, es.payload)
	if err != nil {
		b.notef("%s: no wrappers for %s*: %v", where, es.prefix, err)
		return nil
	}
	rt := u.member.Type.Resolve()
	if rt.Kind != parser.RecordRef || rt.Record.Kind != parser.Union {
		b.notef("%s: no wrappers for %s*: %s is not a union", where, es.prefix, es.payload)
		return nil
	}
	env.union = rt.Record
	env.payloadStep = goName(es.payload)
	env.versionGo = b.g.names.name(es.versionMacro)
	return env
}

// envelopeArg finds the argument of a command in an envelope: the union
// member the spec names (member=), else the one named like the command,
// or none (arg=none).
func (b *callBuilder) envelopeArg(c *command, rest string) bool {
	if c.spec.arg == "none" {
		return true
	}
	name := c.spec.member
	if name == "" {
		name = rest
	}
	for _, mm := range c.env.union.Members {
		if mm.Name != name {
			continue
		}
		rt := mm.Type.Resolve()
		if rt.Kind != parser.RecordRef || !rt.Record.Complete() {
			break
		}
		c.rec, c.argC, c.member = rt.Record, rt.Record.Name, name
		return true
	}
	if c.spec.line != 0 {
		b.skipf(fmt.Sprintf("%s:%d", c.spec.file, c.spec.line), c.macro.Name, "%s.%s has no struct member %s", c.env.rec.Name, c.env.spec.payload, name)
		return false
	}
	b.notef("%s: no wrapper for %s: %s.%s has no member %s and %s names none", c.macro.Pos, c.macro.Name, c.env.rec.Name, c.env.spec.payload, name, specName)
	return false
}

// envelopeSetup allocates the envelope, fills its command, version and
// domain, and points p at the argument's member.
func (b *callBuilder) envelopeSetup(c *command, f *wrapperFn, domainParam string) []jen.Code {
	env := c.env
	out := []jen.Code{
		jen.List(jen.Id("env"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "New").Types(jen.Id(env.goType)).Call(jen.Op("&").Id("a")),
		env.cmd.expr("env").Op("=").Id(b.g.names.name(c.macro.Name)),
		env.version.expr("env").Op("=").Id(env.versionGo),
	}
	if domainParam != "" {
		out = append(out, env.domain.expr("env").Op("=").Id(domainParam))
	}
	if c.member != "" {
		out = append(out, jen.Id("p").Op(":=").Id("env").Dot(env.payloadStep).Dot(goName(c.member)).Call())
	}
	return out
}

// versionErr maps EACCES to a *hypercall.VersionError.
func (b *callBuilder) versionErr(env *envelope, op string, f *wrapperFn, sent jen.Code) jen.Code {
	return jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(hypercallPkg, "EACCES"))).Block(
		f.retAfter(jen.Op("&").Qual(hypercallPkg, "VersionError").Values(jen.Dict{
			jen.Id("Op"):        jen.Lit(op),
			jen.Id("Interface"): jen.Lit(env.spec.versionMacro),
			jen.Id("Sent"):      sent,
			jen.Id("Generated"): jen.Id(env.versionGo),
			jen.Id("Err"):       jen.Err(),
		})))
}

// envelopeWrapper builds the family's generic function: the envelope as
// the caller fills it, for the commands without a typed wrapper and for
// callers that set the version themselves.
func (b *callBuilder) envelopeWrapper(fam *family, rc *rawCall, env *envelope, argIndex int) {
	goName := familyWord(fam.prefix)
	op := fam.prefix + "*"
	f := &wrapperFn{b: b, op: op, names: map[string]bool{}}
	var args []jen.Code
	for i := range rc.params {
		if i == argIndex {
			args = append(args, jen.Id("addr"))
		} else {
			args = append(args, jen.Lit(0))
		}
	}
	body := []jen.Code{
		jen.Id("a").Op(":=").Qual(hypercallPkg, "NewArena").Call(jen.Id("c")),
		jen.Defer().Id("a").Dot("Release").Call(),
		jen.List(jen.Id("p"), jen.Id("addr")).Op(":=").Qual(hypercallPkg, "Value").Call(jen.Op("&").Id("a"), jen.Id("arg")),
		jen.If(jen.Err().Op(":=").Id("a").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": %w"), jen.Err()))),
		jen.List(jen.Id("_"), jen.Err()).Op("=").Id(rc.goName).Call(append([]jen.Code{jen.Id("c")}, args...)...),
		jen.Qual(hypercallPkg, "Copy").Call(jen.Id("arg"), jen.Id("p")),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			b.versionErr(env, op, f, env.version.expr("arg")),
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(op+": %w"), jen.Err()))),
		jen.Return(jen.Nil()),
	}
	doc := wrap(fmt.Sprintf("%s issues the %s as the caller filled it (command, %s and the argument in %s) through %s: for commands without a typed wrapper, and for callers that set the interface version themselves.",
		goName, env.rec.Name, env.spec.version, env.spec.payload, rc.cname))
	doc = append(doc, "")
	doc = append(doc, wrap(fmt.Sprintf("*arg is copied to hypervisor-visible memory and back. Xen answers EACCES when %s is not its own; that is returned as a *hypercall.VersionError naming the version sent and %s, the version these bindings were generated for.", env.spec.version, env.spec.versionMacro))...)
	b.add(goName, doc, jen.Func().Id(goName).Params(jen.Id("c").Qual(hypercallPkg, "Caller"), jen.Id("arg").Op("*").Id(env.goType)).Params(jen.Err().Error()).Block(body...))
}
