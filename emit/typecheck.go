package emit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
)

// The output is type-checked before it is written: for each GOARCH, the
// shared files with that GOARCH's own, by go/types, in memory. Whatever
// slipped past the generator's own rules (a name only some targets
// declare, a reference to a skipped declaration) fails here, and gen
// writes nothing.
//
// The check needs no go command and no export data. Packages the output
// imports are stood in for by small hand-made packages: unsafe is
// go/types' own, structs and sync/atomic declare the zero-size types the
// output uses for layout (with the names go/types sizes specially), and
// every other import is an empty package whose selectors' "undefined"
// errors are ignored. What is checked is the package itself: every
// identifier it declares and uses, every type and expression built from
// them, and the layout guards; calls into the runtime are checked by the
// tests that build the generated packages.

// goarches are the GOARCH values of the four targets, in parser.Targets
// order.
var goarches = []string{"386", "amd64", "arm", "arm64"}

// stubSources declare the imported packages whose types the output lays
// out: the same declarations as the standard library's, for go/types'
// sizes (it aligns sync/atomic's align64 to 8 on every GOARCH, as gc does).
var stubSources = map[string]string{
	"structs":     "package structs\n\ntype HostLayout struct{ _ hostLayout }\n\ntype hostLayout struct{}\n",
	"sync/atomic": "package atomic\n\ntype noCopy struct{}\n\ntype align64 struct{}\n\ntype Int64 struct {\n\t_ noCopy\n\t_ align64\n\tv int64\n}\n\ntype Uint64 struct {\n\t_ noCopy\n\t_ align64\n\tv uint64\n}\n",
}

// stubImporter imports the stubs, and an empty package for anything else.
type stubImporter struct {
	fset  *token.FileSet
	pkgs  map[string]*types.Package
	empty map[string]bool // paths imported as empty packages
}

func newStubImporter() *stubImporter {
	return &stubImporter{fset: token.NewFileSet(), pkgs: map[string]*types.Package{}, empty: map[string]bool{}}
}

func (im *stubImporter) Import(path string) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if p := im.pkgs[path]; p != nil {
		return p, nil
	}
	src, ok := stubSources[path]
	if !ok {
		name := path[strings.LastIndexByte(path, '/')+1:]
		p := types.NewPackage(path, name)
		p.MarkComplete()
		im.pkgs[path] = p
		im.empty[name] = true
		return p, nil
	}
	f, err := parser.ParseFile(im.fset, path+".go", src, 0)
	if err != nil {
		return nil, err
	}
	p, err := (&types.Config{}).Check(path, im.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, err
	}
	im.pkgs[path] = p
	return p, nil
}

