//go:build 386 || amd64

package direct

import "github.com/xenbind/xenbind/runtime/hypercall"

// pageEntries is the number of 32-byte entries in the 4 KiB hypercall page:
// ops beyond it have no entry, and calling there would run whatever follows.
const pageEntries = 4096 / 32

// enosys is -ENOSYS as the result register holds it.
const enosys = ^uintptr(hypercall.ENOSYS - 1)

// newTrap calls through the hypercall page when there is one, else traps
// with the virtualisation extension's own instruction.
func newTrap(page uintptr) (trapFunc, error) {
	if page != 0 {
		return func(op uintptr, a [5]uintptr) uintptr {
			if op >= pageEntries {
				return enosys
			}
			return callPage(page, op, a[0], a[1], a[2], a[3], a[4])
		}, nil
	}
	if svm() {
		return func(op uintptr, a [5]uintptr) uintptr {
			return vmmcall(op, a[0], a[1], a[2], a[3], a[4])
		}, nil
	}
	return func(op uintptr, a [5]uintptr) uintptr {
		return vmcall(op, a[0], a[1], a[2], a[3], a[4])
	}, nil
}

// svm reports whether the CPU is AMD's or Hygon's, whose virtualisation
// (SVM) traps with VMMCALL; Intel's VMX (and anything else) uses VMCALL.
func svm() bool {
	_, b, c, d := cpuid(0)
	vendor := string(le(b)) + string(le(d)) + string(le(c))
	return vendor == "AuthenticAMD" || vendor == "HygonGenuine"
}

// le returns the four bytes of a CPUID vendor register in memory order.
func le(r uint32) []byte {
	return []byte{byte(r), byte(r >> 8), byte(r >> 16), byte(r >> 24)}
}
