// Package cache is xenbind's one on-disk cache: entries named by a hash of
// everything their content depends on, in xenbind/ under the user cache
// directory (os.UserCacheDir), shared by every xenbind process.
//
// An entry is written to a temporary file beside it and renamed into place,
// so a reader sees a whole entry or none, and two processes writing the
// same entry write the same bytes. Keys include the running xenbind's own
// build (BuildID), so a rebuilt xenbind never reads what another build
// wrote. Setting XENBIND_NOCACHE to a non-empty value turns the cache off,
// as does a missing user cache directory; XENBIND_CACHE names another
// directory. Nothing is ever required to be
// in the cache: a miss, or an unreadable entry, means computing again.
package cache

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// The environment variables: NoCacheEnv turns the cache off, DirEnv puts
// it in another directory.
const (
	NoCacheEnv = "XENBIND_NOCACHE"
	DirEnv     = "XENBIND_CACHE"
)

// Dir returns the cache directory, or "" when caching is off.
func Dir() string {
	if os.Getenv(NoCacheEnv) != "" || BuildID() == "" {
		return ""
	}
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "xenbind")
}

// Key names an entry: a SHA-256 of what the entry depends on.
type Key [sha256.Size]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Hasher builds a Key from parts written in order; each part is length
// prefixed, so ("ab", "c") and ("a", "bc") give different keys.
type Hasher struct{ h hash.Hash }

// NewHasher starts a key for entries of one kind ("model", ...), with
// xenbind's build already in it.
func NewHasher(kind string) *Hasher {
	h := &Hasher{h: sha256.New()}
	h.String(kind)
	h.String(BuildID())
	return h
}

// String adds a string.
func (h *Hasher) String(s string) *Hasher {
	h.Bytes([]byte(s))
	return h
}

// Bytes adds bytes.
func (h *Hasher) Bytes(b []byte) *Hasher {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	h.h.Write(n[:])
	h.h.Write(b)
	return h
}

// Key returns the key of everything added so far.
func (h *Hasher) Key() Key {
	var k Key
	h.h.Sum(k[:0])
	return k
}

// path is where an entry of kind and key lives, "" with caching off.
func path(kind string, k Key) string {
	d := Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, kind+"-"+k.String())
}

// Get returns the entry of kind and key, if there is one.
func Get(kind string, k Key) ([]byte, bool) {
	p := path(kind, k)
	if p == "" {
		return nil, false
	}
	b, err := os.ReadFile(p)
	return b, err == nil
}

// Put stores an entry. Failing to store is not an error: the next run
// computes the entry again.
func Put(kind string, k Key, data []byte) {
	p := path(kind, k)
	if p == "" {
		return
	}
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+kind+"-*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
	}
}

var buildID = sync.OnceValue(readBuildID)

// BuildID identifies the running xenbind's build: the Go build ID of its
// executable, which changes with any change to its code, its dependencies
// or how it was built; the SHA-256 of the executable where there is none.
// "" when neither can be read (then nothing is cached).
func BuildID() string { return buildID() }

func readBuildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if b, err := s.Data(); err == nil && len(b) > 16 {
				// A note: name size, description size, type, "Go\0\0", ID.
				namesz := binary.LittleEndian.Uint32(b)
				descsz := binary.LittleEndian.Uint32(b[4:])
				off := 12 + (namesz+3)&^3
				if uint64(off)+uint64(descsz) <= uint64(len(b)) && descsz > 0 {
					return "go:" + string(b[off:off+descsz])
				}
			}
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
