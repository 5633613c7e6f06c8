package golden

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// The header sets that have goldens.
const (
	// SetThree is xen.h, memory.h and grant_table.h in one translation unit.
	SetThree = "three"
	// SetAll is every public header that compiles on its own after xen.h.
	SetAll = "all"
)

// Sets lists the header sets in canonical order.
var Sets = []string{SetThree, SetAll}

// ThreeHeaders are the headers of SetThree, in include order.
var ThreeHeaders = []string{"xen.h", "memory.h", "grant_table.h"}

// firstHeader must come first in every translation unit: the others rely
// on what it defines.
const firstHeader = "xen.h"

// prelude is what every translation unit includes before the Xen headers:
// they use the fixed-width integer types without including anything.
const prelude = "#include <stdint.h>\n#include <stddef.h>\n"

var latestVersion = regexp.MustCompile(`(?m)^#define\s+__XEN_LATEST_INTERFACE_VERSION__\s+(\S+)`)

// ModeDefines returns the preprocessor flags of mode m for the header tree:
// guest mode sets __XEN_INTERFACE_VERSION__ to the tree's
// __XEN_LATEST_INTERFACE_VERSION__ (from xen-compat.h), tools mode defines
// __XEN_TOOLS__.
func ModeDefines(tree string, m parser.Mode) ([]string, error) {
	switch m {
	case parser.Tools:
		return []string{"-D__XEN_TOOLS__"}, nil
	case parser.Guest:
		text, err := os.ReadFile(filepath.Join(tree, "xen-compat.h"))
		if err != nil {
			return nil, fmt.Errorf("interface version: %w", err)
		}
		sub := latestVersion.FindSubmatch(text)
		if sub == nil {
			return nil, fmt.Errorf("interface version: no __XEN_LATEST_INTERFACE_VERSION__ in %s", filepath.Join(tree, "xen-compat.h"))
		}
		return []string{"-D__XEN_INTERFACE_VERSION__=" + string(sub[1])}, nil
	}
	return nil, fmt.Errorf("unknown mode %q", m)
}

// translationUnit returns the C text that includes headers in order.
func translationUnit(headers []string) (string, error) {
	var b strings.Builder
	b.WriteString("/* xenbind golden translation unit */\n")
	b.WriteString(prelude)
	for _, h := range headers {
		if err := checkHeaderName(h); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "#include \"%s\"\n", h)
	}
	return b.String(), nil
}

// checkHeaderName accepts a slash-separated path inside the tree.
func checkHeaderName(h string) error {
	if h == "" || path.IsAbs(h) || path.Clean(h) != h || h == ".." || strings.HasPrefix(h, "../") ||
		strings.ContainsAny(h, "\"\\\n") {
		return fmt.Errorf("bad header name %q: want a clean path relative to the tree", h)
	}
	return nil
}

// errTU marks a translation unit the compiler rejected (as opposed to a
// failure of this package's own check program).
var errTU = errors.New("translation unit does not compile")

// Compile compiles headers (paths relative to tree, included in this order
// after stdint.h and stddef.h) with c in mode m, and returns every complete
// struct and union declared under tree, sorted by name, as the compiler
// lays it out. Sizes and offsets come from the object's DWARF and are
// checked against the compiler's own sizeof and offsetof; alignments come
// from _Alignof and are 0 (unknown) for records held by an unnamed member,
// which C cannot name.
//
// When the headers do not compile together, each header after the first
// is compiled on its own after the first and the records are merged by
// name; a record that comes out differently in two translation units is
// an error.
func Compile(ctx context.Context, c *Compiler, tree string, m parser.Mode, headers []string) ([]layout.Record, error) {
	tree, err := filepath.Abs(tree)
	if err != nil {
		return nil, fmt.Errorf("header tree: %w", err)
	}
	defs, err := ModeDefines(tree, m)
	if err != nil {
		return nil, err
	}
	recs, err := c.layouts(ctx, tree, headers, defs)
	if err == nil || !errors.Is(err, errTU) || len(headers) <= 2 {
		return recs, err
	}
	return c.layoutsApart(ctx, tree, headers, defs)
}

