// Package gctune sets the garbage collector for xenbind's short runs: the
// xenbind process and its parser children allocate about 20 to 100 MB
// per run but keep little of it live, so collecting at Go's default pace
// (whenever the heap doubles from a 4 MB start) costs a large part of
// their CPU time for nothing.
package gctune

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The memory a tuned process lets its heap use before collecting at all
// (Tune). Collecting only near it, once or not at all instead of a dozen
// times at GOGC=100, saves about a third of the CPU time.
const (
	// MainHeap is xenbind's own: a gen of xen.h, memory.h and
	// grant_table.h for four targets allocates about 50 MB in all, so
	// it never collects (a collection near 56 MB cost about 12 ms of its
	// CPU time, and did not lower its peak of about 63 MB resident).
	MainHeap = 72 << 20
	// ChildHeap is a parser child's: a translation allocates about 20
	// MB, with less live, and the child collects between requests.
	ChildHeap = 56 << 20
)

// heapLimit is the limit Tune set.
var heapLimit int64

// Tune makes the collector run only near limit while the live heap is
// small, and go back to the Go defaults (GOGC=100, no limit) once a
// collection finds more than half of limit live: on large inputs a fixed
// limit would make the collector run all the time. GOGC or GOMEMLIMIT in
// the environment leave the Go defaults and the user's settings alone. On
// Linux, Tune also asks for huge pages for the heap (see hugePages).
func Tune(limit int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	heapLimit = limit
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(limit)
	hugePages()
	watch()
}

// watch arranges for afterGC to run after the next collection.
func watch() {
	runtime.AddCleanup(new([64]byte), func(struct{}) { afterGC() }, struct{}{})
}

func afterGC() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > uint64(heapLimit/2) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	watch()
}

// HeapInUse returns the bytes of heap spans in use: live objects and
// the garbage not yet collected.
func HeapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
