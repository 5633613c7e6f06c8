package main

import (
	"errors"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-arch", "sparc"}, `unknown architecture "sparc"`},
		{[]string{"-arch", ","}, "no architecture"},
		{[]string{"stray"}, "unexpected arguments"},
		{[]string{"-xen", ","}, "no Xen release"},
		{[]string{"-xen", "4.99"}, `no machine boots Xen "4.99"`},
		{[]string{"-arch", "arm32", "-xen", "4.20"}, "no machine runs Xen 4.20 on arm32"},
		{[]string{"-arch", "arm32", "-goarch", "amd64"}, "runs none of GOARCH amd64"},
		{[]string{"-arch", "x86_64,arm64", "-bin", "a.test"}, "one architecture"},
		{[]string{"-arch", "x86_64", "-bin", "a.test", "-goarch", "amd64"}, "exclude each other"},
		{[]string{"-no-such-flag"}, "not defined"},
	} {
		err := run(c.args)
		var usage *usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	if got := split(" amd64, ,386 "); len(got) != 2 || got[0] != "amd64" || got[1] != "386" {
		t.Errorf("split = %q", got)
	}
	if got := split(""); got != nil {
		t.Errorf("split(\"\") = %q, want nil", got)
	}
}
