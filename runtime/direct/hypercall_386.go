//go:build 386

package direct

// callPage calls entry op of the hypercall page at page (page+op*32) with
// the x86_32 Xen ABI: op in EAX, arguments in EBX, ECX, EDX, ESI, EDI; it
// returns EAX. Implemented in hypercall_386.s.
func callPage(page, op, a1, a2, a3, a4, a5 uintptr) uintptr

// vmcall traps to Xen with VMCALL (Intel VMX), same registers as callPage.
// Implemented in hypercall_386.s.
func vmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr

// vmmcall traps to Xen with VMMCALL (AMD SVM), same registers as callPage.
// Implemented in hypercall_386.s.
func vmmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr

// cpuid executes CPUID with EAX=leaf and ECX=0, to tell Intel from AMD.
// Implemented in hypercall_386.s.
func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)
