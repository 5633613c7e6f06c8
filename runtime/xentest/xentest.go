// Package xentest provides a simulated Xen hypervisor for unit tests of code
// that makes hypercalls, in the spirit of net/http/httptest.
//
// [New] returns a [Hypervisor], a [hypercall.Caller] that answers a small set
// of hypercalls the way Xen 4.17 does and records every call:
//
//   - xen_version: version, extra version, compile information,
//     capabilities, changeset, platform parameters, features, page size,
//     guest handle, command line and build id;
//   - memory_op: XENMEM_maximum_ram_page, XENMEM_current_reservation,
//     XENMEM_maximum_reservation, XENMEM_maximum_gpfn and the memory-sharing
//     counters XENMEM_get_sharing_freed_pages and
//     XENMEM_get_sharing_shared_pages; on x86 the memory maps,
//     XENMEM_memory_map and XENMEM_machine_memory_map (with Xen's need for
//     room for one entry more than it writes);
//   - grant_table_op: GNTTABOP_query_size, GNTTABOP_set_version and
//     GNTTABOP_get_version;
//   - domctl: XEN_DOMCTL_createdomain, destroydomain, pausedomain,
//     unpausedomain, max_mem, max_vcpus and getdomaininfo; sysctl:
//     XEN_SYSCTL_physinfo and getdomaininfolist (EACCES for another
//     interface version than that of the release WithVersion sets, 4.17
//     or 4.20; EPERM for an unprivileged caller);
//   - event_channel_op: EVTCHNOP_alloc_unbound, bind_interdomain, send,
//     close and status.
//
// Anything else fails with ENOSYS, as Xen does for an unknown operation,
// unless the test installs its own handler with [Hypervisor.Handle].
//
// A test makes any single hypercall, command or sub-command fail, with any
// error or grant-table status, while everything else keeps its simulated
// behaviour: [Hypervisor.Fail] with a [Command] built by [Hypercall], [Cmd]
// and [Command.Sub]; [Hypervisor.HandleCommand] replaces the simulation of
// one command only.
//
// Like Xen, the double reads and writes the memory that hypercall arguments
// point to, and it accepts only addresses inside a live buffer from its own
// Alloc: an address anywhere else (the Go heap, a goroutine stack, a
// released buffer) fails with EFAULT, so a caller that would hand Xen memory
// it cannot safely use is caught in a unit test.
//
// The double decodes the few structures it needs by hand, at their C
// offsets. Those structures (struct xen_memory_domain, gnttab_query_size,
// gnttab_set_version, gnttab_get_version, xen_feature_info, xen_build_id,
// xen_compile_info and the fixed-size strings of version.h) contain only
// naturally aligned members of at most 4 bytes, so their layout is the same
// on x86_32, x86_64, arm32 and arm64; the tests check the offsets against the
// headers' text. The one exception, struct xen_platform_parameters, holds a
// xen_ulong_t, which is 4 bytes on x86_32 and 8 elsewhere; the double uses
// the host's size. All values are in the host's byte order, as Xen's are.
package xentest

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// Hypercall numbers of xen.h.
const (
	hypervisorMemoryOp     = 12
	hypervisorXenVersion   = 17
	hypervisorGrantTableOp = 20
)

// Domain ids of xen.h: ids from DOMID_FIRST_RESERVED up name no domain.
const (
	domidFirstReserved = 0x7FF0
	domidSelf          = 0x7FF0
)

// Domain is the state the double keeps for one domain.
type Domain struct {
	// CurrentPages and MaxPages are the current and maximum memory
	// reservations in pages (XENMEM_current_reservation and
	// XENMEM_maximum_reservation).
	CurrentPages uint64
	MaxPages     uint64
	// MaxGPFN is the highest guest frame number in use
	// (XENMEM_maximum_gpfn).
	MaxGPFN uint64
	// GrantFrames and MaxGrantFrames are the grant table's current and
	// maximum size in frames (GNTTABOP_query_size).
	GrantFrames    uint32
	MaxGrantFrames uint32
	// GrantVersion is the grant table version, 1 or 2
	// (GNTTABOP_get_version, changed by GNTTABOP_set_version).
	GrantVersion uint32
	// Handle is the domain's handle, normally its UUID
	// (XENVER_guest_handle).
	Handle [16]byte
	// CreateFlags are the XEN_DOMCTL_CDF_* flags it was created with.
	CreateFlags uint32
	// MaxVCPUs is createdomain's max_vcpus; VCPUs the vCPUs that
	// XEN_DOMCTL_max_vcpus brought into existence.
	MaxVCPUs, VCPUs uint32
	// PauseCount counts the control software's pauses: a domain
	// XEN_DOMCTL_createdomain made starts at 1.
	PauseCount int
	// MaxEvtchnPort is its highest event channel port (0: 4095).
	MaxEvtchnPort uint32
}

// CompileInfo is what XENVER_compile_info reports.
type CompileInfo struct {
	Compiler      string // at most 63 bytes are reported
	CompileBy     string // at most 15
	CompileDomain string // at most 31
	CompileDate   string // at most 31
}

// HandlerFunc simulates one hypercall. It runs without the double's lock
// held, so it may call the Hypervisor's methods (Resolve, to reach the
// memory an argument points to).
type HandlerFunc func(args [5]uint64) (uint64, error)

// Call is the record of one hypercall.
type Call struct {
	Op   uint64
	Args [5]uint64
	// Mem holds, for each argument that was the address of a live buffer,
	// a copy of the buffer's bytes from that address to its end, taken
	// before the hypercall ran; nil for other arguments.
	Mem    [5][]byte
	Result uint64
	Err    error
}

// config is what the options set.
type config struct {
	major, minor  uint16
	extraVersion  string
	capabilities  string
	changeset     string
	commandLine   string
	compile       CompileInfo
	buildID       []byte
	features      uint32
	virtStart     uint64
	maxRAMPage    uint64
	sharingFreed  uint64
	sharingShared uint64
	self          uint16
	domains       map[uint16]Domain
	grant         *[3]uint32 // frames, max, version for self, applied last
	maxGrantVer   uint32
	unprivileged  bool
	noRecording   bool
	physinfo      Physinfo
	memoryMap     []E820 // nil: the domain has none (ENOSYS)
	machineMap    []E820
}

// E820 is an entry of a memory map, as XENMEM_memory_map and
// XENMEM_machine_memory_map write them (xen.E820Entry).
type E820 struct {
	Addr, Size uint64
	Type       uint32 // 1 RAM, 2 reserved, 3 ACPI, 4 ACPI NVS, 5 unusable
}

// WithMemoryMap sets the domain's pseudo-physical memory map, what
// XENMEM_memory_map returns; without one it fails with ENOSYS, as Xen does
// for a domain whose map was never set (a PV dom0).
func WithMemoryMap(m []E820) Option {
	return func(c *config) { c.memoryMap = append([]E820{}, m...) }
}

// WithMachineMemoryMap sets the machine's memory map, what
// XENMEM_machine_memory_map returns (default: a small PC's, four entries).
func WithMachineMemoryMap(m []E820) Option {
	return func(c *config) { c.machineMap = append([]E820{}, m...) }
}

// Option configures a Hypervisor.
type Option func(*config)

// WithVersion sets what XENVER_version reports (default 4.17).
func WithVersion(major, minor uint16) Option {
	return func(c *config) { c.major, c.minor = major, minor }
}

// WithExtraversion sets XENVER_extraversion (default ".0"), what
// xen.XenverExtraversion returns; at most 15 bytes are reported.
func WithExtraversion(s string) Option {
	return func(c *config) { c.extraVersion = s }
}

// WithExtraVersion is WithExtraversion.
//
// Deprecated: use [WithExtraversion], named like the wrapper.
func WithExtraVersion(s string) Option { return WithExtraversion(s) }

