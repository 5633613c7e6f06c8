// Package abi compares record layouts, to answer the questions people ask
// about Xen's ABI:
//
//   - Across xenbind's four targets (Compare): is a record the same on
//     every architecture, the same within the 32-bit pair (x86_32, arm32)
//     and within the 64-bit pair (x86_64, arm64), or different; which
//     member moves first, and how; and can a 32-bit guest on a 64-bit
//     hypervisor pass it through as it is, or does a compat layer need to
//     translate it (x86_32 against x86_64, and arm32 against arm64).
//   - Between two header trees (Diff), per target: records, members and
//     constants added, removed and changed, and command numbers that the
//     new tree gives a meaning the old tree already gave to another name.
//
// Layouts are compared by flattening each record into slots: every named
// member at its bit offset with its size, members of anonymous structs and
// unions as members of the record that holds them (as C does), members of
// nested records under a dotted path ("vcpu_info[].time.version", the
// first element standing for an array of records). Guest handles are
// slots of their own and are not looked into: they are the ABI's pointer,
// spelled differently by each architecture and dialect, so records named
// __guest_handle_* are not reported on their own either. Nested anonymous
// records are reported as part of the record that holds them.
//
// Types are compared in a canonical spelling: integer types by size and
// signedness (uint32_t, unsigned int and __u32 are the same), typedefs
// followed, guest handles by the type they point to (XEN_GUEST_HANDLE(x),
// XEN_GUEST_HANDLE_64(x), GUEST_HANDLE(x) and a handle of x_t are one
// thing). Across targets only offsets and sizes count.
//
// Reports render as text, JSON and a self-contained HTML page (WriteHTML)
// that draws each record's bytes on the four targets side by side.
package abi
