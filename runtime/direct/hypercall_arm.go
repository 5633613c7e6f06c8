//go:build arm

package direct

// hvc traps to Xen with HVC #0xEA1 (the immediate Xen reserves for
// hypercalls), op in R12 and arguments in R0-R4; it returns R0.
// Implemented in hypercall_arm.s.
func hvc(op, a1, a2, a3, a4, a5 uintptr) uintptr
