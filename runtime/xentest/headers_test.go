package xentest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xenbind/xenbind/runtime/internal/headertree"
)

// cSizes are the sizes (and alignments) of the member types of the
// structures the double decodes: none is wider than 4 bytes, which is why
// their layout is the same on all four targets.
var cSizes = map[string]int{
	"char": 1, "unsigned char": 1, "uint8_t": 1,
	"int16_t": 2, "uint16_t": 2, "domid_t": 2,
	"uint32_t": 4, "unsigned int": 4,
}

var (
	commentRE = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	memberRE  = regexp.MustCompile(`^(.*?)\s*\b(\w+)\s*(?:\[\s*(\w+)\s*\])?$`)
)

// layout computes the member offsets and size of struct name in the
// header text with natural alignment. A member whose type it does not know
// fails the test: the structure would then need a per-target layout.
func layout(t *testing.T, text, name string) (offsets map[string]int, size int) {
	t.Helper()
	m := regexp.MustCompile(`struct\s+` + name + `\s*\{([^}]*)\}\s*;`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("struct %s not found", name)
	}
	offsets = map[string]int{}
	align := 1
	for _, decl := range strings.Split(commentRE.ReplaceAllString(m[1], " "), ";") {
		decl = strings.Join(strings.Fields(decl), " ")
		if decl == "" {
			continue
		}
		d := memberRE.FindStringSubmatch(decl)
		typ, member, dim := d[1], d[2], d[3]
		sz, ok := cSizes[typ]
		if !ok {
			t.Fatalf("struct %s: member %s has type %q of unknown size", name, member, typ)
		}
		count := 1
		if dim != "" {
			n, err := strconv.Atoi(dim)
			if err != nil {
				n = 0 // a flexible array member, XEN_FLEX_ARRAY_DIM
			}
			count = n
		}
		size = (size + sz - 1) / sz * sz
		offsets[member] = size
		size += sz * count
		align = max(align, sz)
	}
	return offsets, (size + align - 1) / align * align
}

func TestStructLayoutsMatchHeaders(t *testing.T) {
	version := headertree.Read(t, "version.h")
	memory := headertree.Read(t, "memory.h")
	grant := headertree.Read(t, "grant_table.h")
	tests := []struct {
		text   string
		name   string
		fields map[string]int
		size   int // -1: has a flexible array member, size not used
	}{
		{memory, "xen_memory_domain", map[string]int{"domid": memoryDomainDomid}, memoryDomainSize},
		{grant, "gnttab_query_size", map[string]int{
			"dom": querySizeDom, "nr_frames": querySizeNrFrames,
			"max_nr_frames": querySizeMaxNrFrames, "status": querySizeStatus,
		}, querySizeSize},
		{grant, "gnttab_set_version", map[string]int{"version": setVersionVersion}, setVersionSize},
		{grant, "gnttab_get_version", map[string]int{"dom": getVersionDom, "pad": 2, "version": getVersionVersion}, getVersionSize},
		{version, "xen_feature_info", map[string]int{"submap_idx": featureInfoSubmapIdx, "submap": featureInfoSubmap}, featureInfoSize},
		{version, "xen_compile_info", map[string]int{
			"compiler": compileInfoCompiler, "compile_by": compileInfoCompileBy,
			"compile_domain": compileInfoCompileDomain, "compile_date": compileInfoCompileDate,
		}, compileInfoSize},
		{version, "xen_build_id", map[string]int{"len": buildIDLen, "buf": buildIDBuf}, -1},
	}
	for _, tt := range tests {
		offsets, size := layout(t, tt.text, tt.name)
		for f, want := range tt.fields {
			if got, ok := offsets[f]; !ok || got != want {
				t.Errorf("struct %s: %s at %d (found %v), the double uses %d", tt.name, f, got, ok, want)
			}
		}
		if len(offsets) != len(tt.fields) {
			t.Errorf("struct %s has members %v, the double knows %v", tt.name, offsets, tt.fields)
		}
		if tt.size >= 0 && size != tt.size {
			t.Errorf("struct %s: size %d, the double uses %d", tt.name, size, tt.size)
		}
	}
}

