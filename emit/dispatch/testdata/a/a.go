// Package a is a binding set of a made-up Xen 4.17 for the dispatch tests:
// what xenbind gen would write, cut down to the shapes dispatch handles
// and refuses.
package a

import (
	"structs"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

const (
	XEN_DOMCTL_INTERFACE_VERSION = 0x15
	XEN_SYSCTL_INTERFACE_VERSION = 0x15
)

type DomID uint16

type Handle [4]uint8

type Inner struct {
	_ structs.HostLayout
	X uint8
	_ [3]byte
	Y uint32
}

type Req struct {
	_     structs.HostLayout
	A     uint32
	H     Handle
	In    Inner
	Ids   [2]DomID
	Inner [2]Inner
	B     int32
}

// U is a union kept as storage, with an accessor.
type U struct {
	_ structs.HostLayout
	_ [8]byte
}

func (x *U) M() *uint32 { return (*uint32)(unsafe.Pointer(x)) }

type HasU struct {
	_ structs.HostLayout
	U U
}

type Changed struct {
	_ structs.HostLayout
	X uint32
}

type Info struct {
	_     structs.HostLayout
	Dom   DomID
	Pages uint64
}

// XenVersion is what XENVER_version returns: major (bits 31-16), minor (bits 15-0).
type XenVersion uint32

// Major returns the major field of v, bits 31-16.
func (v XenVersion) Major() uint16 { return uint16(v >> 16) }

// Minor returns the minor field of v, bits 15-0.
func (v XenVersion) Minor() uint16 { return uint16(v) }

// XenverVersion issues XENVER_version.
func XenverVersion(c hypercall.Caller) (version XenVersion, err error) { return 4<<16 | 17, nil }

// Last records what the last wrapper was given, for the tests.
var Last any

// XenDomctlFoo issues XEN_DOMCTL_foo (domctl.h:1:1).
func XenDomctlFoo(c hypercall.Caller, domain DomID, arg *Req) (domid DomID, err error) {
	Last = *arg
	arg.A++
	return domain + 1, nil
}

// XenDomctlUnion issues XEN_DOMCTL_union (domctl.h:2:1).
func XenDomctlUnion(c hypercall.Caller, arg *HasU) (err error) {
	Last = arg
	return nil
}

// XenDomctlChanged issues XEN_DOMCTL_changed (domctl.h:3:1).
func XenDomctlChanged(c hypercall.Caller, arg *Changed) (err error) { return nil }

// XenSysctlList issues XEN_SYSCTL_list (sysctl.h:1:1).
func XenSysctlList(c hypercall.Caller, first DomID, buf []Info, ids []DomID) (n uint32, err error) {
	for i := range buf {
		buf[i] = Info{Dom: first + DomID(i), Pages: uint64(i) * 10}
	}
	Last = ids
	return uint32(len(buf)), nil
}

// XenDomctl issues a caller-filled struct xen_domctl.
func XenDomctl(c hypercall.Caller, arg *Req) (err error) { return nil }

// MemoryOp issues XENMEM_op (memory.h:1:1), a call outside domctl and
// sysctl whose layout changes.
func MemoryOp(c hypercall.Caller, arg *Changed) (err error) { return nil }

// SameOp issues XENMEM_same (memory.h:2:1), one whose layout does not.
func SameOp(c hypercall.Caller, arg *Info) (err error) { return nil }

// U2 is a union that gains a member in the next release.
type U2 struct {
	_ structs.HostLayout
	_ [8]byte
}

func (x *U2) M() *uint32 { return (*uint32)(unsafe.Pointer(x)) }

// U3 is storage whose accessor moves in the next release.
type U3 struct {
	_ structs.HostLayout
	_ [8]byte
}

func (x *U3) M() *uint32 { return (*uint32)(unsafe.Pointer(x)) }

type HasU23 struct {
	_  structs.HostLayout
	U2 U2
	U3 U3
}

// XenDomctlUnion2 issues XEN_DOMCTL_union2 (domctl.h:5:1).
func XenDomctlUnion2(c hypercall.Caller, arg *U2) (err error) { return nil }

// XenDomctlUnion3 issues XEN_DOMCTL_union3 (domctl.h:6:1).
func XenDomctlUnion3(c hypercall.Caller, arg *U3) (err error) { return nil }
