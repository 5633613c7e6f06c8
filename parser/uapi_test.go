package parser

import (
	"fmt"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/headers"
)

// TestUAPIDialect parses the pinned Linux device headers for every target:
// their records and ioctl numbers are there, and nothing of the system
// headers they include is.
func TestUAPIDialect(t *testing.T) {
	dir, err := headers.UAPITree()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range Targets {
		u, err := Parse(Config{Tree: os.DirFS(dir), TreeName: "uapi", Target: tg, Mode: Tools, Dialect: UAPIDialect,
			Includes: []string{"xen/privcmd.h", "xen/evtchn.h", "xen/gntdev.h", "xen/gntalloc.h"}})
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		for _, r := range []string{"struct privcmd_hypercall", "struct privcmd_mmapbatch_v2", "struct ioctl_evtchn_bind_virq", "struct ioctl_gntdev_grant_copy", "struct ioctl_gntalloc_alloc_gref"} {
			if u.Record(r) == nil {
				t.Errorf("%s: no %s", tg, r)
			}
		}
		vals := map[string]any{}
		for _, m := range u.Macros {
			vals[m.Name] = m.Value
			if m.Header != "xen/privcmd.h" && m.Header != "xen/evtchn.h" && m.Header != "xen/gntdev.h" && m.Header != "xen/gntalloc.h" {
				t.Errorf("%s: macro %s from %s", tg, m.Name, m.Header)
			}
		}
		// _IOC(_IOC_NONE, type, nr, size) = size<<16 | type<<8 | nr;
		// struct ioctl_gntalloc_dealloc_gref { __u64 index; __u32 count; }
		// is 12 bytes where a __u64 is 4-aligned (x86_32), else 16.
		dealloc := uint64(16<<16 | 'G'<<8 | 6)
		if tg == X86_32 {
			dealloc = 12<<16 | 'G'<<8 | 6
		}
		for name, want := range map[string]uint64{
			"IOCTL_PRIVCMD_HYPERCALL":     48<<16 | 'P'<<8 | 0,
			"IOCTL_EVTCHN_RESET":          'E'<<8 | 5,
			"IOCTL_GNTALLOC_DEALLOC_GREF": dealloc,
		} {
			if got := fmt.Sprint(vals[name]); got != fmt.Sprint(want) {
				t.Errorf("%s: %s = %s, want %#x", tg, name, got, want)
			}
		}
		for _, r := range u.Records {
			if r.Header == "" || r.Header[0] == '/' {
				continue
			}
			if r.Header != "xen/privcmd.h" && r.Header != "xen/evtchn.h" && r.Header != "xen/gntdev.h" && r.Header != "xen/gntalloc.h" {
				t.Errorf("%s: record %s from %s", tg, r.Name, r.Header)
			}
		}
	}
}

// uapiFixture is a small tree of the UAPI dialect with its headers below
// dir: "." as linux-libc-dev installs them, "include/uapi" as a kernel
// source tree holds them, before headers_install removes the kernel's
// annotations (the source's device header includes linux/compiler.h and
// marks pointers __user).
func uapiFixture(dir string) fstest.MapFS {
	dev := "#include <linux/types.h>\n#include <linux/compiler.h>\nstruct dev_op { void __user *p; __u32 n; } __packed;\nstruct dev_arg { void __user *p; __u32 n; };\n#define IOCTL_DEV_OP _IOC(_IOC_NONE, 'D', 1, sizeof(struct dev_arg))\n"
	if dir == "." {
		dev = "#include <linux/types.h>\n\nstruct dev_op { void *p; __u32 n; } __attribute__((packed));\nstruct dev_arg { void *p; __u32 n; };\n#define IOCTL_DEV_OP _IOC(_IOC_NONE, 'D', 1, sizeof(struct dev_arg))\n"
	}
	files := map[string]string{
		"linux/types.h": "#ifndef _LINUX_TYPES_H\n#define _LINUX_TYPES_H\ntypedef unsigned short __u16;\ntypedef unsigned int __u32;\ntypedef unsigned long long __u64;\n#endif\n",
		"linux/ioctl.h": "#define _IOC_NONE 0U\n#define _IOC(dir, type, nr, size) (((dir) << 30) | ((size) << 16) | ((type) << 8) | (nr))\n",
		"linux/bad.h":   "struct broken { int a b; };\n",
		"xen/dev.h":     dev,
		"xen/bad.h":     "#include <linux/bad.h>\n",
	}
	m := fstest.MapFS{}
	for name, text := range files {
		m[path.Join(dir, name)] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

// TestUAPIKernelSourceTree: the UAPI dialect reads a kernel source tree's
// include/uapi (given the tree's root) as it reads installed headers: the
// same record and ioctl number, positions relative to the tree, errors in
// its system headers named by their path in the tree.
func TestUAPIKernelSourceTree(t *testing.T) {
	for _, tt := range []struct{ dir, header string }{
		{".", "xen/dev.h"},
		{"include/uapi", "include/uapi/xen/dev.h"},
	} {
		for _, tg := range []Target{X86_32, ARM64} {
			u, err := Parse(Config{Tree: uapiFixture(tt.dir), TreeName: "t", Target: tg, Mode: Tools, Dialect: UAPIDialect, Includes: []string{"xen/dev.h"}})
			if err != nil {
				t.Fatalf("%s %s: %v", tt.dir, tg, err)
			}
			r := u.Record("struct dev_op")
			if r == nil {
				t.Fatalf("%s %s: no struct dev_op", tt.dir, tg)
			}
			ptr := int64(4)
			if tg == ARM64 {
				ptr = 8
			}
			if r.Header != tt.header || !r.Packed || len(r.Members) != 2 || r.Members[0].Type.Kind != Pointer {
				t.Errorf("%s %s: struct dev_op from %s, packed %v, fields %d, want %s, packed, a pointer and __u32", tt.dir, tg, r.Header, r.Packed, len(r.Members), tt.header)
			}
			var got any
			for _, m := range u.Macros {
				if m.Name == "IOCTL_DEV_OP" {
					got = m.Value
				}
			}
			// struct dev_arg: a pointer and a __u32, padded to the
			// pointer's alignment.
			if want := uint64(2*ptr<<16 | 'D'<<8 | 1); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s: IOCTL_DEV_OP = %v, want %#x", tt.dir, tg, got, want)
			}
		}
		_, err := Parse(Config{Tree: uapiFixture(tt.dir), TreeName: "t", Target: X86_64, Mode: Tools, Dialect: UAPIDialect, Includes: []string{"xen/bad.h"}})
		if want := "t/" + path.Join(tt.dir, "linux/bad.h") + ":"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: syntax error in a system header: %v, want it at %s", tt.dir, err, want)
		}
	}
	_, err := Parse(Config{Tree: fstest.MapFS{}, TreeName: "t", Target: X86_64, Mode: Tools, Dialect: UAPIDialect})
	if want := "tree t does not look like the Linux UAPI dialect: no linux/ioctl.h nor include/uapi/linux/ioctl.h"; err == nil || err.Error() != want {
		t.Errorf("empty tree: %v, want %q", err, want)
	}
}
