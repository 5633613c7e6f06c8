// Package dispatch writes a Go package that issues domctl and sysctl
// commands in the layout of whichever interface version the running
// hypervisor speaks, from several per-release packages that xenbind gen
// wrote ("xenbind dispatch"; generated/dom0 is its output for Xen 4.17
// and 4.20).
//
// Xen refuses (EACCES) a domctl or sysctl whose interface_version is not
// its own, and the layouts behind those versions change: 4.20's
// xen_domctl_createdomain gains altp2m_opts after grant_opts, moving every
// later member. A tool built against one release's bindings therefore
// fails on the next. The dispatching package holds, for every wrapper of
// the two families that any binding set has:
//
//   - version-neutral types: one Go type per named type the wrappers use,
//     with the members of every release (in the order of the releases that
//     have them), and no padding of its own: the per-release packages keep
//     the C layouts, this package never touches hypervisor memory;
//   - conversions between the neutral types and each release's types, by
//     member name: a member the running release lacks must be zero, or the
//     call fails with a *hypercall.MemberError before anything is sent; a
//     member the caller's type lacks cannot happen (the neutral type has
//     them all) and a release's member is zero unless the caller set it;
//   - the wrapper, which asks the hypervisor its release once per process
//     (XENVER_version, which every release lays out alike), looks up the
//     interface versions of that release (releases.txt), picks the binding
//     set of that version (the same release if there is one, else the
//     newest with that version) and calls its wrapper; a version no set
//     has is a *hypercall.InterfaceError naming it.
//
// A struct whose members cannot be converted one by one (a union kept as
// storage with accessors, a guest handle, a bit-field or a byte-stored
// packed member) is passed as it is, through an alias of the first
// release's type, but only when every release lays it out alike: the
// same member names, offsets and sizes all the way down, and the same
// generated methods, compared as source text. Anything else that differs
// leaves the wrapper out with a note saying why (its callers use the
// per-release package); nothing is guessed.
//
// The other wrappers (outside domctl and sysctl) are compared the same
// way, and the output's package doc lists those that differ or that only
// some releases have, so that a program can take the rest from the first
// release's package.
//
// The binding sets are read as Go packages (go/packages), once per GOARCH,
// because their types differ by architecture; declarations that come out
// the same on all four go into one shared file.
package dispatch
