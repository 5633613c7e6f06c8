package parser

import (
	"errors"
	"io/fs"
	"path"
	"reflect"
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
			if len(c.Includes) == 1 && c.Includes[0] == AllHeaders {
				c.Includes, errs[i] = standalone(c.Tree, c.TreeName, t, c.Mode, c.limits())
				if errs[i] != nil {
					return
				}
			}
			units[i], errs[i] = cachedParse(c)
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
	return standalone(tree, "", t, m, Limits{})
}

func standalone(tree fs.FS, treeName string, t Target, m Mode, lim Limits) ([]string, error) {
	key := standaloneKey{tree, t, m}
	cacheable := reflect.TypeOf(tree).Comparable()
	if cacheable {
		if v, ok := standaloneCache.Load(key); ok {
			return v.([]string), nil
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
		return nil, err
	}
	sort.Strings(all)
	ck, useCache := standaloneCacheKey(tree, all, t, m)
	if useCache {
		if b, ok := cache.Get("standalone", ck); ok {
			if list := strings.Fields(string(b)); len(list) > 0 && list[0] == "xen.h" {
				if cacheable {
					standaloneCache.Store(key, list)
				}
				return list, nil
			}
		}
	}
	ok := make([]bool, len(all))
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
				ok[i], limitErrs[i] = probe(tree, treeName, t, m, all[i], lim)
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
		return nil, err
	}
	list := []string{"xen.h"}
	for i, h := range all {
		if ok[i] && h != "xen.h" {
			list = append(list, h)
		}
	}
	if cacheable {
		standaloneCache.Store(key, list)
	}
	if useCache {
		cache.Put("standalone", ck, []byte(strings.Join(list, "\n")+"\n"))
	}
	return list, nil
}

// probe reports whether xen.h followed by h translates without error. It
// skips evaluating every macro, which only the real parse needs. A probe
// stopped at a limit returns a *LimitError instead of a verdict.
func probe(tree fs.FS, treeName string, t Target, m Mode, h string, lim Limits) (bool, error) {
	c := Config{Tree: tree, TreeName: treeName, Target: t, Mode: m, Includes: []string{h}, Timeout: lim.Timeout, Memory: lim.Memory}
	cfg, sources, err := ccConfig(c, nil)
	if err != nil {
		return false, nil
	}
	err = checkInChild(c, false, "")
	if err == errNoChild {
		cfg.EvalAllMacros = false
		_, err = translate(cfg, sources, lim.timeout(0), c.display(h))
	}
	if le := (*LimitError)(nil); errors.As(err, &le) {
		return false, err
	}
	return err == nil, nil
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
const standaloneVersion = "xenbind-standalone-2"
