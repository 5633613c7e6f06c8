package abi

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/report.png from the headless Chromium screenshot")

// chromium runs headless Chromium (Debian's chromium package) on a local
// file with the given extra arguments and returns its standard output.
func chromium(t *testing.T, page string, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed: apt-get install chromium")
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--hide-scrollbars", "--force-device-scale-factor=1",
	}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func writePage(t *testing.T, rep *Report, name string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return page, b.Bytes()
}

// section returns the DOM of a record's section.
func section(t *testing.T, dom, record string) string {
	t.Helper()
	start := strings.Index(dom, `id="`+anchor(record)+`"`)
	if start < 0 {
		t.Fatalf("no section for %s in the page", record)
	}
	end := strings.Index(dom[start:], "</section>")
	if end < 0 {
		t.Fatalf("section for %s does not end", record)
	}
	return dom[start : start+end]
}

// TestHTMLInChromium renders the report on Xen 4.17's three headers in a
// real browser and checks what it shows.
func TestHTMLInChromium(t *testing.T) {
	rep := xenReport(t)
	page, src := writePage(t, rep, "report.html")
	for _, ext := range []string{"<script", "<link", "src=", "http://", "https://", "url("} {
		if bytes.Contains(src, []byte(ext)) {
			t.Errorf("the page is not self-contained: it has %q", ext)
		}
	}
	dom := string(chromium(t, page, "--dump-dom"))
	rows := []struct{ record, class string }{
		{"struct shared_info", "different"},
		{"struct xen_memory_reservation", "different"},
		{"struct mmu_update", "identical"},
		{"struct physdev_apic", "word-size"},
		{"struct start_info", "partial"},
	}
	for _, r := range rows {
		if !strings.Contains(dom, `<tr class="rec `+r.class+`" data-record="`+r.record+`">`) {
			t.Errorf("%s: no %s row in the list", r.record, r.class)
		}
	}
	si := section(t, dom, "struct shared_info")
	for _, want := range []string{
		`<span class="badge different">different</span>`,
		"x86_32 / x86_64</b>: vcpu_info[].evtchn_pending_sel: offset 4 -&gt; 8, size 4 -&gt; 8",
		`data-target="x86_32"><h3>x86_32 <small>2344 bytes, align 4</small>`,
		`data-target="arm64"><h3>arm64 <small>1088 bytes, align 8</small>`,
		`more bytes of vcpu_info`,
	} {
		if !strings.Contains(si, want) {
			t.Errorf("shared_info section lacks %q", want)
		}
	}
	if n := strings.Count(si, `<div class="bytes">`); n != 4 {
		t.Errorf("shared_info: %d byte pictures, want one per target", n)
	}
	// The members that move are highlighted: on x86_32 vcpu_info (whose
	// evtchn_pending_sel moves) and evtchn_pending (4 bytes a word).
	moved := regexp.MustCompile(`<span class="seg member c\d+ moved"[^>]*title="([^"]*)">`)
	var names []string
	for _, m := range moved.FindAllStringSubmatch(si, -1) {
		names = append(names, m[1])
	}
	for _, want := range []string{"struct vcpu_info vcpu_info[32]; offset 0, size 2048", "xen_ulong_t evtchn_pending[32]; offset 2048, size 128"} {
		if !strings.Contains(strings.Join(names, "\n"), want) {
			t.Errorf("shared_info: %q not highlighted; highlighted: %q", want, names)
		}
	}
	// On ARM, shared_info is passed through: the ARM pictures mark what
	// moves against x86 only, not against each other.
	arm := si[strings.Index(si, `data-target="arm32"`):]
	if strings.Contains(arm, " moved") || !strings.Contains(arm, " across") {
		t.Errorf("shared_info on ARM: want members marked as moving across architectures only")
	}
	if mu := section(t, dom, "struct mmu_update"); strings.Contains(mu, "moved") || strings.Count(mu, `<div class="bytes">`) != 4 {
		t.Errorf("mmu_update: highlighted or not drawn on four targets:\n%s", mu)
	}
	if ar := section(t, dom, "struct arch_vcpu_info"); !strings.Contains(ar, `<p class="empty">`) && !strings.Contains(ar, "0 bytes") {
		t.Errorf("arch_vcpu_info: the empty ARM layout is not shown")
	}
}

// TestHTMLScreenshot takes a screenshot of the report on a few records and
// checks its pixels: the differences are drawn in the highlight color, the
// identical record in its own. With -update it is saved as
// testdata/report.png (the README shows it).
func TestHTMLScreenshot(t *testing.T) {
	rep, err := xenReport(t).Select([]string{
		"struct shared_info", "struct vcpu_info", "struct mmu_update", "struct physdev_apic", "struct xen_memory_reservation",
	})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := writePage(t, rep, "report.html")
	shot := filepath.Join(t.TempDir(), "report.png")
	chromium(t, page, "--window-size=1400,1000", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		what   string
		color  color.RGBA
		region image.Rectangle
		least  int
	}{
		// The "different" badges and the outlines of moved members, in
		// the pictures (right of the 600-pixel list).
		{"highlighted members", color.RGBA{0xe8, 0x41, 0x2c, 0xff}, image.Rect(600, 0, 1400, 1000), 2000},
		// Rows of records that differ, in the list.
		{"highlighted list rows", color.RGBA{0xff, 0xd7, 0xd2, 0xff}, image.Rect(0, 0, 600, 1000), 2000},
		// The identical badge of mmu_update.
		{"identical badge", color.RGBA{0xd6, 0xf0, 0xd6, 0xff}, image.Rect(0, 0, 1400, 1000), 200},
		// Trailing padding and holes are hatched in their colors.
		{"holes", color.RGBA{0xdd, 0xdd, 0xdd, 0xff}, image.Rect(600, 0, 1400, 1000), 50},
	}
	for _, tt := range tests {
		n := countColor(img, tt.color, tt.region)
		if n < tt.least {
			t.Errorf("%s: %d pixels of %v, want at least %d", tt.what, n, tt.color, tt.least)
		}
		t.Logf("%s: %d pixels", tt.what, n)
	}
	if *update {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "report.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func countColor(img image.Image, c color.RGBA, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == c.R && uint8(cg>>8) == c.G && uint8(cb>>8) == c.B {
				n++
			}
		}
	}
	return n
}
