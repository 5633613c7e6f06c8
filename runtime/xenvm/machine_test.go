package xenvm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/headers"
)

func TestMachines(t *testing.T) {
	manifest, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	goarches := map[string]bool{"amd64": true, "386": true, "arm64": true, "arm": true}
	seen := map[string]bool{}
	for _, m := range Machines {
		t.Run(m.Name(), func(t *testing.T) {
			if seen[m.Name()] {
				t.Errorf("machine listed twice")
			}
			seen[m.Name()] = true
			if got, err := Lookup(m.Name()); err != nil || got.Name() != m.Name() {
				t.Errorf("Lookup(%q) = %v, %v", m.Name(), got.Name(), err)
			}
			if !goarches[m.GOARCH] || (m.Compat32 != "" && !goarches[m.Compat32]) {
				t.Errorf("GOARCH %q, Compat32 %q: not a GOARCH xenbind targets", m.GOARCH, m.Compat32)
			}
			if m.Compat32 == m.GOARCH || !m.Runs(m.GOARCH) || m.Runs("") {
				t.Errorf("Runs: GOARCH %q, Compat32 %q", m.GOARCH, m.Compat32)
			}
			for _, pkg := range []string{m.XenPackage, m.KernelPackage, m.BusyboxPackage} {
				if _, err := m.Package(manifest, pkg); err != nil {
					t.Error(err)
				}
			}
			if want := "xen-hypervisor-" + string(m.Xen) + "-" + m.DebArch; m.XenPackage != want {
				t.Errorf("XenPackage %q, want %q: Debian's hypervisor of Xen %s", m.XenPackage, want, m.Xen)
			}
			if !strings.Contains(m.XenImage, "xen-"+string(m.Xen)+"-") {
				t.Errorf("XenImage %q is not Xen %s's", m.XenImage, m.Xen)
			}
			if m.BusyboxPath == "" || m.ModulesDir == "" || strings.HasPrefix(m.BusyboxPath, "/") || strings.HasPrefix(m.ModulesDir, "/") {
				t.Errorf("BusyboxPath %q, ModulesDir %q: want paths in the packages", m.BusyboxPath, m.ModulesDir)
			}
			if !strings.HasPrefix(m.KernelPackage, "linux-image-") || m.KernelRelease() == m.KernelPackage {
				t.Errorf("KernelPackage %q is not a linux-image package", m.KernelPackage)
			}
			if m.XenGzip != strings.HasSuffix(m.XenImage, ".gz") {
				t.Errorf("XenGzip %v for image %q", m.XenGzip, m.XenImage)
			}
			if !strings.HasPrefix(m.QEMU, "qemu-system-") || !strings.HasPrefix(m.QEMUPackage, "qemu-system-") {
				t.Errorf("QEMU %q from %q", m.QEMU, m.QEMUPackage)
			}
			if !slices.Contains(m.QEMUArgs, "tcg") {
				t.Errorf("QEMUArgs %q: want software emulation (-accel tcg); KVM is not usable here", m.QEMUArgs)
			}
			if strings.Contains(m.XenOptions, "dom0_mem") {
				t.Errorf("XenOptions %q: dom0_mem comes from Dom0MiB", m.XenOptions)
			}
			if !strings.Contains(m.XenCommandLine(), "dom0_mem=") || m.Dom0MiB <= 0 || m.Dom0MiB >= m.MemoryMiB {
				t.Errorf("dom0 gets %d MiB of %d: %q", m.Dom0MiB, m.MemoryMiB, m.XenCommandLine())
			}
			if m.Arch != X86_64 && m.Dom0MaxMiB != 0 {
				t.Errorf("Dom0MaxMiB %d: Xen on Arm parses dom0_mem as a size only, with no \",max:\"", m.Dom0MaxMiB)
			}
			if m.Dom0MaxMiB != 0 && (m.Dom0MaxMiB <= m.Dom0MiB || m.Dom0MaxMiB >= m.MemoryMiB) {
				t.Errorf("dom0's maximum %d MiB: want above its %d MiB, so that the tests tell the current reservation from the maximum, and below the machine's %d", m.Dom0MaxMiB, m.Dom0MiB, m.MemoryMiB)
			}
			if !strings.Contains(m.Dom0Options, "console=hvc0") {
				t.Errorf("Dom0Options %q: the harness reads dom0 on Xen's console (hvc0)", m.Dom0Options)
			}
			if !regexp.MustCompile(`^xen-3\.0-\w+$`).MatchString(m.Capability) {
				t.Errorf("Capability %q", m.Capability)
			}
			switch m.Loader {
			case Multiboot:
				if strings.Contains(m.Dom0Options, ",") {
					t.Errorf("Dom0Options %q: -initrd cannot pass a comma", m.Dom0Options)
				}
			case GuestLoader:
				ramEnd := m.RAMBase + uint64(m.MemoryMiB)<<20
				if !(m.RAMBase <= m.KernelAddr && m.KernelAddr < virtDTBAddr && virtDTBAddr < m.InitrdAddr && m.InitrdAddr < ramEnd) {
					t.Errorf("kernel at %#x, initrd at %#x: want RAM start <= kernel < DTB (%#x) < initrd < RAM end (%#x)", m.KernelAddr, m.InitrdAddr, virtDTBAddr, ramEnd)
				}
			default:
				t.Errorf("Loader %v", m.Loader)
			}
		})
	}
	if _, err := Lookup("sparc-4.17"); err == nil || !strings.Contains(err.Error(), "x86_64-4.20") {
		t.Errorf("Lookup(sparc-4.17) = %v, want an error naming the known machines", err)
	}
}

