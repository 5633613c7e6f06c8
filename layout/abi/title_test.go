package abi

import (
	"strings"
	"testing"

	"github.com/xenbind/xenbind/parser"
)

// TestTitleMode: the title names the interface mode for Xen's dialect
// only; the Linux dialects have no guest or tools interface.
func TestTitleMode(t *testing.T) {
	for _, tc := range []struct {
		dialect parser.Dialect
		want    string
	}{
		{parser.XenDialect, "# xenbind abi: t (xen dialect), guest mode, a.h\n"},
		{parser.UAPIDialect, "# xenbind abi: t (uapi dialect), a.h\n"},
		{parser.LinuxDialect, "# xenbind abi: t (linux dialect), a.h\n"},
	} {
		r := &Report{Tree: "t", Dialect: tc.dialect, Mode: parser.Guest, Headers: []string{"a.h"}}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != tc.want {
			t.Errorf("%s: title %q, want %q", tc.dialect, first, tc.want)
		}
		b.Reset()
		if err := r.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(b.String(), "guest mode"); has != (tc.dialect == parser.XenDialect) {
			t.Errorf("%s: HTML says guest mode: %v", tc.dialect, has)
		}
	}
	d := &DiffReport{New: TreeInfo{Name: "n", Dialect: parser.LinuxDialect}, Old: TreeInfo{Name: "o", Dialect: parser.XenDialect}, Mode: parser.Tools}
	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "# xenbind abi: n (linux dialect) against o (xen dialect), tools mode,") {
		t.Errorf("diff title: %q", strings.SplitN(b.String(), "\n", 2)[0])
	}
}
