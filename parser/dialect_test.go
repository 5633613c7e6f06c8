package parser

import (
	"errors"
	"testing"
	"testing/fstest"
)

// linuxFixture is a minimal tree in the Linux dialect: the interface
// header includes the architecture part through <asm/xen/interface.h> and
// uses the kernel's integer types and handle macros.
func linuxFixture() fstest.MapFS {
	arm := `#include <linux/types.h>
#define __DEFINE_GUEST_HANDLE(name, type) \
	typedef struct { union { type *p; uint64_t __attribute__((aligned(8))) q; }; } __guest_handle_ ## name
#define DEFINE_GUEST_HANDLE_STRUCT(name) __DEFINE_GUEST_HANDLE(name, struct name)
#define GUEST_HANDLE(name) __guest_handle_ ## name
typedef uint64_t xen_ulong_t;
__DEFINE_GUEST_HANDLE(uint, unsigned int);
`
	x86 := `#define __DEFINE_GUEST_HANDLE(name, type) typedef type * __guest_handle_ ## name
#define DEFINE_GUEST_HANDLE_STRUCT(name) __DEFINE_GUEST_HANDLE(name, struct name)
#define GUEST_HANDLE(name) __guest_handle_ ## name
typedef unsigned long xen_ulong_t;
__DEFINE_GUEST_HANDLE(uint, unsigned int);
#ifdef CONFIG_X86_32
#define WORD 32
#else
#define WORD 64
#endif
`
	return fstest.MapFS{
		"include/xen/interface/xen.h": {Data: []byte(`#include <asm/xen/interface.h>
#include <linux/spinlock.h>
struct probe {
	__u8 a;
	u16 b;
	GUEST_HANDLE(uint) h;
	xen_ulong_t n;
};
DEFINE_GUEST_HANDLE_STRUCT(probe);
`)},
		"arch/x86/include/asm/xen/interface.h":   {Data: []byte(x86)},
		"arch/arm/include/asm/xen/interface.h":   {Data: []byte("#include <xen/arm/interface.h>\n")},
		"arch/arm64/include/asm/xen/interface.h": {Data: []byte("#include <xen/arm/interface.h>\n")},
		"include/xen/arm/interface.h":            {Data: []byte(arm)},
	}
}

func TestLinuxDialect(t *testing.T) {
	tests := []struct {
		target   Target
		handle   Kind // what GUEST_HANDLE(uint) resolves to
		wordSize any  // the value of WORD, nil on arm
	}{
		{X86_32, Pointer, int64(32)},
		{X86_64, Pointer, int64(64)},
		{ARM32, RecordRef, nil},
		{ARM64, RecordRef, nil},
	}
	for _, tt := range tests {
		u, err := Parse(Config{Tree: linuxFixture(), TreeName: "linux", Target: tt.target, Mode: Guest, Dialect: LinuxDialect})
		if err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		r := u.Record("struct probe")
		if r == nil || len(r.Members) != 4 {
			t.Fatalf("%s: struct probe: %+v", tt.target, r)
		}
		if got := r.Members[2].Type.Resolve().Kind; got != tt.handle {
			t.Errorf("%s: GUEST_HANDLE(uint) is a %s, want %s", tt.target, got, tt.handle)
		}
		if got := r.Pos.File; got != "include/xen/interface/xen.h" {
			t.Errorf("%s: struct probe at %q, want the tree-relative include/xen/interface/xen.h", tt.target, got)
		}
		var word any
		for _, m := range u.Macros {
			if m.Name == "WORD" {
				word = m.Value
			}
		}
		if word != tt.wordSize {
			t.Errorf("%s: WORD = %v, want %v (CONFIG_X86_32 set on x86_32 only)", tt.target, word, tt.wordSize)
		}
	}
}

func TestWrongDialect(t *testing.T) {
	xen := fstest.MapFS{"xen.h": {Data: []byte("struct s { int a; };\n")}, "xen-compat.h": {Data: []byte("")}}
	tests := []struct {
		name    string
		tree    fstest.MapFS
		dialect Dialect
		want    string
	}{
		{"xen tree read as linux", xen, LinuxDialect,
			"tree t does not look like the Linux dialect: no include/xen/interface/xen.h (it has xen.h: the Xen dialect?)"},
		{"linux tree read as xen", linuxFixture(), XenDialect,
			"tree t does not look like the Xen dialect: no xen.h (it has include/xen/interface/xen.h: the Linux dialect?)"},
		{"empty tree", fstest.MapFS{}, LinuxDialect,
			"tree t does not look like the Linux dialect: no include/xen/interface/xen.h"},
	}
	for _, tt := range tests {
		_, err := Parse(Config{Tree: tt.tree, TreeName: "t", Target: X86_64, Mode: Tools, Dialect: tt.dialect})
		if err == nil || !errors.Is(err, ErrDialect) || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := ParseDialect("bsd"); err == nil {
		t.Error("ParseDialect(bsd): no error")
	}
}
