package emit

import (
	"strings"
	"testing"
	"unicode"
)

// TestGoNameAsBefore holds goName to the rune-slice version it replaced,
// on words of every kind: initialisms in any case, digits first, empty
// words, non-ASCII letters and bytes that are not UTF-8.
func TestGoNameAsBefore(t *testing.T) {
	old := func(c string) string {
		var b strings.Builder
		for _, w := range strings.FieldsFunc(c, func(r rune) bool { return r == '_' }) {
			if s, ok := initialisms[strings.ToLower(w)]; ok {
				b.WriteString(s)
				continue
			}
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			b.WriteString(string(r))
		}
		s := b.String()
		if s == "" {
			return "X"
		}
		if r := []rune(s); !unicode.IsLetter(r[0]) {
			s = "X" + s
		}
		return s
	}
	words := []string{"", "xen", "DOMID", "Vcpus", "memory", "reservation", "0", "64bit", "é", "ébc", "\xff", "a\xffb", "\xe2\x82", "_", "X", "gicv3", "ñame"}
	var names []string
	for i, a := range words {
		for j, b := range words {
			names = append(names, a+"_"+b, a+b, "_"+a+"__"+b+"_", strings.ToUpper(a)+"_"+b)
			if (i+j)%3 == 0 {
				names = append(names, a+"_"+b+"_"+words[(i*j)%len(words)])
			}
		}
	}
	for _, c := range names {
		if got, want := goName(c), old(c); got != want {
			t.Errorf("goName(%q) = %q, want %q", c, got, want)
		}
	}
}
