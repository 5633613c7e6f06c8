package parser

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/xenbind/xenbind/cache"
)

// The cache of parses. A parse depends on the bytes of every tree file the
// front end looked at (and on every file it looked for and did not find),
// on the target, mode, dialect and header list, and on xenbind's build.
// Parsing records what it read (recordFS); the cache keeps two entries:
//
//   - "inputs": keyed by the options and the build, the list of the files
//     read, each with the SHA-256 of its bytes ("-" when absent);
//   - "model": keyed by the inputs key and that list, the encoded Unit.
//
// A lookup reads the list, hashes the files it names as they are now, and
// finds the model only if every one is unchanged. Two trees at the same
// options share the list entry: whichever wrote it last, a lookup hashes
// its own files, so a model is only ever found for the bytes it was parsed
// from. Failed parses are not cached.

const (
	inputsKind = "inputs"
	modelKind  = "model"
)

// cachedParse is Parse through the cache (cfg.NoCache bypasses it). The
// unit it returns knows its inputs (Unit.Inputs).
func cachedParse(cfg Config) (*Unit, error) { return cachedParseBy(cfg, Parse) }

// cachedParseBy is cachedParse, with the parse to make when the cache
// does not hold the unit.
func cachedParseBy(cfg Config, parse func(Config) (*Unit, error)) (*Unit, error) {
	useCache := !cfg.NoCache && cache.Dir() != ""
	var k1 cache.Key
	if useCache {
		k1 = inputsKey(&cfg)
		if list, ok := cache.Get(inputsKind, k1); ok {
			if manifest, ok := currentManifest(cfg.Tree, list); ok {
				if b, ok := cache.Get(modelKind, modelKey(k1, manifest)); ok {
					if u, err := decodeUnit(b, &cfg); err == nil {
						u.inputs = manifest
						return u, nil
					}
				}
			}
		}
	}
	rec := &recordFS{fs: cfg.Tree, reads: map[string]string{}}
	c := cfg
	c.Tree = rec
	u, err := parse(c)
	if err != nil {
		return nil, err
	}
	u.inputs = rec.manifest()
	if useCache {
		b := u.encoded
		var err error
		if b == nil {
			b, err = encodeUnit(u)
		}
		if err == nil {
			cache.Put(modelKind, modelKey(k1, u.inputs), b)
			cache.Put(inputsKind, k1, u.inputs)
		}
	}
	return u, nil
}

// Inputs lists the tree files the parse read or looked for, one
// "name\tdigest" line each (digest: the SHA-256 of the bytes, "-" for a
// file not found). It is nil for a unit Parse made directly; ParseTargets
// records it.
func (u *Unit) Inputs() []byte { return u.inputs }

// InputsUnchanged reports whether every file of inputs (see Unit.Inputs)
// still has the recorded digest in tree.
func InputsUnchanged(tree fs.FS, inputs []byte) bool {
	now, ok := currentManifest(tree, inputs)
	return ok && bytes.Equal(now, inputs)
}

func inputsKey(cfg *Config) cache.Key {
	h := cache.NewHasher(inputsKind)
	h.String(fmt.Sprint(codecVersion)).String(string(cfg.Target)).String(string(cfg.Mode))
	h.String(string(cfg.Dialect)).String(cfg.TreeName)
	for _, inc := range cfg.includes() {
		h.String(inc)
	}
	return h.Key()
}

func modelKey(inputs cache.Key, manifest []byte) cache.Key {
	return cache.NewHasher(modelKind).Bytes(inputs[:]).Bytes(manifest).Key()
}

// currentManifest hashes, as they are now, the files a manifest lists, and
// returns the manifest they make; ok is false when the list is malformed.
func currentManifest(tree fs.FS, list []byte) ([]byte, bool) {
	var b bytes.Buffer
	for _, line := range strings.Split(strings.TrimSuffix(string(list), "\n"), "\n") {
		name, _, ok := strings.Cut(line, "\t")
		if !ok || !fs.ValidPath(name) {
			return nil, false
		}
		fmt.Fprintf(&b, "%s\t%s\n", name, digest(tree, name))
	}
	return b.Bytes(), true
}

// digest is what a manifest records of a tree file: the SHA-256 of a
// file's bytes, "dir " and the hash of the names in a directory, "-" for
// anything that cannot be read.
func digest(tree fs.FS, name string) string {
	fi, err := fs.Stat(tree, name)
	if err != nil {
		return "-"
	}
	if fi.IsDir() {
		ents, err := fs.ReadDir(tree, name)
		if err != nil {
			return "-"
		}
		h := sha256.New()
		for _, e := range ents {
			fmt.Fprintf(h, "%s\x00", e.Name())
		}
		return "dir " + hex.EncodeToString(h.Sum(nil))
	}
	b, err := fs.ReadFile(tree, name)
	if err != nil {
		return "-"
	}
	return fileDigest(b)
}

func fileDigest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// recordFS serves a tree and records the digest of everything read from
// it (or looked for in it), as the manifest of the parse. A file is read
// once: opened again (a stat, then a read, by the parse and by the child's
// server), it is served from memory, so the parse reads the very bytes
// the manifest records.
type recordFS struct {
	fs    fs.FS
	mu    sync.Mutex
	reads map[string]string // name -> digest
	files map[string][]byte // the bytes of the files read
}

func (r *recordFS) note(name, d string) {
	r.mu.Lock()
	r.reads[name] = d
	r.mu.Unlock()
}

func (r *recordFS) Open(name string) (fs.File, error) {
	name = path.Clean(name)
	r.mu.Lock()
	b, ok := r.files[name]
	if ok {
		if _, read := r.reads[name]; !read { // peeked before
			r.reads[name] = fileDigest(b)
		}
	}
	r.mu.Unlock()
	if ok {
		return &memFile{name: path.Base(name), Reader: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	fi, err := fs.Stat(r.fs, name)
	if err != nil {
		r.note(name, "-")
		return nil, err
	}
	if fi.IsDir() {
		r.note(name, digest(r.fs, name))
		return r.fs.Open(name)
	}
	b, err = fs.ReadFile(r.fs, name)
	if err != nil {
		r.note(name, "-")
		return nil, err
	}
	d := fileDigest(b)
	r.mu.Lock()
	r.reads[name] = d
	if r.files == nil {
		r.files = map[string][]byte{}
	}
	r.files[name] = b
	r.mu.Unlock()
	return &memFile{name: path.Base(name), Reader: bytes.NewReader(b), size: int64(len(b))}, nil
}

// peek reads a file as Open would, but records nothing: the bytes are
// kept, and recorded if Open is asked for them later (see pushSet).
func (r *recordFS) peek(name string) (byte, []byte) {
	name = path.Clean(name)
	r.mu.Lock()
	b, ok := r.files[name]
	r.mu.Unlock()
	if ok {
		return frameFile, b
	}
	fi, err := fs.Stat(r.fs, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return frameMissing, nil
	case err != nil:
		return frameFail, nil
	case fi.IsDir():
		return frameDir, nil
	}
	b, err = fs.ReadFile(r.fs, name)
	if err != nil {
		return frameFail, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kept, ok := r.files[name]; ok {
		return frameFile, kept
	}
	if r.files == nil {
		r.files = map[string][]byte{}
	}
	r.files[name] = b
	return frameFile, b
}

// manifest lists what was read, sorted: "name\tdigest" lines.
func (r *recordFS) manifest() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.reads))
	for n := range r.reads {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%s\n", n, r.reads[n])
	}
	return b.Bytes()
}
