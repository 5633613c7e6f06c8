package xenvm

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Arch names a Xen architecture, as Xen and the -arch flag spell it.
type Arch string

const (
	X86_64 Arch = "x86_64"
	ARM64  Arch = "arm64"
	ARM32  Arch = "arm32"
)

// Loader says how the hypervisor finds dom0's kernel and initramfs.
type Loader int

const (
	// Multiboot: Xen is a multiboot kernel (-kernel); dom0's kernel with
	// its command line and the initramfs are multiboot modules
	// (-initrd "KERNEL ARGS,INITRD", so dom0's command line cannot hold a
	// comma).
	Multiboot Loader = iota
	// GuestLoader: QEMU's guest-loader device puts dom0's kernel and
	// initramfs at fixed addresses and describes them in the device tree
	// as Xen's multiboot,module nodes.
	GuestLoader
)

func (l Loader) String() string {
	switch l {
	case Multiboot:
		return "multiboot"
	case GuestLoader:
		return "guest-loader"
	}
	return fmt.Sprintf("Loader(%d)", int(l))
}

// Release names a Xen release the harness boots, as XENVER_version
// reports it (major.minor).
type Release string

const (
	Xen417 Release = "4.17" // Debian 12 (bookworm)
	Xen420 Release = "4.20" // Debian 13 (trixie)
)

// Machine describes one test VM, an architecture and a Xen release: which
// pinned packages make it, how QEMU runs it and what Xen and dom0 are
// told. Everything that differs between architectures or releases is a
// field here; the code that builds and boots a VM reads only this.
type Machine struct {
	Arch Arch
	// Xen is the hypervisor's release; XenPackage must be its
	// xen-hypervisor-RELEASE-DEBARCH package.
	Xen Release
	// XenExtraversion is what this build answers to XENVER_extraversion
	// (and prints in its banner), as seen on the real thing: the pinned
	// package's point release (".5" for 4.17.5), or the next one with
	// "-pre" for a build from the stable branch after it (".5-pre" for
	// 4.20.4+63).
	XenExtraversion string
	// Suite is the Debian suite the packages are pinned from (the
	// manifest's suite column), fetched from its main archive through a
	// private sources list: bookworm for Xen 4.17, trixie for 4.20.
	Suite string

	// GOARCH of the test binary native to dom0.
	GOARCH string
	// Compat32 is the GOARCH of 32-bit binaries dom0's kernel also runs
	// (its compat mode), empty if none. Linux's privcmd has no compat
	// ioctl, so such a binary must get ENOTTY from every hypercall.
	Compat32 string

	// DebArch is the Debian architecture of the packages below.
	DebArch string
	// XenPackage holds the hypervisor; XenImage is the image's path in it.
	XenPackage string
	XenImage   string
	// XenGzip: XenImage is gzip-compressed; QEMU's multiboot loader needs
	// it unpacked (a multiboot ELF).
	XenGzip bool
	// KernelPackage is Debian's linux-image package for dom0; the kernel
	// is boot/vmlinuz-RELEASE and the modules ModulesDir/RELEASE, where
	// RELEASE is the package name without "linux-image-".
	KernelPackage string
	// ModulesDir holds the kernel's modules: lib/modules up to bookworm,
	// usr/lib/modules from trixie on (merged /usr).
	ModulesDir string
	// KernelExtract: boot dom0 from the vmlinux inside the bzImage. Under
	// emulation an uncompressed dom0 kernel boots several seconds faster.
	KernelExtract bool
	// BusyboxPackage provides the initramfs's busybox, at BusyboxPath in
	// the package (bin/busybox up to bookworm, usr/bin/busybox in trixie).
	BusyboxPackage string
	BusyboxPath    string

	// QEMU is the system emulator, from the host package QEMUPackage.
	QEMU        string
	QEMUPackage string
	// QEMUArgs choose the machine, CPU and accelerator.
	QEMUArgs []string
	// MemoryMiB is the machine's RAM and RAMBase its physical address:
	// 0 on a PC, 0x40000000 on QEMU's virt machine.
	MemoryMiB int
	RAMBase   uint64
	// CPUs is the machine's processor count (QEMU's -smp), all of which
	// Xen brings up (XEN_SYSCTL_physinfo's nr_cpus); dom0 gets one.
	CPUs int

	Loader Loader
	// KernelAddr and InitrdAddr are where guest-loader puts dom0's kernel
	// and initramfs (GuestLoader only). QEMU's virt machine has RAM at
	// 0x40000000 and puts the device tree at 0x48000000: the kernel must
	// end below that and the initramfs starts above it.
	KernelAddr, InitrdAddr uint64

	// XenOptions is Xen's command line, without dom0_mem (see Dom0MiB).
	XenOptions string
	// Dom0MiB is dom0's memory: dom0_mem=N. Small is fast: Xen builds
	// dom0's page tables and p2m under emulation.
	Dom0MiB int
	// Dom0MaxMiB is dom0's maximum reservation, dom0_mem=N,max:M, or 0
	// where Xen takes no maximum: Arm's dom0_mem is a size only, and its
	// maximum reservation is that size. A maximum above Dom0MiB lets the
	// tests tell XENMEM_current_reservation from
	// XENMEM_maximum_reservation.
	Dom0MaxMiB int
	// Dom0Options is dom0's kernel command line. No commas (Multiboot).
	Dom0Options string

	// Capability is the word XENVER_capabilities must contain.
	Capability string

	// Triplet is Debian's multiarch directory name for DebArch
	// (lib/TRIPLET, usr/lib/TRIPLET), which Service.Files refer to.
	Triplet string
	// Services are started by dom0's /init before the tests.
	Services []Service
}

