package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: -h on every command prints its flags to stdout and exits 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"gen", "-h"}, {"layout", "-h"}, {"abi", "-h"}, {"gen", "-help"}} {
		r := xenbind(t, t.TempDir(), args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: xenbind") {
			t.Errorf("xenbind %v: exit %d, stderr %q, stdout %.60q; want exit 0 and the usage on stdout", args, r.code, r.stderr, r.stdout)
		}
	}
	// Usage lines name every flag the command defines.
	for _, cmd := range []string{"gen", "layout", "abi"} {
		r := xenbind(t, t.TempDir(), cmd, "-h")
		usage, flags, _ := strings.Cut(r.stdout, "\n")
		for _, line := range strings.Split(flags, "\n") {
			f, ok := strings.CutPrefix(strings.TrimSpace(line), "-")
			if !ok || strings.HasPrefix(line, "    ") {
				continue
			}
			name, _, _ := strings.Cut(f, " ")
			name, _, _ = strings.Cut(name, "\t")
			if !strings.Contains(usage, "-"+name+" ") && !strings.Contains(usage, "-"+name+"]") {
				t.Errorf("xenbind %s: usage line %q lacks -%s", cmd, usage, name)
			}
		}
	}
}

// TestBadFlagOneMessage: a bad flag is reported once, with the usage line.
func TestBadFlagOneMessage(t *testing.T) {
	for _, cmd := range []string{"gen", "layout", "abi"} {
		r := xenbind(t, t.TempDir(), cmd, "-bogus")
		if r.code != 2 || strings.Count(r.stderr, "-bogus") != 1 || r.stdout != "" {
			t.Errorf("xenbind %s -bogus: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and one message", cmd, r.code, r.stdout, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "xenbind: "+cmd+": flag provided but not defined: -bogus\nusage: xenbind "+cmd+" ") {
			t.Errorf("xenbind %s -bogus: stderr:\n%s", cmd, r.stderr)
		}
	}
}

// TestLayoutRecords filters layout's output, text and JSON.
func TestLayoutRecords(t *testing.T) {
	r := xenbind(t, t.TempDir(), "layout", "-target", "arm32", "-records", "struct gnttab_query_size, struct xen_memory_reservation")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "\n};"); n != 2 {
		t.Errorf("%d records, want 2:\n%s", n, r.stdout)
	}
	for _, want := range []string{"struct xen_memory_reservation {", "/* size: 32, align: 8, trailing padding: 6 */", "struct gnttab_query_size {"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	r = xenbind(t, t.TempDir(), "layout", "-json", "-target", "all", "-records", "struct gnttab_query_size")
	if r.code != 0 || strings.Count(r.stdout, `"name": "struct gnttab_query_size"`) != 4 || strings.Contains(r.stdout, "xen_memory_reservation") {
		t.Errorf("layout -json -records: exit %d, %s\n%.300s", r.code, r.stderr, r.stdout)
	}
	r = xenbind(t, t.TempDir(), "layout", "-records", "struct nope")
	if r.code != 1 || !strings.Contains(r.stderr, `no record "struct nope"`) {
		t.Errorf("unknown record: exit %d, %q", r.code, r.stderr)
	}
}

// TestGenNotes: notes need -v, except a name clash no config settles.
func TestGenNotes(t *testing.T) {
	// xen_callback_t's clash with struct xen_callback is settled by the
	// default config; this tree's struct clashes with a typedef's name.
	tree := writeTree(t, "struct s { int x; };\ntypedef int S;\ntypedef struct s s_t;\n")
	out := filepath.Join(t.TempDir(), "x")
	r := xenbind(t, t.TempDir(), "gen", "-headers", tree, "-include", "xen.h", "-out", out)
	if r.code != 0 {
		t.Fatalf("gen: exit %d: %s", r.code, r.stderr)
	}
	plain := r.stderr
	r = xenbind(t, t.TempDir(), "gen", "-headers", tree, "-include", "xen.h", "-out", out, "-v")
	t.Logf("without -v:\n%s\nwith -v:\n%s", plain, r.stderr)
	if !strings.Contains(plain, "is taken by") {
		t.Errorf("an unsettled clash must be noted without -v; stderr %q", plain)
	}
	cfg := filepath.Join(t.TempDir(), "cfg")
	if err := os.WriteFile(cfg, []byte("rename typedef S SInt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = xenbind(t, t.TempDir(), "gen", "-headers", tree, "-include", "xen.h", "-out", out, "-config", cfg)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("gen with a config that settles the clash: exit %d, stderr %q; want silence", r.code, r.stderr)
	}
	r = xenbind(t, t.TempDir(), "gen", "-mode", "tools", "-include", "xen.h,memory.h,grant_table.h,version.h", "-out", out)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("gen of the pinned headers: exit %d, stderr %q; want no notes without -v", r.code, r.stderr)
	}
}

// TestPinnedRelease: -headers names a pinned release by its number, and
// a directory named like one is still read as a directory with ./.
func TestPinnedRelease(t *testing.T) {
	for _, c := range []struct {
		release string
		altp2m  bool
	}{{"4.17", false}, {"4.20", true}} {
		r := xenbind(t, t.TempDir(), "layout", "-headers", c.release, "-mode", "tools", "-include", "xen.h,domctl.h", "-target", "x86_64", "-records", "struct xen_domctl_createdomain")
		if r.code != 0 {
			t.Fatalf("-headers %s: exit %d: %s", c.release, r.code, r.stderr)
		}
		if got := strings.Contains(r.stdout, "altp2m_opts"); got != c.altp2m {
			t.Errorf("-headers %s: altp2m_opts in createdomain %v, want %v:\n%s", c.release, got, c.altp2m, r.stdout)
		}
	}
	dir := t.TempDir()
	r := xenbind(t, dir, "layout", "-headers", "./4.20")
	if r.code == 0 || !strings.Contains(r.stderr, "4.20") {
		t.Errorf("-headers ./4.20 (no such directory): exit %d, %q", r.code, r.stderr)
	}
}