// WithCapabilities sets XENVER_capabilities (default that of an x86_64
// host: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64").
func WithCapabilities(s string) Option {
	return func(c *config) { c.capabilities = s }
}

// WithChangeset sets XENVER_changeset (default "xentest").
func WithChangeset(s string) Option {
	return func(c *config) { c.changeset = s }
}

// WithCommandline sets Xen's command line, XENVER_commandline (default
// empty), what xen.XenverCommandline returns.
func WithCommandline(s string) Option {
	return func(c *config) { c.commandLine = s }
}

// WithCommandLine is WithCommandline.
//
// Deprecated: use [WithCommandline], named like the wrapper.
func WithCommandLine(s string) Option { return WithCommandline(s) }

// WithCompileInfo sets XENVER_compile_info.
func WithCompileInfo(ci CompileInfo) Option {
	return func(c *config) { c.compile = ci }
}

// WithBuildID sets XENVER_build_id (default 20 bytes, 0x00 to 0x13).
func WithBuildID(id []byte) Option {
	return func(c *config) { c.buildID = append([]byte(nil), id...) }
}

// WithFeatures sets submap 0 of XENVER_get_features (default 0).
func WithFeatures(submap uint32) Option {
	return func(c *config) { c.features = submap }
}

// WithVirtStart sets XENVER_platform_parameters' virt_start (default
// 0xFFFF800000000000, x86_64's HYPERVISOR_VIRT_START, truncated to the
// host's xen_ulong_t).
func WithVirtStart(v uint64) Option {
	return func(c *config) { c.virtStart = v }
}

// WithMaxRAMPage sets XENMEM_maximum_ram_page (default 0x23FFFF).
func WithMaxRAMPage(p uint64) Option {
	return func(c *config) { c.maxRAMPage = p }
}

// WithSharing sets the memory-sharing counters,
// XENMEM_get_sharing_freed_pages and XENMEM_get_sharing_shared_pages
// (default 0 and 0).
func WithSharing(freed, shared uint64) Option {
	return func(c *config) { c.sharingFreed, c.sharingShared = freed, shared }
}

// WithSelf sets the calling domain's id, which DOMID_SELF resolves to
// (default 0, dom0). A domain with that id must exist: the default one
// (see New) is created if WithDomain does not add it.
func WithSelf(id uint16) Option {
	return func(c *config) { c.self = id }
}

// WithDomain adds domain id, or replaces it. Ids from 0x7FF0
// (DOMID_FIRST_RESERVED) up name no domain and are never found.
func WithDomain(id uint16, d Domain) Option {
	return func(c *config) { c.domains[id] = d }
}

// WithGrantTable sets the calling domain's grant table: its size in
// frames, its maximum, and its version (default 1, 64 and 1, as a Linux
// dom0 sees them).
func WithGrantTable(frames, maxFrames, version uint32) Option {
	return func(c *config) { c.grant = &[3]uint32{frames, maxFrames, version} }
}

// WithMaxGrantVersion sets the highest grant table version
// GNTTABOP_set_version accepts, Xen's gnttab_max_version (default 2).
func WithMaxGrantVersion(v uint32) Option {
	return func(c *config) { c.maxGrantVer = v }
}

// WithoutPrivilege makes the caller an unprivileged domain: queries about
// another domain fail (EPERM, or GNTST_permission_denied), and the command
// line and build id are denied, as Xen's default XSM policy does.
func WithoutPrivilege() Option {
	return func(c *config) { c.unprivileged = true }
}

// WithoutRecording turns off the call log, for benchmarks: recording
// copies buffers and so allocates.
func WithoutRecording() Option {
	return func(c *config) { c.noRecording = true }
}

