package emit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are spelled in capitals in Go names, as golint and the Go
// style guide want, plus the ones Xen's interface is full of.
var initialisms = map[string]string{
	"acpi": "ACPI", "api": "API", "apic": "APIC", "cpu": "CPU", "cpuid": "CPUID",
	"cr": "CR", "dm": "DM", "dma": "DMA", "dom": "Dom", "domid": "DomID", "e820": "E820",
	"evtchn": "Evtchn", "gfn": "GFN", "gmfn": "GMFN", "gpa": "GPA", "gpfn": "GPFN",
	"gref": "GRef", "gva": "GVA", "hvm": "HVM", "id": "ID", "idx": "Idx", "io": "IO",
	"ioreq": "IOReq", "ip": "IP", "irq": "IRQ", "mfn": "MFN", "msi": "MSI", "msr": "MSR",
	"mtrr": "MTRR", "numa": "NUMA", "os": "OS", "pci": "PCI", "pfn": "PFN", "pic": "PIC",
	"pmu": "PMU", "pte": "PTE", "pv": "PV", "rip": "RIP", "tsc": "TSC", "uuid": "UUID",
	"vcpu": "VCPU", "vcpus": "VCPUs", "vm": "VM", "vnuma": "VNUMA", "xen": "Xen",
	"xsm": "XSM", "gnttab": "Gnttab", "mmu": "MMU", "mmuext": "MMUExt", "nmi": "NMI",
	"sched": "Sched", "tlb": "TLB", "ldt": "LDT", "gdt": "GDT", "url": "URL", "uid": "UID",
	"mca": "MCA", "mce": "MCE", "vmcs": "VMCS", "vmcb": "VMCB", "ept": "EPT", "npt": "NPT",
	"smbios": "SMBIOS", "xsave": "XSave", "fpu": "FPU", "lapic": "LAPIC", "ioapic": "IOAPIC",
	"rtc": "RTC", "hpet": "HPET", "pit": "PIT", "vga": "VGA", "uart": "UART", "gic": "GIC",
	"gicv2": "GICv2", "gicv3": "GICv3", "sve": "SVE",
}

// goName turns a C identifier into an exported Go name: words split at
// underscores, each capitalised or spelled as an initialism.
func goName(c string) string {
	var b strings.Builder
	b.Grow(len(c))
	for w := range strings.FieldsFuncSeq(c, func(r rune) bool { return r == '_' }) {
		if s, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(s)
			continue
		}
		if !utf8.ValidString(w) { // []rune's replacement of bad bytes
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			b.WriteString(string(r))
			continue
		}
		r, size := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[size:])
	}
	s := b.String()
	if s == "" {
		return "X"
	}
	if r, _ := utf8.DecodeRuneInString(s); !unicode.IsLetter(r) {
		s = "X" + s
	}
	return s
}

// typeName is the Go name of a C struct, union, enum or typedef name: the
// xen_ prefix and the _t suffix dropped.
func typeName(c string) string {
	c = strings.TrimPrefix(c, "xen_")
	c = strings.TrimSuffix(c, "_t")
	c = strings.TrimPrefix(c, "xen_")
	return goName(c)
}
