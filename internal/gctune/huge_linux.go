package gctune

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeHeap is how much of the heap hugePages asks huge pages for: more
// than a parser child's heap, most of a gen's.
const hugeHeap = 40 << 20

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// thpEnabled holds the system's transparent huge page mode.
const thpEnabled = "/sys/kernel/mm/transparent_hugepage/enabled"

// hugePages backs the first hugeHeap bytes of the heap with transparent
// huge pages where Linux gives them only on request (its "madvise"
// mode). A xenbind process touches 20 to 60 MB of fresh heap in a run
// that lasts a fraction of a second, and the kernel's faulting-in and
// zeroing of 4 KiB pages was about a quarter of a cold gen's CPU time
// (32,000 faults in xenbind and its children; 25,000 once the children
// collected between requests, and 6,000 with huge pages, for 30 to 40 ms
// less CPU time of about 280). The Go runtime no
// longer asks for them itself, and it maps its heap in pieces as it
// grows, so hugePages has it map the first hugeHeap bytes at once by
// allocating them as one object, marks them, and frees them with a
// collection (the heap is nearly empty: it takes a fraction of a
// millisecond); the heap then grows into marked memory.
//
// GODEBUG=disablethp=1, the runtime's own switch against huge pages for
// the heap, turns this off too.
func hugePages() {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" || disableTHP(os.Getenv("GODEBUG")) {
		return
	}
	mode, err := os.ReadFile(thpEnabled)
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) {
		return
	}
	// A huge page fault in an madvised region may make the kernel
	// compact memory to find one (the "madvise" defrag mode): the pages
	// are asked for only when enough are free already.
	if buddy, err := os.ReadFile("/proc/buddyinfo"); err != nil || freeHugePages(buddy) < hugeHeap/hugePage {
		return
	}
	b := make([]byte, hugeHeap) // fresh from the system: no page touched
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p+hugePage-1)&^(hugePage-1) - p
	end := (p+hugeHeap)&^(hugePage-1) - p
	if start < end {
		unix.Madvise(b[start:end], unix.MADV_HUGEPAGE)
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}

// disableTHP reports whether a GODEBUG value sets disablethp=1.
func disableTHP(godebug string) bool {
	on := false
	for _, kv := range strings.Split(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			on = v == "1" // the last setting wins, as in the runtime
		}
	}
	return on
}

// freeHugePages counts the free blocks of 2 MB or more in a
// /proc/buddyinfo text ("Node 0, zone Normal" and the free blocks of
// each order, from 4 KiB pages up), in 2 MB pages.
func freeHugePages(buddyinfo []byte) int {
	const hugeOrder = 9 // 512 pages of 4 KiB
	n := 0
	for _, line := range strings.Split(string(buddyinfo), "\n") {
		_, counts, ok := strings.Cut(line, "zone")
		if !ok {
			continue
		}
		f := strings.Fields(counts)
		if len(f) < 2 {
			continue
		}
		for order, c := range f[1:] { // f[0] is the zone's name
			v, err := strconv.Atoi(c)
			if err != nil || v < 0 {
				return 0 // not the format this reads
			}
			if order >= hugeOrder {
				n += v << (order - hugeOrder)
			}
		}
	}
	return n
}