// defaultSelf is the calling domain unless WithDomain says otherwise: a dom0
// with 512 MiB, as seen under Xen 4.17 with dom0_mem=512M.
var defaultSelf = Domain{
	CurrentPages:   131072,
	MaxPages:       131072,
	MaxGPFN:        131071,
	GrantFrames:    1,
	MaxGrantFrames: 64,
	GrantVersion:   1,
	MaxVCPUs:       1,
	VCPUs:          1,
}

// Hypervisor is a simulated Xen. It implements hypercall.Caller and is safe
// for concurrent use.
type Hypervisor struct {
	cfg  config
	pool *hypercall.Pool

	mu       sync.Mutex
	domains  map[uint16]*Domain
	evtchns  map[uint16]map[uint32]*EventChannel // by domain, port
	handlers map[uint64]HandlerFunc
	actions  []*action // Fail, FailStatus and HandleCommand, by Command
	calls    []Call
}

var _ hypercall.Caller = (*Hypervisor)(nil)

// New returns a simulated Xen 4.17 configured by opts. By default the
// caller is a privileged dom0 (domain 0) with 131072 pages, a grant table
// of 1 frame out of 64 at version 1, and it is the only domain.
func New(opts ...Option) *Hypervisor {
	c := config{
		major: 4, minor: 17,
		extraVersion: ".0",
		capabilities: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
		changeset:    "xentest",
		compile: CompileInfo{
			Compiler:      "gcc (xentest)",
			CompileBy:     "xentest",
			CompileDomain: "example.org",
			CompileDate:   "Thu Jan  1 00:00:00 UTC 1970",
		},
		buildID:     []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
		virtStart:   0xFFFF800000000000,
		maxRAMPage:  0x23FFFF,
		maxGrantVer: 2,
		domains:     map[uint16]Domain{},
		physinfo:    Physinfo{NrCPUs: 1, CPUkHz: 2000000, TotalPages: 262144},
		machineMap: []E820{
			{Addr: 0, Size: 0x9fc00, Type: 1},
			{Addr: 0x9fc00, Size: 0x400, Type: 2},
			{Addr: 0xf0000, Size: 0x10000, Type: 2},
			{Addr: 0x100000, Size: 0x3fee0000, Type: 1},
		},
	}
	for _, o := range opts {
		o(&c)
	}
	h := &Hypervisor{
		cfg:      c,
		domains:  map[uint16]*Domain{},
		evtchns:  map[uint16]map[uint32]*EventChannel{},
		handlers: map[uint64]HandlerFunc{},
	}
	for id, d := range c.domains {
		if id < domidFirstReserved {
			h.domains[id] = &d
		}
	}
	if _, ok := h.domains[c.self]; !ok {
		d := defaultSelf
		h.domains[c.self] = &d
	}
	if g := c.grant; g != nil {
		self := h.domains[c.self]
		self.GrantFrames, self.MaxGrantFrames, self.GrantVersion = g[0], g[1], g[2]
	}
	pool, err := hypercall.NewPool(heapMemory{}, xenPageSize)
	if err != nil {
		// Unreachable: the Memory is not nil and 4096 is a power of two.
		panic(fmt.Sprintf("xentest: %v", err))
	}
	h.pool = pool
	return h
}

// xenPageSize is the page size of Xen on all four targets.
const xenPageSize = 4096

// heapMemory is the double's buffer memory: page-aligned Go memory at its
// real address. Nothing but the double reads it, so it need not be locked.
type heapMemory struct{}

func (heapMemory) Map(size int) ([]byte, uint64, error) {
	raw := make([]byte, size+xenPageSize)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & (xenPageSize - 1))
	mem := raw[off : off+size : off+size]
	return mem, uint64(uintptr(unsafe.Pointer(&mem[0]))), nil
}

func (heapMemory) Unmap([]byte) error { return nil }

// Alloc returns a zeroed buffer of n bytes whose addresses the double
// accepts in hypercall arguments until it is released.
func (h *Hypervisor) Alloc(n int) (*hypercall.Buffer, error) {
	b, err := h.pool.Alloc(n)
	if err != nil {
		return nil, fmt.Errorf("xentest: %w", err)
	}
	return b, nil
}

