package parser

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

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
			var group *groupParse
			if len(c.Includes) == 1 && c.Includes[0] == AllHeaders {
				c.Includes, omitted, group, errs[i] = standaloneGroup(c.Tree, c.TreeName, t, c.Mode, c.limits())
				if errs[i] != nil {
					return
				}
			}
			units[i], errs[i] = cachedParseBy(c, group.parse)
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
// and mode, as gcc would: headers for another architecture, ones that
// #error outside tools mode, ones that need host headers (sys/,
// libxenvchan) and ones that define again a struct, union or enum xen.h's
// unit defines (gcc refuses any second definition) drop out. It decides
// with few translations (see survey.go), the same way as one translation
// of xen.h and each header would.
//
// A header with a syntax error is an error, not a header left out, unless
// it is a part of another header that stands alone (one that #includes
// it, as hvm/save.h includes arch-x86/hvm/save.h, which needs its macros).
//
// A translation stopped at a time or memory limit is no verdict about the
// header: Standalone then fails with the *LimitError of every such
// translation and remembers nothing.
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
	list, omitted, _, err := standaloneGroup(tree, treeName, t, m, lim)
	return list, omitted, err
}

// standaloneGroup is standalone, with the parse of the group translation
// when it is the parse of the headers that stand alone (nil otherwise, and
// when the answer came from a cache).
func standaloneGroup(tree fs.FS, treeName string, t Target, m Mode, lim Limits) ([]string, []Omission, *groupParse, error) {
	key := standaloneKey{tree, t, m}
	cacheable := reflect.TypeOf(tree).Comparable()
	if cacheable {
		if v, ok := standaloneCache.Load(key); ok {
			r := v.(standaloneResult)
			return r.list, r.omitted, nil, nil
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
		return nil, nil, nil, err
	}
	sort.Strings(all)
	ck, useCache, snap := standaloneCacheKey(tree, all, t, m)
	if useCache {
		if b, ok := cache.Get("standalone", ck); ok {
			if r, ok := decodeStandalone(b); ok {
				if cacheable {
					standaloneCache.Store(key, r)
				}
				return r.list, r.omitted, nil, nil
			}
		}
	}
	// The decisions, and the group's parse, read the headers as the key
	// hashed them.
	base := Config{Tree: snap, TreeName: treeName, Target: t, Mode: m, Timeout: lim.Timeout, Memory: lim.Memory}
	verdicts, xen, group, err := decide(base, all)
	if err != nil {
		return nil, nil, nil, err
	}
	r := standaloneResult{list: []string{"xen.h"}, omitted: []Omission{}}
	for _, h := range all {
		if h == "xen.h" {
			continue
		}
		v := verdicts[h]
		if v.ok {
			if tag, of := redefinedTags(h, v.info, xen); tag != "" {
				v = verdict{reason: fmt.Sprintf("redefines %s of %s (gcc and clang refuse a second definition; cc/v4 accepts an identical one)", tag, of)}
			}
		}
		if v.ok {
			r.list = append(r.list, h)
			continue
		}
		if e, ok := syntaxError(v.err); ok && !partOfAnother(tree, all, h, verdicts) {
			name, in := unknownTypeName(tree, e, verdicts, xen)
			if name == "" {
				return nil, nil, nil, errNotStandalone(e, h)
			}
			// gcc: "unknown type name": the header uses a type of
			// another header without including it (Xen 4.5's
			// xsm/flask_op.h and evtchn_port_t). It does not compile on
			// its own, which is a reason to leave it out, not a broken
			// header.
			v.reason = fmt.Sprintf("%s: unknown type name %s (declared in %s, which it does not include)", e, name, in)
		}
		r.omitted = append(r.omitted, Omission{Header: h, Reason: v.reason})
	}
	if cacheable {
		standaloneCache.Store(key, r)
	}
	if useCache {
		cache.Put("standalone", ck, encodeStandalone(r))
	}
	if group != nil && !slices.Equal(group.includes, r.list) {
		group = nil
	}
	return r.list, r.omitted, group, nil
}

// parse is Parse, for a configuration whose unit is the group's: then the
// group's model, and the digests of the files its translation read (the
// bytes it translated) go to cfg's tree, the cache's recordFS, as the
// parse's manifest. Otherwise, or when the model does not decode, it
// parses.
func (g *groupParse) parse(cfg Config) (*Unit, error) {
	rec, ok := cfg.Tree.(*recordFS)
	if g == nil || !ok || !slices.Equal(cfg.includes(), g.includes) {
		return Parse(cfg)
	}
	u, err := decodeUnit(g.model, &cfg)
	if err != nil {
		return Parse(cfg)
	}
	g.reads.mu.Lock()
	for name, d := range g.reads.reads {
		rec.note(name, d)
	}
	g.reads.mu.Unlock()
	u.encoded = g.model
	return u, nil
}

// unknownTypeName tells a syntax error that gcc reports as "unknown type
// name" from a real one: the error is at an identifier that follows
// another identifier (TYPE NAME, where cc/v4 did not know TYPE as a
// type), and TYPE is declared by a header of the tree that stands alone
// (or by xen.h). It returns TYPE and the file declaring it, or "" when
// the error is a syntax error of its own.
func unknownTypeName(tree fs.FS, e *Error, verdicts map[string]verdict, xen *surveyInfo) (string, string) {
	if !strings.HasPrefix(e.Msg, "unexpected identifier") || e.Pos.Line < 1 || e.Pos.Col < 1 {
		return "", ""
	}
	src, err := fs.ReadFile(tree, e.Pos.File)
	if err != nil {
		return "", ""
	}
	lines := strings.Split(string(src), "\n")
	if e.Pos.Line > len(lines) {
		return "", ""
	}
	line := lines[e.Pos.Line-1]
	if e.Pos.Col-1 > len(line) {
		return "", ""
	}
	before := strings.TrimRight(line[:e.Pos.Col-1], " \t")
	start := len(before)
	for start > 0 && isIdentByte(before[start-1]) {
		start--
	}
	name := before[start:]
	if name == "" || name[0] >= '0' && name[0] <= '9' || start > 0 && !strings.ContainsRune(" \t{;(,", rune(before[start-1])) {
		return "", ""
	}
	declared := func(info *surveyInfo) string {
		if info == nil {
			return ""
		}
		for _, f := range info.Names[name] {
			if f != e.Pos.File {
				return f
			}
		}
		return ""
	}
	if f := declared(xen); f != "" {
		return name, f
	}
	hs := make([]string, 0, len(verdicts))
	for h := range verdicts {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	for _, h := range hs {
		if v := verdicts[h]; v.ok {
			if f := declared(v.info); f != "" {
				return name, f
			}
		}
	}
	return "", ""
}

// partOfAnother reports whether header h is a part of another header
// that stands alone: a header that #includes it (in any branch), as
// hvm/save.h includes arch-x86/hvm/save.h, which needs its macros. Such a
// part legitimately fails on its own; its text is in the unit through the
// header that includes it (or is for another architecture).
func partOfAnother(tree fs.FS, all []string, h string, verdicts map[string]verdict) bool {
	for _, by := range includedBy(tree, all, h) {
		if verdicts[by].ok || by == "xen.h" {
			return true
		}
	}
	return false
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

// firstLine is the first line of an error list.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// standaloneKey is the cache key of Standalone's answer: probing every
// header takes seconds, and the answer depends only on the headers' text,
// the target and mode, and this package's configuration of cc/v4 (part of
// xenbind's build, which every key includes). It is false when a header
// cannot be read. The tree it returns serves the bytes the key hashed
// (see snapshotFS), or is tree when a header cannot be read.
func standaloneCacheKey(tree fs.FS, files []string, t Target, m Mode) (cache.Key, bool, fs.FS) {
	a, err := archOf(t)
	if err != nil {
		return cache.Key{}, false, tree
	}
	h := cache.NewHasher("standalone").String(standaloneVersion).String(string(t)).String(string(m)).String(a.predefined)
	snap := snapshotFS{tree: tree, files: make(map[string][]byte, len(files))}
	for _, f := range files {
		b, err := fs.ReadFile(tree, f)
		if err != nil {
			return cache.Key{}, false, tree
		}
		h.String(f).Bytes(b)
		snap.files[f] = b
	}
	return h.Key(), true, snap
}

// snapshotFS serves the files it holds from memory, and anything else
// (directories, files not held, names not found) from tree. Standalone's
// translations, one after another, read xen.h's files again each time:
// from a snapshot they read the same bytes without a system call, the
// bytes its cache key was computed from.
type snapshotFS struct {
	tree  fs.FS
	files map[string][]byte
}

func (s snapshotFS) Open(name string) (fs.File, error) {
	if b, ok := s.files[name]; ok {
		return &memFile{name: path.Base(name), Reader: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	return s.tree.Open(name)
}

func (s snapshotFS) ReadFile(name string) ([]byte, error) {
	if b, ok := s.files[name]; ok {
		return bytes.Clone(b), nil
	}
	return fs.ReadFile(s.tree, name)
}

func (s snapshotFS) Stat(name string) (fs.FileInfo, error) {
	if b, ok := s.files[name]; ok {
		return &memFile{name: path.Base(name), Reader: bytes.NewReader(nil), size: int64(len(b))}, nil
	}
	return fs.Stat(s.tree, name)
}

// standaloneVersion changes whenever probing changes meaning.
const standaloneVersion = "xenbind-standalone-4"
