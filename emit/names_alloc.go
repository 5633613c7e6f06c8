package emit

import (
	"fmt"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/xenbind/xenbind/parser"
)

// declKind orders the claims on Go names: records win over enums, enums
// over typedefs, typedefs over constants.
type declKind int

const (
	kindRecord declKind = iota
	kindEnum
	kindTypedef
	kindConst
)

// cdecl is one C declaration seen on at least one target.
type cdecl struct {
	kind declKind
	name string // C name: "struct X", "typedef X", "enum X", macro name
	want string // preferred Go name
}

// namer assigns Go names to C declarations once for all targets, so a C
// name means the same Go name on every GOARCH. Clashes are settled in a
// fixed order and reported.
type namer struct {
	goOf    map[string]string // C name -> Go name
	taken   map[string]string // Go name -> C name
	Reports []string
}

func newNamer() *namer {
	n := &namer{goOf: map[string]string{}, taken: map[string]string{}}
	for name := range reservedGo {
		n.taken[name] = "(Go)"
	}
	return n
}

// reservedGo are the names a generated package cannot declare: Go's
// keywords, its predeclared identifiers (the output uses them, so a
// declaration would shadow them), the names of the packages the output
// imports, and the blank identifier.
var reservedGo = func() map[string]bool {
	m := map[string]bool{"_": true}
	for _, n := range types.Universe.Names() {
		m[n] = true
	}
	for tok := token.Token(0); tok < 256; tok++ {
		if tok.IsKeyword() {
			m[tok.String()] = true
		}
	}
	for _, n := range []string{"unsafe", "structs", "fmt", "hypercall", "binary", "slices", "strconv", "atomic"} {
		m[n] = true
	}
	return m
}()

// CheckGoName says why name cannot be declared in a generated package, or
// returns nil.
func CheckGoName(name string) error {
	switch {
	case !isGoIdent(name):
		return fmt.Errorf("%q is not a Go identifier", name)
	case token.IsKeyword(name):
		return fmt.Errorf("%q is a Go keyword", name)
	case reservedGo[name]:
		return fmt.Errorf("%q is predeclared in Go or names a package the output imports", name)
	}
	return nil
}

// CheckPackageName says why name cannot name a generated package, or
// returns nil.
func CheckPackageName(name string) error {
	switch {
	case !isGoIdent(name) || name == "_":
		return fmt.Errorf("%q is not a Go package name", name)
	case token.IsKeyword(name):
		return fmt.Errorf("%q is a Go keyword, which cannot name a package", name)
	}
	return nil
}

// reserve claims Go names the generated package defines by hand.
func (n *namer) reserve(names ...string) {
	for _, g := range names {
		n.taken[g] = "(xenbind)"
	}
}

func (n *namer) assign(decls []cdecl, renames map[string]string) {
	sort.SliceStable(decls, func(i, j int) bool {
		if decls[i].kind != decls[j].kind {
			return decls[i].kind < decls[j].kind
		}
		return decls[i].name < decls[j].name
	})
	for _, d := range decls {
		if _, done := n.goOf[d.name]; done {
			continue
		}
		want := d.want
		if r, ok := renames[d.name]; ok {
			want = r
		}
		g := want
		for i := 2; n.taken[g] != ""; i++ {
			g = fmt.Sprintf("%s%s", want, suffix(d.kind, i))
		}
		if g != want {
			n.Reports = append(n.Reports, fmt.Sprintf("%s: Go name %s is taken by %s; using %s", d.name, want, n.taken[want], g))
		}
		n.goOf[d.name] = g
		n.taken[g] = d.name
	}
}

func suffix(k declKind, i int) string {
	s := map[declKind]string{kindRecord: "Rec", kindEnum: "Enum", kindTypedef: "T", kindConst: "_"}[k]
	if i > 2 {
		s += fmt.Sprint(i - 1)
	}
	return s
}

// name returns the Go name of a C declaration.
func (n *namer) name(c string) string { return n.goOf[c] }

// recordGoName is the preferred Go name of a record.
func recordGoName(r *parser.Record) string {
	if r.Parent != nil {
		label := strings.TrimPrefix(r.Name, r.Parent.Name+".")
		if strings.HasPrefix(label, "#") {
			return recordGoName(r.Parent) + "Anon" + label[1:]
		}
		return recordGoName(r.Parent) + goName(label)
	}
	_, tag, _ := strings.Cut(r.Name, " ")
	return typeName(tag)
}

// constGoName spells a macro's Go name: its C name, leading underscores
// dropped where that clashes with nothing (Go exports only capitalised
// names).
func constGoName(c string, exists func(string) bool) string {
	t := strings.TrimLeft(c, "_")
	if t == c || t == "" || exists(t) {
		return c
	}
	return t
}
