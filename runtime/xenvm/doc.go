// Package xenvm boots a real Xen 4.17 under QEMU, with Debian's Linux 6.1
// as dom0, runs static Go test binaries inside dom0 and reports their exit
// status: xenbind's proof that its hypercalls work on a real hypervisor.
//
// # Machines
//
// Machines holds one Machine per architecture (x86_64, arm64, arm32) as
// data: the pinned Debian packages, QEMU's machine and CPU, how Xen finds
// dom0 (multiboot modules on x86, QEMU's guest-loader device on ARM) and
// the options of Xen and dom0. QEMU runs with software emulation (TCG);
// KVM is not needed.
//
// # Packages
//
// manifest.txt pins every package by version and SHA-256, in the format of
// package headers, which also does the work: apt-get download, checksum
// check (a mismatch is refused), dpkg-deb -x. Prepare fetches what is
// missing into cache/ and unpacks it into unpacked/, both ignored by git.
// Setting up a host needs root once, and Prepare does it by itself when
// needed:
//
//	dpkg --add-architecture arm64 && dpkg --add-architecture armhf
//	apt-get update
//	apt-get install qemu-system-x86 qemu-system-arm
//
// # A boot
//
// Run builds ./itest for each GOARCH asked for (go test -c -tags xenvm,
// static) and cmd/xeninfo for the same GOARCHes (the tests compare its
// report with the wrappers'), writes an uncompressed newc initramfs
// (busybox-static, the Xen kernel modules and their dependencies, the test
// binaries, xeninfo, an /init script), and starts QEMU. /init mounts proc,
// sysfs, devtmpfs and xenfs, loads the modules, runs each test binary with
// -test.v and prints
//
//	XENVM-RESULT: NAME STATUS
//
// after each, then XENVM-DONE, then powers off. The tests learn what the
// harness configured (Xen's command line, dom0_mem, the machine's RAM)
// from /etc/xenvm.env; ./itest documents the variables. The harness
// streams the console to out/ARCH.log (and to Config.Console), enforces a
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
