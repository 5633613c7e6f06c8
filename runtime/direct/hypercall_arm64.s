//go:build arm64

#include "textflag.h"

// The arm64 Xen hypercall ABI: HVC #0xEA1 with op in X16, arguments in
// X0-X4, result in X0. Go's ABI0 treats these as clobbered by a call; Xen
// leaves X28 (Go's g), X29 (frame pointer) and SP alone.

// func hvc(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·hvc(SB), NOSPLIT, $0-56
	MOVD	op+0(FP), R16
	MOVD	a1+8(FP), R0
	MOVD	a2+16(FP), R1
	MOVD	a3+24(FP), R2
	MOVD	a4+32(FP), R3
	MOVD	a5+40(FP), R4
	HVC	$0xea1
	MOVD	R0, ret+48(FP)
	RET
