package parser

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// AllHeaders is the -include value that selects every public header that
// parses on its own.
const AllHeaders = "all"

// ParseTargets parses cfg for each target concurrently, in the order
// given. Includes may be AllHeaders, resolved per target by Standalone.
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
			units[i], errs[i] = Parse(c)
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
	disk := newDiskCache(tree, all, t, m)
	if list, ok := disk.load(); ok {
		if cacheable {
			standaloneCache.Store(key, list)
		}
		return list, nil
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
	disk.store(list)
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

// diskCache remembers Standalone's answer across runs: probing every header
// takes seconds, and the answer depends only on the headers' text, the
// target and mode, and this package's configuration of cc/v4. The key
// hashes all of those, so a changed tree or a new xenbind never sees a
// stale answer. Without a user cache directory nothing is cached.
type diskCache struct{ path string }

// standaloneVersion changes whenever probing changes meaning.
const standaloneVersion = "xenbind-standalone-2"

func newDiskCache(tree fs.FS, files []string, t Target, m Mode) diskCache {
	dir, err := os.UserCacheDir()
	if err != nil || os.Getenv("XENBIND_NOCACHE") != "" {
		return diskCache{}
	}
	a, err := archOf(t)
	if err != nil {
		return diskCache{}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", standaloneVersion, t, m, a.predefined)
	for _, f := range files {
		b, err := fs.ReadFile(tree, f)
		if err != nil {
			return diskCache{}
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return diskCache{path: filepath.Join(dir, "xenbind", "standalone-"+hex.EncodeToString(h.Sum(nil))[:32])}
}

func (c diskCache) load() ([]string, bool) {
	if c.path == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.path)
	if err != nil {
		return nil, false
	}
	list := strings.Fields(string(b))
	return list, len(list) > 0 && list[0] == "xen.h"
}

func (c diskCache) store(list []string) {
	if c.path == "" {
		return
	}
	if os.MkdirAll(filepath.Dir(c.path), 0o755) != nil {
		return
	}
	tmp := c.path + ".tmp" + strconv.Itoa(os.Getpid())
	if os.WriteFile(tmp, []byte(strings.Join(list, "\n")+"\n"), 0o644) == nil {
		os.Rename(tmp, c.path)
	}
}