// typeCheck checks a package's files for each of goarchs: files named
// *_<goarch>.go belong to that GOARCH only. The error names the GOARCH,
// the first error's position, and the declaration it is in, with the
// first line of that declaration's doc (which says what C it comes from).
func typeCheck(files []File, goarchs []string) error {
	// Comments matter only to describe an error (where): the files are
	// parsed without them, and again with them when a check fails.
	fset, parsed, err := parseFiles(files, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	return typeCheckParsed(files, &parsedFiles{fset: fset, asts: parsed}, goarchs)
}

// typeCheckParsed is typeCheck of files already parsed (with or without
// comments, at any positions: a failed check is done again on files
// parsed from their data, with comments, to say where it failed).
func typeCheckParsed(files []File, parsed *parsedFiles, goarchs []string) error {
	asts, guards := splitGuards(parsed.asts)
	for i := range parsed.guards {
		guards[i] = append(guards[i], parsed.guards[i]...)
	}
	errs := make([]error, len(goarchs))
	parallel(len(goarchs), func(i int) {
		errs[i] = checkGOARCH(parsed.fset, files, asts, guards, goarchs[i], false)
	})
	for i, err := range errs {
		if err != nil {
			if fset, parsed, perr := parseFiles(files, parser.ParseComments|parser.SkipObjectResolution); perr == nil {
				asts, guards := splitGuards(parsed)
				if described := checkGOARCH(fset, files, asts, guards, goarchs[i], true); described != nil {
					err = described
				}
			}
			return err
		}
	}
	return nil
}

func parseFiles(files []File, mode parser.Mode) (*token.FileSet, []*ast.File, error) {
	fset := token.NewFileSet()
	parsed := make([]*ast.File, len(files))
	for i, f := range files {
		af, err := parser.ParseFile(fset, f.Name, f.Data, mode)
		if err != nil {
			return nil, nil, fmt.Errorf("generated code does not parse: %w", err)
		}
		parsed[i] = af
	}
	return fset, parsed, nil
}

// checkGOARCH checks the files of one GOARCH, then their layout guards
// that go/types was not given (splitGuards); describe adds where the
// error is (the files must have been parsed with their comments). The
// checks of several GOARCH may run at once: each has its own importer,
// and go/types only reads the syntax trees.
func checkGOARCH(fset *token.FileSet, files []File, parsed []*ast.File, guards [][]layoutGuard, goarch string, describe bool) error {
	im := newStubImporter()
	var set []*ast.File
	var setGuards []layoutGuard
	for i, f := range files {
		if fileGOARCH(f.Name) == "" || fileGOARCH(f.Name) == goarch {
			set = append(set, parsed[i])
			setGuards = append(setGuards, guards[i]...)
		}
	}
	var first error
	sizes := types.SizesFor("gc", goarch)
	conf := types.Config{
		Importer: im,
		Sizes:    sizes,
		Error: func(err error) {
			var te types.Error
			if errors.As(err, &te) && im.ignorable(te.Msg) {
				return
			}
			if first == nil {
				first = err
			}
		},
	}
	pkg, _ := conf.Check("generated", fset, set, nil)
	if first == nil {
		first = checkGuards(fset, pkg, sizes, setGuards)
	}
	if first == nil {
		return nil
	}
	in := ""
	if describe {
		in = where(fset, set, first)
	}
	return fmt.Errorf("the generated code does not type-check for GOARCH=%s: %v%s", goarch, first, in)
}

// ignorable reports whether an error is a selector of an empty stand-in
// package.
func (im *stubImporter) ignorable(msg string) bool {
	rest, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok {
		return false
	}
	pkg, _, ok := strings.Cut(rest, ".")
	return ok && im.empty[pkg]
}

// fileGOARCH is the GOARCH a file's name restricts it to, or "".
func fileGOARCH(name string) string {
	base := strings.TrimSuffix(name, ".go")
	for _, g := range goarches {
		if strings.HasSuffix(base, "_"+g) {
			return g
		}
	}
	return ""
}

// where describes the declaration an error is in: " (in Name: first line
// of its doc)".
func where(fset *token.FileSet, files []*ast.File, err error) string {
	var te types.Error
	if !errors.As(err, &te) {
		return ""
	}
	for _, f := range files {
		if fset.File(f.Pos()) != fset.File(te.Pos) {
			continue
		}
		for _, d := range f.Decls {
			if te.Pos < d.Pos() || te.Pos > d.End() {
				continue
			}
			var doc *ast.CommentGroup
			switch d := d.(type) {
			case *ast.FuncDecl:
				doc = d.Doc
			case *ast.GenDecl:
				doc = d.Doc
				for _, s := range d.Specs {
					if s.Pos() <= te.Pos && te.Pos <= s.End() {
						if ts, ok := s.(*ast.TypeSpec); ok && ts.Doc != nil {
							doc = ts.Doc
						}
						if vs, ok := s.(*ast.ValueSpec); ok && vs.Doc != nil {
							doc = vs.Doc
						}
					}
				}
			}
			if doc == nil {
				return ""
			}
			text := strings.Join(strings.Fields(doc.Text()), " ")
			if i := strings.Index(text, ". "); i >= 0 {
				text = text[:i+1]
			}
			return " (in the declaration documented as: " + text + ")"
		}
	}
	return ""
}
