package abi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
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

var update = flag.Bool("update", false, "rewrite testdata/report*.png from the headless Chromium screenshots")

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
	rep, err := xenReport(t).Select(screenshotRecords)
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
		// the pictures (right of the list, about 615 pixels wide).
		{"highlighted members", color.RGBA{0xe8, 0x41, 0x2c, 0xff}, image.Rect(640, 0, 1400, 1000), 2000},
		// Rows of records that differ, in the list.
		{"highlighted list rows", color.RGBA{0xff, 0xd7, 0xd2, 0xff}, image.Rect(0, 0, 600, 1000), 2000},
		// The identical badge of mmu_update.
		{"identical badge", color.RGBA{0xd6, 0xf0, 0xd6, 0xff}, image.Rect(0, 0, 1400, 1000), 200},
		// Trailing padding and holes are hatched in their colors.
		{"holes", color.RGBA{0xdd, 0xdd, 0xdd, 0xff}, image.Rect(640, 0, 1400, 1000), 50},
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

// measureJS measures the page's layout once it is drawn and appends the
// numbers, as JSON, to the page in <pre id="measure">, which --dump-dom
// prints. The script is only added to the test's copy of the page.
const measureJS = `<script>
(function () {
  var r = {}, de = document.documentElement;
  var nav = document.querySelector('nav'), main = document.querySelector('main');
  var table = document.querySelector('table.records');
  r.viewport = de.clientWidth;
  r.pageScroll = de.scrollWidth;
  r.navScroll = nav.scrollWidth;
  r.navClient = nav.clientWidth;
  r.tableRight = table.getBoundingClientRect().right;
  r.navRight = nav.getBoundingClientRect().right;
  r.mainWidth = main.getBoundingClientRect().width;
  r.minTarget = 1e9;
  document.querySelectorAll('.target').forEach(function (t) {
    r.minTarget = Math.min(r.minTarget, t.getBoundingClientRect().width);
  });
  r.minText = 1e9;
  document.querySelectorAll('ul.differences li, p.pos, h2').forEach(function (e) {
    r.minText = Math.min(r.minText, e.getBoundingClientRect().width);
  });
  r.labels = 0; r.truncated = 0; r.unlisted = [];
  document.querySelectorAll('.target').forEach(function (t) {
    var list = t.querySelector('.names');
    var names = list ? list.textContent : '';
    t.querySelectorAll('.seg.member').forEach(function (s) {
      if (!s.textContent || s.classList.contains('fold')) return;
      r.labels++;
      if (s.scrollWidth <= s.clientWidth) return;
      r.truncated++;
      s.textContent.split(' | ').forEach(function (n) {
        if (names.indexOf(n) < 0 || (s.title || '').indexOf(n.split(':')[0]) < 0)
          r.unlisted.push(t.dataset.target + ' ' + n);
      });
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
`

// layoutMeasure is what measureJS reports.
type layoutMeasure struct {
	Viewport, PageScroll, NavScroll, NavClient float64
	TableRight, NavRight, MainWidth            float64
	MinTarget, MinText                         float64
	Labels, Truncated                          int
	Unlisted                                   []string
}

// measure renders page at the given viewport width with measureJS added.
func measure(t *testing.T, src []byte, width int) layoutMeasure {
	t.Helper()
	withJS := bytes.Replace(src, []byte("</body>"), []byte(measureJS+"</body>"), 1)
	page := filepath.Join(t.TempDir(), fmt.Sprintf("measure-%d.html", width))
	if err := os.WriteFile(page, withJS, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(chromium(t, page, fmt.Sprintf("--window-size=%d,1000", width), "--dump-dom"))
	m := regexp.MustCompile(`(?s)<pre id="measure">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("width %d: the measuring script did not run", width)
	}
	var lm layoutMeasure
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &lm); err != nil {
		t.Fatalf("width %d: %v\n%s", width, err, m[1])
	}
	return lm
}

// screenshotRecords are the records of the screenshots.
var screenshotRecords = []string{
	"struct shared_info", "struct vcpu_info", "struct mmu_update", "struct physdev_apic", "struct xen_memory_reservation",
}

// TestHTMLLayoutWidths renders the report in narrow (700 px) and wide
// (1400 px) windows and measures it: the list of records fits its pane (no
// column clipped behind a scrollbar), the page does not scroll sideways,
// the detail pane and the record pictures keep a readable width (not one
// word a line), and every member label cut short by its box is named in
// full in its title and in the list of names beside the picture. With
// -update it saves testdata/report-700.png and report-1400.png.
func TestHTMLLayoutWidths(t *testing.T) {
	full := xenReport(t)
	_, src := writePage(t, full, "report.html")
	shots, err := full.Select(screenshotRecords)
	if err != nil {
		t.Fatal(err)
	}
	shotPage, _ := writePage(t, shots, "shots.html")
	for _, width := range []int{700, 1400} {
		m := measure(t, src, width)
		t.Logf("width %d: page %v/%v px, list %v/%v px, detail %v px, narrowest picture %v px, narrowest text %v px, %d of %d labels cut short",
			width, m.PageScroll, m.Viewport, m.NavScroll, m.NavClient, m.MainWidth, m.MinTarget, m.MinText, m.Truncated, m.Labels)
		if m.NavScroll > m.NavClient || m.TableRight > m.NavRight+0.5 {
			t.Errorf("width %d: the record list is clipped: %v px of table in a %v px pane (table ends at %v, pane at %v)",
				width, m.NavScroll, m.NavClient, m.TableRight, m.NavRight)
		}
		if m.PageScroll > m.Viewport {
			t.Errorf("width %d: the page scrolls sideways: %v px wide in a %v px window", width, m.PageScroll, m.Viewport)
		}
		if m.MainWidth < 0.45*float64(width) {
			t.Errorf("width %d: the detail pane is %v px wide", width, m.MainWidth)
		}
		if m.MinTarget < 240 {
			t.Errorf("width %d: a byte picture is %v px wide, want at least 240", width, m.MinTarget)
		}
		if m.MinText < 300 {
			t.Errorf("width %d: a heading or difference line is %v px wide, want at least 300", width, m.MinText)
		}
		if m.Labels == 0 {
			t.Errorf("width %d: no member labels measured", width)
		}
		if len(m.Unlisted) > 0 {
			t.Errorf("width %d: %d of %d member labels are cut short and not named in full beside the picture, e.g. %q",
				width, len(m.Unlisted), m.Truncated, m.Unlisted[:min(5, len(m.Unlisted))])
		}
		shot := filepath.Join(t.TempDir(), fmt.Sprintf("report-%d.png", width))
		chromium(t, shotPage, fmt.Sprintf("--window-size=%d,1000", width), "--screenshot="+shot)
		if *update {
			b, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", fmt.Sprintf("report-%d.png", width)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