// TestXenVersions checks each machine's Xen release and extraversion
// against its pinned hypervisor package (XENVER_extraversion is the
// package's point release, or the next one's "-pre" on the stable branch
// after it), and that the hypervisor is the same build as the pinned
// headers of that release (headers/manifest.txt), so that the bindings
// generated from those headers are the ones the machine proves.
func TestXenVersions(t *testing.T) {
	manifest, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Machines {
		d, err := m.Package(manifest, m.XenPackage)
		if err != nil {
			t.Error(err)
			continue
		}
		var major, minor, point int
		if _, err := fmt.Sscanf(d.Version, "%d.%d.%d", &major, &minor, &point); err != nil || fmt.Sprintf("%d.%d", major, minor) != string(m.Xen) {
			t.Errorf("%s: %s is version %s, not Xen %s", m.Name(), d.Name, d.Version, m.Xen)
			continue
		}
		if a, b := fmt.Sprintf(".%d", point), fmt.Sprintf(".%d-pre", point+1); m.XenExtraversion != a && m.XenExtraversion != b {
			t.Errorf("%s: XenExtraversion %q for %s %s: want %q or %q", m.Name(), m.XenExtraversion, d.Name, d.Version, a, b)
		}
		var hdr []string
		for _, h := range headers.XenDebs {
			if headers.XenRelease(h.Version) == string(m.Xen) {
				hdr = append(hdr, h.Version)
			}
		}
		if len(hdr) != 1 || hdr[0] != d.Version {
			t.Errorf("%s: hypervisor %s, headers (libxen-dev) of Xen %s pinned: %q; want the same build", m.Name(), d.Version, m.Xen, hdr)
		}
	}
}

func TestSelect(t *testing.T) {
	for _, c := range []struct {
		arches, releases []string
		want             string // machine names, or the error's start
	}{
		{nil, nil, "x86_64-4.17 arm64-4.17 arm32-4.17 x86_64-4.20 arm64-4.20"},
		{[]string{"x86_64"}, nil, "x86_64-4.17 x86_64-4.20"},
		{nil, []string{"4.20"}, "x86_64-4.20 arm64-4.20"},
		{[]string{"arm64", "arm32"}, []string{"4.17"}, "arm64-4.17 arm32-4.17"},
		{[]string{"arm32"}, []string{"4.20"}, "no machine runs Xen 4.20 on arm32"},
		{[]string{"sparc"}, nil, "unknown architecture"},
		{nil, []string{"4.99"}, "no machine boots Xen"},
	} {
		ms, err := Select(c.arches, c.releases)
		got := strings.Join(machineNames(ms), " ")
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("Select(%q, %q) = %q, want %q", c.arches, c.releases, got, c.want)
		}
	}
}

