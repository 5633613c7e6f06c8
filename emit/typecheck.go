package emit

import (
	_ "embed"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"sync"
)

// The output is type-checked before it is written: for each GOARCH, the
// shared files with that GOARCH's own, by go/types, in memory. Whatever
// slipped past the generator's own rules (a name only some targets
// declare, a reference to a skipped declaration) fails here, and gen
// writes nothing.
//
// The check needs no go command and no export data. Packages the output
// imports are stood in for by small packages declaring their API:
// unsafe is go/types' own; runtime/hypercall's stand-in (hypercall.stub)
// is made from its source, every exported declaration without function
// bodies, and kept current by TestHypercallStubNotStale; the standard
// packages' stand-ins declare the names the output uses with their real
// types (TestStdStubsSameAPI compares them with the real packages), and
// structs and sync/atomic the zero-size types the output uses for layout
// (with the names go/types sizes specially). A name the stand-ins lack, a
// call into the runtime with the wrong arguments, is an error like any
// other: what is checked is the package and its use of its imports; the
// tests that build the generated packages check them against the real
// ones.

// goarches are the GOARCH values of the four targets, in parser.Targets
// order.
var goarches = []string{"386", "amd64", "arm", "arm64"}

//go:embed hypercall.stub
var hypercallStub string

// stubSources declare the imported packages. structs and sync/atomic are
// the standard library's own declarations, for go/types' sizes (it aligns
// sync/atomic's align64 to 8 on every GOARCH, as gc does).
var stubSources = map[string]string{
	hypercallPkg:      hypercallStub,
	"bytes":           "package bytes\n\nfunc IndexByte(b []byte, c byte) int\n",
	"encoding/binary": binaryStub,
	"errors":          "package errors\n\nfunc Is(err, target error) bool\n\nfunc New(text string) error\n",
	"fmt":             "package fmt\n\nfunc Errorf(format string, a ...any) (err error)\n\nfunc Sprint(a ...any) string\n",
	"math":            "package math\n\nfunc Float32bits(f float32) uint32\n\nfunc Float32frombits(b uint32) float32\n\nfunc Float64bits(f float64) uint64\n\nfunc Float64frombits(b uint64) float64\n",
	"slices":          "package slices\n\nfunc Grow[S ~[]E, E any](s S, n int) S { panic(0) }\n",
	"strconv":         "package strconv\n\nfunc FormatInt(i int64, base int) string\n\nfunc FormatUint(i uint64, base int) string\n\nfunc Itoa(i int) string\n",
	"strings":         "package strings\n\nfunc Join(elems []string, sep string) string\n",
	"structs":         "package structs\n\ntype HostLayout struct{ _ hostLayout }\n\ntype hostLayout struct{}\n",
	"sync":            "package sync\n\ntype Mutex struct {\n\tstate int32\n\tsema  uint32\n}\n\nfunc (m *Mutex) Lock()\n\nfunc (m *Mutex) TryLock() bool\n\nfunc (m *Mutex) Unlock()\n",
	"sync/atomic":     "package atomic\n\ntype noCopy struct{}\n\ntype align64 struct{}\n\ntype Int64 struct {\n\t_ noCopy\n\t_ align64\n\tv int64\n}\n\nfunc (x *Int64) Load() int64\n\nfunc (x *Int64) Store(val int64)\n\nfunc (x *Int64) Add(delta int64) (new int64)\n\ntype Uint64 struct {\n\t_ noCopy\n\t_ align64\n\tv uint64\n}\n\nfunc (x *Uint64) Load() uint64\n\nfunc (x *Uint64) Store(val uint64)\n\nfunc (x *Uint64) Add(delta uint64) (new uint64)\n",
}

// binaryStub is encoding/binary's byte orders of the four GOARCH, all
// little-endian.
const binaryStub = `package binary

var LittleEndian littleEndian

var NativeEndian nativeEndian

type littleEndian struct{}

func (littleEndian) Uint16(b []byte) uint16

func (littleEndian) PutUint16(b []byte, v uint16)

func (littleEndian) AppendUint16(b []byte, v uint16) []byte

func (littleEndian) Uint32(b []byte) uint32

func (littleEndian) PutUint32(b []byte, v uint32)

func (littleEndian) AppendUint32(b []byte, v uint32) []byte

func (littleEndian) Uint64(b []byte) uint64

func (littleEndian) PutUint64(b []byte, v uint64)

func (littleEndian) AppendUint64(b []byte, v uint64) []byte

func (littleEndian) String() string

func (littleEndian) GoString() string

type nativeEndian struct {
	littleEndian
}
`

