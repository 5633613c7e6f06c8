package xenvm

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestMachines(t *testing.T) {
	manifest, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	goarches := map[string]bool{"amd64": true, "386": true, "arm64": true, "arm": true}
	seen := map[Arch]bool{}
	for _, m := range Machines {
		t.Run(string(m.Arch), func(t *testing.T) {
			if seen[m.Arch] {
				t.Errorf("architecture listed twice")
			}
			seen[m.Arch] = true
			if got, err := Lookup(string(m.Arch)); err != nil || got.Arch != m.Arch {
				t.Errorf("Lookup(%q) = %v, %v", m.Arch, got.Arch, err)
			}
			if !goarches[m.GOARCH] || (m.Compat32 != "" && !goarches[m.Compat32]) {
				t.Errorf("GOARCH %q, Compat32 %q: not a GOARCH xenbind targets", m.GOARCH, m.Compat32)
			}
			if m.Compat32 == m.GOARCH || !m.Runs(m.GOARCH) || m.Runs("") {
				t.Errorf("Runs: GOARCH %q, Compat32 %q", m.GOARCH, m.Compat32)
			}
			for _, pkg := range []string{m.XenPackage, m.KernelPackage, m.BusyboxPackage} {
				if _, ok := manifest[pkg+":"+m.DebArch]; !ok {
					t.Errorf("package %s for %s is not in manifest.txt", pkg, m.DebArch)
				}
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
	if _, err := Lookup("sparc"); err == nil || !strings.Contains(err.Error(), "x86_64") {
		t.Errorf("Lookup(sparc) = %v, want an error naming the known architectures", err)
	}
}

func TestManifest(t *testing.T) {
	m, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for key, d := range m {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(d.SHA256) {
			t.Errorf("%s: sha256 %q", key, d.SHA256)
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
		m, err := Lookup(string(c.arch))
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

	x86, _ := Lookup(string(X86_64))
	if _, err := x86.CommandLine(f, filepath.Join(dir, "a,b")); err == nil {
		t.Errorf("x86_64: an initrd path with a comma was accepted")
	}
	arm, _ := Lookup(string(ARM64))
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
			t.Errorf("%s: no Triplet", mc.Arch)
		}
		for _, s := range mc.Services {
			for _, p := range s.Packages {
				if _, ok := m[p+":"+mc.DebArch]; !ok {
					t.Errorf("%s: service %s: package %s for %s is not in manifest.txt", mc.Arch, s.Name, p, mc.DebArch)
				}
			}
			if !matchAny(mc, s.Files, "usr/lib/"+mc.Triplet+"/libxenctrl.so.4.17.0") && s.Name == "xenstored" {
				t.Errorf("%s: xenstored's patterns miss libxenctrl", mc.Arch)
			}
			if strings.Contains(mc.expand(s.Start), "{") {
				t.Errorf("%s: service %s: Start not expanded: %s", mc.Arch, s.Name, mc.expand(s.Start))
			}
		}
	}
}
