package gctune

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestDisableTHP(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                             false,
		"disablethp=1":                 true,
		"disablethp=0":                 false,
		"gctrace=1,disablethp=1":       true,
		"disablethp=1, madvdontneed=1": true,
		"disablethp=1,disablethp=0":    false,
		"xdisablethp=1":                false,
	} {
		if got := disableTHP(godebug); got != want {
			t.Errorf("disableTHP(%q) = %v, want %v", godebug, got, want)
		}
	}
}

// TestHugePages: after hugePages, fresh heap memory of this process is
// backed by huge pages, unless the kernel had none free (it then falls
// back to small pages, and says so in /proc/vmstat). Without the
// request, in "madvise" mode, the heap gets none.
func TestHugePages(t *testing.T) {
	mode, err := os.ReadFile(thpEnabled)
	if err != nil {
		t.Skipf("no transparent huge pages here: %v", err)
	}
	if !bytes.Contains(mode, []byte("[madvise]")) {
		t.Skipf("transparent huge pages are %q here: hugePages asks for nothing", strings.TrimSpace(string(mode)))
	}
	if disableTHP(os.Getenv("GODEBUG")) {
		t.Skip("GODEBUG has disablethp=1")
	}
	if st, err := os.ReadFile("/proc/self/status"); err == nil && bytes.Contains(st, []byte("THP_enabled:\t0")) {
		t.Skip("transparent huge pages are disabled for this process (prctl PR_SET_THP_DISABLE)")
	}
	if buddy, err := os.ReadFile("/proc/buddyinfo"); err != nil || freeHugePages(buddy) < hugeHeap/hugePage {
		t.Skipf("the kernel has too few free huge pages: hugePages asks for none (%v)", err)
	}
	before := anonHuge(t)
	fallback := vmstat(t, "thp_fault_fallback")
	hugePages()
	// Small objects, as the parser and emit allocate, touched.
	var keep [][]byte
	for range (hugeHeap / 2) / 4096 {
		b := make([]byte, 4000)
		b[0] = 1
		keep = append(keep, b)
	}
	if after := anonHuge(t); after > before {
		t.Logf("AnonHugePages %d -> %d kB", before, after)
		return
	}
	if vmstat(t, "thp_fault_fallback") > fallback {
		t.Skip("the kernel had no free huge page")
	}
	t.Fatalf("no huge page in this process after hugePages (AnonHugePages %d kB, %d objects)", before, len(keep))
}

// anonHuge returns this process's AnonHugePages, in kB.
func anonHuge(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skipf("no /proc/self/smaps_rollup: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("smaps_rollup: %q: %v", line, err)
			}
			return n
		}
	}
	t.Skip("smaps_rollup has no AnonHugePages")
	return 0
}

// vmstat returns a counter of /proc/vmstat (system-wide).
func vmstat(t *testing.T, name string) int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		t.Skipf("no /proc/vmstat: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func TestFreeHugePages(t *testing.T) {
	buddy := `Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 
Node 0, zone    DMA32      1      1      4      2      5      4      3      3      4      2    752 
Node 0, zone   Normal  22361  13953   9005   9261   6536   3124   1489    766    306    206   1264 
`
	// Order 9 counts one 2 MB page, order 10 two.
	if got, want := freeHugePages([]byte(buddy)), (1+3*2)+(2+752*2)+(206+1264*2); got != want {
		t.Errorf("freeHugePages = %d, want %d", got, want)
	}
	if got := freeHugePages([]byte("Node 0, zone Normal 1 2 x 4 5 6 7 8 9 10 11\n")); got != 0 {
		t.Errorf("a malformed line counts %d, want 0", got)
	}
	if got := freeHugePages(nil); got != 0 {
		t.Errorf("no text counts %d", got)
	}
}
