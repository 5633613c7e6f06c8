package abi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// Kind classifies a Finding of a Diff.
type Kind string

// The kinds of findings, in the order reports list them.
const (
	// NumberReused: a constant the new tree adds (or renumbers) has a
	// value that the old tree already gives another constant of the same
	// family: a command number with two meanings, or a renamed command.
	NumberReused    Kind = "number-reused"
	RecordRemoved   Kind = "record-removed"
	RecordChanged   Kind = "record-changed"
	RecordAdded     Kind = "record-added"
	ConstantRemoved Kind = "constant-removed"
	ConstantChanged Kind = "constant-changed"
	ConstantAdded   Kind = "constant-added"
	// VersionChanged: an interface-version constant
	// (__XEN_LATEST_INTERFACE_VERSION__, XEN_DOMCTL_INTERFACE_VERSION, ...)
	// has a new value. Every release bumps some; -fail-on changed does not
	// count them, -fail-on version does.
	VersionChanged Kind = "version-changed"
)

var kindOrder = map[Kind]int{
	NumberReused: 0, RecordRemoved: 1, RecordChanged: 2, RecordAdded: 3,
	ConstantRemoved: 4, ConstantChanged: 5, ConstantAdded: 6, VersionChanged: 7,
}

// isInterfaceVersion reports whether a constant names an interface
// version: __XEN_LATEST_INTERFACE_VERSION__, __XEN_INTERFACE_VERSION__,
// XEN_DOMCTL_INTERFACE_VERSION, XEN_SYSCTL_INTERFACE_VERSION,
// XEN_VM_EVENT_INTERFACE_VERSION, ...
func isInterfaceVersion(name string) bool {
	return strings.Contains(name, "INTERFACE_VERSION")
}

// Finding is one difference between two trees, on the targets it holds
// for.
type Finding struct {
	Kind Kind `json:"kind"`
	// Name is the record's or the constant's.
	Name    string          `json:"name"`
	Targets []parser.Target `json:"targets"`
	// Old and New are a constant's values (for NumberReused, New is the
	// number) or, for a changed record, its size.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Sizes parallels Targets: an added or removed record's size.
	Sizes []int64 `json:"sizes,omitempty"`
	// Changes are a changed record's member changes.
	Changes []Change `json:"changes,omitempty"`
	// Means are, for NumberReused, the old tree's names for the number.
	Means []Meaning `json:"means,omitempty"`
	// Pos is where the new tree defines the record (the old tree's for a
	// removed one).
	Pos string `json:"pos,omitempty"`
}

// Meaning is an old tree's constant that a reused number already means.
type Meaning struct {
	Name string `json:"name"`
	// Mode is set when only the other mode of the old tree defines it.
	Mode parser.Mode `json:"mode,omitempty"`
	// Gone says the new tree does not define this name with this value:
	// the new name may be a rename of it.
	Gone bool `json:"gone,omitempty"`
}

// DiffReport lists what changed from an old tree to a new one.
type DiffReport struct {
	Old     TreeInfo        `json:"old"`
	New     TreeInfo        `json:"new"`
	Mode    parser.Mode     `json:"mode"`
	Headers []string        `json:"headers"`
	Targets []parser.Target `json:"targets"`
	// Counts counts findings by kind.
	Counts   map[Kind]int `json:"counts"`
	Findings []*Finding   `json:"findings"`
	Notes    []string     `json:"notes,omitempty"`
}

// TreeInfo names a compared tree.
type TreeInfo struct {
	Name    string         `json:"name"`
	Dialect parser.Dialect `json:"dialect"`
}

// Diff compares two trees target by target. Both must have been loaded for
// the same targets; findings that hold on several targets are listed once
// with all of them.
func Diff(old, new *Tree) (*DiffReport, error) {
	if len(old.Targets) != len(new.Targets) {
		return nil, fmt.Errorf("diff %s against %s: different targets", new.Name, old.Name)
	}
	for i := range old.Targets {
		if old.Targets[i] != new.Targets[i] {
			return nil, fmt.Errorf("diff %s against %s: different targets", new.Name, old.Name)
		}
	}
	rep := &DiffReport{
		Old: TreeInfo{old.Name, old.Dialect}, New: TreeInfo{new.Name, new.Dialect},
		Mode: new.Mode, Headers: new.Headers, Targets: new.Targets, Counts: map[Kind]int{},
		Findings: []*Finding{},
	}
	rep.Notes = append(rep.Notes, old.Notes...)
	rep.Notes = append(rep.Notes, new.Notes...)
	var all []*Finding
	for i, t := range new.Targets {
		all = append(all, diffRecords(old, new, i, t)...)
		all = append(all, diffConstants(old, new, i, t)...)
	}
	rep.Findings = merge(all)
	for _, f := range rep.Findings {
		rep.Counts[f.Kind]++
	}
	return rep, nil
}