// Service is a program from pinned Debian packages that dom0's /init
// starts before the tests, and waits for.
type Service struct {
	Name string
	// Packages are the pinned packages (runtime/xenvm/manifest.txt, of the
	// machine's DebArch) its files come from. Each must contribute a file.
	Packages []string
	// Files are path.Match patterns of the files copied from the
	// packages into the initramfs at the same path; "{triplet}" stands
	// for Machine.Triplet. Symbolic links stay links.
	Files []string
	// Links are symbolic links (File.Link set) the files need: trixie's
	// libc puts the loader under /usr, and programs still ask for
	// /lib64/ld-linux-x86-64.so.2 or /lib/ld-linux-aarch64.so.1, which a
	// merged-/usr system reaches through lib -> usr/lib and lib64 ->
	// usr/lib64.
	Links []File
	// Start is the shell text /init runs to start it, in the background.
	Start string
	// Ready is a path that exists once the service serves.
	Ready string
}

// Xenstored417 is Debian 12's C xenstored (the same Xen build as the
// hypervisor), serving /dev/xen/xenbus and /var/run/xenstored/socket. It
// links libxenctrl and its siblings and the C library.
var Xenstored417 = Service{
	Name: "xenstored",
	Packages: []string{"xen-utils-4.17", "libxenmisc4.17", "libxenevtchn1", "libxengnttab1",
		"libxencall1", "libxenforeignmemory1", "libxentoollog1", "libxentoolcore1",
		"libxendevicemodel1", "libc6"},
	Files: []string{
		"usr/lib/xen-4.17/bin/xenstored",
		"usr/lib/{triplet}/libxenctrl.so.*",
		"usr/lib/{triplet}/libxenevtchn.so.*",
		"usr/lib/{triplet}/libxengnttab.so.*",
		"usr/lib/{triplet}/libxencall.so.*",
		"usr/lib/{triplet}/libxenforeignmemory.so.*",
		"usr/lib/{triplet}/libxentoollog.so.*",
		"usr/lib/{triplet}/libxentoolcore.so.*",
		"usr/lib/{triplet}/libxendevicemodel.so.*",
		"lib/{triplet}/libc.so.6",
		"lib/{triplet}/ld-linux*",
		"lib/ld-linux*",   // the loader's name in PT_INTERP on arm and arm64
		"lib64/ld-linux*", // and on x86_64
	},
	Start: "mkdir -p /var/run/xenstored /var/lib/xenstored /var/log/xen && " +
		"LD_LIBRARY_PATH=/lib/{triplet}:/usr/lib/{triplet} /usr/lib/xen-4.17/bin/xenstored --pid-file /var/run/xenstored.pid",
	Ready: "/var/run/xenstored/socket",
}

