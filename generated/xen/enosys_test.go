package xen_test

import (
	"os"
	"strings"
	"testing"
)

// hypercalls.spec's enosys= reaches the wrapper's doc.
func TestWrapperDocENOSYS(t *testing.T) {
	b, err := os.ReadFile("zcalls.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	i := strings.Index(src, "\nfunc GnttabopDumpTable(")
	if i < 0 {
		t.Fatal("no GnttabopDumpTable in zcalls.go")
	}
	start := strings.LastIndex(src[:i], "\n}\n")
	doc := src[start:i]
	doc = strings.Join(strings.Fields(strings.ReplaceAll(doc, "//", "")), " ")
	if want := "Xen 4.17 does not implement it: it always fails with ENOSYS there."; !strings.Contains(doc, want) {
		t.Errorf("GnttabopDumpTable's doc lacks %q:\n%s", want, doc)
	}
	if strings.Contains(src[:start], "does not implement it") {
		t.Errorf("a wrapper before GnttabopDumpTable says it is not implemented; only enosys= commands should")
	}
}
