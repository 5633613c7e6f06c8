package parser

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
)

// TestTranslateProbed holds a unit translated with a guessed probe to the
// same unit translated alone and probed: the same model, byte for byte,
// and the same survey, whether the guess holds every macro the probe
// needs, some of them or none, or held one that is no expression (tried
// again without it); and a guess of nothing but that, or a unit that
// does not translate alone, gives no unit.
func TestTranslateProbed(t *testing.T) {
	const xen = `#ifndef XEN_H
#define XEN_H
struct s { int a; long b; };
#define CALL(x) ((x) * 2)
#define S_SIZE sizeof(struct s)
#define TWICE CALL(S_SIZE)
#define PLAIN 3
#define ATTR __attribute__((aligned(8)))
#endif
`
	cfg := Config{Tree: fstest.MapFS{"xen.h": {Data: []byte(xen)}}, TreeName: "xen", Target: X86_64, Mode: Tools}
	var pragmas []pragma
	ccfg, sources, err := ccConfig(cfg, &pragmas)
	if err != nil {
		t.Fatal(err)
	}
	ast, err := translateAST(ccfg, sources)
	if err != nil {
		t.Fatal(err)
	}
	wantSurvey := newSurvey(ccfg.FS.(vfs).guard, ast, true)
	u, ok := buildUnit(cfg, ccfg, sources, ast, pragmas, nil)
	if !ok {
		t.Fatal("the unit has errors")
	}
	want, err := encodeUnit(u)
	if err != nil {
		t.Fatal(err)
	}
	var sized int
	for _, m := range u.Macros {
		if len(m.Layout) > 0 {
			sized++
		}
	}
	if sized != 2 {
		t.Fatalf("%d macros probed for their layout, want 2 (S_SIZE, TWICE)", sized)
	}

	for _, tc := range []struct {
		name   string
		guess  []string
		probed int // objects of the probe, -1 for no unit
	}{
		{"all", []string{"PLAIN", "S_SIZE", "TWICE CALL", "UNDEFINED"}, 3},
		{"some", []string{"S_SIZE"}, 1},
		{"none defined", []string{"S_SIZE UNDEFINED"}, 0},
		{"not an expression, then without it", []string{"ATTR", "S_SIZE"}, 1},
		{"not an expression", []string{"ATTR"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, sources, pragmas, ast, probed := translateGuessed(cfg, true, tc.guess)
			if tc.probed < 0 {
				if ast != nil {
					t.Fatalf("a unit for guess %q", tc.guess)
				}
				return
			}
			if ast == nil {
				t.Fatalf("no unit for guess %q", tc.guess)
			}
			if len(probed) != tc.probed {
				t.Errorf("%d probe objects, want %d", len(probed), tc.probed)
			}
			s := newSurvey(ccfg.FS.(vfs).guard, ast, true)
			for name := range s.Names {
				if strings.HasPrefix(name, probePrefix) {
					t.Errorf("the survey names the probe's %s", name)
				}
			}
			if len(s.Names) != len(wantSurvey.Names) || len(s.Tags) != len(wantSurvey.Tags) || strings.Join(s.Macros, " ") != strings.Join(wantSurvey.Macros, " ") {
				t.Errorf("survey %+v, want %+v", s, wantSurvey)
			}
			u, ok := buildUnit(cfg, ccfg, sources, ast, pragmas, probed)
			if !ok {
				t.Fatal("the unit has errors")
			}
			got, err := encodeUnit(u)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the model (%d bytes) is not the one of the unit alone (%d bytes)", len(got), len(want))
			}
		})
	}

	// Units that do not translate alone: the probe after them must not
	// hide that, even where the probe completes the unit's last
	// declaration ("const static const unsigned long long ..." is C).
	for _, text := range []string{
		"struct t { int a; }\n#define S_SIZE sizeof(struct t)\n",
		"struct t { int a; };\n#define S_SIZE sizeof(struct t)\nconst\n",
	} {
		bad := Config{Tree: fstest.MapFS{"xen.h": {Data: []byte(text)}}, TreeName: "xen", Target: X86_64, Mode: Tools}
		ccfg, sources, err := ccConfig(bad, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := translateAST(ccfg, sources); err == nil {
			t.Fatalf("%q translates", text)
		}
		if _, _, _, ast, _ := translateGuessed(bad, true, []string{"S_SIZE"}); ast != nil {
			t.Errorf("%q translates with the probe after it", text)
		}
	}
}
