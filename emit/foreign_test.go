package emit

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/golden"
	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// foreignIncludes are the headers of the committed packages (generated/).
var foreignIncludes = []string{"xen.h", "memory.h", "grant_table.h", "version.h"}

// foreignLayouts returns the tools-mode layouts of the pinned Xen headers
// or of the layout fixture (bit-fields, unions, flexible arrays, packing),
// one per target.
func foreignLayouts(t *testing.T, fixture bool) []*layout.Layout {
	t.Helper()
	cfg := parser.Config{TreeName: "xen", Mode: parser.Tools, Includes: foreignIncludes}
	if fixture {
		cfg = parser.Config{Tree: os.DirFS(filepath.Join(headers.Fixtures(), "layout")), TreeName: "fixture", Mode: parser.Tools}
	} else {
		dir, err := headers.Tree()
		if err != nil {
			t.Skipf("no Xen headers: %v", err)
		}
		cfg.Tree = os.DirFS(dir)
	}
	ls, err := layout.ForTargets(cfg, parser.Targets)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func foreignFor(t *testing.T, l *layout.Layout, pkg string) (*foreign, []File) {
	t.Helper()
	f, err := newForeign(l, Options{Package: pkg, Invocation: "xenbind gen -foreign"})
	if err != nil {
		t.Fatalf("%s: %v", l.ABI.Target, err)
	}
	files, _, err := renderAll(f.render())
	if err != nil {
		t.Fatalf("%s: %v", l.ABI.Target, err)
	}
	return f, files
}

// TestForeignDeterministic: the same input gives the same, gofmt-clean
// bytes.
func TestForeignDeterministic(t *testing.T) {
	for _, l := range foreignLayouts(t, false) {
		a, _, err := Foreign(l, Options{Invocation: "x"})
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := Foreign(l, Options{Invocation: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d files, then %d", l.ABI.Target, len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two runs", l.ABI.Target, a[i].Name)
			}
			if src, err := format.Source(a[i].Data); err != nil || !bytes.Equal(src, a[i].Data) {
				t.Errorf("%s: %s is not gofmt-clean (%v)", l.ABI.Target, a[i].Name, err)
			}
		}
	}
}

// TestForeignTypes checks the Go representation of a few members that
// differ by target.
func TestForeignTypes(t *testing.T) {
	want := map[parser.Target]map[string]string{
		// member -> Go type
		parser.X86_32: {"struct start_info.nr_pages": "uint32", "struct start_info.shared_info": "uint32",
			"struct xen_memory_reservation.extent_start": "Handle[PFN]", "struct shared_info.evtchn_pending": "[32]Ulong"},
		parser.X86_64: {"struct start_info.nr_pages": "uint64", "struct xen_memory_reservation.extent_start": "Handle[PFN]",
			"struct shared_info.evtchn_pending": "[64]Ulong"},
		// ARM's XEN_GUEST_HANDLE is its __guest_handle_64_ family, still
		// a Handle; x86_32's XEN_GUEST_HANDLE_64 is a Handle64.
		parser.ARM32: {"struct xen_memory_reservation.extent_start": "Handle[PFN]", "struct shared_info.evtchn_pending": "[64]Ulong"},
		parser.ARM64: {"struct xen_memory_reservation.extent_start": "Handle[PFN]"},
	}
	want[parser.X86_32]["struct xenctl_bitmap.bitmap"] = "Handle64[uint8]"
	for _, tg := range []parser.Target{parser.X86_64, parser.ARM32, parser.ARM64} {
		want[tg]["struct xenctl_bitmap.bitmap"] = "Handle[uint8]"
	}
	// Tools mode: Handle and Handle64 (an alias of Handle where C's
	// XEN_GUEST_HANDLE_64 is XEN_GUEST_HANDLE), each with C's size.
	handles := map[parser.Target]string{parser.X86_32: "Handle 4, Handle64 8", parser.X86_64: "Handle 8, Handle64 = Handle",
		parser.ARM32: "Handle 8, Handle64 = Handle", parser.ARM64: "Handle 8, Handle64 = Handle"}
	for _, l := range foreignLayouts(t, false) {
		f, _ := foreignFor(t, l, string(l.ABI.Target))
		got := map[string]string{}
		for _, d := range f.decls {
			if d.rec == nil {
				continue
			}
			for _, fm := range d.rec.members {
				got[d.rec.r.Name+"."+fm.label] = fm.shape.gotype
			}
			if r := d.rec; r.r.Name == "struct shared_info" && r.sizeof != "SizeofSharedInfo" {
				t.Errorf("%s: size constant %s", l.ABI.Target, r.sizeof)
			}
		}
		for m, typ := range want[l.ABI.Target] {
			if got[m] != typ {
				t.Errorf("%s: %s is %q, want %q", l.ABI.Target, m, got[m], typ)
			}
		}
		if got := f.handles.String(); got != handles[l.ABI.Target] {
			t.Errorf("%s: handles are %q, want %q", l.ABI.Target, got, handles[l.ABI.Target])
		}
	}
}

