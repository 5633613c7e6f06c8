package parser

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"testing"
)

// includeDirectiveNames is what includeNames stands for.
func includeDirectiveNames(src []byte) []string {
	var names []string
	for _, m := range includeDirective.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// TestIncludeNames holds includeNames to the regular expression it
// replaces, on made-up text and on every header of the pinned tree.
func TestIncludeNames(t *testing.T) {
	cases := []string{
		"",
		"#include <a.h>",
		"#include \"a.h\"\n#include <b.h>\n",
		"  #  include\t<a.h> x\n\t#include\"b.h\"",
		"x #include <a.h>\n#include <b.h",
		"#include <a\nb.h>\n#include <c.h>\n",
		"#include <a.h\"\n#includ <b.h>\n# define include\n#include\n",
		"#include <>\n#include \"\"\n#include MACRO\n#import <d.h>\n",
		"#include \"a.h\"#include <b.h>\n\n\n#include <c.h>",
		"\xff#include <a.h>\n#include <\xfe.h>\n",
	}
	for _, c := range cases {
		if got, want := includeNames([]byte(c)), includeDirectiveNames([]byte(c)); !slices.Equal(got, want) {
			t.Errorf("includeNames(%q) = %q, want %q", c, got, want)
		}
	}
	dir := tree(t)
	n := 0
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".h" {
			return err
		}
		b, err := os.ReadFile(path.Join(dir, p))
		if err != nil {
			return err
		}
		for _, src := range [][]byte{b, joinLines(b)} {
			got, want := includeNames(src), includeDirectiveNames(src)
			if !slices.Equal(got, want) {
				t.Errorf("%s: includeNames = %q, want %q", p, got, want)
			}
			n += len(want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("only %d #includes in the pinned tree: not the tree expected", n)
	}
}

// TestSelfDefinedInTakenBranch: a macro a file defines before any code,
// inside its include guard and inside conditionals whose branch is known
// to be taken for the target (foreign/arm32.h's __DECL_REG under
// "#if defined(__GNUC__)"), is the file's own; one under a condition
// that may go either way is not.
func TestSelfDefinedInTakenBranch(t *testing.T) {
	env := newCondEnv(Config{Target: ARM64, Mode: Tools}, map[string]bool{"GUARD_H": true, "TREE_MACRO": true})
	if env == nil {
		t.Fatal("no conditions for arm64")
	}
	const src = `#ifndef GUARD_H
#define GUARD_H
#if defined(__GNUC__) && !defined(__STRICT_ANSI__)
# define TAKEN(a) a
#else
# define TAKEN(a) b
#endif
#ifdef TREE_MACRO
# define UNKNOWN 1
#else
# if defined(__GNUC__)
#  define UNKNOWN_OUTER 1
# endif
#endif
#if defined(__GNUC__)
# ifdef TREE_MACRO
#  define UNKNOWN_INNER 1
# endif
#endif
#define PLAIN 2
int x;
#define LATE 3
#endif
`
	f := analyzeText([]byte(src), env)
	for name, want := range map[string]bool{"TAKEN": true, "UNKNOWN": false, "UNKNOWN_OUTER": false, "UNKNOWN_INNER": false, "PLAIN": true, "LATE": false} {
		if f.selfDefined[name] != want {
			t.Errorf("selfDefined[%s] = %v, want %v", name, f.selfDefined[name], want)
		}
	}
}
