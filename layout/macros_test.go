package layout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/parser"
)

func TestEval(t *testing.T) {
	use := func(i int) *parser.LayoutExpr { return &parser.LayoutExpr{Op: "use", Use: i, Size: 8} }
	c := func(v uint64, size int64, signed bool) *parser.LayoutExpr {
		return &parser.LayoutExpr{Op: "const", Value: v, Size: size, Signed: signed}
	}
	bin := func(op string, x, y *parser.LayoutExpr, size int64, signed bool) *parser.LayoutExpr {
		return &parser.LayoutExpr{Op: op, X: x, Y: y, Size: size, Signed: signed}
	}
	un := func(op string, x *parser.LayoutExpr, size int64, signed bool) *parser.LayoutExpr {
		return &parser.LayoutExpr{Op: op, X: x, Size: size, Signed: signed}
	}
	for _, tc := range []struct {
		name string
		e    *parser.LayoutExpr
		vals []int64
		want uint64
		err  bool
	}{
		// _IOC(_IOC_NONE, 'P', 0, sizeof(struct p)) with a 12-byte struct p.
		{"ioc", bin("|", c('P'<<8, 8, false), bin("<<", use(0), c(16, 4, true), 8, false), 8, false), []int64{12}, 0xc5000, false},
		// -(int)sizeof: negative, sign-extended.
		{"neg", un("-", un("cast", use(0), 4, true), 4, true), []int64{12}, 0xfffffffffffffff4, false},
		// ~sizeof on a 32-bit target: unsigned long is 4 bytes.
		{"cpl32", un("~", use(0), 4, false), []int64{8}, 0xfffffff7, false},
		{"signed div", bin("/", c(0xfffffffffffffff6, 4, true), use(0), 4, true), []int64{3}, 0xfffffffffffffffd, false},
		{"unsigned div", bin("/", c(0xfffffff6, 4, false), use(0), 4, false), []int64{3}, 0x55555552, false},
		{"signed shr", bin(">>", c(0xfffffffffffffff0, 4, true), use(0), 4, true), []int64{2}, 0xfffffffffffffffc, false},
		{"wrap", bin("+", c(0xffffffff, 4, false), use(0), 4, false), []int64{2}, 1, false},
		{"div zero", bin("%", c(7, 8, false), use(0), 8, false), []int64{0}, 0, true},
		{"shift too far", bin("<<", use(0), c(32, 4, true), 4, false), []int64{1}, 0, true},
		{"unknown op", bin("<", use(0), c(1, 4, true), 4, true), []int64{1}, 0, true},
		{"bad use", use(3), []int64{1}, 0, true},
	} {
		got, err := eval(tc.e, tc.vals)
		if (err != nil) != tc.err {
			t.Errorf("%s: error %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// TestLayoutChecks: an array length or enumerator that takes sizeof of a
// packed record is refused, at its position, where cc/v4's layout is not
// the engine's (64-bit targets), and accepted where they agree.
func TestLayoutChecks(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"linux/ioctl.h": "",
		"linux/types.h": "typedef unsigned short __u16;\ntypedef unsigned int __u32;\ntypedef unsigned long long __u64;\n",
		"arr.h":         "struct p { void *a; unsigned int n; } __attribute__((packed));\nstruct h { unsigned char raw[sizeof(struct p)]; };\n",
		"enum.h":        "struct p { void *a; unsigned int n; } __attribute__((packed));\nenum { E_P = sizeof(struct p) + 1 };\n",
		"ok.h":          "struct p { void *a; unsigned int n; };\nstruct h { unsigned char raw[sizeof(struct p)]; };\nenum { E_P = sizeof(struct p) };\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		header, want string // want: the error on 64-bit targets
	}{
		{"arr.h", "arr.h:2:30: array length takes sizeof(struct p), which is 12 on"},
		{"enum.h", "enum.h:2:8: enumerator E_P takes sizeof(struct p), which is 12 on"},
		{"ok.h", ""},
	} {
		for _, tg := range parser.Targets {
			u, err := parser.Parse(parser.Config{Tree: os.DirFS(dir), TreeName: "t", Target: tg, Mode: parser.Tools,
				Dialect: parser.UAPIDialect, Includes: []string{tc.header}, NoCache: true})
			if err != nil {
				t.Fatalf("%s %s: %v", tc.header, tg, err)
			}
			_, err = Compute(u)
			abi, _ := ABIOf(tg)
			switch {
			case tc.want == "" || abi.PointerSize == 4:
				if err != nil {
					t.Errorf("%s %s: %v", tc.header, tg, err)
				}
			case err == nil:
				t.Errorf("%s %s: no error, want %q", tc.header, tg, tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s %s: %v, want %q", tc.header, tg, err, tc.want)
			}
		}
	}
}
