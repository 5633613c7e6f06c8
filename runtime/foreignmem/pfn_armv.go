//go:build linux && (arm || arm64)

package foreignmem

// xenPFN is the kernel's xen_pfn_t, an element of MMAPBATCH_V2's frame
// array: uint64_t on Arm (include/xen/arm/interface.h).
type xenPFN = uint64
