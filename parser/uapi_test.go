package parser

import (
	"fmt"
	"os"
	"testing"

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