// layoutsApart compiles headers[0] with each other header in turn and
// merges the records.
func (c *Compiler) layoutsApart(ctx context.Context, tree string, headers, defs []string) ([]layout.Record, error) {
	results := make([][]layout.Record, len(headers)-1)
	errs := make([]error, len(headers)-1)
	var wg sync.WaitGroup
	for i, h := range headers[1:] {
		wg.Go(func() {
			results[i], errs[i] = c.layouts(ctx, tree, []string{headers[0], h}, defs)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s: %w", h, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return mergeRecords(headers[1:], results)
}

// mergeRecords merges the records of several translation units by name.
func mergeRecords(units []string, results [][]layout.Record) ([]layout.Record, error) {
	byName := map[string]layout.Record{}
	from := map[string]string{}
	var errs []error
	for i, recs := range results {
		for _, r := range recs {
			prev, ok := byName[r.Name]
			if !ok {
				byName[r.Name] = r
				from[r.Name] = units[i]
				continue
			}
			for _, d := range Compare([]layout.Record{prev}, []layout.Record{r}) {
				errs = append(errs, fmt.Errorf("%s differs in the units of %s and %s: %s", r.Name, from[r.Name], units[i], d))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]layout.Record, 0, len(byName))
	for _, r := range byName {
		out = append(out, r)
	}
	sortRecords(out)
	return out, nil
}

func sortRecords(recs []layout.Record) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
}

// layouts compiles one translation unit twice: once with debug
// information to read the records from DWARF, and once with an array of
// sizeof, _Alignof and offsetof values to check them and learn alignments.
func (c *Compiler) layouts(ctx context.Context, tree string, headers, defs []string) ([]layout.Record, error) {
	tu, err := translationUnit(headers)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "xenbind-golden-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	infos, err := c.debugRecords(ctx, dir, tree, tu, defs)
	if err != nil {
		return nil, err
	}
	// A round that fails on bit-fields hidden from DWARF marks them and
	// tries again (a compiler may stop after a number of errors).
	for {
		cp := newCheckProgram(tu, infos)
		err := c.runCheck(ctx, dir, tree, cp, defs)
		if err == nil {
			if err := applyCheck(filepath.Join(dir, "check.o"), cp); err != nil {
				return nil, fmt.Errorf("%s disagrees with its own DWARF: %w", c, err)
			}
			break
		}
		var ce *CompileError
		if !errors.As(err, &ce) {
			return nil, err
		}
		hidden := cp.hiddenBitFields(ce.Stderr)
		if hidden == nil {
			return nil, err
		}
		for _, i := range hidden {
			p := cp.values[i]
			size := p.rec.rec.Fields[p.field].Size * 8
			p.rec.rec.Fields[p.field].BitSize = &size // position from the bit-field probe
		}
	}
	recs := make([]layout.Record, len(infos))
	for i, ri := range infos {
		recs[i] = ri.rec
	}
	sortRecords(recs)
	for i := 1; i < len(recs); i++ {
		if recs[i].Name == recs[i-1].Name {
			return nil, fmt.Errorf("record %s appears twice", recs[i].Name)
		}
	}
	return recs, nil
}

// runCheck writes and compiles the check program.
func (c *Compiler) runCheck(ctx context.Context, dir, tree string, cp *checkProgram, defs []string) error {
	if err := os.WriteFile(filepath.Join(dir, "check.c"), []byte(cp.source), 0o644); err != nil {
		return fmt.Errorf("write check program: %w", err)
	}
	args := append([]string{"-O0", "-c", "-I" + tree}, defs...)
	if err := c.run(ctx, dir, append(args, "-o", "check.o", "check.c")...); err != nil {
		return fmt.Errorf("check program: %w", err)
	}
	return nil
}

// applyCheck reads the check program's object.
func applyCheck(obj string, cp *checkProgram) error {
	f, err := elf.Open(obj)
	if err != nil {
		return fmt.Errorf("check program: %w", err)
	}
	defer f.Close()
	return cp.apply(f)
}

// debugRecords compiles tu with debug information in dir and reads its
// records.
func (c *Compiler) debugRecords(ctx context.Context, dir, tree, tu string, defs []string) ([]*recordInfo, error) {
	if err := os.WriteFile(filepath.Join(dir, "tu.c"), []byte(tu), 0o644); err != nil {
		return nil, fmt.Errorf("write translation unit: %w", err)
	}
	args := append([]string{"-g", "-fno-eliminate-unused-debug-types", "-O0", "-c", "-I" + tree}, defs...)
	if err := c.run(ctx, dir, append(args, "-o", "tu.o", "tu.c")...); err != nil {
		return nil, fmt.Errorf("%w: %w", errTU, err)
	}
	f, err := elf.Open(filepath.Join(dir, "tu.o"))
	if err != nil {
		return nil, fmt.Errorf("object: %w", err)
	}
	defer f.Close()
	di, err := readDebugInfo(f)
	if err != nil {
		return nil, err
	}
	return di.records(tree)
}

// HeaderSet is the outcome of Discover.
type HeaderSet struct {
	// Headers is xen.h followed by every other header that compiles after
	// it, sorted.
	Headers []string
	// Excluded lists the headers that do not, with the reason.
	Excluded []Exclusion
}

// Exclusion is a header left out of a set.
type Exclusion struct {
	Header string
	Reason string // the compiler's first error, paths relative to the tree
}

// Discover finds the headers of SetAll for c and m: every .h file under
// tree that compiles after xen.h on its own.
func Discover(ctx context.Context, c *Compiler, tree string, m parser.Mode) (HeaderSet, error) {
	tree, err := filepath.Abs(tree)
	if err != nil {
		return HeaderSet{}, fmt.Errorf("header tree: %w", err)
	}
	defs, err := ModeDefines(tree, m)
	if err != nil {
		return HeaderSet{}, err
	}
	all, err := listHeaders(tree)
	if err != nil {
		return HeaderSet{}, err
	}
	if !slices.Contains(all, firstHeader) {
		return HeaderSet{}, fmt.Errorf("header tree %s has no %s", tree, firstHeader)
	}
	dir, err := os.MkdirTemp("", "xenbind-discover-")
	if err != nil {
		return HeaderSet{}, fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	reasons := make([]string, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, h := range all {
		if h == firstHeader {
			continue
		}
		wg.Go(func() {
			reasons[i], errs[i] = c.tryHeader(ctx, dir, tree, i, h, defs)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return HeaderSet{}, err
	}
	set := HeaderSet{Headers: []string{firstHeader}}
	for i, h := range all {
		switch {
		case h == firstHeader:
		case reasons[i] == "":
			set.Headers = append(set.Headers, h)
		default:
			set.Excluded = append(set.Excluded, Exclusion{h, reasons[i]})
		}
	}
	return set, nil
}

// tryHeader checks that h compiles after xen.h; it returns "" if so and
// the compiler's first error otherwise.
func (c *Compiler) tryHeader(ctx context.Context, dir, tree string, i int, h string, defs []string) (string, error) {
	tu, err := translationUnit([]string{firstHeader, h})
	if err != nil {
		return "", err
	}
	src := fmt.Sprintf("try%d.c", i)
	if err := os.WriteFile(filepath.Join(dir, src), []byte(tu), 0o644); err != nil {
		return "", fmt.Errorf("write translation unit: %w", err)
	}
	args := append([]string{"-fsyntax-only", "-I" + tree}, defs...)
	err = c.run(ctx, dir, append(args, src)...)
	var ce *CompileError
	if errors.As(err, &ce) {
		return firstError(ce.Stderr, tree), nil
	}
	return "", err
}

// firstError returns the first error line of a compiler's output, with the
// tree's path removed.
func firstError(stderr, tree string) string {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "error:") {
			line = strings.ReplaceAll(line, tree+string(filepath.Separator), "")
			return strings.TrimSpace(line)
		}
	}
	return "does not compile"
}

// listHeaders returns every .h file under tree, slash-separated and
// relative to it, sorted.
func listHeaders(tree string) ([]string, error) {
	var hs []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".h") {
			rel, err := filepath.Rel(tree, p)
			if err != nil {
				return err
			}
			hs = append(hs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list headers: %w", err)
	}
	sort.Strings(hs)
	return hs, nil
}
