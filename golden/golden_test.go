package golden

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

var (
	update     = flag.Bool("update", false, "rewrite the golden files with gcc, checked against clang")
	headersDir = flag.String("headers", "", "Xen public header tree (default: $XENBIND_HEADERS, then ../headers/xen-4.17/usr/include/xen, then /tmp/xen/x/usr/include/xen)")
)

// headerTree returns the Xen public header tree the goldens are built
// from: the -headers flag, $XENBIND_HEADERS, the pinned tree of package
// headers, or a tree unpacked in /tmp. It is the one place that looks for
// the tree, to be replaced by headers.Tree().
func headerTree(t testing.TB) string {
	t.Helper()
	for _, explicit := range []string{*headersDir, os.Getenv("XENBIND_HEADERS")} {
		if explicit != "" {
			if _, err := os.Stat(filepath.Join(explicit, "xen.h")); err != nil {
				t.Fatalf("header tree %s: %v", explicit, err)
			}
			return explicit
		}
	}
	for _, dir := range []string{"../headers/xen-4.17/usr/include/xen", "/tmp/xen/x/usr/include/xen"} {
		if _, err := os.Stat(filepath.Join(dir, "xen.h")); err == nil {
			return dir
		}
	}
	t.Skip("no Xen header tree: fetch it with package headers, or pass -headers DIR or set XENBIND_HEADERS")
	return ""
}

