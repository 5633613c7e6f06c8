package golden

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

func ptr(n int64) *int64 { return &n }

func sampleFile() *File {
	return &File{
		Set:       SetThree,
		Target:    parser.ARM32,
		Mode:      parser.Tools,
		Compilers: []string{"gcc 12.2.0 (wrote it)", "clang 14.0.6 (agrees)"},
		Headers:   []string{"xen.h", "memory.h", "grant_table.h"},
		Excluded:  []Exclusion{{"dom0_ops.h", `dom0_ops.h:18:2: error: #error "compatibility: only"`}},
		Records: []layout.Record{
			{Name: "struct buf_ioreq", Kind: "struct", Size: 8, Align: 4, Pos: "hvm/ioreq.h:81:8", Fields: []layout.Field{
				{Name: "type", Type: "uint8_t", Offset: 0, Size: 1},
				{Name: "pad", Type: "uint8_t", Offset: 1, Size: 1, BitOffset: ptr(8), BitSize: ptr(1)},
				{Name: "dir", Type: "unsigned int", Offset: 1, Size: 4, BitOffset: ptr(9), BitSize: ptr(1)},
			}},
			{Name: "struct empty", Kind: "struct", Size: 0, Align: 1, Fields: []layout.Field{}},
			{Name: "typedef __guest_handle_64_xen_pfn_t", Kind: "union", Size: 8, Align: 8, Pos: "xen.h:36:1", Fields: []layout.Field{
				{Name: "p", Type: "xen_pfn_t*", Size: 4},
				{Name: "q", Type: "long long unsigned int", Size: 8},
			}},
			{Name: "typedef __guest_handle_64_xen_pfn_t.#0", Kind: "union", Size: 8, Align: 0, Fields: []layout.Field{
				{Name: "flex", Offset: 8, Size: 0},
			}},
		},
	}
}

func TestFormatRoundTrip(t *testing.T) {
	f := sampleFile()
	text := f.Format()
	got, err := Parse("sample", bytes.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(got, f) {
		t.Errorf("round trip changed the file:\ngot  %+v\nwant %+v", got, f)
	}
	if again := got.Format(); !bytes.Equal(again, text) {
		t.Errorf("Format is not stable:\n%s\nthen\n%s", text, again)
	}
	for _, want := range []string{
		"# headers: xen.h memory.h grant_table.h\n",
		"# records: 4, fields: 6\n",
		"\nstruct buf_ioreq: struct size=8 align=4 pos=hvm/ioreq.h:81:8\n\ttype offset=0 size=1 type=uint8_t\n\tpad offset=1 size=1 bit_offset=8 bit_size=1 type=uint8_t\n",
		"\ntypedef __guest_handle_64_xen_pfn_t.#0: union size=8 align=?\n\tflex offset=8 size=0\n",
	} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestParseErrors(t *testing.T) {
	valid := string(sampleFile().Format())
	tests := []struct {
		name string
		text string
		want string
	}{
		{"member outside a record", "\tx offset=0 size=1\n", "member outside a record"},
		{"bad kind", "struct x: class size=1 align=1\n", "bad record line"},
		{"negative size", "struct x: struct size=-1 align=1\n", "bad size"},
		{"missing align", "struct x: struct size=1\n", "bad record line"},
		{"bad member", "struct x: struct size=1 align=1\n\tx offset=zero size=1\n", "bad offset"},
		{"half a bit-field", "struct x: struct size=1 align=1\n\tx offset=0 size=1 bit_offset=0\n", "bad member line"},
		{"out of order", "struct b: struct size=1 align=1\nstruct a: struct size=1 align=1\n", "out of order"},
		{"truncated", strings.Replace(valid, "\tq offset=0 size=8 type=long long unsigned int\n", "", 1), "truncated file"},
		{"bad counts", "# records: many\n", "bad counts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.txt", strings.NewReader(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestLoad checks that every golden file is built into the package and
// describes what its path says.
func TestLoad(t *testing.T) {
	for _, gc := range goldenCases() {
		t.Run(gc.String(), func(t *testing.T) {
			headers, recs, err := Load(gc.set, gc.target, gc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(headers) == 0 || headers[0] != "xen.h" {
				t.Errorf("headers %v: want xen.h first", headers)
			}
			if len(recs) == 0 {
				t.Error("no records")
			}
		})
	}
	if _, _, err := Load("none", parser.X86_64, parser.Guest); err == nil {
		t.Error("Load of a missing set succeeded")
	}
}
