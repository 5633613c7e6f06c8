package abi

import (
	"sort"
	"strconv"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// Command numbers are constants of one family: XENMEM_increase_reservation
// = 0 ... XENMEM_acquire_resource = 28 are the sub-ops of the memory_op
// hypercall. A family is named by a prefix of the constants' names:
//
//   - The first word (XENMEM_, GNTTABOP_, __HYPERVISOR_) names a family.
//   - A longer prefix names a family of its own when its numbers start
//     again at 0, as the sub-ops of a sub-op do, and either the prefix
//     names a constant itself (XENMEM_paging_op_nominate = 0 is a sub-op
//     of XENMEM_paging_op, not XENMEM_ number 0) or it holds at least
//     three constants numbered from 0 and 1 (XENMEM_resource_ioreq_server
//     = 0, XENMEM_resource_grant_table = 1, ...). A prefix whose numbers
//     continue its parent's (XENMEM_get_: 17, 18, 19, 26) is none.
//   - Within a family, names in capitals (XENMEM_RDM_ALL) and names in
//     lower case (XENMEM_decrease_reservation) are told apart: Xen spells
//     commands one way and flags the other within a family.
//
// Bit flags (values written with <<) and aliases (a macro that is another
// constant's name) are not command numbers and are left out.

// nameWords splits a constant's name into words at underscores, leading
// underscores staying with the first word (__HYPERVISOR_, _GNTMAP_).
func nameWords(name string) []string {
	lead := len(name) - len(strings.TrimLeft(name, "_"))
	w := strings.Split(name[lead:], "_")
	w[0] = name[:lead] + w[0]
	return w
}

// prefixes returns the family prefixes a name could belong to, shortest
// first: "XENMEM_", "XENMEM_get_", "XENMEM_get_dma_" for XENMEM_get_dma_buf.
func prefixes(name string) []string {
	w := nameWords(name)
	var out []string
	for k := 1; k < len(w); k++ {
		out = append(out, strings.Join(w[:k], "_")+"_")
	}
	return out
}

// families knows which prefixes start a family of their own, and which
// have commands (names in lower case after the prefix).
type families struct{ own, commands map[string]bool }

// newFamilies finds the families of a set of constants.
func newFamilies(cs []constant) families {
	defined := map[string]bool{}
	type stats struct {
		n           int
		zero, one   bool
		seenMembers map[string]bool
	}
	under := map[string]*stats{}
	for _, c := range cs {
		defined[c.name] = true
		if !c.isNum {
			continue
		}
		ps := prefixes(c.name)
		for i := 1; i < len(ps); i++ {
			st := under[ps[i]]
			if st == nil {
				st = &stats{seenMembers: map[string]bool{}}
				under[ps[i]] = st
			}
			if st.seenMembers[c.name] {
				continue
			}
			st.seenMembers[c.name] = true
			st.n++
			st.zero = st.zero || c.num == 0
			st.one = st.one || c.num == 1
		}
	}
	f := families{own: map[string]bool{}, commands: map[string]bool{}}
	for p, st := range under {
		if st.zero && (defined[strings.TrimSuffix(p, "_")] || (st.one && st.n >= 3)) {
			f.own[p] = true
		}
	}
	for _, c := range cs {
		if p := f.prefix(c.name); p != "" {
			if rest := strings.TrimPrefix(c.name, p); rest != "" && rest[0] >= 'a' && rest[0] <= 'z' {
				f.commands[p] = true
			}
		}
	}
	return f
}

// prefix returns the family prefix of a name, "" for a name of one word.
func (f families) prefix(name string) string {
	ps := prefixes(name)
	if len(ps) == 0 {
		return ""
	}
	for i := len(ps) - 1; i > 0; i-- {
		if f.own[ps[i]] {
			return ps[i]
		}
	}
	return ps[0]
}

// of returns the numbering family of a name, "" for none. Xen spells
// commands in lower case after the family's prefix
// (XEN_DOMCTL_createdomain); in a family of commands, other names are the
// values of some command's members or flags (XEN_DOMCTL_ALTP2M_mixed,
// XEN_DOMCTL_GETDOMSTATE_CAP_CONTROL, XENMEM_RDM_ALL), which number
// nothing of the family's. Names in capitals under a prefix without
// commands number something of their own (VIRQ_TIMER, VIRQ_ARGO).
func (f families) of(name string) string {
	p := f.prefix(name)
	if p == "" {
		return ""
	}
	rest := strings.TrimPrefix(name, p)
	switch {
	case rest != "" && rest[0] >= 'a' && rest[0] <= 'z':
		return p
	case rest == strings.ToUpper(rest) && !f.commands[p]:
		return p + "CAPS"
	}
	return ""
}

// isCommand reports whether a constant could be a command number: an
// integer macro that is neither a bit flag nor an alias of another
// constant (enumerators are values of a type, not commands).
func isCommand(c constant, defined map[string]constant) bool {
	if !c.isNum || c.enum {
		return false
	}
	// A number written as a number: not a bit flag (1 << 3), an alias of
	// another constant or a sum of them (TRC_HVM_HANDLER + 0x02).
	_, err := strconv.ParseInt(strings.TrimRight(strings.Trim(strings.TrimSpace(c.text), "() "), "uUlL"), 0, 64)
	return err == nil
}

// reusedNumbers finds the constants the new tree adds or renumbers whose
// number the old tree already uses for another constant of the same
// family. taken are the old tree's constants in other modes.
func reusedNumbers(old, taken, new []constant, ts []parser.Target) []*Finding {
	om, nm := byName(old), byName(new)
	tm := byName(taken)
	var known []constant
	known = append(known, old...)
	for _, c := range taken {
		if o, ok := om[c.name]; !ok || o.value != c.value {
			known = append(known, c)
		}
	}
	every := append(append([]constant{}, known...), new...)
	fam := newFamilies(every)
	defined := byName(every)
	type key struct {
		family string
		num    int64
	}
	byNumber := map[key][]constant{}
	for _, c := range known {
		if isCommand(c, defined) {
			k := key{fam.of(c.name), c.num}
			byNumber[k] = append(byNumber[k], c)
		}
	}
	var out []*Finding
	for _, c := range new {
		if !isCommand(c, defined) {
			continue
		}
		if o, ok := om[c.name]; ok && o.value == c.value {
			continue
		}
		if o, ok := tm[c.name]; ok && o.value == c.value {
			continue
		}
		f := fam.of(c.name)
		if f == "" {
			continue
		}
		var means []Meaning
		seen := map[string]bool{}
		for _, m := range byNumber[key{f, c.num}] {
			if m.name == c.name || seen[m.name] {
				continue
			}
			seen[m.name] = true
			mean := Meaning{Name: m.name}
			if _, inOld := om[m.name]; !inOld || om[m.name].value != m.value {
				mean.Mode = m.mode
			}
			if n, ok := nm[m.name]; !ok || n.value != m.value {
				// The compared mode of the new tree lacks it; a name
				// only the other mode defines is not looked for there.
				mean.Gone = mean.Mode == ""
			}
			means = append(means, mean)
		}
		if len(means) == 0 {
			continue
		}
		sort.Slice(means, func(i, j int) bool { return means[i].Name < means[j].Name })
		out = append(out, &Finding{Kind: NumberReused, Name: c.name, Targets: ts, New: c.value, Means: means})
	}
	return out
}