// compiler returns the compiler of family f for target tg, skipping the
// test when it is not installed.
func compiler(t *testing.T, f Family, tg parser.Target) *Compiler {
	t.Helper()
	c, err := FindCompiler(f, tg)
	var missing *MissingError
	if errors.As(err, &missing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goldenCase is one golden file.
type goldenCase struct {
	set    string
	target parser.Target
	mode   parser.Mode
}

func (gc goldenCase) String() string {
	return fmt.Sprintf("%s/%s-%s", gc.set, gc.target, gc.mode)
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, s := range Sets {
		for _, tg := range parser.Targets {
			for _, m := range parser.Modes {
				cs = append(cs, goldenCase{s, tg, m})
			}
		}
	}
	return cs
}

// TestGoldens recompiles every golden file's headers with every installed
// compiler and compares; with -update it rewrites the files from gcc and
// checks them against clang.
func TestGoldens(t *testing.T) {
	tree := headerTree(t)
	for _, gc := range goldenCases() {
		t.Run(gc.String(), func(t *testing.T) {
			t.Parallel()
			if *update {
				updateGolden(t, tree, gc)
				return
			}
			want, err := LoadFile(gc.set, gc.target, gc.mode)
			if err != nil {
				t.Fatal(err)
			}
			for _, fam := range Families {
				t.Run(string(fam), func(t *testing.T) {
					t.Parallel()
					c := compiler(t, fam, gc.target)
					got, err := Compile(t.Context(), c, tree, gc.mode, want.Headers)
					if err != nil {
						t.Fatal(err)
					}
					reportDiffs(t, fmt.Sprintf("%s against %s", c, Path(gc.set, gc.target, gc.mode)), Compare(want.Records, got))
				})
			}
		})
	}
}

// updateGolden rewrites one golden file from gcc and checks clang agrees.
func updateGolden(t *testing.T, tree string, gc goldenCase) {
	t.Helper()
	ctx := t.Context()
	gcc, err := FindCompiler(GCC, gc.target)
	if err != nil {
		t.Fatalf("cannot update the goldens: %v", err)
	}
	f := &File{Set: gc.set, Target: gc.target, Mode: gc.mode, Headers: ThreeHeaders}
	if gc.set == SetAll {
		hs, err := Discover(ctx, gcc, tree, gc.mode)
		if err != nil {
			t.Fatal(err)
		}
		f.Headers, f.Excluded = hs.Headers, hs.Excluded
	}
	recs, err := Compile(ctx, gcc, tree, gc.mode, f.Headers)
	if err != nil {
		t.Fatal(err)
	}
	f.Records = recs
	f.Compilers = []string{fmt.Sprintf("gcc %s (wrote it)", gcc.Version)}

	if clang, err := FindCompiler(Clang, gc.target); err != nil {
		t.Logf("not checked against clang: %v", err)
	} else {
		agree := checkClang(ctx, t, clang, tree, f)
		verdict := "agrees"
		if !agree {
			verdict = "DISAGREES: see the test output"
		}
		f.Compilers = append(f.Compilers, fmt.Sprintf("clang %s (%s)", clang.Version, verdict))
	}
	p := Path(gc.set, gc.target, gc.mode)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, f.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkClang reports whether clang finds the same header set and layouts
// as the file; every difference is a test error.
func checkClang(ctx context.Context, t *testing.T, clang *Compiler, tree string, f *File) bool {
	t.Helper()
	agree := true
	if f.Set == SetAll {
		hs, err := Discover(ctx, clang, tree, f.Mode)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hs.Headers, f.Headers) {
			t.Errorf("%s finds headers %v, gcc %v", clang, hs.Headers, f.Headers)
			agree = false
		}
	}
	recs, err := Compile(ctx, clang, tree, f.Mode, f.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if diffs := Compare(f.Records, recs); diffs != nil {
		reportDiffs(t, fmt.Sprintf("%s against gcc", clang), diffs)
		agree = false
	}
	return agree
}

// reportDiffs fails the test with the differences, at most 50 of them.
func reportDiffs(t *testing.T, what string, diffs []string) {
	t.Helper()
	if len(diffs) == 0 {
		return
	}
	const max = 50
	more := ""
	if len(diffs) > max {
		more = fmt.Sprintf("\n... and %d more", len(diffs)-max)
		diffs = diffs[:max]
	}
	t.Errorf("%s: %d differences:\n%s%s", what, len(diffs), strings.Join(diffs, "\n"), more)
}

// TestFacts checks known facts about Xen's ABI in the golden files.
func TestFacts(t *testing.T) {
	size := func(n int64) func(layout.Record) error {
		return func(r layout.Record) error {
			if r.Size != n {
				return fmt.Errorf("size %d, want %d", r.Size, n)
			}
			return nil
		}
	}
	sizeAlign := func(n, a int64) func(layout.Record) error {
		return func(r layout.Record) error {
			if r.Size != n || r.Align != a {
				return fmt.Errorf("size %d align %d, want %d and %d", r.Size, r.Align, n, a)
			}
			return nil
		}
	}
	fieldAt := func(name string, off, sz int64) func(layout.Record) error {
		return func(r layout.Record) error {
			for _, f := range r.Fields {
				if f.Name == name {
					if f.Offset != off || f.Size != sz {
						return fmt.Errorf("field %s at %d size %d, want %d size %d", name, f.Offset, f.Size, off, sz)
					}
					return nil
				}
			}
			return fmt.Errorf("no field %s", name)
		}
	}
	tests := []struct {
		set    string
		target parser.Target
		modes  []parser.Mode
		record string
		check  func(layout.Record) error
	}{
		{SetThree, parser.X86_32, parser.Modes, "struct shared_info", size(2344)},
		{SetThree, parser.X86_64, parser.Modes, "struct shared_info", size(3136)},
		{SetThree, parser.ARM32, parser.Modes, "struct shared_info", size(1088)},
		{SetThree, parser.ARM64, parser.Modes, "struct shared_info", size(1088)},
		// A guest handle in a struct (XEN_GUEST_HANDLE) is a pointer on x86
		// and __guest_handle_64_*, a union with a uint64_aligned_t, on arm;
		// arm's __guest_handle_* is the hypercall-argument form.
		{SetThree, parser.X86_32, parser.Modes, "typedef __guest_handle_xen_pfn_t", sizeAlign(4, 4)},
		{SetThree, parser.X86_64, parser.Modes, "typedef __guest_handle_xen_pfn_t", sizeAlign(8, 8)},
		{SetThree, parser.ARM32, parser.Modes, "typedef __guest_handle_64_xen_pfn_t", sizeAlign(8, 8)},
		{SetThree, parser.ARM32, parser.Modes, "typedef __guest_handle_xen_pfn_t", sizeAlign(4, 4)},
		{SetThree, parser.ARM64, parser.Modes, "typedef __guest_handle_64_xen_pfn_t", sizeAlign(8, 8)},
		// uint64_aligned_t is 8-aligned on x86_32 in tools mode: u would be
		// at 4 and the record 4-aligned otherwise.
		{SetThree, parser.X86_32, []parser.Mode{parser.Tools}, "struct xen_mem_sharing_op", sizeAlign(48, 8)},
		{SetThree, parser.X86_32, []parser.Mode{parser.Tools}, "struct xen_mem_sharing_op", fieldAt("u", 8, 40)},
		{SetAll, parser.X86_32, []parser.Mode{parser.Tools}, "struct xen_domctl_getdomaininfo", sizeAlign(112, 8)},
		{SetAll, parser.X86_32, []parser.Mode{parser.Guest}, "struct buf_ioreq", size(8)},
		{SetAll, parser.X86_64, parser.Modes, "struct buf_ioreq", size(8)},
		{SetAll, parser.ARM32, parser.Modes, "struct buf_ioreq", size(8)},
		{SetAll, parser.ARM64, parser.Modes, "struct buf_ioreq", size(8)},
	}
	for _, tt := range tests {
		for _, m := range tt.modes {
			t.Run(fmt.Sprintf("%s/%s-%s/%s", tt.set, tt.target, m, tt.record), func(t *testing.T) {
				_, recs, err := Load(tt.set, tt.target, m)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(recs, func(r layout.Record) bool { return r.Name == tt.record })
				if i < 0 {
					t.Fatalf("no record %s", tt.record)
				}
				if err := tt.check(recs[i]); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestPfnSize checks every xen_pfn_t and xen_ulong_t member: 4 bytes on
// x86_32, 8 elsewhere.
func TestPfnSize(t *testing.T) {
	for _, gc := range goldenCases() {
		t.Run(gc.String(), func(t *testing.T) {
			_, recs, err := Load(gc.set, gc.target, gc.mode)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(8)
			if gc.target == parser.X86_32 {
				want = 4
			}
			n := 0
			for _, r := range recs {
				for _, f := range r.Fields {
					if (f.Type == "xen_pfn_t" || f.Type == "xen_ulong_t") && f.BitSize == nil {
						n++
						if f.Size != want {
							t.Errorf("%s.%s (%s): size %d, want %d", r.Name, f.Name, f.Type, f.Size, want)
						}
					}
				}
			}
			if n == 0 {
				t.Error("no xen_pfn_t or xen_ulong_t member")
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