// Xenstored420 is Debian 13's C xenstored, the same program for Xen 4.20:
// the same libraries, and trixie's C library, all under /usr.
var Xenstored420 = Service{
	Name: "xenstored",
	Packages: []string{"xen-utils-4.20", "libxenmisc4.20", "libxenevtchn1", "libxengnttab1",
		"libxencall1", "libxenforeignmemory1", "libxentoollog1", "libxentoolcore1",
		"libxendevicemodel1", "libc6"},
	Files: []string{
		"usr/lib/xen-4.20/bin/xenstored",
		"usr/lib/{triplet}/libxenctrl.so.*",
		"usr/lib/{triplet}/libxenevtchn.so.*",
		"usr/lib/{triplet}/libxengnttab.so.*",
		"usr/lib/{triplet}/libxencall.so.*",
		"usr/lib/{triplet}/libxenforeignmemory.so.*",
		"usr/lib/{triplet}/libxentoollog.so.*",
		"usr/lib/{triplet}/libxentoolcore.so.*",
		"usr/lib/{triplet}/libxendevicemodel.so.*",
		"usr/lib/{triplet}/libc.so.6",
		"usr/lib/{triplet}/ld-linux*",
		"usr/lib/ld-linux*",   // links to the loader: arm64's PT_INTERP
		"usr/lib64/ld-linux*", // x86_64's
	},
	Links: []File{{Name: "lib", Link: "usr/lib"}, {Name: "lib64", Link: "usr/lib64"}},
	Start: "mkdir -p /var/run/xenstored /var/lib/xenstored /var/log/xen && " +
		"LD_LIBRARY_PATH=/usr/lib/{triplet} /usr/lib/xen-4.20/bin/xenstored --pid-file /var/run/xenstored.pid",
	Ready: "/var/run/xenstored/socket",
}

// expand replaces {triplet} in s.
func (m Machine) expand(s string) string { return strings.ReplaceAll(s, "{triplet}", m.Triplet) }

// x86_64Xen417 is Xen 4.17 on x86_64, Debian 12's build.
var x86_64Xen417 = Machine{
	Arch:            X86_64,
	Xen:             Xen417,
	XenExtraversion: ".5",
	Suite:           "bookworm",
	GOARCH:          "amd64",
	Compat32:        "386",
	DebArch:         "amd64",
	XenPackage:      "xen-hypervisor-4.17-amd64",
	XenImage:        "boot/xen-4.17-amd64.gz",
	XenGzip:         true,
	KernelPackage:   "linux-image-6.1.0-50-amd64",
	ModulesDir:      "lib/modules",
	KernelExtract:   true,
	BusyboxPackage:  "busybox-static",
	BusyboxPath:     "bin/busybox",
	QEMU:            "qemu-system-x86_64",
	QEMUPackage:     "qemu-system-x86",
	// With SMAP visible, the PV dom0 dies on its first page fault
	// under software emulation.
	QEMUArgs:  []string{"-accel", "tcg", "-cpu", "max,-smap"},
	MemoryMiB: 1024,
	CPUs:      1,
	Loader:    Multiboot,
	// bootscrub=0: scrubbing all of RAM on two emulated cores doubles
	// the boot time.
	XenOptions:  "console=com1 dom0_max_vcpus=1 bootscrub=0",
	Dom0MiB:     256,
	Dom0MaxMiB:  320,
	Dom0Options: "console=hvc0 panic=-1 loglevel=5",
	Capability:  "xen-3.0-x86_64",
	Triplet:     "x86_64-linux-gnu",
	Services:    []Service{Xenstored417},
}

