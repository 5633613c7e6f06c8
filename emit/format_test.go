package emit

import (
	"bytes"
	"go/format"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
)

// docNeedingTwoPasses is a doc comment (from io/cameraif.h) that go/format
// rewrites once and then again: its first pass makes an indented block of
// lines whose indentation the second pass changes.
var docNeedingTwoPasses = []string{
	"XencameraConfigReq is struct xencamera_config_req.",
	"",
	"    STATUS RETURN CODES",
	"",
	"Status return code is zero on success and -XEN_EXX on failure.",
	"",
	"                             Assumptions",
	"",
	"- usage of grant reference 0 as invalid grant reference:",
	"  grant reference 0 is valid, but never exposed to a PV driver,",
	"",
	"  - characters are allowed in [0x20; 0x7f] range",
}

// TestOneFormatPass: a file rendered by renderJen, with one go/format pass,
// is gofmt-clean, also with a doc comment that takes go/format more than
// one pass; and that comment does need them (else the test proves nothing).
func TestOneFormatPass(t *testing.T) {
	build := func(doc func([]string) *jen.Statement) []byte {
		f := jen.NewFile("p")
		f.Add(doc(docNeedingTwoPasses))
		f.Type().Id("T").Struct(jen.Id("A").Uint32())
		f.Add(doc([]string{"F does a thing:", "", "\tcode", "more"}))
		f.Func().Id("F").Params().Block()
		out, err := renderJen("z.go", f)
		if err != nil {
			t.Fatal(err)
		}
		return out.Data
	}
	got := build(docComment)
	again, err := format.Source(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("not gofmt-clean after one pass:\n%s\nformatted again:\n%s", got, again)
	}
	plain := build(comment)
	if again, _ := format.Source(plain); bytes.Equal(again, plain) {
		t.Errorf("the doc comment is stable after one go/format pass: the test no longer shows what docComment is for")
	}
}

// TestFormatDocMatchesGofmt: formatDoc rewrites a comment as go/format
// rewrites the same comment in a file.
func TestFormatDocMatchesGofmt(t *testing.T) {
	for _, lines := range [][]string{
		docNeedingTwoPasses,
		{"One line."},
		{"A list:", "  - one", "  - two", "", "done"},
		{"Code:", "", "    x := 1", "    y := 2", "", "end"},
		{"Trailing spaces   ", "//go:generate x", "text"},
	} {
		src := strings.Join(commentLines(lines), "\n") + "\ntype T int\n"
		want, err := format.Source([]byte("package p\n\n" + src))
		if err != nil {
			t.Fatal(err)
		}
		got := "package p\n\n" + strings.Join(formatDoc(commentLines(lines)), "\n") + "\ntype T int\n"
		if got != string(want) {
			t.Errorf("formatDoc(%q):\n%s\ngo/format:\n%s", lines, got, want)
		}
	}
}

// TestSameText: declarations are shared when their formatted text is the
// same, also when jennifer's unformatted text differs in spacing only.
func TestSameText(t *testing.T) {
	d := func(raw string, doc ...string) *callDecl { return &callDecl{raw: raw, doc: doc} }
	for _, c := range []struct {
		a, b *callDecl
		want bool
	}{
		{d("package p\nfunc F() {}\n"), d("package p\nfunc F() {}\n"), true},
		{d("package p\nfunc F( ) {}\n"), d("package p\nfunc F() {}\n"), true},
		{d("package p\nfunc F() { return }\n"), d("package p\nfunc F() {\nreturn\n}\n"), false},
		{d("package p\nfunc F() {}\n"), d("package p\nfunc G() {}\n"), false},
		{d("package p\nfunc F() {}\n", "a"), d("package p\nfunc F() {}\n", "b"), false},
	} {
		if got := c.a.sameText(c.b); got != c.want {
			t.Errorf("sameText(%q, %q) = %v, want %v", c.a.raw, c.b.raw, got, c.want)
		}
	}
}
