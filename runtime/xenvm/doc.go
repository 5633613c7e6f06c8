// Package xenvm boots real Xen under QEMU, Debian's builds of Xen 4.17
// (with Linux 6.1 as dom0) and Xen 4.20 (with Linux 6.12), runs static Go
// test binaries inside dom0 and reports their exit status: xenbind's proof
// that its hypercalls work on a real hypervisor, of each release.
//
// # Machines
//
// Machines holds one Machine per architecture and Xen release as data
// (x86_64-4.17, arm64-4.17, arm32-4.17, x86_64-4.20, arm64-4.20; Debian
// builds no armhf Xen after 4.17): the pinned Debian packages and where
// their files are, QEMU's machine and CPU, how Xen finds dom0 (multiboot
// modules on x86, QEMU's guest-loader device on ARM), the options of Xen
// and dom0, and what the build reports about itself. QEMU runs with
// software emulation (TCG); KVM is not needed.
//
// # Packages
//
// manifest.txt pins every package by version, SHA-256 and Debian suite,
// in the format of package headers, which also does the work: apt-get
// download from the suite's main archive through a private sources list
// (bookworm for Xen 4.17, trixie for 4.20, whatever the host's own apt
// sources and dpkg architectures are), checksum check (a mismatch is
// refused), dpkg-deb -x. Prepare fetches what is missing into cache/ and
// unpacks it into unpacked/, both ignored by git. A pin the archive
// dropped fails naming the command that refreshes the manifest (go run
// ./headers/repin runtime/xenvm/manifest.txt). The one change to the host,
// when QEMU is missing, needs root, and Prepare makes it by itself:
//
//	apt-get install qemu-system-x86 qemu-system-arm
//
// # A boot
//
// Run takes ./itest and cmd/xeninfo built for each GOARCH (BuildFor: go
// test -c -tags xenvm, static; the tests compare xeninfo's report with the
// wrappers'), or builds them, writes an uncompressed newc initramfs
// (busybox-static, the Xen kernel modules and their dependencies, the test
// binaries, xeninfo, an /init script), and starts QEMU. A Build made once
// can be given to every machine whose dom0 runs its GOARCH: TestBoot and
// cmd/xenvm run one binary per GOARCH on both Xen releases. /init mounts
// proc, sysfs, devtmpfs and xenfs, loads the modules, and for each test
// binary prints its SHA-256 as dom0 reads it, runs it with -test.v and
// prints
//
//	XENVM-BINARY: NAME SHA256
//	XENVM-RESULT: NAME STATUS
//
// then XENVM-DONE, then powers off. The tests learn what the harness
// configured (the Xen release, Xen's command line, dom0_mem, the
// machine's RAM) from /etc/xenvm.env; ./itest documents the variables.
// The harness streams the console to out/ARCH-RELEASE.log (and to
// Config.Console), reads Xen's version from its banner, enforces a
// hard time limit, and always kills and reaps QEMU (its whole process
// group), also when the context is cancelled or the harness panics. Each
// TestResult also lists the tests its binary passed and skipped, from
// go test -v's output.
//
// A boot that does not end with every test passing gives a *BootError
// holding the console lines that show why: a Xen panic, a dom0 kernel
// panic or oops, a module that did not load, a failing test and its
// messages, or, when nothing recognisable happened, the console's last
// lines.
//
// The integration tests themselves live in ./itest; cmd/xenvm is the
// command-line front end, and TestBoot runs every machine from go test
// (skipped with -short, and skipped with the reason when QEMU or the
// packages cannot be had, except under CI, where that fails).
package xenvm
