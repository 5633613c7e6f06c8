package layout

import (
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
