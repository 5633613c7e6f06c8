package xen_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// C char arrays read as text: up to the first NUL, or all of the array
// when it has none.

func TestCharArrayString(t *testing.T) {
	var ev xen.Extraversion
	copy(ev[:], ".5-xen\x00junk")
	if got := ev.String(); got != ".5-xen" {
		t.Errorf("Extraversion.String() = %q, want %q", got, ".5-xen")
	}
	if got := fmt.Sprint(ev); got != ".5-xen" {
		t.Errorf("fmt.Sprint(Extraversion) = %q, want %q (a fmt.Stringer)", got, ".5-xen")
	}
	var full xen.Extraversion
	copy(full[:], strings.Repeat("x", len(full)))
	if got := full.String(); got != strings.Repeat("x", len(full)) {
		t.Errorf("Extraversion without NUL: String() = %q", got)
	}
	var ci xen.CompileInfo
	copy(ci.Compiler[:], "gcc 12\x00old text")
	copy(ci.CompileBy[:], "me")
	if got := ci.CompilerString(); got != "gcc 12" {
		t.Errorf("CompilerString() = %q, want %q", got, "gcc 12")
	}
	if got := ci.CompileByString(); got != "me" {
		t.Errorf("CompileByString() = %q, want %q", got, "me")
	}
	if got := ci.CompileDateString(); got != "" {
		t.Errorf("CompileDateString() of zeroes = %q, want empty", got)
	}
}

func TestCharArrayStringFromDouble(t *testing.T) {
	hv := xentest.New(
		xentest.WithCommandline("console=com1 dom0_mem=512M"),
		xentest.WithCompileInfo(xentest.CompileInfo{Compiler: "gcc 12", CompileBy: "me", CompileDomain: "example.org", CompileDate: "today"}),
	)
	cl, err := xen.XenverCommandline(hv)
	if err != nil || cl.String() != "console=com1 dom0_mem=512M" {
		t.Errorf("XenverCommandline: %q, %v", cl.String(), err)
	}
	ci, err := xen.XenverCompileInfo(hv)
	if err != nil || ci.CompilerString() != "gcc 12" || ci.CompileDomainString() != "example.org" {
		t.Errorf("XenverCompileInfo: %q %q, %v", ci.CompilerString(), ci.CompileDomainString(), err)
	}
}
