// Package generated holds the Go bindings xenbind generates for the pinned
// Xen headers (Debian's libxen-dev 4.17 and 4.20), committed so that users
// can import them without running the generator:
//
//   - xen: the host package in tools mode (__XEN_TOOLS__) for xen.h, memory.h,
//     grant_table.h, version.h, event_channel.h, sched.h, vcpu.h, physdev.h,
//     hvm/hvm_op.h, hvm/params.h, domctl.h and sysctl.h of Xen 4.17: what a
//     dom0 tool uses: every type with the C layout of the GOARCH it is built
//     for, constants, and the hypercall wrappers.
//   - xen420: the same headers of Xen 4.20, tools mode.
//   - dom0: the domctl and sysctl wrappers of xen and xen420 behind one API
//     that asks the hypervisor its release once per process and marshals
//     each call in the layout of the interface it speaks; written by
//     "xenbind dispatch" from the two packages above (emit/dispatch).
//   - xenguest: the same in guest mode, the interface a guest kernel sees
//     (without domctl.h and sysctl.h, which are for tools only).
//   - foreign/x86_32, x86_64, arm32, arm64: host-independent types of one
//     Xen architecture each, with MarshalBinary and UnmarshalBinary.
//
// Why this layout: only the tools interfaces (domctl, sysctl) change from
// release to release, and Xen refuses a domctl or sysctl whose interface
// version is not its own, so they need one package per release; xen keeps
// its import path and its 4.17 contents so existing programs build
// unchanged, and each further release gets a sibling named after it
// (xen420), which keeps the import paths short and the staleness test
// one loop over this file's go:generate lines. The guest interface is
// kept stable by Xen across releases (a guest built against 4.17's headers
// runs on 4.20), so xenguest and the foreign packages exist once, for 4.17.
// A dom0 tool that must run on both releases imports dom0 for domctl and
// sysctl and xen for everything else, whose layouts the two releases share.
//
// Tools mode is a superset of guest mode for the three main headers; on
// x86_32 it also aligns uint64_aligned_t members to 8, so the two layouts
// differ there.
//
// A test regenerates everything into a temporary directory and fails when
// a committed file is stale; "go generate ./generated" (or make generate)
// refreshes them.
package generated

//go:generate go run ../cmd/xenbind gen -mode tools -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -out xen
//go:generate go run ../cmd/xenbind gen -mode guest -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h -out xenguest
//go:generate go run ../cmd/xenbind gen -mode tools -headers 4.20 -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -out xen420
//go:generate go run ../cmd/xenbind gen -foreign -mode tools -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -targets x86_32 -pkg x86_32 -out foreign/x86_32
//go:generate go run ../cmd/xenbind gen -foreign -mode tools -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -targets x86_64 -pkg x86_64 -out foreign/x86_64
//go:generate go run ../cmd/xenbind gen -foreign -mode tools -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -targets arm32 -pkg arm32 -out foreign/arm32
//go:generate go run ../cmd/xenbind gen -foreign -mode tools -include xen.h,memory.h,grant_table.h,version.h,event_channel.h,sched.h,vcpu.h,physdev.h,hvm/hvm_op.h,hvm/params.h,domctl.h,sysctl.h -targets arm64 -pkg arm64 -out foreign/arm64
//go:generate go run ../cmd/xenbind dispatch -release 4.17=./xen -release 4.20=./xen420 -out dom0