// arm64Xen417 is Xen 4.17 on arm64, Debian 12's build.
var arm64Xen417 = Machine{
	Arch:            ARM64,
	Xen:             Xen417,
	XenExtraversion: ".5",
	Suite:           "bookworm",
	GOARCH:          "arm64",
	Compat32:        "arm",
	DebArch:         "arm64",
	XenPackage:      "xen-hypervisor-4.17-arm64",
	XenImage:        "boot/xen-4.17-arm64",
	KernelPackage:   "linux-image-6.1.0-50-arm64",
	ModulesDir:      "lib/modules",
	BusyboxPackage:  "busybox-static",
	BusyboxPath:     "bin/busybox",
	QEMU:            "qemu-system-aarch64",
	QEMUPackage:     "qemu-system-arm",
	QEMUArgs: []string{"-accel", "tcg",
		"-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57"},
	MemoryMiB:   1024,
	RAMBase:     0x40000000,
	CPUs:        2,
	Loader:      GuestLoader,
	KernelAddr:  0x42000000,
	InitrdAddr:  0x49000000,
	XenOptions:  "console=dtuart dom0_max_vcpus=1 bootscrub=0",
	Dom0MiB:     256,
	Dom0Options: "console=hvc0 earlycon=xenboot panic=-1 loglevel=5",
	Capability:  "xen-3.0-aarch64",
	Triplet:     "aarch64-linux-gnu",
	Services:    []Service{Xenstored417},
}

// arm32Xen417 is Xen 4.17 on arm32, Debian 12's build.
var arm32Xen417 = Machine{
	Arch:            ARM32,
	Xen:             Xen417,
	XenExtraversion: ".5",
	Suite:           "bookworm",
	GOARCH:          "arm",
	DebArch:         "armhf",
	XenPackage:      "xen-hypervisor-4.17-armhf",
	XenImage:        "boot/xen-4.17-armhf",
	KernelPackage:   "linux-image-6.1.0-50-armmp-lpae", // Xen needs an LPAE dom0
	ModulesDir:      "lib/modules",
	BusyboxPackage:  "busybox-static",
	BusyboxPath:     "bin/busybox",
	QEMU:            "qemu-system-arm",
	QEMUPackage:     "qemu-system-arm",
	// Without highmem=off the arm32 dom0 hangs probing PCI.
	QEMUArgs: []string{"-accel", "tcg",
		"-machine", "virt,virtualization=on,gic-version=2,highmem=off", "-cpu", "cortex-a15"},
	MemoryMiB:   1024,
	RAMBase:     0x40000000,
	CPUs:        1,
	Loader:      GuestLoader,
	KernelAddr:  0x42000000,
	InitrdAddr:  0x49000000,
	XenOptions:  "console=dtuart dom0_max_vcpus=1 bootscrub=0",
	Dom0MiB:     256,
	Dom0Options: "console=hvc0 earlycon=xenboot panic=-1 loglevel=5",
	Capability:  "xen-3.0-armv7l",
	Triplet:     "arm-linux-gnueabihf",
	Services:    []Service{Xenstored417},
}

// onXen420 is machine m with Debian 13's Xen 4.20 instead: trixie's
// hypervisor build, kernel, busybox and xenstored, its files under /usr.
// The QEMU machine, memory, and Xen and dom0 command lines stay m's.
func onXen420(m Machine) Machine {
	m.Xen = Xen420
	m.XenExtraversion = ".5-pre"
	m.Suite = "trixie"
	m.XenPackage = "xen-hypervisor-4.20-" + m.DebArch
	m.XenImage = strings.Replace(m.XenImage, "xen-4.17-", "xen-4.20-", 1)
	m.KernelPackage = "linux-image-6.12.117+deb13-" + m.DebArch
	// The amd64 bzImage's payload is zstd, which ExtractVmlinux does not
	// read: Xen inflates the bzImage itself (about 0.9 s more).
	m.KernelExtract = false
	m.ModulesDir = "usr/lib/modules"
	m.BusyboxPath = "usr/bin/busybox"
	m.Services = []Service{Xenstored420}
	return m
}