func TestArrayTypesMatchHeaders(t *testing.T) {
	text := headertree.Read(t, "version.h") + headertree.Read(t, "xen.h")
	tests := []struct {
		typedef string
		elem    string
		n       int
	}{
		{"xen_extraversion_t", "char", extraversionLen},
		{"xen_capabilities_info_t", "char", capabilitiesLen},
		{"xen_changeset_info_t", "char", changesetLen},
		{"xen_commandline_t", "char", commandlineLen},
		{"xen_domain_handle_t", "uint8_t", domainHandleLen},
	}
	for _, tt := range tests {
		want := "typedef " + tt.elem + " " + tt.typedef + "[" + strconv.Itoa(tt.n) + "];"
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("headers do not declare %q", want)
		}
	}
	if !regexp.MustCompile(`typedef\s+uint16_t\s+domid_t\s*;`).MatchString(text) {
		t.Error("xen.h does not declare domid_t as uint16_t")
	}
}

// defines returns the integer value of every object-like #define in text
// whose value is a plain, parenthesised or xen_mk_uint() number.
func defines(text string) map[string]int64 {
	out := map[string]int64{}
	re := regexp.MustCompile(`(?m)^#define\s+(\w+)\s+\(?\s*(?:xen_mk_uint\()?(-?(?:0x[0-9a-fA-F]+|\d+))\)?\s*\)?`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		if v, err := strconv.ParseInt(m[2], 0, 64); err == nil {
			out[m[1]] = v
		}
	}
	return out
}

func TestNumbersMatchHeaders(t *testing.T) {
	defs := defines(headertree.Read(t, "xen.h") + headertree.Read(t, "version.h") +
		headertree.Read(t, "memory.h") + headertree.Read(t, "grant_table.h") + headertree.Read(t, "features.h"))
	tests := []struct {
		name string
		used int64
	}{
		{"__HYPERVISOR_memory_op", hypervisorMemoryOp},
		{"__HYPERVISOR_xen_version", hypervisorXenVersion},
		{"__HYPERVISOR_grant_table_op", hypervisorGrantTableOp},
		{"DOMID_FIRST_RESERVED", domidFirstReserved},
		{"DOMID_SELF", domidSelf},
		{"XENVER_version", xenverVersion},
		{"XENVER_extraversion", xenverExtraversion},
		{"XENVER_compile_info", xenverCompileInfo},
		{"XENVER_capabilities", xenverCapabilities},
		{"XENVER_changeset", xenverChangeset},
		{"XENVER_platform_parameters", xenverPlatformParameters},
		{"XENVER_get_features", xenverGetFeatures},
		{"XENVER_pagesize", xenverPagesize},
		{"XENVER_guest_handle", xenverGuestHandle},
		{"XENVER_commandline", xenverCommandline},
		{"XENVER_build_id", xenverBuildID},
		{"XENFEAT_NR_SUBMAPS", xenfeatNrSubmaps},
		{"XENMEM_maximum_ram_page", xenmemMaximumRAMPage},
		{"XENMEM_current_reservation", xenmemCurrentReservation},
		{"XENMEM_maximum_reservation", xenmemMaximumReservation},
		{"XENMEM_maximum_gpfn", xenmemMaximumGPFN},
		{"XENMEM_get_sharing_freed_pages", xenmemGetSharingFreedPages},
		{"XENMEM_get_sharing_shared_pages", xenmemGetSharingSharedPage},
		{"XENMEM_memory_map", xenmemMemoryMap},
		{"XENMEM_machine_memory_map", xenmemMachineMemoryMap},
		{"GNTTABOP_query_size", gnttabopQuerySize},
		{"GNTTABOP_set_version", gnttabopSetVersion},
		{"GNTTABOP_get_version", gnttabopGetVersion},
		{"GNTST_okay", gntstOkay},
		{"GNTST_bad_domain", gntstBadDomain},
		{"GNTST_permission_denied", gntstPermissionDenied},
	}
	for _, tt := range tests {
		got, ok := defs[tt.name]
		if !ok {
			t.Errorf("%s: no #define in the headers", tt.name)
			continue
		}
		if got != tt.used {
			t.Errorf("%s = %d in the headers, the double uses %d", tt.name, got, tt.used)
		}
	}
}
