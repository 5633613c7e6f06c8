// Package itest holds xenbind's integration tests: they call Xen through
// the generated wrappers (generated/xen, generated/dom0 for domctl and
// sysctl, generated/xen420 for what only 4.20 has) and the privcmd runtime
// (runtime/privcmd) and check the answers against what the harness set up,
// so they run only inside dom0 of a Xen booted by runtime/xenvm
// (go run ./cmd/xenvm), never on the host. The same tests run on Xen 4.17
// (x86_64, arm64 and arm32, where the binary is a 32-bit process talking
// to a 32-bit Xen: the one real proof of the 32-bit types and privcmd
// request) and Xen 4.20 (x86_64, arm64); the harness runs one binary per
// GOARCH on both releases, and the tests take what differs between them
// from the harness (XENVM_XEN_*), not from the binary.
//
// What they check:
//
//   - XENVER_*: the release and extra version the harness booted (4.17
//     and ".5", or 4.20 and ".5-pre"), capabilities naming the
//     architecture, page size 4096, the command line the harness passed;
//   - XENMEM_*: dom0's current and maximum reservation equal dom0_mem and
//     its max:, the maximum RAM page and dom0's maximum GPFN fit the
//     machine's RAM, the memory-sharing counters are 0 and every sharing
//     sub-command fails with ENOSYS (not compiled into these Xens);
//   - GNTTABOP_*: dom0's grant table size and version, and what
//     set_version does with each version (x86 lets dom0 switch to 2, Arm
//     does not);
//   - errors: ENOSYS for unknown commands, ESRCH or GNTST_bad_domain for a
//     domain that does not exist, and wrappers refusing bad arguments
//     before any hypercall (a recording Caller sees none);
//   - the dom0 surface: XEN_SYSCTL_physinfo against the machine (CPUs,
//     RAM), dom0 in XEN_SYSCTL_getdomaininfolist with tot_pages equal to
//     its reservation, a domain created (PVH on x86_64, the host's GIC on
//     Arm), given vCPUs and memory, listed paused, its vCPU read, paused,
//     destroyed and gone; an HVM parameter set and read (x86_64); event
//     channels allocated, bound, queried, signalled and closed; sched_op
//     yield and vcpu_op is_up; ESRCH, EINVAL, a *hypercall.VersionError
//     for a wrong interface version and ArgErrors before any hypercall;
//   - one binary, two releases: generated/dom0 finds the running release
//     and its interface versions (domctl 0x15 on 4.17, 0x17 on 4.20) and
//     creates, lists and destroys a domain on both, with a
//     xen_domctl_createdomain whose layout differs between them
//     (altp2m_opts); a member 4.17 lacks is refused before anything is
//     sent; each per-release package works on its own release and gets a
//     *hypercall.VersionError (EACCES) on the other;
//   - XENVER_*2 (generated/xen420): on 4.20 the same strings as the
//     fixed-size calls, the size query, ENOBUFS for a short buffer; on
//     4.17, ENOSYS;
//   - buffers: the runtime's buffers work on first use, every page;
//   - 32 goroutines × 200 wrapped calls in a copy of the binary run with
//     GOGC=1, at varying stack depths, all answered right;
//   - cmd/xeninfo, built for the same GOARCH, reports the same facts;
//   - a 32-bit binary on a 64-bit dom0 (386 on x86_64, arm on arm64) gets
//     ENOTTY from privcmd for every hypercall, and the runtime and xeninfo
//     say so in plain words (hypercall.Compat32Error). Every other test
//     skips there.
//
// Two checks bypass the runtime on purpose with a raw privcmd ioctl, to
// show what it guards against: EFAULT from a never-written buffer on Arm,
// and ENOTTY for a 32-bit process on a 64-bit kernel.
//
// The test files carry the build tag xenvm; the harness builds them with
//
//	GOOS=linux GOARCH=$goarch CGO_ENABLED=0 go test -c -tags xenvm
//
// and learns from them their exit status and the tests they passed and
// skipped. What the harness set up reaches the tests through the
// environment (/etc/xenvm.env in the initramfs):
//
//	XENVM_ARCH          x86_64, arm64 or arm32
//	XENVM_MACHINE       the machine's name: ARCH-RELEASE, x86_64-4.20
//	XENVM_XEN_VERSION   the Xen release booted, 4.17 or 4.20
//	XENVM_XEN_EXTRAVERSION  what XENVER_extraversion must say (".5")
//	XENVM_XEN_CMDLINE   Xen's whole command line
//	XENVM_DOM0_MIB      dom0_mem, in MiB
//	XENVM_DOM0_MAX_MIB  dom0's maximum reservation, in MiB
//	XENVM_RAM_BASE      the physical address of the machine's RAM
//	XENVM_RAM_MIB       the machine's RAM (QEMU's -m), in MiB
//	XENVM_CPUS          the machine's processors (QEMU's -smp)
//	XENVM_CAPABILITY    the word XENVER_capabilities must hold
//	XENVM_TOOLS         the directory holding xeninfo-$GOARCH
//	XENVM_SERVICES      the services /init started before the tests, by
//	                    name (xenstored: Debian's C xenstored, serving
//	                    /dev/xen/xenbus and /var/run/xenstored/socket)
package itest
