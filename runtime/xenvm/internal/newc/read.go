package newc

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Entry is one entry of an archive as ReadAll returns it.
type Entry struct {
	Name         string
	Ino          uint32
	Mode         uint32 // file type and permission bits
	UID, GID     uint32
	Links        uint32
	MTime        uint32
	Major, Minor uint32 // of a device node
	Data         []byte // a file's content or a link's target
}

// Type bits of Entry.Mode.
const (
	TypeMask = typeMask
	TypeDir  = typeDir
	TypeReg  = typeReg
	TypeLink = typeLink
	TypeChr  = typeChr
)

// ReadAll reads a newc archive up to its trailer. It is meant for tests
// and tools that check an archive: it holds the whole archive in memory.
func ReadAll(r io.Reader) ([]Entry, error) {
	var (
		out []Entry
		pos int64
	)
	read := func(n int64) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("newc: offset %d: %w", pos, err)
		}
		pos += n
		return b, nil
	}
	skipPad := func() error {
		_, err := read(-pos & 3)
		return err
	}
	for {
		start := pos
		h, err := read(110)
		if err != nil {
			return nil, err
		}
		if string(h[:6]) != magic {
			return nil, fmt.Errorf("newc: offset %d: magic %q, want %q", start, h[:6], magic)
		}
		var f [13]uint32
		for i := range f {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				return nil, fmt.Errorf("newc: offset %d: header field %d: %w", start, i, err)
			}
			f[i] = uint32(v)
		}
		if f[11] == 0 || f[11] > 1<<20 {
			return nil, fmt.Errorf("newc: offset %d: name size %d", start, f[11])
		}
		name, err := read(int64(f[11]))
		if err != nil {
			return nil, err
		}
		if name[len(name)-1] != 0 || bytes.IndexByte(name[:len(name)-1], 0) >= 0 {
			return nil, fmt.Errorf("newc: offset %d: name %q is not one NUL-terminated string", start, name)
		}
		if err := skipPad(); err != nil {
			return nil, err
		}
		e := Entry{
			Name: string(name[:len(name)-1]), Ino: f[0], Mode: f[1], UID: f[2], GID: f[3],
			Links: f[4], MTime: f[5], Major: f[9], Minor: f[10],
		}
		if e.Name == trailer {
			return out, nil
		}
		if e.Data, err = read(int64(f[6])); err != nil {
			return nil, err
		}
		if err := skipPad(); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}
