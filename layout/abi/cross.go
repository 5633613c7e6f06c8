package abi

import (
	"fmt"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// Class says how a record's layout varies across the targets.
type Class string

const (
	// Identical is the same layout on every target.
	Identical Class = "identical"
	// WordSize is one layout on the 32-bit targets (x86_32, arm32) and
	// another on the 64-bit ones (x86_64, arm64).
	WordSize Class = "word-size"
	// Different is any other variation.
	Different Class = "different"
	// Partial is a record some targets do not have.
	Partial Class = "partial"
)

// Compat is what a 32-on-64 compat layer must do with a record.
type Compat string

const (
	// PassThrough: the 32-bit and the 64-bit layout are the same.
	PassThrough Compat = "pass-through"
	// Translate: the layouts differ and must be converted.
	Translate Compat = "translate"
	// OneSided: only one of the two targets has the record.
	OneSided Compat = "one-sided"
	// NotThere: neither target of the pair has it (or was compared).
	NotThere Compat = "-"
)

// compatPair is a 32-bit target and the 64-bit target that runs its
// guests.
type compatPair struct {
	arch        string
	guest, host parser.Target
}

// compatPairs are the pairs a compat layer maps onto each other.
var compatPairs = []compatPair{
	{"x86", parser.X86_32, parser.X86_64},
	{"arm", parser.ARM32, parser.ARM64},
}

// reportPairs are the pairs whose differences a report explains: the
// compat pairs, then the same word size across the two architectures.
var reportPairs = [][2]parser.Target{
	{parser.X86_32, parser.X86_64},
	{parser.ARM32, parser.ARM64},
	{parser.X86_32, parser.ARM32},
	{parser.X86_64, parser.ARM64},
}

// Report is the cross-architecture report on one tree.
type Report struct {
	Tree    string          `json:"tree"`
	Dialect parser.Dialect  `json:"dialect"`
	Mode    parser.Mode     `json:"mode"`
	Headers []string        `json:"headers"`
	Targets []parser.Target `json:"targets"`
	Summary Summary         `json:"summary"`
	Records []*Record       `json:"records"`
	Notes   []string        `json:"notes,omitempty"`
}

// Summary counts records by class and compat verdict.
type Summary struct {
	Records   int `json:"records"`
	Identical int `json:"identical"`
	WordSize  int `json:"word_size"`
	Different int `json:"different"`
	Partial   int `json:"partial"`
	// Compat counts verdicts per compat pair, in compatPairs order.
	Compat []CompatCount `json:"compat"`
}

// CompatCount counts the verdicts of one compat pair.
type CompatCount struct {
	Arch        string        `json:"arch"`
	Guest       parser.Target `json:"guest"`
	Host        parser.Target `json:"host"`
	PassThrough int           `json:"pass_through"`
	Translate   int           `json:"translate"`
	OneSided    int           `json:"one_sided"`
}

// Record is one record across the targets.
type Record struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Pos is the definition on the first target that has the record.
	Pos string `json:"pos"`
	// Layouts parallels Report.Targets; nil where a target lacks the record.
	Layouts []*Shape `json:"layouts"`
	Class   Class    `json:"class"`
	// Compat parallels compatPairs.
	Compat []Verdict `json:"compat"`
	// Differences explain each compared pair of targets that differs.
	Differences []PairDiff `json:"differences,omitempty"`

	flats []*flat
	// differs[i] says, per slot of flats[i], whether and where it moves
	// on another target (sameEverywhere, movesAcross, movesInPair).
	differs [][]int
}

// Shape is a record's size and alignment on one target.
type Shape struct {
	Size  int64 `json:"size"`
	Align int64 `json:"align"`
}

// Verdict is a record's compat verdict for one pair of targets.
type Verdict struct {
	Arch    string `json:"arch"`
	Verdict Compat `json:"verdict"`
}

// PairDiff says where two targets' layouts of a record part.
type PairDiff struct {
	A parser.Target `json:"a"`
	B parser.Target `json:"b"`
	// First is the first member that moves (see Change).
	First Change `json:"first"`
	// Changes counts every difference between the two layouts.
	Changes int `json:"changes"`
}

