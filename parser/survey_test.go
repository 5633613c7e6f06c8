package parser

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/cache"
)

// guestHandleTree is a tree whose headers define and use guest handles
// the way Xen's do: the name __guest_handle_T is built by ## both where
// DEFINE_XEN_GUEST_HANDLE(T) declares it and where XEN_GUEST_HANDLE(T)
// only names it.
var guestHandleTree = fstest.MapFS{
	"xen.h": {Data: []byte(`#ifndef XEN_H
#define XEN_H
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) typedef struct { type *p; } __guest_handle_ ## name
#define __DEFINE_XEN_GUEST_HANDLE(name, type) ___DEFINE_XEN_GUEST_HANDLE(name, type); ___DEFINE_XEN_GUEST_HANDLE(const_##name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name) __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name) __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name) __XEN_GUEST_HANDLE(name)
typedef unsigned long xen_ulong_t;
#endif
`)},
	// ev.h declares the handle; user.h includes it and only names it:
	// both stand alone, and the group shows it.
	"ev.h": {Data: []byte(`#ifndef EV_H
#define EV_H
#include "xen.h"
typedef unsigned int port_t;
DEFINE_XEN_GUEST_HANDLE(port_t);
struct ev { XEN_GUEST_HANDLE(port_t) p; };
#endif
`)},
	"user.h": {Data: []byte(`#ifndef USER_H
#define USER_H
#include "ev.h"
struct user { XEN_GUEST_HANDLE(port_t) ports; XEN_GUEST_HANDLE(const_port_t) *more; };
#endif
`)},
	// zlate.h names ev.h's handle without including it: it translates
	// in the group (after ev.h), not on its own (see zwrap.h).
	"zlate.h": {Data: []byte(`#ifndef ZLATE_H
#define ZLATE_H
#include "xen.h"
struct zlate { XEN_GUEST_HANDLE(port_t) p; };
#endif
`)},
	// decl.h declares a handle with the macro that names one, in a
	// declarator: zuse.h, which uses it without including decl.h, does
	// not stand alone either.
	"decl.h": {Data: []byte(`#ifndef DECL_H
#define DECL_H
#include "xen.h"
typedef struct { int *p; } XEN_GUEST_HANDLE(blob);
#endif
`)},
	"zuse.h": {Data: []byte(`#ifndef ZUSE_H
#define ZUSE_H
#include "xen.h"
struct zuse { XEN_GUEST_HANDLE(blob) h; };
#endif
`)},
	// zwrap.h includes zlate.h and zuse.h after what they need: they
	// are parts of it (their syntax errors on their own leave them out).
	"zwrap.h": {Data: []byte(`#ifndef ZWRAP_H
#define ZWRAP_H
#include "decl.h"
#include "ev.h"
#include "zlate.h"
#include "zuse.h"
#endif
`)},
}

