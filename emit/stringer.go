package emit

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The String methods of typed constant groups (C enums and consttype
// groups), so that a value prints as its C name.
//
// A group is a set of flags when each of its values is either one bit,
// or lies within one of its masks (a constant named *_mask, as Xen names
// them): String then names every bit and the value of every masked field
// ("GTF_permit_access|GTF_readonly"), shows a field whose values have no
// names as MASK&0xN, and shows bits without a name in hex. Otherwise a
// value prints as the first constant of that value, or as Type(N).

// flagTerm is one name String may print for a flag group: the value
// holds it when v&mask == value, provided v&whenMask == whenValue (or !=,
// with whenNot). raw terms are fields without named values.
type flagTerm struct {
	mask, value         uint64
	name                string
	whenMask, whenValue uint64
	whenNot             bool
	raw                 bool
}

// constValue is a group constant's value as an integer.
func constValue(c constDecl) (uint64, bool) {
	if v, err := strconv.ParseInt(c.value, 0, 64); err == nil {
		return uint64(v), true
	}
	v, err := strconv.ParseUint(c.value, 0, 64)
	return v, err == nil
}

// flagTerms describes a group as flags, or returns false when it is not
// one. cnames are the constants' C names (for *_mask and When), in order.
func flagTerms(cons []constDecl, cnames []string, under string, when []FlagWhen) ([]flagTerm, bool) {
	width := 64
	if n, err := strconv.Atoi(strings.TrimLeft(under, "uint")); err == nil {
		width = n
	}
	all := uint64(1)<<width - 1
	if width == 64 {
		all = ^uint64(0)
	}
	if strings.HasPrefix(under, "int") {
		return nil, false // signed: a status or an enum, not flags
	}
	vals := make([]uint64, len(cons))
	for i, c := range cons {
		v, ok := constValue(c)
		if !ok {
			return nil, false
		}
		vals[i] = v & all
	}
	var masks []int
	isMask := make([]bool, len(cons))
	for i, n := range cnames {
		if strings.HasSuffix(strings.ToLower(n), "_mask") && vals[i] != 0 {
			masks = append(masks, i)
			isMask[i] = true
		}
	}
	var terms []flagTerm
	named := map[int]bool{} // masks with named values
	byBit := map[uint64][]int{}
	for i, v := range vals {
		if isMask[i] {
			continue
		}
		field := -1
		for _, m := range masks {
			if v&^vals[m] == 0 && (v != 0 || field < 0 && i < m) {
				field = m
				break
			}
		}
		switch {
		case field >= 0:
			named[field] = true
			terms = append(terms, flagTerm{mask: vals[field], value: v, name: cons[i].name})
		case v == 0:
			// A zero outside any field: String(0) gives its name.
		case bits.OnesCount64(v) == 1:
			byBit[v] = append(byBit[v], i)
		default:
			return nil, false
		}
	}
	if len(byBit) == 0 && len(masks) == 0 {
		return nil, false
	}
	for _, m := range masks {
		if !named[m] {
			terms = append(terms, flagTerm{mask: vals[m], name: cons[m].name, raw: true})
		}
	}
	valueOf := map[string]int{}
	for i, n := range cnames {
		valueOf[n] = i
	}
	fieldOf := func(i int) uint64 {
		for _, t := range terms {
			if !t.raw && t.name == cons[i].name {
				return t.mask
			}
		}
		return 0
	}
	for bit, idx := range byBit {
		if len(idx) == 1 {
			terms = append(terms, flagTerm{mask: bit, value: bit, name: cons[idx[0]].name})
			continue
		}
		// Several names for one bit: a When rule picks one by a field's
		// value; without one, String shows them all, joined by "/".
		var in, out []string
		var wm, wv uint64
		for _, i := range idx {
			matched := false
			for _, w := range when {
				j, ok := valueOf[w.Value]
				if ok && strings.HasPrefix(cnames[i], w.Prefix) && fieldOf(j) != 0 {
					matched, wm, wv = true, fieldOf(j), vals[j]
				}
			}
			if matched {
				in = append(in, cons[i].name)
			} else {
				out = append(out, cons[i].name)
			}
		}
		if len(in) == 1 && len(out) == 1 {
			terms = append(terms,
				flagTerm{mask: bit, value: bit, name: in[0], whenMask: wm, whenValue: wv},
				flagTerm{mask: bit, value: bit, name: out[0], whenMask: wm, whenValue: wv, whenNot: true})
			continue
		}
		terms = append(terms, flagTerm{mask: bit, value: bit, name: strings.Join(append(in, out...), "/")})
	}
	// By lowest bit, then the header's order (fields' values stay in it).
	order := map[string]int{}
	for i, c := range cons {
		order[c.name] = i
	}
	sort.SliceStable(terms, func(a, b int) bool {
		la, lb := bits.TrailingZeros64(terms[a].mask), bits.TrailingZeros64(terms[b].mask)
		if la != lb {
			return la < lb
		}
		return order[strings.Split(terms[a].name, "/")[0]] < order[strings.Split(terms[b].name, "/")[0]]
	})
	return terms, true
}

// renderFlagString writes String for a flag group and the table it reads.
func renderFlagString(f *jen.File, recv string, m method) {
	table := strings.ToLower(recv[:1]) + recv[1:] + "Flags"
	var rows []jen.Code
	hex := func(v uint64) jen.Code { return jen.Id(fmt.Sprintf("%#x", v)) }
	for _, t := range m.flags {
		rows = append(rows, jen.Line().Values(hex(t.mask), hex(t.value), hex(t.whenMask), hex(t.whenValue),
			jen.Lit(t.whenNot), jen.Lit(t.raw), jen.Lit(t.name)))
	}
	zero := "0"
	if m.zero != "" {
		zero = m.zero
	}
	f.Comment(fmt.Sprintf("%s names the bits and fields of %s for its String method.", table, recv))
	f.Var().Id(table).Op("=").Index(jen.Op("...")).Struct(
		jen.List(jen.Id("mask"), jen.Id("value"), jen.Id("whenMask"), jen.Id("whenValue")).Id(recv),
		jen.List(jen.Id("whenNot"), jen.Id("raw")).Bool(),
		jen.Id("name").String(),
	).Values(append(rows, jen.Line())...)
	f.Comment("String names the flags set in v and the value of each field, joined by |;")
	f.Comment("a field without named values shows as MASK&0xN, bits without a name in hex.")
	f.Func().Params(jen.Id("v").Id(recv)).Id("String").Params().String().Block(
		jen.Var().Id("s").Index().String(),
		jen.Id("rest").Op(":=").Id("v"),
		jen.For(jen.List(jen.Id("_"), jen.Id("t")).Op(":=").Range().Id(table)).Block(
			jen.If(jen.Id("t").Dot("whenMask").Op("!=").Lit(0).Op("&&").Parens(jen.Id("v").Op("&").Id("t").Dot("whenMask").Op("==").Id("t").Dot("whenValue")).Op("==").Id("t").Dot("whenNot")).Block(jen.Continue()),
			jen.Switch().Block(
				jen.Case(jen.Id("t").Dot("raw").Op("&&").Id("v").Op("&").Id("t").Dot("mask").Op("!=").Lit(0)).Block(
					jen.Id("s").Op("=").Append(jen.Id("s"), jen.Id("t").Dot("name").Op("+").Lit("&0x").Op("+").Qual("strconv", "FormatUint").Call(jen.Uint64().Call(jen.Id("v").Op("&").Id("t").Dot("mask")), jen.Lit(16))),
					jen.Id("rest").Op("&^=").Id("t").Dot("mask"),
				),
				jen.Case(jen.Op("!").Id("t").Dot("raw").Op("&&").Id("v").Op("&").Id("t").Dot("mask").Op("==").Id("t").Dot("value")).Block(
					jen.Id("s").Op("=").Append(jen.Id("s"), jen.Id("t").Dot("name")),
					jen.Id("rest").Op("&^=").Id("t").Dot("mask"),
				),
			),
		),
		jen.If(jen.Len(jen.Id("s")).Op("==").Lit(0).Op("&&").Id("rest").Op("==").Lit(0)).Block(jen.Return(jen.Lit(zero))),
		jen.If(jen.Id("rest").Op("!=").Lit(0)).Block(
			jen.Id("s").Op("=").Append(jen.Id("s"), jen.Lit("0x").Op("+").Qual("strconv", "FormatUint").Call(jen.Uint64().Call(jen.Id("rest")), jen.Lit(16))),
		),
		jen.Return(jen.Qual("strings", "Join").Call(jen.Id("s"), jen.Lit("|"))),
	)
}

// renderEnumString writes String for a group whose values are not flags:
// the first constant of the value's name, or Type(N).
func renderEnumString(f *jen.File, recv string, m method, it *item) {
	seen := map[uint64]bool{}
	var cases []jen.Code
	for _, c := range it.cons {
		if c.messages != nil || c.typ != recv {
			continue
		}
		v, ok := constValue(c)
		if !ok || seen[v] {
			continue
		}
		seen[v] = true
		cases = append(cases, jen.Case(jen.Id(c.name)).Block(jen.Return(jen.Lit(c.name))))
	}
	format := jen.Qual("strconv", "FormatInt").Call(jen.Int64().Call(jen.Id("v")), jen.Lit(10))
	if strings.HasPrefix(m.typ, "uint") {
		format = jen.Qual("strconv", "FormatUint").Call(jen.Uint64().Call(jen.Id("v")), jen.Lit(10))
	}
	f.Comment("String returns the name of the constant of value v (the first, where")
	f.Comment(fmt.Sprintf("several share it), or %s(N).", recv))
	f.Func().Params(jen.Id("v").Id(recv)).Id("String").Params().String().Block(
		jen.Switch(jen.Id("v")).Block(cases...),
		jen.Return(jen.Lit(recv+"(").Op("+").Add(format).Op("+").Lit(")")),
	)
}