// TestForeignMembersKept: every C member of every record is a field, an
// accessor or a flexible array helper; none is dropped.
func TestForeignMembersKept(t *testing.T) {
	for _, fixture := range []bool{false, true} {
		for _, l := range foreignLayouts(t, fixture) {
			f, _ := foreignFor(t, l, "p")
			for _, d := range f.decls {
				if d.rec == nil {
					continue
				}
				have := map[string]bool{}
				for _, fm := range append(append([]*fmember{}, d.rec.members...), d.rec.flex...) {
					have[fm.label] = true
				}
				for _, lr := range exportOf(l, d.rec.r.Name).Fields {
					if !have[lr.Name] && !(lr.Size == 0 && strings.HasSuffix(lr.Type, "[0]")) {
						t.Errorf("%s: %s: member %s is missing", l.ABI.Target, d.rec.r.Name, lr.Name)
					}
				}
			}
		}
	}
}

// compilerLayouts returns what gcc (checked against clang) says about the
// records of a target: golden/layouts/all for the Xen headers, the
// layout fixture's testdata for the fixture.
func compilerLayouts(t *testing.T, target parser.Target, fixture bool) map[string]layout.Record {
	t.Helper()
	var recs []layout.Record
	if fixture {
		p := filepath.Join("..", "layout", "testdata", "fixture-"+string(target)+".txt")
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		g, err := golden.Parse(p, fh)
		if err != nil {
			t.Fatal(err)
		}
		recs = g.Records
	} else {
		var err error
		if _, recs, err = golden.Load("all", target, parser.Tools); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]layout.Record{}
	for _, r := range recs {
		out[r.Name] = r
	}
	return out
}

func exportOf(l *layout.Layout, name string) layout.Record {
	for _, r := range l.Records() {
		if r.Name == name {
			return r
		}
	}
	return layout.Record{}
}

// foreignTable writes table_test.go of a generated foreign package: each
// record with its members' offsets as the compilers give them (cc), or,
// for a record they do not list, as layout.Records exports them, keyed by
// the Go names the emitter chose. It returns how many records have the
// compilers' numbers.
func foreignTable(t *testing.T, f *foreign, pkg string, cc map[string]layout.Record) ([]byte, int) {
	t.Helper()
	fromCC := 0
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\nimport \"reflect\"\n\nvar records = []record{\n", pkg)
	recName := map[string]bool{}
	for _, d := range f.decls {
		fr := d.rec
		if fr == nil {
			continue
		}
		recName[fr.name] = true
		lr, ok := cc[fr.r.Name]
		if ok {
			fromCC++
		} else if lr = exportOf(f.lay, fr.r.Name); lr.Name == "" {
			t.Fatalf("%s: no layout of %s", f.abi.Target, fr.r.Name)
		}
		fields := map[string]layout.Field{}
		for _, lf := range lr.Fields {
			fields[lf.Name] = lf
		}
		fmt.Fprintf(&b, "\t{C: %q, Go: %q, Union: %t, Size: %d, Sizeof: %s, New: func() any { return new(%s) },\n\t\tFields: []field{\n",
			fr.r.Name, fr.name, fr.r.Kind == parser.Union, lr.Size, fr.sizeof, fr.name)
		for _, fm := range fr.members {
			lf, ok := fields[fm.label]
			if !ok {
				t.Fatalf("%s: %s: no layout of member %s", f.abi.Target, fr.r.Name, fm.label)
			}
			goName := fm.name
			if goName == "" {
				goName = fm.shape.gotype
			}
			bitOff, bits := int64(0), int64(-1)
			if lf.BitSize != nil {
				bitOff, bits = *lf.BitOffset, *lf.BitSize
			}
			fmt.Fprintf(&b, "\t\t\t{C: %q, Go: %q, Off: %d, Size: %d, BitOff: %d, Bits: %d},\n", lf.Name, goName, lf.Offset, lf.Size, bitOff, bits)
		}
		fmt.Fprintf(&b, "\t\t},\n\t\tFlex: []flex{\n")
		for _, fm := range fr.flex {
			es, err := f.lay.SizeOf(fm.m.Type.Elem)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "\t\t\t{Go: %q, Off: %d, Elem: %d},\n", fm.name, fields[fm.label].Offset, es)
		}
		fmt.Fprintf(&b, "\t\t},\n\t},\n")
	}
	fmt.Fprintf(&b, "}\n\n// typedefs are types defined over records, which lack the records' methods.\nvar typedefs = map[reflect.Type]reflect.Type{\n")
	for _, d := range f.decls {
		if it := d.it; it != nil && it.typ != nil && !it.typ.alias && recName[it.typ.under] {
			fmt.Fprintf(&b, "\treflect.TypeFor[%s](): reflect.TypeFor[%s](),\n", it.typ.name, it.typ.under)
		}
	}
	fmt.Fprintf(&b, "}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("table: %v\n%s", err, b.Bytes())
	}
	return src, fromCC
}

