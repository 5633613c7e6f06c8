package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xenbind/xenbind/cache"
	"github.com/xenbind/xenbind/headers"
)

// TestStandaloneEquivalent: Standalone's decisions (the group analysis of
// survey.go) are those of translating every header on its own after
// xen.h (the way -include all decided before), header for header and
// reason for reason, on every pinned tree, target and mode.
func TestStandaloneEquivalent(t *testing.T) {
	if testing.Short() {
		t.Skip("translates every header of three trees on its own: slow")
	}
	t.Setenv(cache.NoCacheEnv, "1")
	for _, d := range headers.XenDebs {
		dir, err := headers.XenTree(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		tr := os.DirFS(dir)
		for _, m := range []Mode{Guest, Tools} {
			for _, tg := range Targets {
				name := headers.XenRelease(d.Version) + "/" + string(m) + "/" + string(tg)
				t.Run(name, func(t *testing.T) {
					standaloneCache.Clear()
					list, omitted, err := standalone(tr, "xen", tg, m, Limits{})
					if err != nil {
						t.Fatal(err)
					}
					oldList, oldOmitted, err := probeEach(tr, "xen", tg, m, Limits{})
					if err != nil {
						t.Fatal(err)
					}
					if got, want := strings.Join(list, " "), strings.Join(oldList, " "); got != want {
						t.Errorf("taken:\n%s\nwant (one translation each):\n%s", got, want)
					}
					if len(omitted) != len(oldOmitted) {
						t.Errorf("left out:\n%v\nwant (one translation each):\n%v", omitted, oldOmitted)
					}
					for i := range min(len(omitted), len(oldOmitted)) {
						a, b := omitted[i], oldOmitted[i]
						if a.Header != b.Header || reasonClass(a.Reason) != reasonClass(b.Reason) {
							t.Errorf("left out %s because %s\nwant (one translation each) %s because %s", a.Header, a.Reason, b.Header, b.Reason)
						}
					}
					t.Logf("%d taken, %d left out", len(list), len(omitted))
				})
			}
		}
	}
}

// reasonClass is a reason a header is left out, as far as it is
// deterministic: cc/v4 reports one of several conflicting declarations
// at random (its type checker stops at the first it meets, in map
// order), so for a conflict only the file where it is and its kind
// count.
func reasonClass(r string) string {
	for _, kind := range []string{"conflicting types for", "incompatible redeclaration of"} {
		if strings.Contains(r, kind) {
			file, _, _ := strings.Cut(r, ":")
			return file + ": a conflicting declaration"
		}
	}
	return r
}

// probeEach is how Standalone decided before survey.go: one translation
// of xen.h and each header of the tree, then a text search for struct
// definitions of xen.h's unit again.
func probeEach(tree fs.FS, treeName string, t Target, m Mode, lim Limits) ([]string, []Omission, error) {
	var all []string
	err := fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(p) == ".h" {
			all = append(all, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(all)
	ok := make([]bool, len(all))
	reasons := make([]string, len(all))
	limitErrs := make([]error, len(all))
	var stopped atomic.Bool
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if stopped.Load() {
					continue
				}
				ok[i], reasons[i], limitErrs[i] = probe(tree, treeName, t, m, all[i], lim)
				if limitErrs[i] != nil {
					stopped.Store(true)
				}
			}
		}()
	}
	for i := range all {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(limitErrs...); err != nil {
		return nil, nil, err
	}
	redefines := redefinitions(tree, treeName, t, m, lim, all, ok)
	list, omitted := []string{"xen.h"}, []Omission{}
	for i, h := range all {
		if ok[i] && redefines[h] != "" {
			ok[i], reasons[i] = false, redefines[h]
		}
		switch {
		case h == "xen.h":
		case ok[i]:
			list = append(list, h)
		default:
			omitted = append(omitted, Omission{Header: h, Reason: reasons[i]})
		}
	}
	return list, omitted, nil
}

// probe reports whether xen.h followed by h translates without error,
// and if not, why (the first error). It skips evaluating every macro,
// which only the real parse needs. A probe stopped at a limit returns a
// *LimitError instead of a verdict.
func probe(tree fs.FS, treeName string, t Target, m Mode, h string, lim Limits) (bool, string, error) {
	c := Config{Tree: tree, TreeName: treeName, Target: t, Mode: m, Includes: []string{h}, Timeout: lim.Timeout, Memory: lim.Memory}
	cfg, sources, err := ccConfig(c, nil)
	if err != nil {
		return false, firstLine(err.Error()), nil
	}
	err = checkInChild(c, false, "")
	if err == errNoChild {
		cfg.EvalAllMacros = false
		_, err = translate(cfg, sources, lim.timeout(0), c.display(h))
	}
	if le := (*LimitError)(nil); errors.As(err, &le) {
		return false, "", err
	}
	if err != nil {
		return false, firstLine(err.Error()), nil
	}
	return true, "", nil
}

// structDefRE finds struct definitions in a header's text.
var structDefRE = regexp.MustCompile(`(?m)^\s*struct\s+(\w+)\s*\{`)

// redefinitions finds, among the headers that translated after xen.h,
// those that define again a struct xen.h's translation unit already
// defines: cc/v4 accepts a redefinition with the same members, gcc and
// clang refuse any ("redefinition of 'struct arch_vcpu_info'": Xen 4.19's
// arch-riscv.h after xen.h on arm). Headers xen.h itself includes are
// not checked (their include guards hold).
func redefinitions(tree fs.FS, treeName string, t Target, m Mode, lim Limits, all []string, ok []bool) map[string]string {
	out := map[string]string{}
	u, err := cachedParse(Config{Tree: tree, TreeName: treeName, Target: t, Mode: m, Includes: []string{"xen.h"}, Timeout: lim.Timeout, Memory: lim.Memory})
	if err != nil {
		return out // xen.h alone fails: the real parse says why
	}
	defined := map[string]string{} // struct tag -> header defining it
	inTU := map[string]bool{}
	for _, r := range u.Records {
		inTU[r.Header] = true
		if r.Parent == nil && r.Tag != "" && r.Complete() {
			defined[r.Tag] = r.Header
		}
	}
	for _, mac := range u.Macros {
		inTU[mac.Header] = true
	}
	for i, h := range all {
		if !ok[i] || inTU[h] {
			continue
		}
		b, err := fs.ReadFile(tree, h)
		if err != nil {
			continue
		}
		for _, sm := range structDefRE.FindAllSubmatch(b, -1) {
			if other := defined[string(sm[1])]; other != "" {
				out[h] = fmt.Sprintf("redefines struct %s of %s (gcc and clang refuse a second definition; cc/v4 accepts an identical one)", sm[1], other)
				break
			}
		}
	}
	return out
}
