package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Dialect names a way of laying out and spelling Xen's public interface in
// a header tree: Xen's own tree, or the copy the Linux kernel carries.
type Dialect string

const (
	// XenDialect is Xen's xen/include/public (Debian's usr/include/xen):
	// xen.h at the tree's root, XEN_GUEST_HANDLE, arch-x86/ and arch-arm/.
	XenDialect Dialect = "xen"
	// LinuxDialect is the Linux kernel's copy: the tree is the kernel
	// headers' root (Debian's usr/src/linux-headers-*-common), the headers
	// live in include/xen/interface/ and spell handles GUEST_HANDLE() and
	// DEFINE_GUEST_HANDLE_STRUCT(); the architecture part comes from
	// <asm/xen/interface.h> under arch/<arch>/include.
	LinuxDialect Dialect = "linux"
	// UAPIDialect is Linux's user-space API headers as Debian's
	// linux-libc-dev installs them (the tree is its usr/include), or as a
	// kernel source tree holds them before headers_install (the tree is
	// the source's root, or Debian's usr/src/linux-headers-*-common, and
	// the headers are in its include/uapi): the Xen device headers
	// xen/privcmd.h, xen/evtchn.h, xen/gntdev.h and xen/gntalloc.h with
	// the linux/ and asm-generic/ headers they include. Those included headers are read from the tree as system
	// headers: their typedefs stand for their types and nothing of theirs
	// is generated. The per-architecture asm/ headers and the kernel's
	// xen/interface/xen.h, which the device headers use but the package
	// does not ship, are built in (see uapiBuiltins).
	UAPIDialect Dialect = "uapi"
)

// Dialects lists every supported dialect.
var Dialects = []Dialect{XenDialect, LinuxDialect, UAPIDialect}

