package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// DefaultIncludes are the headers xenbind reads when told nothing else.
var DefaultIncludes = []string{"xen.h", "memory.h", "grant_table.h"}

// Config says what to parse.
type Config struct {
	// Tree is a header tree laid out like Xen's xen/include/public.
	Tree fs.FS
	// TreeName is how positions name the tree in error messages, usually
	// the -headers argument. Model positions are always relative to the
	// tree, so that output never depends on where the tree lives.
	TreeName string
	Target   Target
	Mode     Mode
	// Includes are header names relative to the tree (to its
	// include/xen/interface in the Linux dialect). xen.h is put first
	// whether or not it is listed: every other public header needs it.
	Includes []string
	// Timeout bounds the C front end's CPU time (default 10 s), plus 1 s
	// per MiB of header text read: on some malformed input cc/v4 never
	// finishes. See Limits.
	Timeout time.Duration
	// Memory bounds the C front end's resident memory in bytes (default
	// 1 GiB), plus 512 bytes per byte of header text read. See Limits.
	Memory int64
	// Dialect says how the tree is laid out; "" means XenDialect.
	Dialect Dialect
	// NoCache makes ParseTargets parse even when the cache holds the
	// result (see cache.go and package cache).
	NoCache bool
}

// Virtual roots the preprocessor sees. Nothing is read from the host file
// system, so neither host headers nor host paths can leak into a parse.
const (
	treeRoot    = "/xen"
	builtinRoot = "/builtin"
)

// vfs serves the tree under treeRoot and the built-in headers under
// builtinRoot.
type vfs struct {
	tree fs.FS
	// sysDir is the directory of tree, relative to it, that uapiSysRoot
	// serves: the UAPI dialect's root.
	sysDir string
	// guard records input cc/v4 would loop on (see safe.go).
	guard *syntaxGuard
}

func (v vfs) Open(name string) (fs.File, error) {
	switch {
	case strings.HasPrefix(name, uapiSysRoot+"/"):
		// The UAPI dialect's tree, as system headers.
		rel := path.Clean(strings.TrimPrefix(name, uapiSysRoot+"/"))
		if !fs.ValidPath(rel) {
			break
		}
		return v.tree.Open(path.Join(v.sysDir, rel))
	case strings.HasPrefix(name, builtinRoot+"/"):
		if s, ok := builtinHeader(strings.TrimPrefix(name, builtinRoot+"/")); ok {
			return &memFile{name: path.Base(name), Reader: bytes.NewReader([]byte(s)), size: int64(len(s))}, nil
		}
	case strings.HasPrefix(name, treeRoot+"/"):
		rel := path.Clean(strings.TrimPrefix(name, treeRoot+"/"))
		if !fs.ValidPath(rel) {
			break
		}
		if v.guard == nil {
			return v.tree.Open(rel)
		}
		b, err := fs.ReadFile(v.tree, rel)
		if err != nil {
			return nil, err
		}
		if err := v.guard.check(rel, b); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		b = wrapIncludeMarks(b)
		return &memFile{name: path.Base(name), Reader: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

type memFile struct {
	name string
	*bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }

var _ io.ReaderAt = (*memFile)(nil)

// includes returns the translation unit's header list: the dialect's first
// header (xen.h) if it has one, then the rest in the order given,
// duplicates dropped.
func (c *Config) includes() []string {
	var list []string
	seen := map[string]bool{}
	if d, err := dialectOf(c.Dialect); err == nil && d.first != "" {
		list = append(list, d.first)
		seen[d.first] = true
	}
	for _, h := range c.Includes {
		h = path.Clean(h)
		if !seen[h] {
			seen[h] = true
			list = append(list, h)
		}
	}
	return list
}

// LatestInterfaceVersion reads __XEN_LATEST_INTERFACE_VERSION__ from the
// tree's xen-compat.h: guest mode compiles against it.
func LatestInterfaceVersion(tree fs.FS) (string, error) {
	b, err := fs.ReadFile(tree, "xen-compat.h")
	if err != nil {
		return "", fmt.Errorf("reading the interface version: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "#define" && f[1] == "__XEN_LATEST_INTERFACE_VERSION__" {
			return f[2], nil
		}
	}
	return "", errors.New("xen-compat.h: no __XEN_LATEST_INTERFACE_VERSION__")
}

// CheckTree reports whether dir looks like a Xen public header tree.
func CheckTree(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("header tree: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("header tree %s: not a directory", dir)
	}
	for _, f := range []string{"xen.h", "xen-compat.h"} {
		if _, err := os.Stat(path.Join(dir, f)); err != nil {
			return fmt.Errorf("header tree %s: no %s: not laid out like Xen's xen/include/public", dir, f)
		}
	}
	return nil
}