// TestStandaloneGuestHandles: a header that only names a guest handle
// another header of its closure declares takes its verdict from the
// group, and the decisions are those of one translation per header.
func TestStandaloneGuestHandles(t *testing.T) {
	t.Setenv(cache.NoCacheEnv, "1")
	standaloneCache.Clear()
	list, omitted, err := standalone(guestHandleTree, "fixture", X86_64, Tools, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	oldList, oldOmitted, err := probeEach(guestHandleTree, "fixture", X86_64, Tools, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(list, " "), strings.Join(oldList, " "); got != want || got != "xen.h decl.h ev.h user.h zwrap.h" {
		t.Errorf("taken: %s\nwant (one translation each): %s, and xen.h decl.h ev.h user.h zwrap.h", got, want)
	}
	if len(omitted) != 2 || len(oldOmitted) != 2 || omitted[0] != oldOmitted[0] || omitted[1] != oldOmitted[1] {
		t.Errorf("left out:\n%v\nwant (one translation each):\n%v", omitted, oldOmitted)
	}

	all := []string{"decl.h", "ev.h", "user.h", "xen.h", "zlate.h", "zuse.h", "zwrap.h"}
	verdicts, _, _, err := decide(Config{Tree: guestHandleTree, TreeName: "fixture", Target: X86_64, Mode: Tools}, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"ev.h", "user.h"} {
		// A verdict of the group has the group's survey: its unit
		// entered the other headers too.
		if v := verdicts[h]; !v.ok || v.info == nil || !v.info.files()["zuse.h"] {
			t.Errorf("%s: not decided by the group", h)
		}
	}
	for _, h := range []string{"zlate.h", "zuse.h"} {
		if v := verdicts[h]; v.ok || v.info != nil && v.info.files()["decl.h"] {
			t.Errorf("%s: decided by the group, or taken", h)
		}
	}
}

// TestTypeOnly: an invocation of a macro that only names a type declares
// nothing only where it cannot be a declarator.
func TestTypeOnly(t *testing.T) {
	xen := `#ifndef XEN_H
#define XEN_H
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) typedef struct { type *p; } __guest_handle_ ## name
#define DEFINE_XEN_GUEST_HANDLE(name) ___DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name) __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name) __XEN_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_C(name) __XEN_GUEST_HANDLE(const_ ## name)
#define ARG(name) name
#define ALIGNED __attribute__((aligned(8)))
#define PORT port_t
#define MACRO_ int x;
#define BAD(name) MACRO_ ## name
#endif
`
	for _, c := range []struct {
		macro, text string
		want        bool
	}{
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(port_t) p;", true},
		{"XEN_GUEST_HANDLE", "struct s { XEN_GUEST_HANDLE(port_t) *p, q; };", true},
		{"XEN_GUEST_HANDLE_C", "XEN_GUEST_HANDLE_C(port_t) p;", true},
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(port_t);", false},
		{"XEN_GUEST_HANDLE", "typedef int XEN_GUEST_HANDLE(port_t), y;", false},
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(port_t) p; int XEN_GUEST_HANDLE(port_t) = 1;", false},
		{"XEN_GUEST_HANDLE", "int XEN_GUEST_HANDLE(port_t) __attribute__((unused));", false},
		{"XEN_GUEST_HANDLE", "int XEN_GUEST_HANDLE(port_t) ALIGNED;", false},
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(PORT) p;", false},
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(unsigned int) p;", false},
		{"XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE(ARG(port_t)) p;", false},
		{"DEFINE_XEN_GUEST_HANDLE", "DEFINE_XEN_GUEST_HANDLE(port_t) p;", false},
		{"ARG", "ARG(port_t) p;", false},
		{"BAD", "BAD(x) p;", false},
	} {
		tree := fstest.MapFS{"xen.h": {Data: []byte(xen)}, "case.h": {Data: []byte(c.text)}}
		base := Config{Tree: tree, Target: X86_64, Mode: Tools}
		tx := newTreeText(base, []string{"case.h", "xen.h"})
		xs := &surveyInfo{Edges: [][2]string{{"", "xen.h"}}}
		group := &surveyInfo{Edges: [][2]string{{"", "xen.h"}, {"", "case.h"}}}
		a := newGroupAnalysis(tx, xs.files(), xs, group)
		a.index()
		if got := a.typeOnly(tx.get("case.h"), c.macro); got != c.want {
			t.Errorf("%s in %q: typeOnly %v, want %v", c.macro, c.text, got, c.want)
		}
	}
}

// TestGroupParse: on the pinned tree the group translation is the final
// parse of -include all, and the unit it gives is the one a parse of the
// headers taken gives, inputs (the cache's manifest) included.
func TestGroupParse(t *testing.T) {
	if testing.Short() {
		t.Skip("parses all of the pinned tree's headers twice")
	}
	t.Setenv(cache.NoCacheEnv, "1")
	standaloneCache.Clear()
	tr := os.DirFS(tree(t))
	list, _, group, err := standaloneGroup(tr, "xen", X86_64, Tools, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if group == nil {
		t.Fatal("the group translation is not the final parse")
	}
	cfg := Config{Tree: tr, TreeName: "xen", Target: X86_64, Mode: Tools, Includes: list, NoCache: true}
	got, err := cachedParseBy(cfg, group.parse)
	if err != nil {
		t.Fatal(err)
	}
	want, err := cachedParse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Inputs(), want.Inputs()) {
		t.Errorf("inputs of the group's parse:\n%s\nwant:\n%s", got.Inputs(), want.Inputs())
	}
	if !bytes.Equal(got.encoded, want.encoded) || got.encoded == nil {
		t.Errorf("the group's model (%d bytes) is not the parse's (%d bytes)", len(got.encoded), len(want.encoded))
	}
}

// TestBuiltFrom holds builtFrom to its definition, read literally: an
// argument with at most two pieces before and after it, the pieces
// found by trying every place a string may be split at.
func TestBuiltFrom(t *testing.T) {
	words := []string{"", "_", "t", "x", "a_", "_t", "xen", "xen_", "guest", "handle_", "__guest_handle_", "const_", "pfn", "pfn_t", "ulong", "XEN_", "EPERM", "64"}
	rnd := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) []string {
		var out []string
		for range rnd.IntN(n) {
			out = append(out, words[rnd.IntN(len(words))])
		}
		return out
	}
	split := func(a *groupAnalysis, name string, args map[string]bool) bool {
		piece := func(s string) bool { return s == "" || a.pieces[s] || args[s] }
		pieces2 := func(s string) bool {
			if piece(s) {
				return true
			}
			for i := 1; i < len(s); i++ {
				if piece(s[:i]) && piece(s[i:]) {
					return true
				}
			}
			return false
		}
		for arg := range args {
			for i := 0; arg != "" && i+len(arg) <= len(name); i++ {
				if strings.HasPrefix(name[i:], arg) && pieces2(name[:i]) && pieces2(name[i+len(arg):]) {
					return true
				}
			}
		}
		return false
	}
	var yes, no int
	for range 20000 {
		a := &groupAnalysis{pieces: map[string]bool{}}
		for _, p := range pick(6) {
			a.pieces[p] = true
		}
		for p := range a.pieces {
			if p != "" {
				a.piecesBy[p[0]] = append(a.piecesBy[p[0]], p)
			}
		}
		args := map[string]bool{}
		for _, p := range pick(4) {
			args[p] = true
		}
		// Mostly pieces and arguments around an argument, so that both
		// answers are common.
		var parts []string
		from := append(append([]string{words[rnd.IntN(len(words))]}, nonEmptyKeys(a.pieces)...), nonEmptyKeys(args)...)
		slices.Sort(from[1:])
		for range rnd.IntN(7) {
			parts = append(parts, from[rnd.IntN(len(from))])
		}
		name := strings.Join(parts, "")
		got, want := a.builtFrom(name, args, nonEmptyKeys(args)), split(a, name, args)
		if got != want {
			t.Fatalf("builtFrom(%q, args %v, pieces %v) = %v, want %v", name, args, a.pieces, got, want)
		}
		if want {
			yes++
		} else {
			no++
		}
	}
	t.Logf("%d names built, %d not", yes, no)
	if yes < 1000 || no < 1000 {
		t.Fatalf("%d names built, %d not: the cases do not cover both", yes, no)
	}
}
