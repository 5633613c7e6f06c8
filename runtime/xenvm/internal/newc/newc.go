// Package newc writes cpio archives in the "newc" format (SVR4 without
// checksums, magic 070701): the format Linux unpacks as an initramfs.
//
// It writes only what an initramfs needs (directories, regular files,
// symbolic links, device nodes), and writes it reproducibly: modification
// times, owners and device numbers of the archive's own files are zero,
// inode numbers count up from 1 in the order entries are written. The
// kernel does not create missing parent directories, so the writer adds
// them (mode 0755) before the first entry inside them.
//
// The format, as Linux reads it (Documentation/driver-api/early-userspace/
// buffer-format.rst): each entry is a 110-byte header of "070701" and
// thirteen 8-digit hexadecimal numbers, then the name and a NUL, padded
// to a multiple of 4 bytes, then the data, padded to a multiple of 4
// bytes. The archive ends with an entry named "TRAILER!!!".
package newc

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// File types, as the mode field of a header holds them (the bits of
// S_IFMT in Linux's stat.h).
const (
	typeDir  = 0o040000
	typeReg  = 0o100000
	typeLink = 0o120000
	typeChr  = 0o020000
	typeMask = 0o170000
)

const (
	magic   = "070701"
	trailer = "TRAILER!!!"
	// maxField is the largest number a header field holds (8 hex digits).
	maxField = 1<<32 - 1
)

// Writer writes one archive. Its methods add one entry each; Close writes
// the trailer. After the first error every call returns that error.
type Writer struct {
	w    io.Writer
	pos  int64
	ino  uint32
	seen map[string]uint32 // name -> mode of the entries written
	err  error
}

// NewWriter returns a Writer that writes an archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, seen: map[string]uint32{}}
}

// Dir adds a directory.
func (w *Writer) Dir(name string, perm uint32) error {
	return w.add(name, typeDir|perm&0o7777, 0, 0, nil)
}

// File adds a regular file holding data.
func (w *Writer) File(name string, perm uint32, data []byte) error {
	return w.add(name, typeReg|perm&0o7777, 0, 0, data)
}

// Symlink adds a symbolic link at name pointing to target.
func (w *Writer) Symlink(name, target string) error {
	if target == "" {
		return w.fail(fmt.Errorf("newc: symbolic link %s: empty target", name))
	}
	return w.add(name, typeLink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node with the given device number.
func (w *Writer) CharDev(name string, perm, major, minor uint32) error {
	return w.add(name, typeChr|perm&0o7777, major, minor, nil)
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(trailer, 0, 0, 0, 0, 1); err != nil {
		return w.fail(err)
	}
	w.err = errors.New("newc: archive already closed")
	return nil
}

// add writes one entry, after the directories that lead to it.
func (w *Writer) add(name string, mode, major, minor uint32, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if err := checkName(name); err != nil {
		return w.fail(err)
	}
	if _, ok := w.seen[name]; ok {
		return w.fail(fmt.Errorf("newc: %s is already in the archive", name))
	}
	if uint64(len(data)) > maxField {
		return w.fail(fmt.Errorf("newc: %s: %d bytes is more than a newc entry holds", name, len(data)))
	}
	if dir := path.Dir(name); dir != "." {
		m, ok := w.seen[dir]
		switch {
		case !ok:
			if err := w.add(dir, typeDir|0o755, 0, 0, nil); err != nil {
				return err
			}
		case m&typeMask != typeDir:
			return w.fail(fmt.Errorf("newc: %s: %s is not a directory", name, dir))
		}
	}
	w.seen[name] = mode
	if err := w.header(name, mode, uint32(len(data)), major, minor, 1); err != nil {
		return w.fail(err)
	}
	if _, err := w.write(data); err != nil {
		return w.fail(err)
	}
	if err := w.pad(); err != nil {
		return w.fail(err)
	}
	return nil
}

// header writes an entry's header and name. The trailer has inode 0 and
// one link, as GNU cpio writes it.
func (w *Writer) header(name string, mode, size, major, minor uint32, links uint32) error {
	ino := uint32(0)
	if name != trailer {
		w.ino++
		ino = w.ino
	}
	if mode&typeMask == typeDir {
		links = 2
	}
	fields := [13]uint32{
		ino,
		mode,
		0, // uid
		0, // gid
		links,
		0, // mtime
		size,
		0, 0, // major and minor of the device holding the file
		major, minor, // of the device the node stands for
		uint32(len(name) + 1), // with the NUL
		0,                     // check: unused in newc
	}
	var b strings.Builder
	b.Grow(110 + len(name) + 4)
	b.WriteString(magic)
	for _, f := range fields {
		fmt.Fprintf(&b, "%08X", f)
	}
	b.WriteString(name)
	b.WriteByte(0)
	if _, err := w.write([]byte(b.String())); err != nil {
		return err
	}
	return w.pad()
}

func (w *Writer) write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.pos += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

// pad writes zeros up to the next multiple of 4 bytes.
func (w *Writer) pad() error {
	if n := -w.pos & 3; n != 0 {
		_, err := w.write(make([]byte, n))
		return err
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// checkName accepts a relative, clean, slash-separated name inside the
// archive's root.
func checkName(name string) error {
	switch {
	case name == "" || name == ".":
		return errors.New("newc: empty name")
	case name == trailer:
		return fmt.Errorf("newc: %s is the name of the archive's end", name)
	case path.IsAbs(name), path.Clean(name) != name, name == "..", strings.HasPrefix(name, "../"):
		return fmt.Errorf("newc: bad name %q: want a clean relative path", name)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("newc: bad name %q: holds a NUL", name)
	case uint64(len(name))+1 > maxField:
		return fmt.Errorf("newc: name of %d bytes is too long", len(name))
	}
	return nil
}