// String spells where the two targets' layouts part.
func (d PairDiff) String() string {
	s := fmt.Sprintf("%s/%s: %s", d.A, d.B, d.First.between(string(d.A), string(d.B)))
	if d.Changes > 1 {
		s += fmt.Sprintf(" (%d differences)", d.Changes)
	}
	return s
}

// AlignDiffers reports whether the record's alignment is not the same on
// every target that has it (which Class does not count).
func (rec *Record) AlignDiffers() bool {
	align := int64(0)
	for _, l := range rec.Layouts {
		if l == nil {
			continue
		}
		if align != 0 && l.Align != align {
			return true
		}
		align = l.Align
	}
	return false
}

// Compare reports, for every record of the tree, how its layout varies
// across the tree's targets.
func Compare(t *Tree) *Report {
	rep := &Report{
		Tree: t.Name, Dialect: t.Dialect, Mode: t.Mode, Headers: t.Headers,
		Targets: t.Targets, Records: []*Record{}, Notes: t.Notes,
	}
	per := make([]map[string]*flat, len(t.Layouts))
	var order []string
	seen := map[string]bool{}
	for i, l := range t.Layouts {
		names, m := records(l)
		per[i] = m
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				order = append(order, n)
			}
		}
	}
	index := map[parser.Target]int{}
	for i, tg := range t.Targets {
		index[tg] = i
	}
	for _, name := range order {
		rec := &Record{Name: name, Layouts: make([]*Shape, len(t.Targets)), flats: make([]*flat, len(t.Targets))}
		for i := range t.Targets {
			f := per[i][name]
			if f == nil {
				continue
			}
			rec.flats[i] = f
			rec.Layouts[i] = &Shape{Size: f.size, Align: f.align}
			if rec.Kind == "" {
				rec.Kind, rec.Pos = f.kind, f.pos
			}
		}
		rec.classify(t.Targets, index)
		rep.Records = append(rep.Records, rec)
	}
	rep.summarize()
	return rep
}

// classify sets the record's class, compat verdicts and differences.
func (rec *Record) classify(targets []parser.Target, index map[parser.Target]int) {
	n := len(targets)
	// group[i] is the first target whose layout equals target i's.
	group := make([]int, n)
	changes := map[[2]int][]Change{}
	diff := func(i, j int) []Change {
		k := [2]int{i, j}
		if c, ok := changes[k]; ok {
			return c
		}
		c := compare(rec.flats[i], rec.flats[j], false)
		changes[k] = c
		return c
	}
	present := 0
	for i := range n {
		group[i] = -1
		if rec.flats[i] == nil {
			continue
		}
		present++
		group[i] = i
		for j := range i {
			if group[j] == j && rec.flats[j] != nil && len(diff(j, i)) == 0 {
				group[i] = j
				break
			}
		}
	}
	groups := map[int]bool{}
	for _, g := range group {
		if g >= 0 {
			groups[g] = true
		}
	}
	switch {
	case present < n:
		rec.Class = Partial
	case len(groups) == 1:
		rec.Class = Identical
	case len(groups) == 2 && sameByWordSize(targets, group):
		rec.Class = WordSize
	default:
		rec.Class = Different
	}
	for _, p := range compatPairs {
		v := Verdict{Arch: p.arch, Verdict: NotThere}
		i, iok := index[p.guest]
		j, jok := index[p.host]
		if iok && jok {
			a, b := rec.flats[i] != nil, rec.flats[j] != nil
			switch {
			case a && b && group[i] == group[j]:
				v.Verdict = PassThrough
			case a && b:
				v.Verdict = Translate
			case a || b:
				v.Verdict = OneSided
			}
		}
		rec.Compat = append(rec.Compat, v)
	}
	for _, p := range reportPairs {
		i, iok := index[p[0]]
		j, jok := index[p[1]]
		if !iok || !jok || rec.flats[i] == nil || rec.flats[j] == nil || group[i] == group[j] {
			continue
		}
		cs := diff(i, j)
		if f := first(cs); f != nil {
			rec.Differences = append(rec.Differences, PairDiff{A: p[0], B: p[1], First: *f, Changes: len(cs)})
		}
	}
	rec.markDiffering(targets, index, group)
}

