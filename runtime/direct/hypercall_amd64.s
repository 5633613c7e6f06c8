//go:build amd64

#include "textflag.h"

// The x86_64 Xen hypercall ABI: op in AX, arguments in DI, SI, DX, R10, R8,
// result in AX. Go's ABI0 treats every register but SP and BP as clobbered by
// a call, so nothing needs saving around the hypercall.

// func callPage(page, op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·callPage(SB), NOSPLIT, $0-64
	MOVQ	op+8(FP), AX
	MOVQ	AX, R11
	SHLQ	$5, R11		// each entry of the hypercall page is 32 bytes
	ADDQ	page+0(FP), R11
	MOVQ	a1+16(FP), DI
	MOVQ	a2+24(FP), SI
	MOVQ	a3+32(FP), DX
	MOVQ	a4+40(FP), R10
	MOVQ	a5+48(FP), R8
	CALL	R11
	MOVQ	AX, ret+56(FP)
	RET

// func vmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·vmcall(SB), NOSPLIT, $0-56
	MOVQ	op+0(FP), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	BYTE	$0x0f; BYTE $0x01; BYTE $0xc1	// VMCALL (Intel VMX); the assembler lacks it
	MOVQ	AX, ret+48(FP)
	RET

// func vmmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·vmmcall(SB), NOSPLIT, $0-56
	MOVQ	op+0(FP), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	BYTE	$0x0f; BYTE $0x01; BYTE $0xd9	// VMMCALL (AMD SVM); the assembler lacks it
	MOVQ	AX, ret+48(FP)
	RET

// func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL	leaf+0(FP), AX
	XORL	CX, CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET
