package layout

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/parser"
)

// TestOverflow: sizes and offsets that pass what the target can address
// are positioned errors, never a wrapped-around size. gcc rejects each of
// these ("size of array is too large", "type is too large").
func TestOverflow(t *testing.T) {
	tests := []struct {
		src    string
		target parser.Target
		want   string
	}{
		{"struct s { char a[0x7fffffffffffffff]; char b[2]; };", parser.X86_64, "xen.h:1:17: struct s: member a: size of array char[9223372036854775807] is too large"},
		{"struct s { char a[1ULL<<62]; char b[1ULL<<62]; char c[1ULL<<62]; char d[1ULL<<62]; };", parser.ARM64, "xen.h:1:17: struct s: member a: size of array"},
		{"struct s { long a[1ULL<<58]; };", parser.X86_64, "xen.h:1:17: struct s: member a: size of array long[288230376151711744] is too large"},
		{"struct s { char a[0x7fffffff]; char b[2]; };", parser.X86_32, "xen.h:1:37: struct s: member b: the record is too large"},
		{"struct s { char a[0x7fffffff]; int b; };", parser.ARM32, "xen.h:1:36: struct s: member b: the record is too large"},
		{"struct s { char a[0x7fffffff]; } __attribute__((aligned(8)));", parser.X86_32, "xen.h:1:1: struct s: the record is too large"},
		{"struct s { char a[0x10000000]; }; struct t { struct s x[16]; };", parser.ARM32, "xen.h:1:55: struct t: member x: size of array struct s[16] is too large"},
	}
	for _, tt := range tests {
		tree := fstest.MapFS{"xen.h": {Data: []byte(tt.src + "\n")}}
		u, err := parser.Parse(parser.Config{Tree: tree, Target: tt.target, Mode: parser.Tools})
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		_, err = Compute(u)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s on %s: got %v, want %q", tt.src, tt.target, err, tt.want)
		}
	}
}