// hostTable writes hosttable_test.go: the host package's type of each
// record.
func hostTable(f *foreign, pkg, hostImport string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "//go:build amd64\n\npackage %s\n\nimport xen %q\n\nvar hostTypes = map[string]func() any{\n", pkg, hostImport)
	for _, d := range f.decls {
		if d.rec != nil {
			fmt.Fprintf(&b, "\t%q: func() any { return new(xen.%s) },\n", d.rec.name, d.rec.name)
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// foreignModule is a throwaway module holding generated packages and
// their tests.
type foreignModule struct {
	t    *testing.T
	dir  string
	pkgs []string // directories of the foreign packages
}

func newForeignModule(t *testing.T) *foreignModule {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	m := &foreignModule{t: t, dir: t.TempDir()}
	if d := os.Getenv("XENBIND_FOREIGN_MODULE"); d != "" {
		m.dir = d // kept for fuzzing (see FuzzUnmarshal in the harness)
	}
	// The host package's hypercall wrappers import this module's runtime.
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	m.write("go.mod", fmt.Appendf(nil, "module xfcheck\n\ngo 1.24\n\nrequire github.com/xenbind/xenbind v0.0.0\n\nreplace github.com/xenbind/xenbind => %s\n", root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	m.write("go.sum", sum)
	return m
}

func (m *foreignModule) write(name string, data []byte) {
	m.t.Helper()
	p := filepath.Join(m.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *foreignModule) template(name string, pkg string) []byte {
	m.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "foreign", name))
	if err != nil {
		m.t.Fatal(err)
	}
	return bytes.Replace(b, []byte("package PKG"), []byte("package "+pkg), 1)
}

// addForeign generates the foreign package of l into dir, with the
// harness, and returns the builder and the files.
func (m *foreignModule) addForeign(l *layout.Layout, dir string, fixture bool) (*foreign, []File) {
	m.t.Helper()
	f, files := foreignFor(m.t, l, dir)
	for _, file := range files {
		m.write(filepath.Join(dir, file.Name), file.Data)
	}
	table, n := foreignTable(m.t, f, dir, compilerLayouts(m.t, l.ABI.Target, fixture))
	m.t.Logf("%s: %d of %d records checked against the compilers' offsets, the rest against the layout engine's", dir, n, len(f.recs))
	m.write(filepath.Join(dir, "table_test.go"), table)
	m.write(filepath.Join(dir, "harness_test.go"), m.template("harness_test.go.txt", dir))
	m.pkgs = append(m.pkgs, "./"+dir)
	return f, files
}

func (m *foreignModule) goCmd(goarch string, args ...string) ([]byte, error) {
	m.t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = m.dir
	cmd.Env = append(os.Environ(), "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	return cmd.CombinedOutput()
}

// foreignExec is the -exec of go test for goarch on this machine: "" to
// run natively, "-" when it cannot run here.
func foreignExec(goarch string) string {
	switch {
	case goarch == runtime.GOARCH, runtime.GOARCH == "amd64" && goarch == "386":
		return ""
	}
	q := map[string]string{"arm": "qemu-arm", "arm64": "qemu-aarch64"}[goarch]
	if q == "" {
		return "-"
	}
	if _, err := exec.LookPath(q); err != nil {
		return "-"
	}
	return q
}

// TestForeignPackages generates the four foreign packages of the Xen
// headers and of the layout fixture, with tests that check every member of
// every record against the layout (offset, size, bits), round trips, union
// accessors, flexible arrays and short input; on amd64 it also checks the
// x86_64 package against the host package's memory. It vets the packages
// for the four GOARCH and runs the tests on each one this machine can run
// (natively, or under qemu-user).
func TestForeignPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated packages")
	}
	m := newForeignModule(t)
	for _, l := range foreignLayouts(t, false) {
		dir := string(l.ABI.Target)
		f, _ := m.addForeign(l, dir, false)
		if l.ABI.Target != parser.X86_64 {
			continue
		}
		files, _, err := Host([]*layout.Layout{l}, Options{Package: "xen", Invocation: "xenbind gen"})
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			m.write(filepath.Join("hostx86_64", file.Name), file.Data)
		}
		m.write(filepath.Join(dir, "hosttable_test.go"), hostTable(f, dir, "xfcheck/hostx86_64"))
		m.write(filepath.Join(dir, "crosscheck_test.go"), m.template("crosscheck_test.go.txt", dir))
	}
	for _, l := range foreignLayouts(t, true) {
		m.addForeign(l, "fx_"+string(l.ABI.Target), true)
	}
	for _, goarch := range []string{"386", "amd64", "arm", "arm64"} {
		if out, err := m.goCmd(goarch, append([]string{"vet"}, m.pkgs...)...); err != nil {
			t.Errorf("GOARCH=%s go vet: %v\n%s", goarch, err, out)
		}
	}
	for _, goarch := range []string{"amd64", "386", "arm", "arm64"} {
		x := foreignExec(goarch)
		if x == "-" {
			t.Logf("GOARCH=%s: cannot run here", goarch)
			continue
		}
		args := []string{"test", "-count=1", "-v"}
		if x != "" {
			args = append(args, "-exec", x)
		}
		out, err := m.goCmd(goarch, append(args, m.pkgs...)...)
		if err != nil {
			t.Errorf("GOARCH=%s go test: %v\n%s", goarch, err, out)
			continue
		}
		if goarch == "amd64" && runtime.GOARCH == "amd64" && !bytes.Contains(out, []byte("records agree with the host package")) {
			t.Errorf("GOARCH=%s: the host cross-check did not run:\n%s", goarch, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "agree with the host") || strings.Contains(line, "checked at their C offsets") || strings.HasPrefix(line, "ok") {
				t.Logf("GOARCH=%s: %s", goarch, strings.TrimSpace(line))
			}
		}
	}
}

// TestForeignHarnessFails shows the harness catching wrong encoders: one
// member's offset and one bit-field's position moved in the fixture's
// x86_64 package make its tests fail, naming those members.
func TestForeignHarnessFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated packages")
	}
	var l *layout.Layout
	for _, fl := range foreignLayouts(t, true) {
		if fl.ABI.Target == parser.X86_64 {
			l = fl
		}
	}
	m := newForeignModule(t)
	_, files := m.addForeign(l, "fx", true)
	sabotage := []struct{ old, new, member string }{
		{"binary.LittleEndian.PutUint64(b[40:], uint64(x.L))", "binary.LittleEndian.PutUint64(b[48:], uint64(x.L))", "struct scalars.l"},
		{"xfPutBits(b, 11, 20, uint64(x.C))", "xfPutBits(b, 12, 20, uint64(x.C))", "struct bits.c"},
	}
	for _, file := range files {
		if file.Name != "ztypes.go" {
			continue
		}
		src := string(file.Data)
		for _, s := range sabotage {
			if strings.Count(src, s.old) != 1 {
				t.Fatalf("ztypes.go: %q is not there once to break", s.old)
			}
			src = strings.Replace(src, s.old, s.new, 1)
		}
		m.write(filepath.Join("fx", file.Name), []byte(src))
	}
	out, err := m.goCmd(runtime.GOARCH, "test", "-count=1", "-run", "TestOffsets", "./fx")
	if err == nil {
		t.Fatalf("the harness passed wrong encoders:\n%s", out)
	}
	for _, s := range sabotage {
		if !bytes.Contains(out, []byte(s.member+" (offset")) {
			t.Errorf("the harness did not name %s:\n%s", s.member, out)
		}
	}
}
