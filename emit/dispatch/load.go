package dispatch

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Binding names one binding set: a package xenbind gen wrote in tools mode
// from the headers of one Xen release.
type Binding struct {
	Release string // "4.17"
	Package string // a go/packages pattern: "./xen" or an import path
}

// goarches are the architectures Xen runs on, in output order.
var goarches = []string{"386", "amd64", "arm", "arm64"}

// load type-checks the binding sets for one GOARCH.
func load(dir, goarch string, bs []Binding) ([]*set, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedCompiledGoFiles,
		Dir:  dir,
		Env:  append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0"),
	}
	var pats []string
	for _, b := range bs {
		pats = append(pats, b.Package)
	}
	pkgs, err := packages.Load(cfg, pats...)
	if err != nil {
		return nil, fmt.Errorf("loading the binding sets (GOARCH=%s): %w", goarch, err)
	}
	if len(pkgs) != len(bs) {
		return nil, fmt.Errorf("loading the binding sets (GOARCH=%s): %d packages for %d patterns (one package each)", goarch, len(pkgs), len(bs))
	}
	var sets []*set
	for i, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("binding set %s (%s), GOARCH=%s: %v", bs[i].Release, bs[i].Package, goarch, p.Errors[0])
		}
		s := &set{release: bs[i].Release, alias: alias(bs[i].Release), path: p.PkgPath, pkg: p.Types}
		for k, f := range families {
			c, ok := p.Types.Scope().Lookup(f.macro).(*types.Const)
			if !ok {
				return nil, fmt.Errorf("binding set %s (%s): no constant %s: generate it in tools mode with domctl.h and sysctl.h", s.release, p.PkgPath, f.macro)
			}
			v, ok := constant.Uint64Val(constant.ToInt(c.Val()))
			if !ok || v > 0xffffffff {
				return nil, fmt.Errorf("binding set %s (%s): %s is not a 32-bit value", s.release, p.PkgPath, f.macro)
			}
			s.version[k] = uint32(v)
		}
		if s.ops, s.methods, err = readSource(p.CompiledGoFiles); err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// alias is the import name of a release's package: xen417 for 4.17.
func alias(release string) string {
	return "xen" + strings.ReplaceAll(release, ".", "")
}

// issues matches the first line of a wrapper's doc comment, which names the
// command: "XenDomctlCreatedomain issues XEN_DOMCTL_createdomain (...".
var issues = regexp.MustCompile(`^(\w+) issues (\w+)`)

// readSource reads, from the package's files, the C command each wrapper
// issues (its doc comment) and the text of every method, keyed
// "Type.Method": two releases' types that dispatch passes as they are
// must have the same generated methods.
func readSource(files []string) (ops, methods map[string]string, err error) {
	ops, methods = map[string]string{}, map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				recv := fd.Recv.List[0].Type
				if st, ok := recv.(*ast.StarExpr); ok {
					recv = st.X
				}
				switch ix := recv.(type) { // a generic type's receiver, Handle[T]
				case *ast.IndexExpr:
					recv = ix.X
				case *ast.IndexListExpr:
					recv = ix.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					var b strings.Builder
					doc := fd.Doc
					fd.Doc = nil
					if err := printer.Fprint(&b, fset, fd); err != nil {
						return nil, nil, err
					}
					fd.Doc = doc
					methods[id.Name+"."+fd.Name.Name] = b.String()
				}
				continue
			}
			if fd.Doc == nil {
				continue
			}
			if m := issues.FindStringSubmatch(fd.Doc.Text()); m != nil && m[1] == fd.Name.Name {
				ops[m[1]] = m[2]
			}
		}
	}
	return ops, methods, nil
}

// release is one row of releases.txt.
type release struct {
	major, minor int
	version      [2]uint32 // per family
}

//go:embed releases.txt
var releasesText []byte

// releases is the table of interface versions per Xen release.
var releases = mustReleases(releasesText)

func parseReleases(text []byte) ([]release, error) {
	var out []release
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		var r release
		if len(f) != 1+len(families) {
			return nil, fmt.Errorf("releases.txt:%d: want a release and %d interface versions", n, len(families))
		}
		if _, err := fmt.Sscanf(f[0], "%d.%d", &r.major, &r.minor); err != nil || fmt.Sprintf("%d.%d", r.major, r.minor) != f[0] {
			return nil, fmt.Errorf("releases.txt:%d: release %q is not MAJOR.MINOR", n, f[0])
		}
		for k := range families {
			v, err := strconv.ParseUint(f[1+k], 0, 32)
			if err != nil {
				return nil, fmt.Errorf("releases.txt:%d: %v", n, err)
			}
			r.version[k] = uint32(v)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func mustReleases(text []byte) []release {
	r, err := parseReleases(text)
	if err != nil {
		panic(err) // the embedded table is part of the source
	}
	return r
}

// row returns the table's row of a release ("4.20").
func row(rel string) (release, bool) {
	for _, r := range releases {
		if fmt.Sprintf("%d.%d", r.major, r.minor) == rel {
			return r, true
		}
	}
	return release{}, false
}
