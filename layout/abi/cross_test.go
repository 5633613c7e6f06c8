package abi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/parser"
)

func xenReport(t testing.TB) *Report {
	t.Helper()
	return Compare(load(t, xenTree(t), "xen", parser.XenDialect, parser.Guest, false))
}

// TestCrossArch checks the report on Xen 4.17's three main headers against
// facts about the ABI. The x86 verdicts are the ones Xen's own compat
// layer has by hand (xen/include/xlat.lst: '?' checked to be the same,
// '!' translated).
func TestCrossArch(t *testing.T) {
	rep := xenReport(t)
	tests := []struct {
		record       string
		sizes        [4]int64 // x86_32 x86_64 arm32 arm64; -1 for absent
		class        Class
		x86, arm     Compat
		alignDiffers bool
		// first is where x86_32 and x86_64 part, "" when they do not.
		first string
	}{
		{"struct shared_info", [4]int64{2344, 3136, 1088, 1088}, Different, Translate, PassThrough, true,
			"vcpu_info[].evtchn_pending_sel: offset 4 -> 8, size 4 -> 8"},
		{"struct vcpu_info", [4]int64{64, 64, 48, 48}, Different, Translate, PassThrough, true,
			"evtchn_pending_sel: offset 4 -> 8, size 4 -> 8"},
		{"struct xen_memory_reservation", [4]int64{20, 32, 32, 32}, Different, Translate, PassThrough, true,
			"extent_start: size 4 -> 8"},
		{"struct gnttab_setup_table", [4]int64{16, 24, 24, 24}, Different, Translate, PassThrough, true,
			"frame_list: offset 12 -> 16, size 4 -> 8"},
		{"struct gnttab_copy", [4]int64{24, 40, 40, 40}, Different, Translate, PassThrough, true,
			"source.u.gmfn: size 4 -> 8"},
		// Only the alignment of uint64_t differs (4 on i386): same bytes.
		{"struct mmu_update", [4]int64{16, 16, 16, 16}, Identical, PassThrough, PassThrough, true, ""},
		{"struct vcpu_time_info", [4]int64{32, 32, 32, 32}, Identical, PassThrough, PassThrough, true, ""},
		{"struct gnttab_map_grant_ref", [4]int64{32, 32, 32, 32}, Identical, PassThrough, PassThrough, true, ""},
		{"struct gnttab_dump_table", [4]int64{4, 4, 4, 4}, Identical, PassThrough, PassThrough, false, ""},
		// unsigned long on every target: one layout per word size.
		{"struct physdev_apic", [4]int64{12, 16, 12, 16}, WordSize, Translate, Translate, true,
			"apic_physbase: size 4 -> 8"},
		// x86 only.
		{"struct start_info", [4]int64{1112, 1168, -1, -1}, Partial, Translate, NotThere, true, "nr_pages: size 4 -> 8"},
		{"struct xen_callback", [4]int64{8, -1, -1, -1}, Partial, OneSided, NotThere, false, ""},
		// Empty on ARM.
		{"struct arch_vcpu_info", [4]int64{24, 16, 0, 0}, Different, Translate, PassThrough, true, "cr2: size 4 -> 8"},
	}
	for _, tt := range tests {
		rec := rep.Find(tt.record)
		if rec == nil {
			t.Errorf("%s: not in the report", tt.record)
			continue
		}
		for i, want := range tt.sizes {
			l := rec.Layouts[i]
			switch {
			case want < 0 && l != nil:
				t.Errorf("%s: on %s (%d bytes), want absent", tt.record, rep.Targets[i], l.Size)
			case want >= 0 && (l == nil || l.Size != want):
				t.Errorf("%s: %s layout %+v, want %d bytes", tt.record, rep.Targets[i], l, want)
			}
		}
		if rec.Class != tt.class {
			t.Errorf("%s: class %s, want %s", tt.record, rec.Class, tt.class)
		}
		if got := rec.Verdict("x86"); got != tt.x86 {
			t.Errorf("%s: x86 %s, want %s", tt.record, got, tt.x86)
		}
		if got := rec.Verdict("arm"); got != tt.arm {
			t.Errorf("%s: arm %s, want %s", tt.record, got, tt.arm)
		}
		if got := rec.AlignDiffers(); got != tt.alignDiffers {
			t.Errorf("%s: AlignDiffers %v, want %v", tt.record, got, tt.alignDiffers)
		}
		var first string
		for _, d := range rec.Differences {
			if d.A == parser.X86_32 && d.B == parser.X86_64 {
				first = d.First.String()
			}
		}
		if first != tt.first {
			t.Errorf("%s: x86_32/x86_64 first difference %q, want %q", tt.record, first, tt.first)
		}
	}
	s := rep.Summary
	if s.Records != len(rep.Records) || s.Identical+s.WordSize+s.Different+s.Partial != s.Records {
		t.Errorf("summary %+v does not add up to %d records", s, len(rep.Records))
	}
	for _, rec := range rep.Records {
		if strings.HasPrefix(rec.Name, "typedef __guest_handle_") || strings.Contains(rec.Name, ".") {
			t.Errorf("%s: handle types and nested records are not reported on their own", rec.Name)
		}
	}
}