// Machines are the VMs the harness boots under QEMU: Xen 4.17 on three
// architectures and Xen 4.20 on the two Debian builds it for (trixie has
// no armhf Xen). A machine is named ARCH-RELEASE (Machine.Name).
var Machines = []Machine{
	x86_64Xen417,
	arm64Xen417,
	arm32Xen417,
	onXen420(x86_64Xen417),
	onXen420(arm64Xen417),
}

// Name names the machine: ARCH-RELEASE, "x86_64-4.20".
func (m Machine) Name() string { return string(m.Arch) + "-" + string(m.Xen) }

// Lookup returns the machine of a name (Machine.Name).
func Lookup(name string) (Machine, error) {
	for _, m := range Machines {
		if m.Name() == name {
			return m, nil
		}
	}
	return Machine{}, fmt.Errorf("unknown machine %q (have %s)", name, strings.Join(machineNames(Machines), ", "))
}

// Select returns the machines of the given architectures and Xen
// releases, in the table's order; an empty list means all. Naming an
// architecture or release no machine has is an error, and so is a
// selection that leaves nothing.
func Select(arches, releases []string) ([]Machine, error) {
	var arch, rel []string
	for _, m := range Machines {
		arch = append(arch, string(m.Arch))
		rel = append(rel, string(m.Xen))
	}
	for _, a := range arches {
		if !slices.Contains(arch, a) {
			return nil, fmt.Errorf("unknown architecture %q (have %s)", a, strings.Join(uniq(arch), ", "))
		}
	}
	for _, r := range releases {
		if !slices.Contains(rel, r) {
			return nil, fmt.Errorf("no machine boots Xen %q (have %s)", r, strings.Join(uniq(rel), ", "))
		}
	}
	var out []Machine
	for _, m := range Machines {
		if (len(arches) == 0 || slices.Contains(arches, string(m.Arch))) &&
			(len(releases) == 0 || slices.Contains(releases, string(m.Xen))) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no machine runs Xen %s on %s (have %s)", strings.Join(releases, " or "), strings.Join(arches, " or "), strings.Join(machineNames(Machines), ", "))
	}
	return out, nil
}

func machineNames(ms []Machine) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name())
	}
	return out
}

// uniq sorts s and drops repeats.
func uniq(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// XenCommandLine is the whole command line Xen is given.
func (m Machine) XenCommandLine() string {
	if m.Dom0MaxMiB == 0 {
		return fmt.Sprintf("%s dom0_mem=%dM", m.XenOptions, m.Dom0MiB)
	}
	return fmt.Sprintf("%s dom0_mem=%dM,max:%dM", m.XenOptions, m.Dom0MiB, m.Dom0MaxMiB)
}

// Dom0Max is dom0's maximum reservation in MiB: Dom0MaxMiB, or Dom0MiB
// where Xen takes no separate maximum.
func (m Machine) Dom0Max() int {
	if m.Dom0MaxMiB == 0 {
		return m.Dom0MiB
	}
	return m.Dom0MaxMiB
}

// KernelRelease is the kernel's release name (uname -r) in KernelPackage.
func (m Machine) KernelRelease() string {
	return strings.TrimPrefix(m.KernelPackage, "linux-image-")
}

// Runs reports whether dom0 on m can run a binary built for goarch.
func (m Machine) Runs(goarch string) bool {
	return goarch == m.GOARCH || (goarch != "" && goarch == m.Compat32)
}
