//go:build arm

#include "textflag.h"

// The arm32 Xen hypercall ABI: HVC #0xEA1 with op in R12, arguments in
// R0-R4, result in R0. Go's ABI0 treats R0-R9, R11 and R12 as clobbered by a
// call; Xen leaves R10 (Go's g) and SP alone.

// func hvc(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·hvc(SB), NOSPLIT, $0-28
	MOVW	op+0(FP), R12
	MOVW	a1+4(FP), R0
	MOVW	a2+8(FP), R1
	MOVW	a3+12(FP), R2
	MOVW	a4+16(FP), R3
	MOVW	a5+20(FP), R4
	WORD	$0xe140ea71	// HVC #0xEA1 (cond AL, imm12 0xEA, imm4 0x1); the assembler lacks HVC
	MOVW	R0, ret+24(FP)
	RET