// stubs are the stand-in packages, type-checked once: the checks of all
// GOARCH share them (go/types only reads a checked package).
var stubs = sync.OnceValues(func() (map[string]*types.Package, error) {
	im := newStubImporter()
	for path := range stubSources {
		if _, err := im.Import(path); err != nil {
			return nil, fmt.Errorf("stand-in of %s: %w", path, err)
		}
	}
	return im.pkgs, nil
})

// stubImporter checks the stand-ins, which may import each other.
type stubImporter struct {
	fset *token.FileSet
	pkgs map[string]*types.Package
}

func newStubImporter() *stubImporter {
	return &stubImporter{fset: token.NewFileSet(), pkgs: map[string]*types.Package{}}
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
		return nil, fmt.Errorf("the type check has no stand-in for package %s", path)
	}
	f, err := parser.ParseFile(im.fset, path+".go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	p, err := (&types.Config{Importer: im}).Check(path, im.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, err
	}
	im.pkgs[path] = p
	return p, nil
}

// sharedImporter imports the stand-ins checked once.
type sharedImporter map[string]*types.Package

func (im sharedImporter) Import(path string) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if p := im[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("the type check has no stand-in for package %s", path)
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
	return typeCheckParsed(files, &parsedFiles{fset: fset, names: fileNames(files), asts: parsed}, goarchs)
}

func fileNames(files []File) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return names
}

// typeCheckParsed is typeCheck of files already parsed (with or without
// comments, at any positions: a failed check is done again on files
// parsed from their data, with comments, to say where it failed).
func typeCheckParsed(files []File, parsed *parsedFiles, goarchs []string) error {
	return describeCheck(files, goarchs, checkTrees(parsed, goarchs))
}

// checkResult is the result of checkTrees: the index in goarchs of the
// first GOARCH whose check failed, and its error.
type checkResult struct {
	goarch int
	err    error
}

// checkTrees type-checks the trees of a package's files for each of
// goarchs. It needs the files' trees and names (parsed.names), not their
// text: a tree without a name would belong to no GOARCH's check.
func checkTrees(parsed *parsedFiles, goarchs []string) checkResult {
	if len(parsed.names) != len(parsed.asts) {
		return checkResult{err: fmt.Errorf("type check: %d file names for %d files", len(parsed.names), len(parsed.asts))}
	}
	asts, guards := splitGuards(parsed.asts)
	for i := range parsed.guards {
		guards[i] = append(guards[i], parsed.guards[i]...)
	}
	errs := make([]error, len(goarchs))
	parallel(len(goarchs), func(i int) {
		errs[i] = checkGOARCH(parsed.fset, parsed.names, asts, guards, goarchs[i], false)
	})
	for i, err := range errs {
		if err != nil {
			return checkResult{i, err}
		}
	}
	return checkResult{}
}

// describeCheck is the error of a check of files that failed: the check
// is done again on the files parsed from their text, with comments, to
// say where it failed.
func describeCheck(files []File, goarchs []string, r checkResult) error {
	if r.err == nil {
		return nil
	}
	if fset, parsed, perr := parseFiles(files, parser.ParseComments|parser.SkipObjectResolution); perr == nil {
		asts, guards := splitGuards(parsed)
		if described := checkGOARCH(fset, fileNames(files), asts, guards, goarchs[r.goarch], true); described != nil {
			return described
		}
	}
	return r.err
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
func checkGOARCH(fset *token.FileSet, names []string, parsed []*ast.File, guards [][]layoutGuard, goarch string, describe bool) error {
	pkgs, err := stubs()
	if err != nil {
		return err
	}
	var set []*ast.File
	var setGuards []layoutGuard
	for i, name := range names {
		if fileGOARCH(name) == "" || fileGOARCH(name) == goarch {
			set = append(set, parsed[i])
			setGuards = append(setGuards, guards[i]...)
		}
	}
	var first error
	sizes := types.SizesFor("gc", goarch)
	conf := types.Config{
		Importer: sharedImporter(pkgs),
		Sizes:    sizes,
		Error: func(err error) {
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