// Resolve returns the memory at Xen address addr, as the hypervisor would
// access it: the bytes from addr to the end of the live buffer holding it,
// at least n of them, or EFAULT. A HandlerFunc uses it to read and write
// the structures its arguments point to.
func (h *Hypervisor) Resolve(addr uint64, n int) ([]byte, error) {
	return h.pool.Resolve(addr, n)
}

// Handle makes fn simulate hypercall op in place of the built-in
// simulation (or the ENOSYS for an op the double does not know). A nil fn
// restores the default. To replace or fail one command only, use
// [Hypervisor.HandleCommand] or [Hypervisor.Fail].
func (h *Hypervisor) Handle(op uint64, fn HandlerFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.handlers, op)
		return
	}
	h.handlers[op] = fn
}

// Calls returns the hypercalls made so far, oldest first.
func (h *Hypervisor) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.calls...)
}

// Domain returns the current state of domain id, for a test to inspect
// what hypercalls changed.
func (h *Hypervisor) Domain(id uint16) (Domain, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == domidSelf {
		id = h.cfg.self
	}
	d, ok := h.domains[id]
	if !ok {
		return Domain{}, false
	}
	return *d, true
}

// Call simulates hypercall op and records it.
func (h *Hypervisor) Call(op uint64, args [5]uint64) (uint64, error) {
	var mem [5][]byte
	if !h.cfg.noRecording {
		for i, a := range args {
			if b, err := h.pool.Resolve(a, 0); err == nil {
				mem[i] = append([]byte(nil), b...)
			}
		}
	}
	act := h.match(op, args)
	h.mu.Lock()
	fn := h.handlers[op]
	h.mu.Unlock()

	var r uint64
	var err error
	switch {
	case act != nil:
		r, err = h.run(act, args)
	case fn != nil:
		r, err = fn(args)
	case op == hypervisorXenVersion:
		r, err = h.xenVersion(args[0], args[1])
	case op == hypervisorMemoryOp:
		r, err = h.memoryOp(args[0], args[1])
	case op == hypervisorGrantTableOp:
		r, err = h.grantTableOp(args[0], args[1], args[2])
	case op == hypervisorDomctl:
		r, err = h.domctl(args[0])
	case op == hypervisorSysctl:
		r, err = h.sysctl(args[0])
	case op == hypervisorEventChannelOp:
		r, err = h.eventChannelOp(args[0], args[1])
	default:
		err = hypercall.ENOSYS
	}

	if !h.cfg.noRecording {
		h.mu.Lock()
		h.calls = append(h.calls, Call{Op: op, Args: args, Mem: mem, Result: r, Err: err})
		h.mu.Unlock()
	}
	return r, err
}

// domain resolves id (DOMID_SELF included) as Xen's
// rcu_lock_domain_by_any_id does, then applies the default XSM policy: only
// a privileged caller may ask about another domain. h.mu must be held.
func (h *Hypervisor) domain(id uint16) (*Domain, hypercall.Errno) {
	if id == domidSelf {
		id = h.cfg.self
	}
	d, ok := h.domains[id]
	if !ok {
		return nil, hypercall.ESRCH
	}
	if h.cfg.unprivileged && id != h.cfg.self {
		return nil, hypercall.EPERM
	}
	return d, 0
}

// native is the byte order of the host, which is Xen's for its guests.
var native = binary.NativeEndian

// xenULongSize is sizeof(xen_ulong_t): unsigned long on x86 (4 bytes on
// x86_32), uint64_t on ARM.
var xenULongSize = map[string]int{"386": 4, "amd64": 8, "arm": 8, "arm64": 8}[runtime.GOARCH]

func init() {
	if xenULongSize == 0 {
		xenULongSize = 8 // not a Xen guest architecture; any size will do
	}
}
