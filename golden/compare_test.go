package golden

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/layout"
)

func TestCompare(t *testing.T) {
	base := func() []layout.Record {
		return []layout.Record{
			{Name: "struct a", Kind: "struct", Size: 8, Align: 4, Pos: "a.h:1:8", Fields: []layout.Field{
				{Name: "x", Type: "int", Offset: 0, Size: 4},
				{Name: "y", Type: "unsigned int", Offset: 4, Size: 4, BitOffset: ptr(32), BitSize: ptr(3)},
			}},
			{Name: "struct a.#1", Kind: "union", Size: 4, Align: 0},
			{Name: "union b", Kind: "union", Size: 4, Align: 4},
		}
	}
	tests := []struct {
		name   string
		change func(got []layout.Record) []layout.Record
		want   []string
	}{
		{"equal", func(g []layout.Record) []layout.Record { return g }, nil},
		{"type and pos ignored", func(g []layout.Record) []layout.Record {
			g[0].Pos, g[0].Fields[0].Type = "elsewhere", "long"
			return g
		}, nil},
		{"unknown alignment matches", func(g []layout.Record) []layout.Record {
			g[1].Align = 16
			return g
		}, nil},
		{"missing and extra records", func(g []layout.Record) []layout.Record {
			return append(g[:2], layout.Record{Name: "union c", Kind: "union"})
		}, []string{"union b: missing record", "union c: extra record"}},
		{"kind size align", func(g []layout.Record) []layout.Record {
			g[2].Kind, g[2].Size, g[2].Align = "struct", 8, 8
			return g
		}, []string{"union b: kind struct, want union", "union b: size 8, want 4", "union b: align 8, want 4"}},
		{"field offset and size", func(g []layout.Record) []layout.Record {
			g[0].Fields[0].Offset, g[0].Fields[0].Size = 4, 8
			return g
		}, []string{"struct a: field x: offset 4, want 0", "struct a: field x: size 8, want 4"}},
		{"bit-field", func(g []layout.Record) []layout.Record {
			g[0].Fields[1].BitOffset, g[0].Fields[1].BitSize = ptr(33), nil
			return g
		}, []string{"struct a: field y: bit_offset 33, want 32", "struct a: field y: bit_size none, want 3"}},
		{"renamed", func(g []layout.Record) []layout.Record {
			g[0].Fields[1].Name = "z"
			return g
		}, []string{"struct a: field 1 renamed z, want y"}},
		{"missing field", func(g []layout.Record) []layout.Record {
			g[0].Fields = g[0].Fields[:1]
			return g
		}, []string{"struct a: field y missing"}},
		{"extra field", func(g []layout.Record) []layout.Record {
			g[0].Fields = append(g[0].Fields, layout.Field{Name: "w", Offset: 8})
			return g
		}, []string{"struct a: field w extra"}},
		{"reordered", func(g []layout.Record) []layout.Record {
			g[0].Fields[0], g[0].Fields[1] = g[0].Fields[1], g[0].Fields[0]
			return g
		}, []string{"struct a: field x is member 1, want 0", "struct a: field y is member 0, want 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(base(), tt.change(base()))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compare:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestMergeRecords(t *testing.T) {
	a := layout.Record{Name: "struct a", Kind: "struct", Size: 4, Align: 4}
	b := layout.Record{Name: "struct b", Kind: "struct", Size: 8, Align: 8}
	a2 := a
	a2.Size = 8

	got, err := mergeRecords([]string{"x.h", "y.h"}, [][]layout.Record{{b, a}, {a}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []layout.Record{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("merge = %v, want %v", got, want)
	}

	_, err = mergeRecords([]string{"x.h", "y.h"}, [][]layout.Record{{a}, {a2}})
	if err == nil || !strings.Contains(err.Error(), "struct a differs in the units of x.h and y.h: struct a: size 8, want 4") {
		t.Errorf("merge of different layouts: error %v", err)
	}
}
