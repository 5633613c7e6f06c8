package golden

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

func TestBitOffsetFromMSB(t *testing.T) {
	// Cases from clang 14's DWARF for testdata/fixture.h on x86_64.
	tests := []struct {
		name                         string
		loc, unit, msbOffset, bitLen int64
		want                         int64
	}{
		{"bits.b after a byte", 0, 4, 21, 3, 8},
		{"bits.c after b", 0, 4, 1, 20, 11},
		{"bits.d in a new unit", 4, 2, 7, 9, 32},
		{"bits.e in a new 8-byte unit", 8, 8, 24, 40, 64},
		{"packed.c", 4, 2, 3, 5, 40},
		{"packed.d spilling past its unit", 0, 8, -14, 33, 45},
		{"whole unit", 4, 4, 0, 32, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bitOffsetFromMSB(tt.loc, tt.unit, tt.msbOffset, tt.bitLen); got != tt.want {
				t.Errorf("bitOffsetFromMSB(%d, %d, %d, %d) = %d, want %d", tt.loc, tt.unit, tt.msbOffset, tt.bitLen, got, tt.want)
			}
		})
	}
}

// fixtureWant is what testdata/fixture.h must give on every target; pick
// chooses between x86_32, where 64-bit integers are 4-aligned in structs,
// and the other targets.
func fixtureWant(tg parser.Target) (records []recordWant, fields []fieldWant) {
	pick := func(x86_32, other int64) int64 {
		if tg == parser.X86_32 {
			return x86_32
		}
		return other
	}
	const none = -1
	records = []recordWant{
		{"struct bits", pick(12, 16), pick(4, 8)},
		{"struct packed", 13, 1},
		{"struct over_aligned", 32, 16},
		{"struct flex", pick(4, 8), pick(4, 8)},
		{"struct anon", pick(32, 40), pick(4, 8)},
		{"struct anon.#1", 4, 0},
		{"struct anon.named", 4, 2},
		{"struct anon.arr", 2, 1},
		{"struct anon.#4", pick(12, 16), 0},
		{"struct anon.#4.#0", 2, 0},
		{"typedef tdef_t", 4, 4},
	}
	fields = []fieldWant{
		{"struct bits", "a", 0, 1, none, none},
		{"struct bits", "b", 1, 4, 8, 3},
		{"struct bits", "c", 1, 4, 11, 20},
		{"struct bits", "d", 4, 2, 32, 9},
		{"struct bits", "e", pick(5, 8), 8, pick(41, 64), 40},
		// As wide as its type: clang's DWARF shows a plain member.
		{"struct bits", "f", pick(11, 13), 1, pick(88, 104), 8},
		{"struct packed", "b", 1, 4, none, none},
		{"struct packed", "c", 5, 2, 40, 5},
		{"struct packed", "d", 5, 8, 45, 33},
		// Clang's DWARF shows a plain member at byte 9.
		{"struct packed", "e", 9, 1, 78, 8},
		{"struct packed", "g", 11, 2, none, none},
		{"struct over_aligned", "x", 16, 4, none, none},
		{"struct flex", "data", pick(4, 8), 0, none, none},
		{"struct anon", "#1", 4, 4, none, none},
		{"struct anon", "named", 8, 4, none, none},
		{"struct anon", "arr", 12, 6, none, none},
		{"struct anon", "#4", pick(20, 24), pick(12, 16), none, none},
		{"struct anon.arr", "bf", 1, 1, 8, 4},
		{"struct anon.#4", "wide", pick(4, 8), 8, none, none},
		{"struct anon.#4.#0", "lo", 0, 1, 0, 8},
	}
	return records, fields
}

type recordWant struct {
	name        string
	size, align int64
}

type fieldWant struct {
	rec, field         string
	offset, size       int64
	bitOffset, bitSize int64 // -1: not a bit-field
}

// TestFixture compiles testdata/fixture.h (bit-fields after narrower
// members, #pragma pack, an over-aligned member, a flexible array,
// anonymous members) with every installed compiler for every target.
func TestFixture(t *testing.T) {
	dir := mustAbs(t, "testdata")
	for _, tg := range parser.Targets {
		t.Run(string(tg), func(t *testing.T) {
			t.Parallel()
			got := map[Family][]layout.Record{}
			var missing []string
			for _, fam := range Families {
				c, err := FindCompiler(fam, tg)
				var me *MissingError
				if errors.As(err, &me) {
					missing = append(missing, err.Error())
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				recs, err := c.layouts(t.Context(), dir, []string{"fixture.h"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				got[fam] = recs
				checkFixture(t, c.String(), recs, tg)
			}
			if missing != nil {
				t.Skip(strings.Join(missing, "; "))
			}
			reportDiffs(t, "clang against gcc", Compare(got[GCC], got[Clang]))
		})
	}
}

func checkFixture(t *testing.T, who string, recs []layout.Record, tg parser.Target) {
	t.Helper()
	byName := map[string]layout.Record{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	records, fields := fixtureWant(tg)
	if len(recs) != len(records) {
		t.Errorf("%s: %d records, want %d", who, len(recs), len(records))
	}
	for _, w := range records {
		r, ok := byName[w.name]
		if !ok {
			t.Errorf("%s: no record %s", who, w.name)
			continue
		}
		if r.Size != w.size || r.Align != w.align {
			t.Errorf("%s: %s: size %d align %d, want %d and %d", who, w.name, r.Size, r.Align, w.size, w.align)
		}
	}
	for _, w := range fields {
		var f *layout.Field
		r := byName[w.rec]
		for i := range r.Fields {
			if r.Fields[i].Name == w.field {
				f = &r.Fields[i]
			}
		}
		if f == nil {
			t.Errorf("%s: %s: no field %s", who, w.rec, w.field)
			continue
		}
		got := fmt.Sprintf("offset %d size %d bits %s:%s", f.Offset, f.Size, intString(f.BitOffset), intString(f.BitSize))
		want := fmt.Sprintf("offset %d size %d bits %s:%s", w.offset, w.size, optInt(w.bitOffset), optInt(w.bitSize))
		if got != want {
			t.Errorf("%s: %s.%s: %s, want %s", who, w.rec, w.field, got, want)
		}
	}
}

func optInt(n int64) string {
	if n < 0 {
		return intString(nil)
	}
	return intString(&n)
}
