package emit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// stampVersion changes whenever the stamp changes meaning.
const stampVersion = "xenbind-stamp 1"

// A Stamp records what gen's output was made from: the xenbind build, the
// options, the config file, every input file with its digest (as
// parser.Unit.Inputs lists them), and the digest of every file written.
// A gen that finds a stamp matching what it is asked to do, and the files
// still as written, has nothing to do. Like the generated files, a stamp
// holds no host path. gen keeps stamps in xenbind's cache (package cache),
// not in the output directory: nothing but the generated files goes there.
type Stamp struct {
	Build string
	// Options are everything else the output depends on: the command
	// line as the files record it, and the package name.
	Options string
	Config  string   // digest of the -config file, "" for none
	Inputs  []string // one per target: its Unit.Inputs
	Files   map[string]string
}

// Digest is the SHA-256 of b, in hex, as a stamp records it.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Encode returns the stamp of s with the digests of files.
func (s Stamp) Encode(files []File) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nbuild %s\noptions %s\n", stampVersion, strconv.Quote(s.Build), strconv.Quote(s.Options))
	fmt.Fprintf(&b, "config %s\nfiles %d\n", strconv.Quote(s.Config), len(files))
	for _, f := range files {
		fmt.Fprintf(&b, "%s %s\n", Digest(f.Data), strconv.Quote(f.Name))
	}
	fmt.Fprintf(&b, "inputs %d\n", len(s.Inputs))
	for _, in := range s.Inputs {
		fmt.Fprintf(&b, "%s\n", strconv.Quote(in))
	}
	return b.Bytes()
}

// ParseStamp reads a stamp Encode wrote.
func ParseStamp(data []byte) (*Stamp, error) {
	r := bufio.NewReader(bytes.NewReader(data))
	line := func() (string, error) {
		l, err := r.ReadString('\n')
		if err != nil && (err != io.EOF || l == "") {
			return "", fmt.Errorf("stamp: %w", io.ErrUnexpectedEOF)
		}
		return strings.TrimSuffix(l, "\n"), nil
	}
	bad := errors.New("not a stamp of this xenbind")
	field := func(name string) (string, error) {
		l, err := line()
		if err != nil {
			return "", err
		}
		v, ok := strings.CutPrefix(l, name+" ")
		if !ok {
			return "", bad
		}
		return v, nil
	}
	count := func(name string) (int, error) {
		v, err := field(name)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(v)
	}
	quoted := func() (string, error) {
		l, err := line()
		if err != nil {
			return "", err
		}
		return strconv.Unquote(l)
	}
	if l, err := line(); err != nil || l != stampVersion {
		return nil, bad
	}
	s := &Stamp{Files: map[string]string{}}
	v, err := field("build")
	if err != nil {
		return nil, err
	}
	if s.Build, err = strconv.Unquote(v); err != nil {
		return nil, bad
	}
	if v, err = field("options"); err != nil {
		return nil, bad
	}
	if s.Options, err = strconv.Unquote(v); err != nil {
		return nil, bad
	}
	if v, err = field("config"); err != nil {
		return nil, bad
	}
	if s.Config, err = strconv.Unquote(v); err != nil {
		return nil, bad
	}
	n, err := count("files")
	if err != nil {
		return nil, bad
	}
	for range n {
		l, err := line()
		if err != nil {
			return nil, bad
		}
		d, q, ok := strings.Cut(l, " ")
		name, err := strconv.Unquote(q)
		if !ok || err != nil {
			return nil, bad
		}
		s.Files[name] = d
	}
	if n, err = count("inputs"); err != nil {
		return nil, bad
	}
	for range n {
		in, err := quoted()
		if err != nil {
			return nil, bad
		}
		s.Inputs = append(s.Inputs, in)
	}
	return s, nil
}

// FilesIntact reports whether dir holds exactly the generated files the
// stamp lists, each with its recorded digest: none edited, removed or
// added by an earlier xenbind run since.
func (s *Stamp) FilesIntact(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	seen := 0
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return false
		}
		want, listed := s.Files[n]
		switch {
		case listed && Digest(b) != want:
			return false
		case listed:
			seen++
		case bytes.HasPrefix(b, []byte(generatedMark)):
			return false // a generated file the stamp does not know
		}
	}
	return seen == len(s.Files)
}