// ParseDialect converts a command-line spelling to a Dialect.
func ParseDialect(s string) (Dialect, error) {
	for _, d := range Dialects {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown dialect %q (want xen, linux or uapi)", s)
}

// dialect is what the parser needs to know to read a tree of one dialect.
type dialect struct {
	name Dialect
	// title names the dialect in messages.
	title string
	// dir is the directory, relative to the tree, that -include names
	// are relative to.
	dir string
	// marker is a file every tree of the dialect has, relative to the
	// tree's root (see roots).
	marker string
	// roots are the directories, relative to the tree, where a tree of
	// the dialect may have its layout, tried in order: the first holding
	// the marker is the root the other paths are relative to. nil means
	// the tree itself.
	roots []string
	// versioned: guest mode reads __XEN_LATEST_INTERFACE_VERSION__ from
	// the tree's xen-compat.h.
	versioned bool
	// prelude is included before the headers, as the code that includes
	// them in their own project always has included it.
	prelude string
	// predefined returns macros the dialect's build defines for a target,
	// on top of the target's compiler macros.
	predefined func(Target) string
	// searchPaths returns the preprocessor's search paths for a target.
	searchPaths func(Target) (quote, sys []string)
	// first is the header every translation unit starts with, "" if none.
	first string
}

var dialects = []dialect{
	{
		name:      XenDialect,
		title:     "Xen dialect",
		dir:       ".",
		marker:    "xen.h",
		versioned: true,
		prelude:   "#include <stdint.h>\n#include <stddef.h>\n",
		predefined: func(Target) string {
			return ""
		},
		searchPaths: func(Target) ([]string, []string) {
			return []string{"@", treeRoot}, []string{builtinRoot}
		},
		first: "xen.h",
	},
	{
		name:   LinuxDialect,
		title:  "Linux dialect",
		dir:    "include/xen/interface",
		marker: "include/xen/interface/xen.h",
		// Inside the kernel every file sees linux/types.h first, through
		// the headers that include the Xen interface.
		prelude: "#include <linux/types.h>\n#include <stddef.h>\n",
		predefined: func(t Target) string {
			k := kernelArchOf(t)
			if k == nil {
				return ""
			}
			return "#define __KERNEL__ 1\n" + k.config
		},
		searchPaths: func(t Target) ([]string, []string) {
			k := kernelArchOf(t)
			if k == nil {
				return []string{"@"}, []string{builtinRoot}
			}
			arch := treeRoot + "/arch/" + k.dir
			sys := []string{
				// The built-in kernel headers come first: the real
				// ones pull in the whole kernel and generated files.
				builtinRoot + "/" + linuxBuiltinDir,
				arch + "/include",
				arch + "/include/uapi",
				treeRoot + "/include",
				treeRoot + "/include/uapi",
				builtinRoot,
			}
			return append([]string{"@"}, sys...), sys
		},
		first: "xen.h",
	},
	{
		name:   UAPIDialect,
		title:  "Linux UAPI dialect",
		dir:    ".",
		marker: "linux/ioctl.h",
		// Installed (usr/include), or a kernel source tree's include/uapi.
		roots: []string{".", "include/uapi"},
		// The device headers use domid_t, xen_pfn_t and grant_ref_t
		// without including what defines them (evtchn.h, gntdev.h) or
		// through the kernel-internal <xen/interface/xen.h> (privcmd.h):
		// their users include the Xen types first, as libxenevtchn and
		// its siblings do; privcmd.h also uses size_t, and none includes
		// <linux/ioctl.h> for the _IOC they use (their users include
		// <sys/ioctl.h>, which does).
		prelude: "#include <stddef.h>\n#include <linux/types.h>\n#include <linux/ioctl.h>\n#include <xen/interface/xen.h>\n",
		predefined: func(Target) string {
			return ""
		},
		searchPaths: func(Target) ([]string, []string) {
			// System headers come from the tree too, under another
			// root, so that their declarations are system ones.
			sys := []string{builtinRoot + "/" + uapiBuiltinDir, uapiSysRoot, builtinRoot}
			return append([]string{"@"}, sys...), sys
		},
	},
}

// uapiSysRoot is the root under which the UAPI dialect's tree is served as
// system headers: a declaration whose file is below it (like one from the
// built-in headers) belongs to no included header.
const uapiSysRoot = builtinRoot + "/uapi-tree"

// kernelArch is how the Linux kernel names and configures a target.
type kernelArch struct {
	target Target
	// dir is the directory under arch/.
	dir string
	// config holds the CONFIG_ macros of the kernel's configuration that
	// the Xen interface headers test (CONFIG_X86_32 in xen.h and
	// asm/xen/interface.h).
	config string
}

var kernelArches = []kernelArch{
	{X86_32, "x86", "#define CONFIG_X86 1\n#define CONFIG_X86_32 1\n"},
	{X86_64, "x86", "#define CONFIG_X86 1\n#define CONFIG_X86_64 1\n#define CONFIG_64BIT 1\n"},
	{ARM32, "arm", "#define CONFIG_ARM 1\n"},
	{ARM64, "arm64", "#define CONFIG_ARM64 1\n#define CONFIG_64BIT 1\n"},
}

func kernelArchOf(t Target) *kernelArch {
	for i := range kernelArches {
		if kernelArches[i].target == t {
			return &kernelArches[i]
		}
	}
	return nil
}

func dialectOf(d Dialect) (*dialect, error) {
	if d == "" {
		d = XenDialect
	}
	for i := range dialects {
		if dialects[i].name == d {
			return &dialects[i], nil
		}
	}
	return nil, fmt.Errorf("unknown dialect %q (want xen, linux or uapi)", d)
}

// root returns the directory of tree, relative to it, that holds the
// dialect's layout: the first of its roots with the marker, or the first
// root when none has it (CheckDialect then says so).
func (d *dialect) root(tree fs.FS) string {
	return d.rootBy(func(name string) bool {
		_, err := fs.Stat(tree, name)
		return err == nil
	})
}

// rootBy is root, with exists telling whether the tree has a name.
func (d *dialect) rootBy(exists func(name string) bool) string {
	if len(d.roots) == 0 {
		return "."
	}
	for _, r := range d.roots {
		if exists(path.Join(r, d.marker)) {
			return r
		}
	}
	return d.roots[0]
}

// markers are the places the marker may be, relative to the tree.
func (d *dialect) markers() []string {
	if len(d.roots) == 0 {
		return []string{d.marker}
	}
	var out []string
	for _, r := range d.roots {
		out = append(out, path.Join(r, d.marker))
	}
	return out
}

// path returns the tree-relative name of an -include name in a tree whose
// dialect root is root.
func (d *dialect) path(root, h string) string { return path.Join(root, d.dir, h) }

// ErrDialect reports a tree that is not laid out as its declared dialect.
var ErrDialect = errors.New("wrong dialect")

// CheckDialect reports whether tree looks like a header tree of dialect d:
// a plain error naming the missing file when it does not, and the dialect
// it looks like instead when it looks like another. name is how messages
// name the tree.
func CheckDialect(tree fs.FS, name string, d Dialect) error {
	dl, err := dialectOf(d)
	if err != nil {
		return err
	}
	if name == "" {
		name = "."
	}
	for _, m := range dl.markers() {
		if _, err := fs.Stat(tree, m); err == nil {
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tree %s: %w", name, err)
		}
	}
	msg := fmt.Sprintf("tree %s does not look like the %s: no %s", name, dl.title, strings.Join(dl.markers(), " nor "))
	for i := range dialects {
		other := &dialects[i]
		if other.name == dl.name {
			continue
		}
		for _, m := range other.markers() {
			if _, err := fs.Stat(tree, m); err == nil {
				msg += fmt.Sprintf(" (it has %s: the %s?)", m, other.title)
				break
			}
		}
	}
	return dialectError(msg)
}

// dialectError is ErrDialect with the message that explains it.
type dialectError string

func (e dialectError) Error() string        { return string(e) }
func (e dialectError) Is(target error) bool { return target == ErrDialect }

// linuxBuiltinDir is where, below builtinRoot, the Linux dialect's own
// built-in headers are served.
const linuxBuiltinDir = "linux-dialect"

// linuxBuiltins stand in for the kernel headers the Xen interface headers
// include: the fixed-size integer types, and nothing for the headers that
// are included but not used by the interface.
var linuxBuiltins = map[string]string{
	"linux/types.h": `#ifndef _XENBIND_LINUX_TYPES_H
#define _XENBIND_LINUX_TYPES_H
#include <stdint.h>
#include <stddef.h>
typedef __INT8_TYPE__ __s8;
typedef __UINT8_TYPE__ __u8;
typedef __INT16_TYPE__ __s16;
typedef __UINT16_TYPE__ __u16;
typedef __INT32_TYPE__ __s32;
typedef __UINT32_TYPE__ __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef _Bool bool;
typedef unsigned long ulong;
#endif
`,
	"linux/spinlock.h": "/* included by xen/interface/memory.h, not used by it */\n",
}

// uapiBuiltinDir is where, below builtinRoot, the UAPI dialect's own
// built-in headers are served.
const uapiBuiltinDir = "uapi-dialect"

// uapiBuiltins are the headers the UAPI dialect builds in.
//
// asm/: linux-libc-dev installs these per architecture (usr/include/
// TRIPLET/asm). On x86 (32 and 64 bit), arm and arm64 the ones the device
// headers reach, asm/types.h, asm/ioctl.h and asm/posix_types.h, are the
// asm-generic ones (arm's types.h only fixes the C library's
// __INT32_TYPE__ spelling and x86's posix_types.h only types the device
// headers do not use), and asm/bitsperlong.h sets __BITS_PER_LONG to the
// width of long before including asm-generic's, which would say 32.
//
// linux/compiler.h and linux/compiler_types.h: the uapi headers of a
// kernel source tree include them for the kernel's annotations, and
// headers_install deletes those includes and the annotations when it
// installs the headers (scripts/headers_install.sh): __user, __force and
// __iomem go, __attribute_const__ too, __packed becomes
// __attribute__((packed)). The built-ins do the same, so a source tree's
// headers declare what the installed ones do; installed trees never
// include them.
//
// xen/interface/xen.h is the Linux kernel's copy of Xen's xen.h, which
// linux-libc-dev does not ship; the device headers need three of its
// types: domid_t and grant_ref_t, and xen_pfn_t, which the kernel's
// asm/xen/interface.h defines as unsigned long on x86 and as uint64_t on
// arm and arm64.
var uapiBuiltins = map[string]string{
	"asm/types.h":       "#include <asm-generic/types.h>\n",
	"asm/ioctl.h":       "#include <asm-generic/ioctl.h>\n",
	"asm/posix_types.h": "#include <asm-generic/posix_types.h>\n",
	"asm/bitsperlong.h": `#ifndef _XENBIND_ASM_BITSPERLONG_H
#define _XENBIND_ASM_BITSPERLONG_H
#ifdef __LP64__
#define __BITS_PER_LONG 64
#else
#define __BITS_PER_LONG 32
#endif
#include <asm-generic/bitsperlong.h>
#endif
`,
	"linux/compiler.h": "#include <linux/compiler_types.h>\n",
	"linux/compiler_types.h": `#ifndef _XENBIND_LINUX_COMPILER_TYPES_H
#define _XENBIND_LINUX_COMPILER_TYPES_H
#define __user
#define __force
#define __iomem
#define __attribute_const__
#define __packed __attribute__((packed))
#endif
`,
	"xen/interface/xen.h": `#ifndef _XENBIND_XEN_INTERFACE_XEN_H
#define _XENBIND_XEN_INTERFACE_XEN_H
#include <linux/types.h>
typedef __u16 domid_t;
typedef __u32 grant_ref_t;
#if defined(__i386__) || defined(__x86_64__)
typedef unsigned long xen_pfn_t;
#else
typedef __u64 xen_pfn_t;
#endif
#endif
`,
}

// DialectBuiltins returns the headers the parser builds in for dialect d,
// by include name, beyond the freestanding stdint.h and stddef.h: what a C
// compiler must be given to see the same translation unit (the golden
// checks write them out for gcc).
func DialectBuiltins(d Dialect) map[string]string {
	var m map[string]string
	switch d {
	case LinuxDialect:
		m = linuxBuiltins
	case UAPIDialect:
		m = uapiBuiltins
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// DialectPrelude is what the parser puts before a dialect's headers.
func DialectPrelude(d Dialect) (string, error) {
	dl, err := dialectOf(d)
	if err != nil {
		return "", err
	}
	return dl.prelude, nil
}

// builtinHeader returns a built-in header by its name below builtinRoot.
func builtinHeader(name string) (string, bool) {
	if rest, ok := strings.CutPrefix(name, uapiBuiltinDir+"/"); ok {
		s, ok := uapiBuiltins[rest]
		return s, ok
	}
	if rest, ok := strings.CutPrefix(name, linuxBuiltinDir+"/"); ok {
		s, ok := linuxBuiltins[rest]
		return s, ok
	}
	s, ok := builtinHeaders[name]
	return s, ok
}
