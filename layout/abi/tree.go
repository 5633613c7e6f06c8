package abi

import (
	"fmt"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// Tree is one header tree parsed and laid out for some targets in one
// mode: what Compare reports on and what Diff compares.
type Tree struct {
	// Name is how reports name the tree (the -headers argument).
	Name    string
	Dialect parser.Dialect
	Mode    parser.Mode
	// Headers are the headers read, relative to the tree (to
	// include/xen/interface in the Linux dialect).
	Headers []string
	Targets []parser.Target
	// Layouts parallels Targets.
	Layouts []*layout.Layout

	// taken parallels Targets: constants of other modes that still claim
	// their numbers (see LoadTaken).
	taken [][]constant
	// Notes are things a reader of a report should know about the tree.
	Notes []string
}

// Load parses the headers cfg names for each target and lays them out.
// Errors in the headers come back as a parser.ErrorList; a tree of another
// dialect than cfg.Dialect as an error wrapping parser.ErrDialect.
func Load(cfg parser.Config, targets []parser.Target) (*Tree, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("tree %s: no targets", cfg.TreeName)
	}
	ls, err := layout.ForTargets(cfg, targets)
	if err != nil {
		return nil, err
	}
	d := cfg.Dialect
	if d == "" {
		d = parser.XenDialect
	}
	t := &Tree{
		Name: cfg.TreeName, Dialect: d, Mode: cfg.Mode,
		Headers: ls[0].Unit().Includes, Targets: targets, Layouts: ls,
	}
	for _, l := range ls {
		for _, n := range l.Notes() {
			t.Notes = append(t.Notes, n.Error())
		}
	}
	return t, nil
}

// LoadTaken reads the constants the tree defines in another mode. Diff
// counts a number those constants use as taken even where the compared
// mode does not see them: XENMEM_reserved_device_memory_map is 27 for the
// toolstack only, and a guest-mode XENMEM_foo = 27 still collides with it.
// A tree that does not parse in that mode is not an error: the report
// notes it.
func (t *Tree) LoadTaken(cfg parser.Config, mode parser.Mode) {
	cfg.Mode = mode
	// Through the layout engine, which holds the macro values that take
	// sizeof or offsetof of a record to its layouts.
	ls, err := layout.ForTargets(cfg, t.Targets)
	if err != nil {
		t.Notes = append(t.Notes, fmt.Sprintf("%s mode of %s does not parse, so numbers only %s mode defines are not checked: %s",
			mode, t.Name, mode, firstLine(err.Error())))
		return
	}
	t.taken = make([][]constant, len(ls))
	for i, l := range ls {
		t.taken[i] = constants(l.Unit(), mode)
	}
}

// constant is an object-like macro with a value.
type constant struct {
	name  string
	text  string // the macro's replacement list
	value string // canonical spelling of the value
	// num is the value as an integer, when it is one.
	num   int64
	isNum bool
	mode  parser.Mode
	// enum is set for an enumerator (XENMEM_access_default), which has
	// no macro text.
	enum bool
}

// constants returns the unit's macros that have a value, by name order of
// definition, the last definition of a name winning.
func constants(u *parser.Unit, mode parser.Mode) []constant {
	idx := map[string]int{}
	var out []constant
	for _, m := range u.Macros {
		if m.FuncLike || m.Value == nil {
			continue
		}
		c := constant{name: m.Name, text: m.Text, mode: mode}
		switch v := m.Value.(type) {
		case int64:
			c.value, c.num, c.isNum = fmt.Sprint(v), v, true
		case uint64:
			c.value = fmt.Sprint(v)
			if v <= 1<<63-1 {
				c.num, c.isNum = int64(v), true
			}
		case string:
			c.value = fmt.Sprintf("%q", v)
		case float64:
			c.value = fmt.Sprint(v)
		default:
			c.value = fmt.Sprint(v)
		}
		if i, ok := idx[m.Name]; ok {
			out[i] = c
			continue
		}
		idx[m.Name] = len(out)
		out = append(out, c)
	}
	// Enumerators are constants too: Xen 4.20 inserted XENMEM_access_r_pw
	// into xenmem_access_t, moving XENMEM_access_default from 10 to 11.
	for _, e := range u.Enums {
		for _, en := range e.Enumerators {
			if _, ok := idx[en.Name]; ok {
				continue
			}
			idx[en.Name] = len(out)
			out = append(out, constant{name: en.Name, value: fmt.Sprint(en.Value), num: en.Value, isNum: true, mode: mode, enum: true})
		}
	}
	return out
}

func byName(cs []constant) map[string]constant {
	m := make(map[string]constant, len(cs))
	for _, c := range cs {
		m[c.name] = c
	}
	return m
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}
