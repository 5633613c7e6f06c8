//go:build 386

#include "textflag.h"

// The x86_32 Xen hypercall ABI: op in AX, arguments in BX, CX, DX, SI, DI,
// result in AX. Go's ABI0 on 386 treats every register but SP as clobbered
// by a call (there is no frame pointer), so BP can hold the target.

// func callPage(page, op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·callPage(SB), NOSPLIT, $0-32
	MOVL	op+4(FP), AX
	MOVL	AX, BP
	SHLL	$5, BP		// each entry of the hypercall page is 32 bytes
	ADDL	page+0(FP), BP
	MOVL	a1+8(FP), BX
	MOVL	a2+12(FP), CX
	MOVL	a3+16(FP), DX
	MOVL	a4+20(FP), SI
	MOVL	a5+24(FP), DI
	CALL	BP
	MOVL	AX, ret+28(FP)
	RET

// func vmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·vmcall(SB), NOSPLIT, $0-28
	MOVL	op+0(FP), AX
	MOVL	a1+4(FP), BX
	MOVL	a2+8(FP), CX
	MOVL	a3+12(FP), DX
	MOVL	a4+16(FP), SI
	MOVL	a5+20(FP), DI
	BYTE	$0x0f; BYTE $0x01; BYTE $0xc1	// VMCALL (Intel VMX); the assembler lacks it
	MOVL	AX, ret+24(FP)
	RET

// func vmmcall(op, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·vmmcall(SB), NOSPLIT, $0-28
	MOVL	op+0(FP), AX
	MOVL	a1+4(FP), BX
	MOVL	a2+8(FP), CX
	MOVL	a3+12(FP), DX
	MOVL	a4+16(FP), SI
	MOVL	a5+20(FP), DI
	BYTE	$0x0f; BYTE $0x01; BYTE $0xd9	// VMMCALL (AMD SVM); the assembler lacks it
	MOVL	AX, ret+24(FP)
	RET

// func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-20
	MOVL	leaf+0(FP), AX
	XORL	CX, CX
	CPUID
	MOVL	AX, eax+4(FP)
	MOVL	BX, ebx+8(FP)
	MOVL	CX, ecx+12(FP)
	MOVL	DX, edx+16(FP)
	RET
