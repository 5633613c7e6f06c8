package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xenbind/xenbind/cache"
)

// AllHeaders is the -include value that selects every public header that
// parses on its own.
const AllHeaders = "all"

// ParseTargets parses cfg for each target concurrently, in the order
// given, or takes the result from the cache when the inputs are those of
// a parse it holds. Includes may be AllHeaders, resolved per target by
// Standalone.
func ParseTargets(cfg Config, targets []Target) ([]*Unit, error) {
	units := make([]*Unit, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cfg
			c.Target = t
			var omitted []Omission
			if len(c.Includes) == 1 && c.Includes[0] == AllHeaders {
				c.Includes, omitted, errs[i] = standalone(c.Tree, c.TreeName, t, c.Mode, c.limits())
				if errs[i] != nil {
					return
				}
			}
			units[i], errs[i] = cachedParse(c)
			if errs[i] == nil && omitted != nil {
				// The cache may share the unit: give this one its own
				// header, with what -include all left out.
				u := *units[i]
				u.Omitted = omitted
				units[i] = &u
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return units, nil
}

var standaloneCache sync.Map // standaloneKey -> []string

type standaloneKey struct {
	tree   fs.FS
	target Target
	mode   Mode
}

// Standalone lists, in sorted order, the headers of the tree that parse on
// their own (after xen.h, which every public header needs) for a target
// and mode. Headers for another architecture, ones that #error outside
// tools mode and ones that need host headers (sys/, libxenvchan) drop out.
//
// A probe stopped at a time or memory limit is no verdict about the
// header: Standalone then fails with the *LimitError of every such probe
// and remembers nothing.
func Standalone(tree fs.FS, t Target, m Mode) ([]string, error) {
	list, _, err := standalone(tree, "", t, m, Limits{})
	return list, err
}

// Omission is a header -include all leaves out, and why: the first error
// of translating it after xen.h, as gcc would refuse it on its own (an
// #error for another architecture or mode, a type another header must
// define first, a host header).
type Omission struct {
	Header string `json:"header"`
	Reason string `json:"reason"`
}

// standaloneResult is what Standalone found for one tree, target and mode.
type standaloneResult struct {
	list    []string
	omitted []Omission
}

func standalone(tree fs.FS, treeName string, t Target, m Mode, lim Limits) ([]string, []Omission, error) {
	key := standaloneKey{tree, t, m}
	cacheable := reflect.TypeOf(tree).Comparable()
	if cacheable {
		if v, ok := standaloneCache.Load(key); ok {
			r := v.(standaloneResult)
			return r.list, r.omitted, nil
		}
	}
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
	ck, useCache := standaloneCacheKey(tree, all, t, m)
	if useCache {
		if b, ok := cache.Get("standalone", ck); ok {
			if r, ok := decodeStandalone(b); ok {
				if cacheable {
					standaloneCache.Store(key, r)
				}
				return r.list, r.omitted, nil
			}
		}
	}
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
					continue // one probe hit a limit: the answer is an error anyway
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
	r := standaloneResult{list: []string{"xen.h"}, omitted: []Omission{}}
	for i, h := range all {
		if ok[i] && redefines[h] != "" {
			ok[i], reasons[i] = false, redefines[h]
		}
		switch {
		case h == "xen.h":
		case ok[i]:
			r.list = append(r.list, h)
		default:
			r.omitted = append(r.omitted, Omission{Header: h, Reason: reasons[i]})
		}
	}
	if cacheable {
		standaloneCache.Store(key, r)
	}
	if useCache {
		cache.Put("standalone", ck, encodeStandalone(r))
	}
	return r.list, r.omitted, nil
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

// encodeStandalone spells a result for the cache: a header taken a line,
// then "!header<TAB>reason" a header left out.
func encodeStandalone(r standaloneResult) []byte {
	var b strings.Builder
	for _, h := range r.list {
		b.WriteString(h + "\n")
	}
	for _, o := range r.omitted {
		b.WriteString("!" + o.Header + "\t" + strings.ReplaceAll(o.Reason, "\n", " ") + "\n")
	}
	return []byte(b.String())
}

func decodeStandalone(b []byte) (standaloneResult, bool) {
	r := standaloneResult{omitted: []Omission{}}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if h, reason, ok := strings.Cut(strings.TrimPrefix(line, "!"), "\t"); ok && strings.HasPrefix(line, "!") {
			r.omitted = append(r.omitted, Omission{Header: h, Reason: reason})
		} else if line != "" {
			r.list = append(r.list, line)
		}
	}
	return r, len(r.list) > 0 && r.list[0] == "xen.h"
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

// firstLine is the first line of an error list.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// standaloneKey is the cache key of Standalone's answer: probing every
// header takes seconds, and the answer depends only on the headers' text,
// the target and mode, and this package's configuration of cc/v4 (part of
// xenbind's build, which every key includes). It is false when a header
// cannot be read.
func standaloneCacheKey(tree fs.FS, files []string, t Target, m Mode) (cache.Key, bool) {
	a, err := archOf(t)
	if err != nil {
		return cache.Key{}, false
	}
	h := cache.NewHasher("standalone").String(standaloneVersion).String(string(t)).String(string(m)).String(a.predefined)
	for _, f := range files {
		b, err := fs.ReadFile(tree, f)
		if err != nil {
			return cache.Key{}, false
		}
		h.String(f).Bytes(b)
	}
	return h.Key(), true
}

// standaloneVersion changes whenever probing changes meaning.
const standaloneVersion = "xenbind-standalone-3"
