package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// smallHeap is the memory xenbind lets its heap use before collecting at
// all. A run over a few headers allocates about 100 MB in all but keeps
// 10 to 20 MB live; collecting only when the heap nears smallHeap (twice
// instead of a dozen times at GOGC=100) saves about a third of its CPU
// time, and the process stays near 60 MB.
const smallHeap = 56 << 20

// tuneGC collects only near smallHeap while the live heap is small, and
// goes back to the Go defaults (GOGC=100, no limit) once a collection
// finds more than half of smallHeap live: on large inputs a fixed limit
// would make the collector run all the time. GOGC or GOMEMLIMIT in the
// environment leave the Go defaults and the user's settings alone.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(smallHeap)
	watchGC()
}

// watchGC arranges for afterGC to run after the next collection.
func watchGC() {
	runtime.AddCleanup(new([64]byte), func(struct{}) { afterGC() }, struct{}{})
}

func afterGC() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > smallHeap/2 {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	watchGC()
}
