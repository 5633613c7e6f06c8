// Package hypercall is the small contract between xenbind's generated
// wrappers and whatever actually reaches Xen.
//
// A [Caller] issues a hypercall (an operation number and five word-sized
// arguments) and allocates [Buffer]s: memory the hypervisor may read and
// write. Xen reads hypercall arguments through guest addresses without
// faulting pages in, so nothing it touches may live on the Go heap or a
// goroutine stack, both of which the runtime may move or leave unmapped.
// Buffers therefore come from a [Memory] chosen by the backend and are
// recycled by a [Pool], so that a hypercall in steady state allocates
// nothing on the Go heap.
//
// Backends live in sibling packages: privcmd (Linux dom0 tools, through
// /dev/xen/privcmd), direct (Go running in guest kernel context) and xentest
// (a simulated hypervisor for unit tests).
//
// Xen reports failure as a negative errno whose values follow Linux's; a
// Caller returns it as an [Errno].
//
// The generated wrappers use the arena in bounce.go to copy Go values and
// slices into buffers for one call and back, and report bad arguments as
// [ArgError], per-entry failures of a batch as [BatchError] and
// command-specific codes as [CodeError] before or after Xen sees them.
package hypercall
