package emit

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

const configHeader = `
struct point { int x, y; };
struct Point2 { int z; };
typedef struct point point_t;
enum colour { RED, GREEN };
#define XENMEM_one 1
#define XENMEM_two 2
#define OTHER 3
`

func configLayouts(t *testing.T) []*layout.Layout {
	t.Helper()
	tree := fstest.MapFS{"xen.h": {Data: []byte(configHeader)}}
	ls, err := layout.ForTargets(parser.Config{Tree: tree, TreeName: "t", Mode: parser.Tools}, []parser.Target{parser.X86_64})
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestConfigErrors: every line is read, and rules that cannot mean what
// they say are errors naming file and line.
func TestConfigErrors(t *testing.T) {
	long := "# " + strings.Repeat("x", 100<<10) + "\n"
	tests := []struct {
		name, text string
		want       string // "" means no error
	}{
		{"fine", "rename struct point Pt\nskip XENMEM_*\nskip OTHER\n", ""},
		{"line over 64 KiB", long + "skip NOPE_*\n", "c.conf:2: skip NOPE_*: the headers declare nothing by that name"},
		{"rename of nothing", "rename struct nope Nope\n", "c.conf:1: rename struct nope: the headers declare no struct nope"},
		{"skip of nothing", "skip XENVER_*\n", "c.conf:1: skip XENVER_*: the headers declare nothing by that name"},
		{"duplicate rename", "rename struct point A\nrename struct point B\n", "c.conf:2: struct point is renamed twice (first on line 1)"},
		{"two onto one", "rename struct point A\nrename OTHER A\n", "c.conf:2: struct point and OTHER are both renamed A (line 1)"},
		{"onto a taken name", "rename OTHER Point2\n", "c.conf:1: rename OTHER: Go name Point2 is taken by struct Point2"},
		{"onto a reserved name", "rename OTHER Handle\n", "c.conf:1: rename OTHER: Handle is a name xenbind defines"},
		{"renamed and skipped", "rename OTHER O\nskip OTHER\n", "c.conf:2: OTHER is renamed (line 1) and skipped"},
		{"taken name freed", "rename struct Point2 P2\nrename OTHER Point2\n", ""},
		{"not UTF-8", "skip \xff\n", "c.conf:1: not UTF-8 text"},
	}
	ls := configLayouts(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.conf", []byte(tt.text))
			if err == nil {
				_, _, err = Host(ls, Options{Package: "p", Config: cfg})
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
