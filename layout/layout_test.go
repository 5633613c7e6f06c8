package layout

import (
	"os"
	"testing"

	"github.com/xenbind/xenbind/headers"
	"github.com/xenbind/xenbind/parser"
)

func compute(t testing.TB, target parser.Target, mode parser.Mode, includes ...string) *Layout {
	t.Helper()
	dir, err := headers.Tree()
	if err != nil {
		t.Fatalf("pinned header tree: %v", err)
	}
	u, err := parser.Parse(parser.Config{Tree: os.DirFS(dir), Target: target, Mode: mode, Includes: includes})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func record(t *testing.T, l *Layout, name string) *RecordLayout {
	t.Helper()
	r := l.unit.Record(name)
	if r == nil {
		t.Fatalf("%s: no %s", l.ABI.Target, name)
	}
	return l.Of(r)
}

// TestFacts checks layouts everyone working on Xen knows.
func TestFacts(t *testing.T) {
	tests := []struct {
		target      parser.Target
		mode        parser.Mode
		record      string
		size, align int64
	}{
		{parser.X86_32, parser.Guest, "struct shared_info", 2344, 4},
		{parser.X86_64, parser.Guest, "struct shared_info", 3136, 8},
		{parser.ARM32, parser.Guest, "struct shared_info", 1088, 8},
		{parser.ARM64, parser.Guest, "struct shared_info", 1088, 8},
		{parser.X86_32, parser.Guest, "typedef __guest_handle_xen_pfn_t", 4, 4},
		{parser.ARM32, parser.Guest, "typedef __guest_handle_64_xen_pfn_t", 8, 8},
		{parser.X86_32, parser.Guest, "struct xen_memory_reservation", 20, 4},
		{parser.X86_64, parser.Guest, "struct xen_memory_reservation", 32, 8},
		{parser.ARM32, parser.Guest, "struct xen_memory_reservation", 32, 8},
	}
	for _, tt := range tests {
		l := compute(t, tt.target, tt.mode, parser.DefaultIncludes...)
		rl := record(t, l, tt.record)
		if rl.Size != tt.size || rl.Align != tt.align {
			t.Errorf("%s/%s %s: size %d align %d, want %d %d", tt.target, tt.mode, tt.record, rl.Size, rl.Align, tt.size, tt.align)
		}
	}
}

func TestBufIoreq(t *testing.T) {
	for _, target := range parser.Targets {
		l := compute(t, target, parser.Guest, "hvm/ioreq.h")
		if rl := record(t, l, "struct buf_ioreq"); rl.Size != 8 {
			t.Errorf("%s: struct buf_ioreq is %d bytes, want 8", target, rl.Size)
		}
	}
}