// sameByWordSize reports whether the targets group exactly by pointer
// size.
func sameByWordSize(targets []parser.Target, group []int) bool {
	rep := map[int64]int{} // pointer size -> group
	for i, t := range targets {
		abi, err := layout.ABIOf(t)
		if err != nil {
			return false
		}
		g, ok := rep[abi.PointerSize]
		if !ok {
			rep[abi.PointerSize] = group[i]
			continue
		}
		if g != group[i] {
			return false
		}
	}
	return len(rep) == 2
}

// Highlight levels of a member in the HTML report.
const (
	// sameEverywhere: the member is at the same place on every target.
	sameEverywhere = iota
	// movesAcross: the member is where its compat partner has it, but
	// another target has it elsewhere (or lacks it).
	movesAcross
	// movesInPair: the member is not where the target's compat partner
	// has it (x86_32 against x86_64, arm32 against arm64): a compat layer
	// must translate it. Targets without a partner in the report count
	// every difference here.
	movesInPair
)

// markDiffering sets, for each target's slots, how far they move: what
// the HTML report highlights.
func (rec *Record) markDiffering(targets []parser.Target, index map[parser.Target]int, group []int) {
	partner := make([]int, len(targets))
	for i := range partner {
		partner[i] = -1
	}
	for _, p := range compatPairs {
		i, iok := index[p.guest]
		j, jok := index[p.host]
		if iok && jok && rec.flats[i] != nil && rec.flats[j] != nil {
			partner[i], partner[j] = j, i
		}
	}
	rec.differs = make([][]int, len(rec.flats))
	for i, f := range rec.flats {
		if f == nil {
			continue
		}
		rec.differs[i] = make([]int, len(f.slots))
		for j, g := range rec.flats {
			if g == nil || j == i || group[j] == group[i] {
				continue
			}
			level := movesAcross
			if partner[i] == j || partner[i] < 0 {
				level = movesInPair
			}
			for k, s := range f.slots {
				o, ok := g.byPath[s.path]
				moved := !ok
				if ok {
					t := g.slots[o]
					moved = t.off != s.off || t.size != s.size || t.width != s.width
				}
				if moved {
					rec.differs[i][k] = max(rec.differs[i][k], level)
				}
			}
		}
	}
}

func (r *Report) summarize() {
	s := Summary{Records: len(r.Records)}
	for _, p := range compatPairs {
		s.Compat = append(s.Compat, CompatCount{Arch: p.arch, Guest: p.guest, Host: p.host})
	}
	for _, rec := range r.Records {
		switch rec.Class {
		case Identical:
			s.Identical++
		case WordSize:
			s.WordSize++
		case Different:
			s.Different++
		case Partial:
			s.Partial++
		}
		for i, v := range rec.Compat {
			switch v.Verdict {
			case PassThrough:
				s.Compat[i].PassThrough++
			case Translate:
				s.Compat[i].Translate++
			case OneSided:
				s.Compat[i].OneSided++
			}
		}
	}
	r.Summary = s
}

// Select returns a report on the named records only, in the order named,
// its summary counting those. A name the report does not have is an error.
func (r *Report) Select(names []string) (*Report, error) {
	out := *r
	out.Records = nil
	seen := map[string]bool{}
	for _, n := range names {
		rec := r.Find(n)
		if rec == nil {
			return nil, fmt.Errorf("no record %q in %s (names are spelled \"struct X\", \"union X\" or \"typedef X\")", n, r.Tree)
		}
		if !seen[n] {
			seen[n] = true
			out.Records = append(out.Records, rec)
		}
	}
	out.summarize()
	return &out, nil
}

// Find returns the report's record of that name, nil if there is none.
func (r *Report) Find(name string) *Record {
	for _, rec := range r.Records {
		if rec.Name == name {
			return rec
		}
	}
	return nil
}

// Verdict returns the record's compat verdict for an architecture ("x86"
// or "arm").
func (rec *Record) Verdict(arch string) Compat {
	for _, v := range rec.Compat {
		if v.Arch == arch {
			return v.Verdict
		}
	}
	return NotThere
}
