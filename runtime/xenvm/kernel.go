package xenvm

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/therootcompany/xz"
)

// ExtractVmlinux returns the ELF kernel inside an x86 bzImage.
//
// The boot protocol (Documentation/arch/x86/boot.rst, version 2.08 on)
// records where the compressed kernel lies: payload_offset and
// payload_length, counted from the start of the protected-mode code, which
// follows the (setup_sects+1) 512-byte sectors of real-mode setup. Debian
// compresses it with xz and the x86 BCJ filter, which
// github.com/therootcompany/xz (a port of the kernel's own XZ Embedded)
// decodes; Linux appends the uncompressed size as 4 little-endian bytes.
func ExtractVmlinux(bzImage []byte) ([]byte, error) {
	const (
		setupSectsOff  = 0x1f1
		headerOff      = 0x202
		versionOff     = 0x206
		payloadOffOff  = 0x248
		payloadLenOff  = 0x24c
		minVersion     = 0x0208
		defaultSetup   = 4
		sectorSize     = 512
		sizeTrailerLen = 4
	)
	if len(bzImage) < payloadLenOff+4 || string(bzImage[headerOff:headerOff+4]) != "HdrS" {
		return nil, errors.New("not an x86 bzImage (no HdrS boot header)")
	}
	if v := binary.LittleEndian.Uint16(bzImage[versionOff:]); v < minVersion {
		return nil, fmt.Errorf("boot protocol %#x has no payload fields (need %#x)", v, minVersion)
	}
	setup := int(bzImage[setupSectsOff])
	if setup == 0 {
		setup = defaultSetup
	}
	start := (setup+1)*sectorSize + int(binary.LittleEndian.Uint32(bzImage[payloadOffOff:]))
	end := start + int(binary.LittleEndian.Uint32(bzImage[payloadLenOff:]))
	if start < 0 || end > len(bzImage) || end-start < sizeTrailerLen {
		return nil, fmt.Errorf("payload [%d, %d) lies outside the %d-byte image", start, end, len(bzImage))
	}
	payload := bzImage[start:end]

	var r io.Reader
	var want int
	switch {
	case bytes.HasPrefix(payload, []byte("\xfd7zXZ\x00")):
		want = int(binary.LittleEndian.Uint32(payload[len(payload)-sizeTrailerLen:]))
		xr, err := xz.NewReader(bytes.NewReader(payload[:len(payload)-sizeTrailerLen]), 0)
		if err != nil {
			return nil, fmt.Errorf("xz payload: %w", err)
		}
		r = xr
	case bytes.HasPrefix(payload, []byte("\x1f\x8b")):
		gr, err := gzip.NewReader(bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("gzip payload: %w", err)
		}
		r = gr
	default:
		return nil, fmt.Errorf("payload compressed in a format xenvm does not read (magic % x); boot the bzImage instead (KernelExtract false)", payload[:min(6, len(payload))])
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("unpacking payload: %w", err)
	}
	if want != 0 && len(out) != want {
		return nil, fmt.Errorf("payload unpacked to %d bytes, the image says %d", len(out), want)
	}
	if !bytes.HasPrefix(out, []byte(elf.ELFMAG)) {
		return nil, errors.New("payload is not an ELF kernel")
	}
	return out, nil
}

// XenModules are the kernel modules dom0 needs for user-space hypercalls
// and the Xen devices the integration tests use.
var XenModules = []string{"xen-privcmd", "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xenfs"}

// Module is a kernel module ready for insmod.
type Module struct {
	Name string // as modinfo spells it: "xen_privcmd"
	Data []byte // the uncompressed .ko
}

// ModuleName normalizes a module name: Linux treats '-' and '_' alike.
func ModuleName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// LoadModules reads the named modules and everything they depend on from a
// lib/modules/RELEASE directory, in an order insmod can load them in:
// dependencies first. Debian's package has no modules.dep (depmod writes it
// at install time), so the dependencies come from each module's own
// .modinfo "depends=" entry, as depmod reads them.
func LoadModules(dir string, names []string) ([]Module, error) {
	paths := map[string]string{}
	err := filepath.WalkDir(filepath.Join(dir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name, ok := koName(d.Name()); ok && !d.IsDir() {
			paths[ModuleName(name)] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var out []Module
	state := map[string]int{} // 1: loading, 2: done
	var load func(name string, from []string) error
	load = func(name string, from []string) error {
		name = ModuleName(name)
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(from, name), " -> "))
		case 2:
			return nil
		}
		p, ok := paths[name]
		if !ok {
			if len(from) > 0 {
				return fmt.Errorf("module %s (needed by %s) not found in %s", name, from[len(from)-1], dir)
			}
			return fmt.Errorf("module %s not found in %s", name, dir)
		}
		state[name] = 1
		data, err := readModule(p)
		if err != nil {
			return fmt.Errorf("module %s: %w", name, err)
		}
		deps, err := moduleDepends(data)
		if err != nil {
			return fmt.Errorf("module %s: %s: %w", name, filepath.Base(p), err)
		}
		for _, dep := range deps {
			if err := load(dep, append(from, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, Module{Name: name, Data: data})
		return nil
	}
	for _, n := range names {
		if err := load(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// koName returns the module name of a file name: x.ko, x.ko.xz.
func koName(file string) (string, bool) {
	for _, ext := range []string{".ko", ".ko.xz"} {
		if strings.HasSuffix(file, ext) {
			return strings.TrimSuffix(file, ext), true
		}
	}
	return "", false
}

// readModule returns a module's ELF bytes; busybox insmod cannot read
// compressed modules, so a .ko.xz is unpacked here.
func readModule(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".xz") {
		return b, err
	}
	r, err := xz.NewReader(bytes.NewReader(b), 0)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// moduleDepends reads the "depends=" entry of a module's .modinfo section:
// NUL-separated key=value strings, the dependencies comma-separated.
func moduleDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	var deps []string
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			for _, d := range strings.Split(string(v), ",") {
				if d != "" {
					deps = append(deps, d)
				}
			}
		}
	}
	sort.Strings(deps) // deterministic load order
	return deps, nil
}