// TestReportDeterministic renders every form twice from separate loads.
func TestReportDeterministic(t *testing.T) {
	a := xenReport(t)
	cfgTree := load(t, xenTree(t), "xen", parser.XenDialect, parser.Guest, false)
	// A second Compare of the same layouts must not share state with the first.
	b := Compare(cfgTree)
	for _, f := range []struct {
		name  string
		write func(*Report, *bytes.Buffer) error
	}{
		{"text", func(r *Report, w *bytes.Buffer) error { return r.WriteText(w) }},
		{"json", func(r *Report, w *bytes.Buffer) error { return r.WriteJSON(w) }},
		{"html", func(r *Report, w *bytes.Buffer) error { return r.WriteHTML(w) }},
	} {
		var x, y bytes.Buffer
		if err := f.write(a, &x); err != nil {
			t.Fatal(err)
		}
		if err := f.write(b, &y); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two renderings differ", f.name)
		}
		if bytes.Contains(x.Bytes(), []byte(xenTree(t))) {
			t.Errorf("%s: the output names the host path of the tree", f.name)
		}
	}
	var doc struct {
		Records []struct {
			Name    string
			Class   Class
			Layouts []*Shape
		}
	}
	var buf bytes.Buffer
	a.WriteJSON(&buf)
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Records) != len(a.Records) || doc.Records[0].Name != a.Records[0].Name || len(doc.Records[0].Layouts) != 4 {
		t.Errorf("JSON does not round-trip the records: %+v", doc.Records[:1])
	}
}

func TestSelect(t *testing.T) {
	rep := xenReport(t)
	sel, err := rep.Select([]string{"struct vcpu_info", "struct shared_info"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Records) != 2 || sel.Summary.Records != 2 || sel.Summary.Different != 2 || len(rep.Records) < 50 {
		t.Errorf("Select: %d records, summary %+v; the full report has %d", len(sel.Records), sel.Summary, len(rep.Records))
	}
	if _, err := rep.Select([]string{"struct no_such_thing"}); err == nil || !strings.Contains(err.Error(), `no record "struct no_such_thing"`) {
		t.Errorf("Select of an unknown record: %v", err)
	}
}

// BenchmarkCompare measures the report alone, the trees parsed and laid
// out beforehand.
func BenchmarkCompare(b *testing.B) {
	tree := load(b, xenTree(b), "xen", parser.XenDialect, parser.Guest, false)
	for b.Loop() {
		Compare(tree)
	}
}

// BenchmarkDiff measures the diff of Linux's headers against Xen's alone.
func BenchmarkDiff(b *testing.B) {
	old := load(b, xenTree(b), "xen", parser.XenDialect, parser.Guest, true)
	new := load(b, linuxTree(b, "6.1"), "linux", parser.LinuxDialect, parser.Guest, false)
	for b.Loop() {
		if _, err := Diff(old, new); err != nil {
			b.Fatal(err)
		}
	}
}
