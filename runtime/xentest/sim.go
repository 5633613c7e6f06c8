package xentest

import (
	"runtime"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// version.h: XENVER_* commands and the sizes of what they return.
const (
	xenverVersion            = 0
	xenverExtraversion       = 1  // xen_extraversion_t, char[16]
	xenverCompileInfo        = 2  // struct xen_compile_info
	xenverCapabilities       = 3  // xen_capabilities_info_t, char[1024]
	xenverChangeset          = 4  // xen_changeset_info_t, char[64]
	xenverPlatformParameters = 5  // struct xen_platform_parameters
	xenverGetFeatures        = 6  // struct xen_feature_info
	xenverPagesize           = 7  // arg == NULL
	xenverGuestHandle        = 8  // xen_domain_handle_t, uint8_t[16]
	xenverCommandline        = 9  // xen_commandline_t, char[1024]
	xenverBuildID            = 10 // struct xen_build_id
	// Xen 4.20's non-truncating forms take a struct xen_varbuf (the
	// layout of struct xen_build_id); earlier releases answer ENOSYS.
	xenverExtraversion2 = 11
	xenverCapabilities2 = 12
	xenverChangeset2    = 13
	xenverCommandline2  = 14
	varbufMax           = 64 << 10 // xenver_varbuf_op's limit, KB(64)

	extraversionLen = 16
	capabilitiesLen = 1024
	changesetLen    = 64
	commandlineLen  = 1024
	domainHandleLen = 16

	// xenfeatNrSubmaps is XENFEAT_NR_SUBMAPS of features.h.
	xenfeatNrSubmaps = 1

	// xenDeny is what Xen reports in place of denied information.
	xenDeny = "<denied>"
)

// struct xen_compile_info { char compiler[64]; char compile_by[16];
// char compile_domain[32]; char compile_date[32]; }
const (
	compileInfoCompiler      = 0
	compileInfoCompileBy     = 64
	compileInfoCompileDomain = 80
	compileInfoCompileDate   = 112
	compileInfoSize          = 144
)

// struct xen_feature_info { unsigned int submap_idx; uint32_t submap; }
const (
	featureInfoSubmapIdx = 0
	featureInfoSubmap    = 4
	featureInfoSize      = 8
)

// struct xen_build_id { uint32_t len; unsigned char buf[]; }
const (
	buildIDLen = 0
	buildIDBuf = 4
)

// memory.h: XENMEM_* commands. The command word also carries a
// continuation's start extent above MEMOP_EXTENT_SHIFT (Xen-internal,
// xen/include/xen/hypercall.h).
const (
	xenmemMaximumRAMPage       = 2
	xenmemCurrentReservation   = 3  // struct xen_memory_domain
	xenmemMaximumReservation   = 4  // struct xen_memory_domain
	xenmemMaximumGPFN          = 14 // struct xen_memory_domain
	xenmemGetSharingFreedPages = 18
	xenmemGetSharingSharedPage = 19
	xenmemMemoryMap            = 9  // struct xen_memory_map
	xenmemMachineMemoryMap     = 10 // struct xen_memory_map

	memopExtentShift = 6
	memopCmdMask     = 1<<memopExtentShift - 1
)

// struct xen_memory_map { unsigned int nr_entries;
// XEN_GUEST_HANDLE(void) buffer; }: the handle is a 4-byte pointer on
// x86_32 and 8 bytes (aligned 8) elsewhere. Entries are Xen's packed
// struct e820entry { uint64_t addr, size; uint32_t type; }.
const (
	memoryMapNrEntries = 0
	e820Size           = 20
)

func memoryMapBuffer() (off, size int) {
	if runtime.GOARCH == "386" {
		return 4, 4
	}
	return 8, 8
}

// struct xen_memory_domain { domid_t domid; }
const (
	memoryDomainDomid = 0
	memoryDomainSize  = 2
)

// grant_table.h: GNTTABOP_* commands and GNTST_* statuses. The command word
// also carries a continuation argument above GNTTABOP_CMD_MASK
// (Xen-internal, common/grant_table.c).
const (
	gnttabopQuerySize  = 6  // struct gnttab_query_size
	gnttabopSetVersion = 8  // struct gnttab_set_version
	gnttabopGetVersion = 10 // struct gnttab_get_version

	gnttabopCmdMask = 1<<12 - 1

	gntstOkay             = 0
	gntstBadDomain        = -2
	gntstPermissionDenied = -8
)

// struct gnttab_query_size { domid_t dom; uint32_t nr_frames;
// uint32_t max_nr_frames; int16_t status; }
const (
	querySizeDom         = 0
	querySizeNrFrames    = 4
	querySizeMaxNrFrames = 8
	querySizeStatus      = 12
	querySizeSize        = 16
)

// struct gnttab_set_version { uint32_t version; }
const (
	setVersionVersion = 0
	setVersionSize    = 4
)

// struct gnttab_get_version { domid_t dom; uint16_t pad; uint32_t version; }
const (
	getVersionDom     = 0
	getVersionVersion = 4
	getVersionSize    = 8
)

// putInt16 stores a C int16_t, such as a GNTST_* status.
func putInt16(b []byte, v int16) {
	native.PutUint16(b, uint16(v))
}

// putString writes s into a C char array of size n at arg, truncated to
// n-1 bytes and NUL-padded, as Xen's safe_strcpy and copy_to_guest do: the
// whole array is written, so the buffer must hold all n bytes.
func (h *Hypervisor) putString(arg uint64, s string, n int) error {
	mem, err := h.pool.Resolve(arg, n)
	if err != nil {
		return err
	}
	mem = mem[:n]
	clear(mem)
	copy(mem[:n-1], s)
	return nil
}

// xenVersion simulates __HYPERVISOR_xen_version (common/kernel.c).
func (h *Hypervisor) xenVersion(cmd, arg uint64) (uint64, error) {
	c := &h.cfg
	switch cmd {
	case xenverVersion:
		return uint64(c.major)<<16 | uint64(c.minor), nil
	case xenverExtraversion:
		return 0, h.putString(arg, c.extraVersion, extraversionLen)
	case xenverCompileInfo:
		mem, err := h.pool.Resolve(arg, compileInfoSize)
		if err != nil {
			return 0, err
		}
		clear(mem[:compileInfoSize])
		copy(mem[compileInfoCompiler:compileInfoCompileBy-1], c.compile.Compiler)
		copy(mem[compileInfoCompileBy:compileInfoCompileDomain-1], c.compile.CompileBy)
		copy(mem[compileInfoCompileDomain:compileInfoCompileDate-1], c.compile.CompileDomain)
		copy(mem[compileInfoCompileDate:compileInfoSize-1], c.compile.CompileDate)
		return 0, nil
	case xenverCapabilities:
		return 0, h.putString(arg, c.capabilities, capabilitiesLen)
	case xenverChangeset:
		return 0, h.putString(arg, c.changeset, changesetLen)
	case xenverPlatformParameters:
		mem, err := h.pool.Resolve(arg, xenULongSize)
		if err != nil {
			return 0, err
		}
		if xenULongSize == 4 {
			native.PutUint32(mem, uint32(c.virtStart))
		} else {
			native.PutUint64(mem, c.virtStart)
		}
		return 0, nil
	case xenverGetFeatures:
		mem, err := h.pool.Resolve(arg, featureInfoSize)
		if err != nil {
			return 0, err
		}
		if native.Uint32(mem[featureInfoSubmapIdx:]) >= xenfeatNrSubmaps {
			return 0, hypercall.EINVAL
		}
		native.PutUint32(mem[featureInfoSubmap:], c.features)
		return 0, nil
	case xenverPagesize:
		if arg != 0 {
			return 0, hypercall.EINVAL
		}
		return xenPageSize, nil
	case xenverGuestHandle:
		mem, err := h.pool.Resolve(arg, domainHandleLen)
		if err != nil {
			return 0, err
		}
		h.mu.Lock()
		copy(mem, h.domains[c.self].Handle[:])
		h.mu.Unlock()
		return 0, nil
	case xenverCommandline:
		if c.unprivileged {
			return 0, h.putString(arg, xenDeny, len(xenDeny)+1)
		}
		return 0, h.putString(arg, c.commandLine, commandlineLen)
	case xenverBuildID:
		return h.buildID(arg)
	case xenverExtraversion2, xenverCapabilities2, xenverChangeset2, xenverCommandline2:
		if uint32(c.major)<<16|uint32(c.minor) < 4<<16|20 {
			break
		}
		if c.unprivileged {
			return 0, hypercall.EPERM
		}
		s := map[uint64]string{xenverExtraversion2: c.extraVersion, xenverCapabilities2: c.capabilities,
			xenverChangeset2: c.changeset, xenverCommandline2: c.commandLine}[cmd]
		return h.varbuf(arg, []byte(s))
	}
	return 0, hypercall.ENOSYS
}

// buildID simulates XENVER_build_id: with a NULL argument it returns the
// id's size; otherwise it fills buf[] if len says it fits.
func (h *Hypervisor) buildID(arg uint64) (uint64, error) {
	if h.cfg.unprivileged {
		return 0, hypercall.EPERM
	}
	id := h.cfg.buildID
	if arg == 0 {
		return uint64(len(id)), nil
	}
	mem, err := h.pool.Resolve(arg, buildIDBuf)
	if err != nil {
		return 0, err
	}
	n := native.Uint32(mem[buildIDLen:])
	if n == 0 {
		return 0, hypercall.EINVAL
	}
	if uint64(len(id)) > uint64(n) {
		return 0, hypercall.ENOBUFS
	}
	if len(mem) < buildIDBuf+len(id) {
		return 0, hypercall.EFAULT
	}
	copy(mem[buildIDBuf:], id)
	return uint64(len(id)), nil
}

// varbuf simulates Xen 4.20's xenver_varbuf_op (common/kernel.c): with a
// NULL argument it returns the size; otherwise, if len says the bytes fit,
// it writes them after len, without a NUL, and returns their number.
func (h *Hypervisor) varbuf(arg uint64, b []byte) (uint64, error) {
	if len(b) > varbufMax {
		return 0, hypercall.E2BIG
	}
	if arg == 0 {
		return uint64(len(b)), nil
	}
	mem, err := h.pool.Resolve(arg, buildIDBuf)
	if err != nil {
		return 0, err
	}
	if uint64(len(b)) > uint64(native.Uint32(mem[buildIDLen:])) {
		return 0, hypercall.ENOBUFS
	}
	if len(mem) < buildIDBuf+len(b) {
		return 0, hypercall.EFAULT
	}
	copy(mem[buildIDBuf:], b)
	return uint64(len(b)), nil
}

// memoryOp simulates __HYPERVISOR_memory_op (common/memory.c).
func (h *Hypervisor) memoryOp(cmd, arg uint64) (uint64, error) {
	op, startExtent := cmd&memopCmdMask, cmd>>memopExtentShift
	switch op {
	case xenmemMaximumRAMPage, xenmemCurrentReservation, xenmemMaximumReservation,
		xenmemMaximumGPFN, xenmemGetSharingFreedPages, xenmemGetSharingSharedPage,
		xenmemMemoryMap, xenmemMachineMemoryMap:
		// None of these is preemptible: a continuation makes no sense.
		if startExtent != 0 {
			return 0, hypercall.EINVAL
		}
	default:
		return 0, hypercall.ENOSYS
	}
	switch op {
	case xenmemMaximumRAMPage:
		return h.cfg.maxRAMPage, nil
	case xenmemGetSharingFreedPages:
		return h.cfg.sharingFreed, nil
	case xenmemGetSharingSharedPage:
		return h.cfg.sharingShared, nil
	case xenmemMemoryMap, xenmemMachineMemoryMap:
		return h.memoryMap(op, arg)
	}
	mem, err := h.pool.Resolve(arg, memoryDomainSize)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d, errno := h.domain(native.Uint16(mem[memoryDomainDomid:]))
	if errno != 0 {
		return 0, errno
	}
	switch op {
	case xenmemCurrentReservation:
		return d.CurrentPages, nil
	case xenmemMaximumReservation:
		return d.MaxPages, nil
	default: // xenmemMaximumGPFN
		return d.MaxGPFN, nil
	}
}

// grantTableOp simulates __HYPERVISOR_grant_table_op
// (common/grant_table.c).
func (h *Hypervisor) grantTableOp(cmd, uop, count uint64) (uint64, error) {
	if int32(count) < 0 {
		return 0, hypercall.EINVAL
	}
	switch cmd & gnttabopCmdMask {
	case gnttabopQuerySize, gnttabopSetVersion, gnttabopGetVersion:
		if cmd&^gnttabopCmdMask != 0 {
			return 0, hypercall.EINVAL // a continuation argument they do not take
		}
	default:
		return 0, hypercall.ENOSYS
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch cmd {
	case gnttabopQuerySize:
		if count != 1 {
			return 0, hypercall.EINVAL
		}
		mem, err := h.pool.Resolve(uop, querySizeSize)
		if err != nil {
			return 0, err
		}
		d, errno := h.domain(native.Uint16(mem[querySizeDom:]))
		// Xen reports a bad or forbidden domain in status, not as an error.
		switch errno {
		case hypercall.ESRCH:
			putInt16(mem[querySizeStatus:], gntstBadDomain)
		case hypercall.EPERM:
			putInt16(mem[querySizeStatus:], gntstPermissionDenied)
		default:
			native.PutUint32(mem[querySizeNrFrames:], d.GrantFrames)
			native.PutUint32(mem[querySizeMaxNrFrames:], d.MaxGrantFrames)
			putInt16(mem[querySizeStatus:], gntstOkay)
		}
		return 0, nil
	case gnttabopSetVersion:
		mem, err := h.pool.Resolve(uop, setVersionSize)
		if err != nil {
			return 0, err
		}
		self := h.domains[h.cfg.self]
		var res error
		switch v := native.Uint32(mem[setVersionVersion:]); {
		case v != 1 && v != 2:
			res = hypercall.EINVAL
		case v > h.cfg.maxGrantVer:
			res = hypercall.ENOSYS // Xen's answer when gnttab_max_version=1
		default:
			self.GrantVersion = v
		}
		// Xen writes the version in force back, whatever happened.
		native.PutUint32(mem[setVersionVersion:], self.GrantVersion)
		return 0, res
	default: // gnttabopGetVersion
		mem, err := h.pool.Resolve(uop, getVersionSize)
		if err != nil {
			return 0, err
		}
		d, errno := h.domain(native.Uint16(mem[getVersionDom:]))
		if errno != 0 {
			return 0, errno
		}
		native.PutUint32(mem[getVersionVersion:], d.GrantVersion)
		return 0, nil
	}
}

// memoryMap simulates XENMEM_memory_map and XENMEM_machine_memory_map
// (xen/arch/x86/mm.c, arch_memory_op; x86 only: elsewhere Xen has neither).
// XENMEM_machine_memory_map with a NULL buffer reports how many entries it
// has; with a buffer it needs room for one entry more than it writes, and
// refuses less with EINVAL. XENMEM_memory_map writes as many entries as
// fit.
func (h *Hypervisor) memoryMap(op, arg uint64) (uint64, error) {
	if runtime.GOARCH != "386" && runtime.GOARCH != "amd64" {
		return 0, hypercall.ENOSYS
	}
	off, hsize := memoryMapBuffer()
	mem, err := h.pool.Resolve(arg, off+hsize)
	if err != nil {
		return 0, err
	}
	nr := uint64(native.Uint32(mem[memoryMapNrEntries:]))
	buf := native.Uint64(mem[off:])
	if hsize == 4 {
		buf = uint64(native.Uint32(mem[off:]))
	}
	entries := h.cfg.machineMap
	if op == xenmemMemoryMap {
		if h.cfg.memoryMap == nil {
			return 0, hypercall.ENOSYS
		}
		entries = h.cfg.memoryMap
		nr = min(nr, uint64(len(entries)))
		entries = entries[:nr]
	} else {
		if h.cfg.unprivileged {
			return 0, hypercall.EPERM
		}
		if buf == 0 {
			native.PutUint32(mem[memoryMapNrEntries:], uint32(len(entries)))
			return 0, nil
		}
		if nr < uint64(len(entries))+1 {
			return 0, hypercall.EINVAL
		}
	}
	if len(entries) > 0 {
		out, err := h.pool.Resolve(buf, len(entries)*e820Size)
		if err != nil {
			return 0, err
		}
		for i, e := range entries {
			b := out[i*e820Size:]
			native.PutUint64(b[0:], e.Addr)
			native.PutUint64(b[8:], e.Size)
			native.PutUint32(b[16:], e.Type)
		}
	}
	native.PutUint32(mem[memoryMapNrEntries:], uint32(len(entries)))
	return 0, nil
}
