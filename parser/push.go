package parser

import (
	"bytes"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// Pushing files to the child. A child asks its parent for every file it
// opens (remoteFS), and waits: on two busy cores a round trip takes a few
// hundred microseconds, and a translation of xen.h, memory.h and
// grant_table.h opens about 17 files, a fifth of its time. So with each
// request the parent sends, unasked, the files the translation will
// likely open (pushSet); the child opens them from memory and only tells
// the parent which it opened (frameOpened), without waiting for an
// answer. The parent accounts for an opened file as it did for one it
// sent on request: the cache's manifest, the verdict's file states and
// the limits' bytes read see exactly the files the child opened, not the
// ones pushed. A file the guess missed (an #include of a macro, say) is
// asked for as before.

// pushed is one file's state as the parent sends it unasked: a file's
// bytes, or that the name is missing or a directory.
type pushed struct {
	kind byte // frameFile, frameMissing or frameDir
	data []byte
}

// Bounds on what one request pushes: a guess must not cost more than the
// round trips it saves (the group of every header of Xen 4.17's tree
// pushes at most its 83 headers, 0.9 MB, far below a child's memory
// limit).
const (
	maxPushFiles = 4096
	maxPushBytes = 8 << 20
)

// peeker is a tree that reads a file without counting it as read: the
// cache's recordFS, which records a file only once the child opens it.
type peeker interface {
	peek(name string) (kind byte, data []byte)
}

// peekState is name's state in tree, as sendFile would send it, without
// recording the read (see peeker); ok is false for a state sendFile would
// send as an error.
func peekState(tree fs.FS, name string) (pushed, bool) {
	if p, ok := tree.(peeker); ok {
		kind, b := p.peek(name)
		return pushed{kind, b}, kind != frameFail
	}
	state, b, _ := fileState(tree, name, false)
	switch state {
	case "missing":
		return pushed{kind: frameMissing}, true
	case "dir":
		return pushed{kind: frameDir}, true
	case "file":
		return pushed{kind: frameFile, data: b}, true
	}
	return pushed{}, false
}

// pushSet guesses what a translation of r under cfg opens in the tree,
// from the #include lines of the headers, followed through the search
// paths the way cc/v4 searches them. Both sides of every #if are followed,
// so it holds more than the translation needs. The names are those the
// child asks for: relative to the tree.
func pushSet(cfg *Config, r *childRequest) map[string]pushed {
	d, err := dialectOf(r.Dialect)
	if err != nil {
		return nil
	}
	p := &pusher{tree: cfg.Tree, set: map[string]pushed{}}
	// What ccConfig looks at before translating: the dialect's markers,
	// the root, the headers.
	for _, m := range d.markers() {
		p.add(m)
	}
	// As d.root, but without recording what it looks at: the child
	// looks at the same names, and they count when it does.
	root := d.rootBy(func(name string) bool {
		st, ok := p.add(name)
		return ok && st.kind != frameMissing
	})
	p.sysDir = root
	p.quote, p.sys = d.searchPaths(r.Target)
	c := Config{Dialect: r.Dialect, Includes: r.Includes}
	var files []string
	for _, h := range c.includes() {
		name := d.path(root, h)
		if st, ok := p.add(name); ok && st.kind == frameFile {
			files = append(files, treeRoot+"/"+name)
		}
	}
	p.scan("", []byte(d.prelude))
	for _, f := range files {
		p.follow(f)
	}
	return p.set
}

// pusher collects a push set.
type pusher struct {
	tree        fs.FS
	sysDir      string
	quote, sys  []string
	set         map[string]pushed
	bytes       int
	full        bool
	followedSet map[string]bool
}

// add puts the state of the tree's name in the set.
func (p *pusher) add(name string) (pushed, bool) {
	if st, ok := p.set[name]; ok {
		return st, true
	}
	if p.full || !fs.ValidPath(name) || strings.IndexByte(name, 0) >= 0 {
		// (A NUL would end the name in framePush.)
		return pushed{}, false
	}
	st, ok := peekState(p.tree, name)
	if !ok {
		return pushed{}, false
	}
	if len(p.set) >= maxPushFiles || p.bytes+len(st.data) > maxPushBytes {
		p.full = true
		return pushed{}, false
	}
	p.set[name] = st
	p.bytes += len(st.data)
	return st, true
}

// follow scans the file cc/v4 knows as full (a name under treeRoot or
// uapiSysRoot) once.
func (p *pusher) follow(full string) {
	if p.followedSet == nil {
		p.followedSet = map[string]bool{}
	}
	if p.followedSet[full] {
		return
	}
	p.followedSet[full] = true
	name, ok := p.treeName(full)
	if !ok {
		return
	}
	if st, ok := p.set[name]; ok && st.kind == frameFile {
		p.scan(full, st.data)
	}
}

// scan follows the #include lines of src, the text of the file cc/v4
// knows as full ("" for a source of no directory).
func (p *pusher) scan(full string, src []byte) {
	for line := range bytes.Lines(src) {
		quoted, name, ok := includeDirectiveOf(line)
		if !ok || p.full {
			continue
		}
		paths := p.sys
		if quoted {
			paths = p.quote
		}
		for _, v := range paths {
			if v == "" || v == "@" {
				if full == "" {
					continue
				}
				v = filepath.Clean(filepath.Dir(full))
			}
			cand := filepath.Join(v, name)
			if rest, ok := strings.CutPrefix(cand, builtinRoot+"/"); ok && !strings.HasPrefix(cand, uapiSysRoot+"/") {
				if _, ok := builtinHeader(rest); ok {
					break // the child has it
				}
				continue
			}
			tn, ok := p.treeName(cand)
			if !ok {
				continue
			}
			st, ok := p.add(tn)
			if !ok {
				break // unknown: the child asks
			}
			if st.kind == frameFile {
				p.follow(cand)
				break
			}
		}
	}
}

// treeName is the tree's name for a file cc/v4 knows as full, as vfs.Open
// maps it.
func (p *pusher) treeName(full string) (string, bool) {
	if rest, ok := strings.CutPrefix(full, uapiSysRoot+"/"); ok {
		rel := path.Clean(rest)
		return path.Join(p.sysDir, rel), fs.ValidPath(rel)
	}
	if rest, ok := strings.CutPrefix(full, treeRoot+"/"); ok {
		rel := path.Clean(rest)
		return rel, fs.ValidPath(rel)
	}
	return "", false
}

// includeDirectiveOf parses an #include or #include_next line: its name, and
// whether it is in quotes rather than angle brackets.
func includeDirectiveOf(line []byte) (quoted bool, name string, ok bool) {
	line = bytes.TrimLeft(line, " \t")
	if len(line) == 0 || line[0] != '#' {
		return false, "", false
	}
	line = bytes.TrimLeft(line[1:], " \t")
	rest, ok := bytes.CutPrefix(line, []byte("include"))
	if !ok {
		return false, "", false
	}
	rest, _ = bytes.CutPrefix(rest, []byte("_next"))
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) < 2 {
		return false, "", false
	}
	var end byte
	switch rest[0] {
	case '"':
		end = '"'
	case '<':
		end = '>'
	default:
		return false, "", false
	}
	i := bytes.IndexByte(rest[1:], end)
	if i <= 0 {
		return false, "", false
	}
	return end == '"', string(rest[1 : 1+i]), true
}
