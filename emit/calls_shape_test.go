package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// shapeTrees are the header trees TestWrapperShapes reads: the pinned
// tree, and the directories listed in $XENBIND_TREES (separated by the
// OS's list separator), such as the xen/include/public of Xen release
// checkouts.
func shapeTrees(t *testing.T) map[string]string {
	t.Helper()
	trees := map[string]string{}
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	trees["pinned "+headers.XenVersion] = dir
	for _, d := range filepath.SplitList(os.Getenv("XENBIND_TREES")) {
		if d != "" {
			trees[d] = d
		}
	}
	return trees
}

// TestWrapperShapes feeds the generator every command of every tree, in
// both modes, and checks that each typed wrapper it emits marshals its
// argument in a way the generator knows to be right: the argument is all
// the memory Xen touches except for the guest handles the wrapper fills
// from slices (or leaves NULL, when it builds the argument from members)
// and the one flexible array it passes as bytes. The check walks the C
// definitions on its own, not through the generator's copyShape.
func TestWrapperShapes(t *testing.T) {
	includes := [][]string{{"xen.h", "memory.h", "grant_table.h", "version.h"}}
	if !testing.Short() {
		includes = append(includes, []string{parser.AllHeaders})
	}
	for name, dir := range shapeTrees(t) {
		for _, mode := range []parser.Mode{parser.Guest, parser.Tools} {
			for _, inc := range includes {
				// A busy machine (CI runs test packages in parallel) must not turn
				// the front end's guard against runaway parses into a failure.
				cfg := parser.Config{Tree: os.DirFS(dir), TreeName: "xen", Mode: mode, Includes: inc, Timeout: 2 * time.Minute}
				layouts, err := layout.ForTargets(cfg, parser.Targets)
				if err != nil {
					t.Errorf("%s %s %v: %v", name, mode, inc, err)
					continue
				}
				g := newGen(layouts, Options{Package: "xen", Invocation: "test"})
				g.assignNames()
				for _, tg := range g.targets {
					tg.build()
				}
				if _, err := g.renderCalls(); err != nil {
					t.Errorf("%s %s %v: %v", name, mode, inc, err)
					continue
				}
				if len(g.shapes) == 0 && len(inc) > 1 {
					t.Errorf("%s %s %v: no typed wrappers", name, mode, inc)
				}
				for _, sh := range g.shapes {
					if why := checkShape(sh); why != "" {
						t.Errorf("%s %s %v: %s: wrapper %s (mode %d): %s", name, mode, inc, sh.target, sh.op, sh.mode, why)
					}
				}
				t.Logf("%s %s %v: %d wrappers checked", name, mode, inc, len(g.shapes))
			}
		}
	}
}

// checkShape says what is wrong with a wrapper's shape, or "".
func checkShape(sh wrapperShape) string {
	switch sh.mode {
	case modeNone:
		if sh.rec != nil || sh.td != nil {
			return "a NULL argument for a command with one"
		}
		return ""
	case modeInOut, modeIn, modeOut, modeFlat, modeBatch:
	default:
		return "unknown mode"
	}
	if sh.rec == nil {
		if sh.td == nil {
			return "no argument"
		}
		if sh.mode != modeInOut && sh.mode != modeIn && sh.mode != modeOut {
			return "a typedef argument in a mode that needs a struct"
		}
		if bad := badMembers(&parser.Member{Name: sh.td.Name, Type: sh.td.Type}, ""); len(bad) > 0 {
			return strings.Join(bad, "; ")
		}
		return ""
	}
	if sh.flex != "" {
		last := sh.rec.Members[len(sh.rec.Members)-1]
		if sh.mode != modeFlat || last.Name != sh.flex {
			return "flex= on a member that is not the last, or outside the flat mode"
		}
	}
	described := map[string]bool{}
	for _, h := range sh.handles {
		described[h] = true
	}
	var bad []string
	for _, m := range sh.rec.Members {
		for _, b := range badMembers(m, "") {
			path, kind, _ := strings.Cut(b, " ")
			switch {
			case kind == "handle" && (described[path] || sh.mode == modeFlat):
			case kind == "flexible" && path == sh.flex:
			default:
				bad = append(bad, b)
			}
		}
	}
	return strings.Join(bad, "; ")
}

// badMembers lists the members a byte copy does not marshal: "PATH handle",
// "PATH flexible", "PATH pointer".
func badMembers(m *parser.Member, prefix string) []string {
	path := prefix + m.Name
	if m.Type.Kind == parser.TypedefRef && strings.HasPrefix(m.Type.Typedef.Name, "__guest_handle_") {
		return []string{path + " handle"}
	}
	var out []string
	t := m.Type.Resolve()
	for t.Kind == parser.Array {
		if t.Len <= 0 {
			return []string{path + " flexible"}
		}
		t = t.Elem.Resolve()
	}
	switch t.Kind {
	case parser.Pointer, parser.Func:
		out = append(out, path+" pointer")
	case parser.RecordRef:
		for _, mm := range t.Record.Members {
			out = append(out, badMembers(mm, path+".")...)
		}
	}
	return out
}

// TestCheckShapeFails shows checkShape refusing what the generator once
// emitted: 4.20's struct xen_varbuf copied by value, which drops buf[].
func TestCheckShapeFails(t *testing.T) {
	tree := fstest.MapFS{"xen.h": &fstest.MapFile{Data: []byte(varbufHeader)}}
	u, err := parser.Parse(parser.Config{Tree: tree, TreeName: "fixture", Mode: parser.Tools, Includes: []string{"xen.h"}, Target: parser.X86_64})
	if err != nil {
		t.Fatal(err)
	}
	rec := u.Record("struct xen_varbuf")
	for _, sh := range []wrapperShape{
		{op: "XENVER_extraversion2", mode: modeInOut, rec: rec},
		{op: "XENVER_extraversion2", mode: modeFlat, rec: rec},
		{op: "XENVER_extraversion2", mode: modeBatch, rec: rec, flex: "buf"},
	} {
		if why := checkShape(sh); why == "" {
			t.Errorf("checkShape(%s, mode %d, flex %q) accepts it", sh.op, sh.mode, sh.flex)
		}
	}
	if why := checkShape(wrapperShape{op: "XENVER_extraversion2", mode: modeFlat, rec: rec, flex: "buf"}); why != "" {
		t.Errorf("checkShape refuses the varbuf wrapper: %s", why)
	}
}
