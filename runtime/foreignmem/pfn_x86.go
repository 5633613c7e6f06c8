//go:build linux && (386 || amd64)

package foreignmem

// xenPFN is the kernel's xen_pfn_t, an element of MMAPBATCH_V2's frame
// array: unsigned long on x86 (arch/x86/include/asm/xen/interface.h).
type xenPFN = uintptr