func diffRecords(old, new *Tree, i int, t parser.Target) []*Finding {
	oldNames, oldRecs := records(old.Layouts[i])
	newNames, newRecs := records(new.Layouts[i])
	var out []*Finding
	for _, n := range oldNames {
		if _, ok := newRecs[n]; !ok {
			f := oldRecs[n]
			out = append(out, &Finding{Kind: RecordRemoved, Name: n, Targets: []parser.Target{t}, Sizes: []int64{f.size}, Pos: f.pos})
		}
	}
	for _, n := range newNames {
		nf := newRecs[n]
		of, ok := oldRecs[n]
		if !ok {
			out = append(out, &Finding{Kind: RecordAdded, Name: n, Targets: []parser.Target{t}, Sizes: []int64{nf.size}, Pos: nf.pos})
			continue
		}
		if cs := compare(of, nf, true); len(cs) > 0 {
			out = append(out, &Finding{Kind: RecordChanged, Name: n, Targets: []parser.Target{t},
				Old: fmt.Sprint(of.size), New: fmt.Sprint(nf.size), Changes: cs, Pos: nf.pos})
		}
	}
	return out
}

func diffConstants(old, new *Tree, i int, t parser.Target) []*Finding {
	oc := constants(old.Layouts[i].Unit(), old.Mode)
	nc := constants(new.Layouts[i].Unit(), new.Mode)
	om, nm := byName(oc), byName(nc)
	var out []*Finding
	ts := []parser.Target{t}
	for _, c := range oc {
		if _, ok := nm[c.name]; !ok {
			out = append(out, &Finding{Kind: ConstantRemoved, Name: c.name, Targets: ts, Old: c.value})
		}
	}
	for _, c := range nc {
		o, ok := om[c.name]
		switch {
		case !ok:
			out = append(out, &Finding{Kind: ConstantAdded, Name: c.name, Targets: ts, New: c.value})
		case o.value != c.value && isInterfaceVersion(c.name):
			out = append(out, &Finding{Kind: VersionChanged, Name: c.name, Targets: ts, Old: o.value, New: c.value})
		case o.value != c.value:
			out = append(out, &Finding{Kind: ConstantChanged, Name: c.name, Targets: ts, Old: o.value, New: c.value})
		}
	}
	var taken []constant
	if old.taken != nil {
		taken = old.taken[i]
	}
	return append(out, reusedNumbers(oc, taken, nc, ts)...)
}

// merge lists findings that are the same on several targets once, and
// sorts them: by kind, then name, then first target.
func merge(all []*Finding) []*Finding {
	key := func(f *Finding) string {
		c := *f
		c.Targets, c.Sizes = nil, nil
		if f.Kind == RecordAdded || f.Kind == RecordRemoved {
			c.Pos = "" // arch headers differ per target
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	var out []*Finding
	byKey := map[string]*Finding{}
	for _, f := range all {
		k := key(f)
		if g, ok := byKey[k]; ok {
			g.Targets = append(g.Targets, f.Targets...)
			g.Sizes = append(g.Sizes, f.Sizes...)
			continue
		}
		byKey[k] = f
		out = append(out, f)
	}
	targetOrder := map[parser.Target]int{}
	for i, t := range parser.Targets {
		targetOrder[t] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return targetOrder[a.Targets[0]] < targetOrder[b.Targets[0]]
	})
	return out
}

// Gate says which findings make a diff fail (-fail-on).
type Gate string

const (
	// GateChanged fails on a changed record layout or member type, a
	// changed constant value, or a reused command number.
	GateChanged Gate = "changed"
	// GateRemoved fails on a removed record, member or constant, and on
	// a renamed member (its old name is gone).
	GateRemoved Gate = "removed"
	// GateVersion fails on what GateChanged fails on and on a changed
	// interface version.
	GateVersion Gate = "version"
	// GateAny fails on any finding, additions included.
	GateAny Gate = "any"
)

// ParseGate converts a -fail-on value.
func ParseGate(s string) (Gate, error) {
	switch g := Gate(s); g {
	case GateChanged, GateRemoved, GateVersion, GateAny:
		return g, nil
	}
	return "", fmt.Errorf("unknown -fail-on %q (want changed, removed, version or any)", s)
}

// Failing returns the findings that trip the gate, in report order.
func (r *DiffReport) Failing(g Gate) []*Finding {
	var out []*Finding
	for _, f := range r.Findings {
		if g.trips(f) {
			out = append(out, f)
		}
	}
	return out
}

func (g Gate) trips(f *Finding) bool {
	switch g {
	case GateAny:
		return true
	case GateChanged:
		return f.Kind == RecordChanged || f.Kind == ConstantChanged || f.Kind == NumberReused
	case GateVersion:
		return GateChanged.trips(f) || f.Kind == VersionChanged
	case GateRemoved:
		if f.Kind == RecordRemoved || f.Kind == ConstantRemoved {
			return true
		}
		if f.Kind == RecordChanged {
			for _, c := range f.Changes {
				if c.Kind == Removed || c.Kind == Renamed {
					return true
				}
			}
		}
	}
	return false
}

// Summary is one line per finding: "record-changed struct shared_info
// [arm32 arm64]".
func (f *Finding) Summary() string {
	return fmt.Sprintf("%s %s [%s]", f.Kind, f.Name, targetList(f.Targets))
}

func targetList(ts []parser.Target) string {
	if len(ts) == len(parser.Targets) {
		same := true
		for i := range ts {
			same = same && ts[i] == parser.Targets[i]
		}
		if same {
			return "all targets"
		}
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, " ")
}

// Find returns the findings about a name, any kind.
func (r *DiffReport) Find(name string) []*Finding {
	var out []*Finding
	for _, f := range r.Findings {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}
