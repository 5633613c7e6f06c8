package golden

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// layoutMacrosTree holds macros whose values take sizeof, _Alignof and
// offsetof of packed, #pragma pack'ed, aligned and bit-field records.
const layoutMacrosTree = "testdata/layoutmacros"

// TestLayoutMacros checks the macro values of such records against gcc
// and clang on every target: cc/v4 evaluates them with its own record
// layout, which ignores packed and #pragma pack; xenbind's values must be
// the compilers', or absent with a note saying why.
func TestLayoutMacros(t *testing.T) {
	ctx := context.Background()
	// Each macro but CMP_P must have a value on every target: their
	// expressions are evaluated again with the engine's layout.
	noValue := map[string]bool{"CMP_P": true}
	compared := 0
	for _, tg := range parser.Targets {
		u, err := parser.Parse(parser.Config{Tree: os.DirFS(layoutMacrosTree), TreeName: "layoutmacros", Target: tg,
			Mode: parser.Tools, Dialect: parser.UAPIDialect, Includes: []string{"sizes.h"}, NoCache: true})
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		l, err := layout.Compute(u)
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		notes := map[string]string{}
		for _, n := range l.Notes() {
			notes[n.Pos.String()] = n.Error()
		}
		values := map[string]uint64{}
		var names []string
		for _, m := range u.Macros {
			if m.FuncLike || m.Header != "sizes.h" {
				continue
			}
			names = append(names, m.Name)
			if m.Value == nil {
				if !noValue[m.Name] {
					t.Errorf("%s: %s has no value: %s", tg, m.Name, m.NoValue)
				}
				if m.NoValue == "" || notes[m.Pos.String()] == "" {
					t.Errorf("%s: %s has no value and no note saying why", tg, m.Name)
				}
				continue
			}
			v, err := strconv.ParseUint(fmt.Sprint(m.Value), 0, 64)
			if err != nil {
				// A negative value: compare its bits.
				i, err := strconv.ParseInt(fmt.Sprint(m.Value), 0, 64)
				if err != nil {
					t.Fatalf("%s: %s = %v: %v", tg, m.Name, m.Value, err)
				}
				v = uint64(i)
			}
			values[m.Name] = v
		}
		if len(names) < 25 {
			t.Fatalf("%s: %d macros read from sizes.h, want all of them: %v", tg, len(names), names)
		}
		if ptr := l.ABI.PointerSize; ptr == 8 {
			// cc/v4 says 16 here: the old behaviour.
			if values["S_P"] != 12 {
				t.Errorf("%s: S_P = %d, want 12", tg, values["S_P"])
			}
			if _, ok := values["CMP_P"]; ok {
				t.Errorf("%s: CMP_P has a value, though cc/v4 evaluated it with a wrong sizeof", tg)
			}
		}
		for _, f := range []Family{GCC, Clang} {
			c, err := FindCompiler(f, tg)
			if err != nil {
				t.Logf("skipping %s: %v", f, err)
				continue
			}
			var asked []string
			for _, n := range names {
				if _, ok := values[n]; ok {
					asked = append(asked, n)
				}
			}
			res, err := CompileUAPI(ctx, c, layoutMacrosTree, []string{"sizes.h"}, names)
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			for _, n := range asked {
				if values[n] != res.Macros[n] {
					t.Errorf("%s: %s = %#x, %s says %#x", tg, n, values[n], c, res.Macros[n])
				}
			}
			compared++
			t.Logf("%s: %d of %d macro values equal %s's (%s)", tg, len(asked), len(names), c, strings.Join(asked, " "))
		}
	}
	if compared == 0 {
		t.Skip("no compiler for any target")
	}
}