func TestManifest(t *testing.T) {
	m, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range m {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(d.SHA256) {
			t.Errorf("%s: sha256 %q", d, d.SHA256)
		}
		if d.Suite == "" {
			t.Errorf("%s has no suite: every VM package comes from a suite's main archive", d)
		}
		if key := d.Name + ":" + d.Arch + ":" + d.Suite; seen[key] {
			t.Errorf("%s pinned twice for %s from suite %q", d.Name, d.Arch, d.Suite)
		} else {
			seen[key] = true
		}
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	f := Files{Xen: filepath.Join(dir, "xen"), Kernel: filepath.Join(dir, "vmlinux")}
	initrd := filepath.Join(dir, "initrd")
	for _, p := range []string{f.Xen, f.Kernel, initrd} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		arch Arch
		want []string // in this order, not necessarily adjacent
	}{
		{X86_64, []string{"-cpu", "max,-smap", "-serial", "stdio", "-no-reboot",
			"-kernel", f.Xen,
			"-append", "console=com1 dom0_max_vcpus=1 bootscrub=0 dom0_mem=256M,max:320M",
			"-initrd", f.Kernel + " console=hvc0 panic=-1 loglevel=5," + initrd}},
		{ARM64, []string{"-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57",
			"-kernel", f.Xen,
			// Arm's dom0_mem is a size only: no ",max:".
			"-append", "console=dtuart dom0_max_vcpus=1 bootscrub=0 dom0_mem=256M",
			"-device", "guest-loader,addr=0x42000000,kernel=" + f.Kernel + ",bootargs=console=hvc0 earlycon=xenboot panic=-1 loglevel=5",
			"-device", "guest-loader,addr=0x49000000,initrd=" + initrd}},
		{ARM32, []string{"-machine", "virt,virtualization=on,gic-version=2,highmem=off", "-cpu", "cortex-a15"}},
	} {
		m, err := Lookup(string(c.arch) + "-4.17")
		if err != nil {
			t.Fatal(err)
		}
		args, err := m.CommandLine(f, initrd)
		if err != nil {
			t.Fatalf("%s: %v", c.arch, err)
		}
		i := 0
		for _, a := range args {
			if i < len(c.want) && a == c.want[i] {
				i++
			}
		}
		if i < len(c.want) {
			t.Errorf("%s: arguments\n\t%q\nlack %q (in order)", c.arch, args, c.want[i])
		}
	}

	x86, _ := Lookup("x86_64-4.17")
	if _, err := x86.CommandLine(f, filepath.Join(dir, "a,b")); err == nil {
		t.Errorf("x86_64: an initrd path with a comma was accepted")
	}
	arm, _ := Lookup("arm64-4.17")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, int64(virtDTBAddr-arm.KernelAddr+1)); err != nil { // sparse
		t.Fatal(err)
	}
	if _, err := arm.CommandLine(Files{Xen: f.Xen, Kernel: big}, initrd); err == nil || !strings.Contains(err.Error(), "past") {
		t.Errorf("arm64: a kernel overlapping the device tree: err = %v", err)
	}
}

// TestServicesPinned: every package a machine's services need is pinned
// for its architecture, and the patterns name the triplet's directories.
func TestServicesPinned(t *testing.T) {
	m, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, mc := range Machines {
		if mc.Triplet == "" {
			t.Errorf("%s: no Triplet", mc.Name())
		}
		for _, s := range mc.Services {
			for _, p := range s.Packages {
				if _, err := mc.Package(m, p); err != nil {
					t.Errorf("service %s: %v", s.Name, err)
				}
			}
			if s.Name == "xenstored" {
				if !slices.Contains(s.Packages, "xen-utils-"+string(mc.Xen)) {
					t.Errorf("%s: xenstored does not come from xen-utils-%s: %q", mc.Name(), mc.Xen, s.Packages)
				}
				if !matchAny(mc, s.Files, "usr/lib/"+mc.Triplet+"/libxenctrl.so."+string(mc.Xen)+".0") {
					t.Errorf("%s: xenstored's patterns miss libxenctrl", mc.Name())
				}
			}
			if strings.Contains(mc.expand(s.Start), "{") {
				t.Errorf("%s: service %s: Start not expanded: %s", mc.Name(), s.Name, mc.expand(s.Start))
			}
			for _, l := range s.Links {
				if l.Link == "" || l.Data != nil {
					t.Errorf("%s: service %s: link %q has no target", mc.Name(), s.Name, l.Name)
				}
			}
		}
	}
}

// TestPinError: a pin the archive dropped names the command that refreshes
// this manifest; a wrong checksum stays an ordinary error (never skipped
// over); anything else makes the VM unavailable here.
func TestPinError(t *testing.T) {
	d := headers.Deb{Name: "busybox-static", Version: "1:0-bogus", Arch: "arm64", Suite: "trixie"}
	err := pinError(d, fmt.Errorf("apt says: %w", headers.ErrGone))
	if !errors.Is(err, headers.ErrGone) || !strings.Contains(err.Error(), "go run ./headers/repin runtime/xenvm/manifest.txt") {
		t.Errorf("gone: %v", err)
	}
	var un *UnavailableError
	if err := pinError(d, fmt.Errorf("x: %w", headers.ErrChecksum)); errors.As(err, &un) || !errors.Is(err, headers.ErrChecksum) {
		t.Errorf("checksum: %v (%T)", err, err)
	}
	if err := pinError(d, headers.ErrNoApt); !errors.As(err, &un) {
		t.Errorf("no apt: %v (%T), want an *UnavailableError", err, err)
	}
}
