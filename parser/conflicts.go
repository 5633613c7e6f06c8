package parser

import (
	"fmt"
	"sort"
	"strings"

	"modernc.org/cc/v4"
)

// cc/v4 checks the file scope's declarations name by name, in Go map
// order, and stops at the first name declared with two incompatible types:
// when a unit declares several names (or tags) again, differently, which
// one its error names changes from run to run. -include all reports that
// error as the reason a header is left out, so the reason would change
// between runs without a cache.
//
// settleConflicts makes it the same every time, as gcc would: when the
// errors are only such conflicts, and the unit defines a struct, union or
// enum tag a second time (gcc refuses any second definition of a tag in a
// scope, compatible or not), the errors become one "redefinition" per
// such tag, each at its second definition, in place of cc/v4's conflict
// messages. A unit whose conflicts are all of typedefs, functions or
// objects keeps cc/v4's message, which then names one of them (in the
// pinned trees every header left out for a conflict also defines a tag
// again).

// conflictMessages are cc/v4's messages of its file scope check.
var conflictMessages = []string{
	"conflicting types for '",
	"incompatible redeclaration of ",
	"redeclaration of '",
	"multiple definitions of '",
}

// settleConflicts returns err, or in its place the redefinitions of tags
// described above, found by parsing sources again (the parse, unlike the
// check, does not depend on map order).
func settleConflicts(cfg *cc.Config, sources []cc.Source, err error) error {
	if err == nil || !onlyConflicts(err.Error()) {
		return err
	}
	ast, perr := parseAST(cfg, sources)
	if perr != nil || ast == nil || ast.Scope == nil {
		return err
	}
	var lines []string
	for name, nodes := range ast.Scope.Nodes {
		var first cc.Node
		firstKind := ""
		for _, n := range nodes {
			kind := tagDefinition(n)
			if kind == "" {
				continue
			}
			if first == nil {
				first, firstKind = n, kind
				continue
			}
			msg := fmt.Sprintf("redefinition of '%s %s', previous definition at %v", kind, name, first.Position())
			if kind != firstKind {
				msg = fmt.Sprintf("'%s' defined as wrong kind of tag ('%s %s' at %v)", name, firstKind, name, first.Position())
			}
			lines = append(lines, fmt.Sprintf("%v: %s", n.Position(), msg))
			break // one error a tag, at its second definition
		}
	}
	if len(lines) == 0 {
		return err
	}
	sort.Strings(lines) // ErrorList sorts them by position again
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}

// onlyConflicts reports whether every line of cc/v4's error text is one
// of its scope check's conflict messages.
func onlyConflicts(text string) bool {
	seen := false
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		found := false
		for _, m := range conflictMessages {
			if strings.Contains(line, m) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
		seen = true
	}
	return seen
}

// tagDefinition returns "struct", "union" or "enum" when n defines a tag
// with a body, "" otherwise.
func tagDefinition(n cc.Node) string {
	switch x := n.(type) {
	case *cc.StructOrUnionSpecifier:
		if x.Case == cc.StructOrUnionSpecifierDef && x.StructOrUnion != nil {
			return x.StructOrUnion.Token.SrcStr()
		}
	case *cc.EnumSpecifier:
		if x.Case == cc.EnumSpecifierDef {
			return "enum"
		}
	}
	return ""
}

// parseAST runs cc.Parse, a panic turned into an error.
func parseAST(cfg *cc.Config, sources []cc.Source) (ast *cc.AST, err error) {
	defer func() {
		if r := recover(); r != nil {
			ast, err = nil, fmt.Errorf("the C front end could not handle this input: %v", r)
		}
	}()
	return cc.Parse(cfg, sources)
}
