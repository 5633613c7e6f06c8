package parser

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/xenbind/xenbind/cache"
)

// TestCodecRoundTrip: decoding an encoded unit gives the same model, with
// one record (enum, typedef) object wherever the parse had one.
func TestCodecRoundTrip(t *testing.T) {
	for _, target := range Targets {
		for _, mode := range Modes {
			u := parse(t, target, mode, "xen.h", "memory.h", "grant_table.h", "version.h", "event_channel.h", "sched.h", "physdev.h", "hvm/hvm_op.h")
			b, err := encodeUnit(u)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{TreeName: "xen"}
			got, err := decodeUnit(b, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, c := *u, *got
			a.display, c.display = nil, nil
			a.encoded, c.encoded = nil, nil // set by Parse when the child sent u
			if !reflect.DeepEqual(&a, &c) {
				t.Fatalf("%s/%s: decoded unit differs", target, mode)
			}
			// Identity: a type naming a record of the unit points at the
			// unit's own record object.
			in := map[*Record]bool{}
			for _, r := range got.Records {
				in[r] = true
				if r.Parent != nil && !in[r.Parent] {
					t.Errorf("%s/%s: %s: parent is not the unit's record", target, mode, r.Name)
				}
			}
			for _, r := range got.Records {
				for _, m := range r.Members {
					ty := m.Type
					for ty.Kind == Array || ty.Kind == TypedefRef && ty.Elem != nil {
						ty = ty.Elem
					}
					if ty.Kind == RecordRef && ty.Record.Complete() && !in[ty.Record] && got.Record(ty.Record.Name) != nil {
						t.Errorf("%s/%s: %s.%s: record %s is a copy", target, mode, r.Name, m.Name, ty.Record.Name)
					}
				}
			}
			if got.Record("struct xen_memory_reservation") == nil || got.Typedef("domid_t") == nil {
				t.Errorf("%s/%s: lookups by name fail after decoding", target, mode)
			}
		}
	}
}

// TestCacheSeesEveryByte: a parse comes from the cache while its inputs
// are unchanged, and is parsed again when one byte of an included header
// changes, when a header it looked for appears, or with NoCache.
func TestCacheSeesEveryByte(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("xen.h", "#include \"a.h\"\n#define FROM_XEN 1\n")
	write("xen-compat.h", "#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00\n")
	write("a.h", "#define VALUE 1\n")
	cfg := Config{Tree: os.DirFS(dir), TreeName: "t", Mode: Tools}
	value := func(c Config) any {
		t.Helper()
		us, err := ParseTargets(c, []Target{X86_64})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range us[0].Macros {
			if m.Name == "VALUE" {
				return m.Value
			}
		}
		return nil
	}
	if v := value(cfg); v != int64(1) {
		t.Fatalf("VALUE = %v, want 1", v)
	}
	// Replace the cached model by one that says VALUE is 99: only a
	// lookup through the cache can see it.
	forge := func() {
		t.Helper()
		k1 := inputsKey(&Config{TreeName: "t", Target: X86_64, Mode: Tools})
		list, ok := cache.Get(inputsKind, k1)
		if !ok {
			t.Fatal("no inputs entry after a parse")
		}
		u, err := Parse(Config{Tree: fstest.MapFS{
			"xen.h": {Data: []byte("#define VALUE 99\n")},
		}, Target: X86_64, Mode: Tools})
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeUnit(u)
		if err != nil {
			t.Fatal(err)
		}
		cache.Put(modelKind, modelKey(k1, list), b)
	}
	forge()
	if v := value(cfg); v != int64(99) {
		t.Fatalf("VALUE = %v from an unchanged tree, want the cached 99: the cache is not used", v)
	}
	noCache := cfg
	noCache.NoCache = true
	if v := value(noCache); v != int64(1) {
		t.Errorf("VALUE = %v with NoCache, want 1 (parsed)", v)
	}
	write("a.h", "#define VALUE 2\n") // one byte
	if v := value(cfg); v != int64(2) {
		t.Errorf("VALUE = %v after a.h changed, want 2", v)
	}
	forge()
	if v := value(cfg); v != int64(99) {
		t.Fatalf("VALUE = %v, want the cached 99", v)
	}
	// A header found on the second search path is shadowed once a file
	// of that name appears on the first: the preprocessor looked for it
	// there, so its absence counts among the inputs.
	write("xen.h", "#include \"sub/x.h\"\n")
	write("sub/x.h", "#include \"y.h\"\n")
	write("y.h", "#define VALUE 3\n")
	if v := value(cfg); v != int64(3) {
		t.Fatalf("VALUE = %v, want 3 from y.h", v)
	}
	write("sub/y.h", "#define VALUE 4\n")
	if v := value(cfg); v != int64(4) {
		t.Errorf("VALUE = %v after sub/y.h appeared, want 4: a file looked for and not found is not among the inputs", v)
	}
}

// countingFS counts the opens of each name.
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

// TestRecordFSReadsOnce: a file the parse opens again (the child's server
// stats it, then reads it) is read from the tree once, and served from
// memory after: a change to it during the parse does not reach the parse,
// which sees the bytes its manifest records.
func TestRecordFSReadsOnce(t *testing.T) {
	tree := fstest.MapFS{"xen.h": {Data: []byte("int x;\n")}}
	under := &countingFS{FS: tree, opens: map[string]int{}}
	rec := &recordFS{fs: under, reads: map[string]string{}}
	for range 3 {
		if _, err := fs.Stat(rec, "xen.h"); err != nil {
			t.Fatal(err)
		}
		b, err := fs.ReadFile(rec, "xen.h")
		if err != nil || string(b) != "int x;\n" {
			t.Fatalf("ReadFile: %q, %v", b, err)
		}
		b[0] = 'X' // the caller's own copy
		tree["xen.h"] = &fstest.MapFile{Data: []byte("long x;\n")}
	}
	if n := under.opens["xen.h"]; n > 2 { // one stat, one read
		t.Errorf("xen.h opened %d times in the tree", n)
	}
	want := "xen.h\t" + fileDigest([]byte("int x;\n")) + "\n"
	if got := string(rec.manifest()); got != want {
		t.Errorf("manifest %q, want %q", got, want)
	}
	// A new parse reads the tree as it is now.
	rec = &recordFS{fs: under, reads: map[string]string{}}
	if b, err := fs.ReadFile(rec, "xen.h"); err != nil || string(b) != "long x;\n" {
		t.Fatalf("new parse: %q, %v", b, err)
	}
}
