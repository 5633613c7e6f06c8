//go:build arm64

package direct

// hvc traps to Xen with HVC #0xEA1 (the immediate Xen reserves for
// hypercalls), op in X16 and arguments in X0-X4; it returns X0.
// Implemented in hypercall_arm64.s.
func hvc(op, a1, a2, a3, a4, a5 uintptr) uintptr
