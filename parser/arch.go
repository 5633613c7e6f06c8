package parser

import "fmt"

// arch is what the preprocessor and cc/v4 need to know about a target. The
// layout rules live in package layout; this table only makes the headers
// see the target they would see under that target's gcc.
type arch struct {
	target Target
	// goarch names the target for cc.NewABI. cc/v4 parses for a foreign
	// target without any C compiler when given its ABI.
	goarch string
	// predefined are the target's own predefined macros, as its gcc
	// defines them (gcc -dM -E), limited to the ones headers test.
	predefined string
}

// common holds the predefined macros every target shares. gnu C (no
// __STRICT_ANSI__) is deliberate: Xen's headers use anonymous unions only
// for __GNUC__ without __STRICT_ANSI__, and gcc's default is gnu17.
const common = `#define __STDC__ 1
#define __STDC_VERSION__ 201710L
#define __STDC_HOSTED__ 1
#define __GNUC__ 12
#define __GNUC_MINOR__ 2
#define __GNUC_PATCHLEVEL__ 0
#define __linux__ 1
#define __linux 1
#define __unix__ 1
#define __ELF__ 1
#define __CHAR_BIT__ 8
#define __ORDER_LITTLE_ENDIAN__ 1234
#define __ORDER_BIG_ENDIAN__ 4321
#define __BYTE_ORDER__ __ORDER_LITTLE_ENDIAN__
#define __SIZEOF_INT__ 4
#define __SIZEOF_SHORT__ 2
#define __SIZEOF_LONG_LONG__ 8
#define __INT8_TYPE__ signed char
#define __INT16_TYPE__ short int
#define __INT32_TYPE__ int
#define __UINT8_TYPE__ unsigned char
#define __UINT16_TYPE__ short unsigned int
#define __UINT32_TYPE__ unsigned int
#define __WCHAR_TYPE__ int
`

const ilp32 = `#define __ILP32__ 1
#define __SIZEOF_POINTER__ 4
#define __SIZEOF_LONG__ 4
#define __INT64_TYPE__ long long int
#define __UINT64_TYPE__ long long unsigned int
#define __INTPTR_TYPE__ int
#define __UINTPTR_TYPE__ unsigned int
#define __SIZE_TYPE__ unsigned int
#define __PTRDIFF_TYPE__ int
`

const lp64 = `#define __LP64__ 1
#define _LP64 1
#define __SIZEOF_POINTER__ 8
#define __SIZEOF_LONG__ 8
#define __INT64_TYPE__ long int
#define __UINT64_TYPE__ long unsigned int
#define __INTPTR_TYPE__ long int
#define __UINTPTR_TYPE__ long unsigned int
#define __SIZE_TYPE__ long unsigned int
#define __PTRDIFF_TYPE__ long int
`

var arches = []arch{
	{X86_32, "386", common + ilp32 + `#define __i386__ 1
#define __i386 1
#define __i686__ 1
#define __SIZEOF_LONG_DOUBLE__ 12
`},
	{X86_64, "amd64", common + lp64 + `#define __x86_64__ 1
#define __x86_64 1
#define __amd64__ 1
#define __amd64 1
#define __SIZEOF_LONG_DOUBLE__ 16
`},
	{ARM32, "arm", common + ilp32 + `#define __arm__ 1
#define __ARM_EABI__ 1
#define __ARMEL__ 1
#define __ARM_ARCH 7
#define __ARM_ARCH_7A__ 1
#define __ARM_PCS_VFP 1
#define __SIZEOF_LONG_DOUBLE__ 8
`},
	{ARM64, "arm64", common + lp64 + `#define __aarch64__ 1
#define __ARM_64BIT_STATE 1
#define __ARM_ARCH 8
#define __AARCH64EL__ 1
#define __SIZEOF_LONG_DOUBLE__ 16
`},
}

func archOf(t Target) (*arch, error) {
	for i := range arches {
		if arches[i].target == t {
			return &arches[i], nil
		}
	}
	return nil, fmt.Errorf("unknown target %q (want one of x86_32, x86_64, arm32, arm64)", t)
}

// ParseTarget converts a command-line spelling to a Target.
func ParseTarget(s string) (Target, error) {
	a, err := archOf(Target(s))
	if err != nil {
		return "", err
	}
	return a.target, nil
}

// ParseMode converts a command-line spelling to a Mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Guest, Tools:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q (want guest or tools)", s)
}

// GOARCH returns the Go architecture whose C ABI the target uses.
func (t Target) GOARCH() string {
	if a, err := archOf(t); err == nil {
		return a.goarch
	}
	return ""
}

// builtinHeaders are the freestanding C headers the Xen headers rely on,
// written for the predefined macros above so that one text serves every
// target. They are served from memory: no host headers are read.
var builtinHeaders = map[string]string{
	"stdint.h": `#ifndef _XENBIND_STDINT_H
#define _XENBIND_STDINT_H
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
#endif
`,
	"stddef.h": `#ifndef _XENBIND_STDDEF_H
#define _XENBIND_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;
#define NULL ((void *)0)
#define offsetof(t, m) __builtin_offsetof(t, m)
#endif
`,
}
