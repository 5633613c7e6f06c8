package xentest

import (
	"runtime"
	"sort"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// The dom0 surface: domains (XEN_DOMCTL_createdomain, destroydomain,
// pausedomain, unpausedomain, max_mem, max_vcpus, getdomaininfo and
// XEN_SYSCTL_getdomaininfolist), XEN_SYSCTL_physinfo and event channels
// (EVTCHNOP_alloc_unbound, bind_interdomain, send, close, status), with
// the errors Xen 4.17 gives (common/domctl.c, common/sysctl.c,
// common/event_channel.c). With WithVersion(4, 20) it expects 4.20's
// domctl interface version, 0x17, instead of 0x15.
//
// The structures are decoded at their C offsets, which are the same on the
// four targets except where noted: domctl.h and sysctl.h align every
// 64-bit member with uint64_aligned_t, and the event channel structures
// hold nothing wider than 4 bytes. The tests check every offset against
// the layouts gcc gives (golden/).

// Hypercall numbers and interface versions of Xen 4.17.
const (
	hypervisorEventChannelOp = 32 // sysctl and domctl: fault.go

	domctlInterfaceVersion = 0x15
	sysctlInterfaceVersion = 0x15
)

// interfaceVersions are the domctl and sysctl interface versions of the
// other releases the double can be (WithVersion). Every member it reads
// sits at the same offset in Xen 4.20 as in 4.17 (createdomain's members
// up to grant_opts, getdomaininfo, max_mem, max_vcpus, getdomaininfolist,
// physinfo; generated/dom0's TestDoubleLayouts compares both releases'
// generated layouts), so only the version in the envelope differs. A
// release not listed here speaks 4.17's versions.
var interfaceVersions = map[[2]uint16][2]uint32{
	{4, 20}: {0x17, 0x15},
}

// interfaces returns the domctl and sysctl interface versions of the
// release the double is.
func (h *Hypervisor) interfaces() (domctl, sysctl uint32) {
	if v, ok := interfaceVersions[[2]uint16{h.cfg.major, h.cfg.minor}]; ok {
		return v[0], v[1]
	}
	return domctlInterfaceVersion, sysctlInterfaceVersion
}

// domctl.h commands, and the members of struct xen_domctl.
const (
	domctlCreatedomain   = 1
	domctlDestroydomain  = 2
	domctlPausedomain    = 3
	domctlUnpausedomain  = 4
	domctlGetdomaininfo  = 5
	domctlMaxMem         = 11
	domctlMaxVCPUs       = 15
	domctlCmd            = 0
	domctlVersion        = 4
	domctlDomain         = 8
	domctlPayload        = 16
	domctlSize           = 16 + 128 // the union holds uint8_t pad[128]
	cdfKnown             = 0xff     // XEN_DOMCTL_CDF_hvm ... XEN_DOMCTL_CDF_vpmu
	cdfHVM               = 1 << 0
	cdfHAP               = 1 << 1
	dominfDying          = 1 << 0
	dominfHVMGuest       = 1 << 1
	dominfPaused         = 1 << 3
	dominfRunning        = 1 << 5
	dominfHAP            = 1 << 8
	createMaxVCPUs       = 28 // struct xen_domctl_createdomain
	createFlags          = 20
	createHandle         = 4
	createMaxEvtchnPort  = 32
	infoDomain           = 0 // struct xen_domctl_getdomaininfo
	infoFlags            = 4
	infoTotPages         = 8
	infoMaxPages         = 16
	infoNrOnlineVCPUs    = 64
	infoMaxVCPUID        = 68
	infoHandle           = 76
	maxMemKB             = 0 // struct xen_domctl_max_mem
	maxVCPUsMax          = 0 // struct xen_domctl_max_vcpus
	defaultMaxEvtchnPort = 4095
)

// sysctl.h commands, and the members of struct xen_sysctl.
const (
	sysctlPhysinfo          = 3
	sysctlGetdomaininfolist = 6
	sysctlCmd               = 0
	sysctlVersion           = 4
	sysctlPayload           = 8
	sysctlSize              = 8 + 128
	listFirstDomain         = 0 // struct xen_sysctl_getdomaininfolist
	listMaxDomains          = 4
	listBuffer              = 8
	listNumDomains          = 16
	physThreadsPerCore      = 0 // struct xen_sysctl_physinfo
	physCoresPerSocket      = 4
	physNrCPUs              = 8
	physMaxCPUID            = 12
	physNrNodes             = 16
	physCPUkHz              = 24
	physTotalPages          = 40
	physFreePages           = 48
	physMaxMFN              = 72
	physSize                = 112
)

// getdomaininfoSize is sizeof(struct xen_domctl_getdomaininfo): it ends
// in struct xen_arch_domainconfig, 8 bytes on x86 and 12 on Arm (then
// padded to 8).
var getdomaininfoSize = map[string]int{"386": 112, "amd64": 112, "arm": 120, "arm64": 120}[runtime.GOARCH]

func init() {
	if getdomaininfoSize == 0 {
		getdomaininfoSize = 112 // not a Xen guest architecture; any size will do
	}
}

// event_channel.h commands, states and structures.
const (
	evtchnopBindInterdomain = 0
	evtchnopClose           = 3
	evtchnopSend            = 4
	evtchnopStatus          = 5
	evtchnopAllocUnbound    = 6

	evtchnstatClosed      = 0
	evtchnstatUnbound     = 1
	evtchnstatInterdomain = 2
)

// Physinfo is what XEN_SYSCTL_physinfo reports.
type Physinfo struct {
	NrCPUs     uint32 // CPUs online (default 1)
	CPUkHz     uint32 // default 2000000
	TotalPages uint64 // default 262144, 1 GiB
	// FreePages is computed: TotalPages less every domain's pages.
}

// WithPhysinfo sets the host XEN_SYSCTL_physinfo describes.
func WithPhysinfo(p Physinfo) Option {
	return func(c *config) { c.physinfo = p }
}

// EventChannel is the state of one event channel port of a domain.
type EventChannel struct {
	// State is EVTCHNSTAT_unbound (1) or EVTCHNSTAT_interdomain (2).
	State uint32
	// RemoteDomain may bind an unbound port; for an interdomain one it
	// and RemotePort are the other end.
	RemoteDomain uint16
	RemotePort   uint32
	// Pending counts EVTCHNOP_send from the other end.
	Pending int
}

// EventChannel returns the state of port of domain dom, if it is open.
func (h *Hypervisor) EventChannel(dom uint16, port uint32) (EventChannel, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if dom == domidSelf {
		dom = h.cfg.self
	}
	e, ok := h.evtchns[dom][port]
	if !ok {
		return EventChannel{}, false
	}
	return *e, true
}

// readEnvelope resolves a domctl or sysctl argument of size bytes and
// checks its interface version, as Xen does before anything else.
func (h *Hypervisor) readEnvelope(arg uint64, size int, version uint32) ([]byte, error) {
	mem, err := h.pool.Resolve(arg, size)
	if err != nil {
		return nil, err
	}
	if native.Uint32(mem[4:]) != version {
		return nil, hypercall.EACCES
	}
	if h.cfg.unprivileged {
		return nil, hypercall.EPERM // XSM: domctl and sysctl are the control domain's
	}
	return mem, nil
}

// domctl simulates __HYPERVISOR_domctl.
func (h *Hypervisor) domctl(arg uint64) (uint64, error) {
	version, _ := h.interfaces()
	mem, err := h.readEnvelope(arg, domctlSize, version)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cmd := native.Uint32(mem[domctlCmd:])
	id := native.Uint16(mem[domctlDomain:])
	u := mem[domctlPayload:]
	if cmd == domctlCreatedomain {
		return 0, h.createDomain(mem, id, u)
	}
	switch cmd {
	case domctlDestroydomain, domctlPausedomain, domctlUnpausedomain, domctlGetdomaininfo, domctlMaxMem, domctlMaxVCPUs:
	default:
		return 0, hypercall.ENOSYS
	}
	// rcu_lock_domain_by_id: DOMID_SELF names no domain for a domctl.
	d, ok := h.domains[id]
	if !ok {
		return 0, hypercall.ESRCH
	}
	self := id == h.cfg.self
	switch cmd {
	case domctlDestroydomain:
		if self {
			return 0, hypercall.EINVAL // domain_kill of the caller
		}
		h.closeAll(id)
		delete(h.domains, id)
	case domctlPausedomain:
		if self {
			return 0, hypercall.EINVAL
		}
		d.PauseCount++
	case domctlUnpausedomain:
		if d.PauseCount == 0 {
			return 0, hypercall.EINVAL
		}
		d.PauseCount--
	case domctlGetdomaininfo:
		h.putInfo(u, id, d)
	case domctlMaxMem:
		d.MaxPages = native.Uint64(u[maxMemKB:]) >> 2
	case domctlMaxVCPUs:
		// Xen 4.17 takes exactly the max_vcpus given to createdomain.
		if self || native.Uint32(u[maxVCPUsMax:]) != d.MaxVCPUs {
			return 0, hypercall.EINVAL
		}
		d.VCPUs = d.MaxVCPUs
	}
	return 0, nil
}

// createDomain simulates XEN_DOMCTL_createdomain: domain id if it is free
// and a real id, else the lowest free one; paused, without memory.
func (h *Hypervisor) createDomain(env []byte, id uint16, u []byte) error {
	flags := native.Uint32(u[createFlags:])
	maxVCPUs := native.Uint32(u[createMaxVCPUs:])
	if flags&^cdfKnown != 0 || flags&cdfHAP != 0 && flags&cdfHVM == 0 || maxVCPUs == 0 {
		return hypercall.EINVAL
	}
	if id > 0 && id < domidFirstReserved {
		if _, used := h.domains[id]; used {
			return hypercall.EEXIST
		}
	} else {
		id = 0
		for c := uint16(1); c < domidFirstReserved; c++ {
			if _, used := h.domains[c]; !used {
				id = c
				break
			}
		}
		if id == 0 {
			return hypercall.ENOMEM
		}
	}
	d := &Domain{CreateFlags: flags, MaxVCPUs: maxVCPUs, PauseCount: 1, MaxEvtchnPort: native.Uint32(u[createMaxEvtchnPort:])}
	copy(d.Handle[:], u[createHandle:createHandle+16])
	h.domains[id] = d
	native.PutUint16(env[domctlDomain:], id)
	return nil
}

// putInfo writes struct xen_domctl_getdomaininfo for domain id.
func (h *Hypervisor) putInfo(b []byte, id uint16, d *Domain) {
	clear(b[:getdomaininfoSize])
	native.PutUint16(b[infoDomain:], id)
	var flags uint32
	if d.PauseCount > 0 {
		flags |= dominfPaused
	} else if d.VCPUs > 0 || id == h.cfg.self {
		flags |= dominfRunning
	}
	if d.CreateFlags&cdfHVM != 0 {
		flags |= dominfHVMGuest
	}
	if d.CreateFlags&cdfHAP != 0 {
		flags |= dominfHAP
	}
	native.PutUint32(b[infoFlags:], flags)
	native.PutUint64(b[infoTotPages:], d.CurrentPages)
	native.PutUint64(b[infoMaxPages:], d.MaxPages)
	online := d.VCPUs
	if id == h.cfg.self && online == 0 {
		online = 1 // the caller's vCPU is running this
	}
	if d.PauseCount > 0 {
		online = 0
	}
	native.PutUint32(b[infoNrOnlineVCPUs:], online)
	maxID := max(d.MaxVCPUs, online, 1) - 1
	native.PutUint32(b[infoMaxVCPUID:], maxID)
	copy(b[infoHandle:], d.Handle[:])
}

// sysctl simulates __HYPERVISOR_sysctl.
func (h *Hypervisor) sysctl(arg uint64) (uint64, error) {
	_, version := h.interfaces()
	mem, err := h.readEnvelope(arg, sysctlSize, version)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	u := mem[sysctlPayload:]
	switch native.Uint32(mem[sysctlCmd:]) {
	case sysctlPhysinfo:
		p := h.cfg.physinfo
		clear(u[:physSize])
		native.PutUint32(u[physThreadsPerCore:], 1)
		native.PutUint32(u[physCoresPerSocket:], p.NrCPUs)
		native.PutUint32(u[physNrCPUs:], p.NrCPUs)
		native.PutUint32(u[physMaxCPUID:], p.NrCPUs-1)
		native.PutUint32(u[physNrNodes:], 1)
		native.PutUint32(u[physCPUkHz:], p.CPUkHz)
		native.PutUint64(u[physTotalPages:], p.TotalPages)
		used := uint64(0)
		for _, d := range h.domains {
			used += d.CurrentPages
		}
		native.PutUint64(u[physFreePages:], p.TotalPages-min(used, p.TotalPages))
		native.PutUint64(u[physMaxMFN:], p.TotalPages-1)
		return 0, nil
	case sysctlGetdomaininfolist:
		first := native.Uint16(u[listFirstDomain:])
		maxN := native.Uint32(u[listMaxDomains:])
		ids := make([]int, 0, len(h.domains))
		for id := range h.domains {
			if id >= first {
				ids = append(ids, int(id))
			}
		}
		sort.Ints(ids)
		n := uint32(0)
		buf := native.Uint64(u[listBuffer:])
		for _, id := range ids {
			if n == maxN {
				break
			}
			entry, err := h.pool.Resolve(buf+uint64(n)*uint64(getdomaininfoSize), getdomaininfoSize)
			if err != nil {
				return 0, err
			}
			h.putInfo(entry, uint16(id), h.domains[uint16(id)])
			n++
		}
		native.PutUint32(u[listNumDomains:], n)
		return 0, nil
	}
	return 0, hypercall.ENOSYS
}

// eventChannelOp simulates __HYPERVISOR_event_channel_op for the caller's
// own ports (and another domain's, for a privileged caller).
func (h *Hypervisor) eventChannelOp(cmd, arg uint64) (uint64, error) {
	size := map[uint64]int{evtchnopBindInterdomain: 12, evtchnopClose: 4, evtchnopSend: 4, evtchnopStatus: 24, evtchnopAllocUnbound: 8}[cmd]
	if size == 0 {
		return 0, hypercall.ENOSYS
	}
	m, err := h.pool.Resolve(arg, size)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	self := h.cfg.self
	switch cmd {
	case evtchnopAllocUnbound: // struct evtchn_alloc_unbound { dom, remote_dom; port }
		dom, err := h.evtchnDomain(native.Uint16(m[0:]))
		if err != nil {
			return 0, err
		}
		remote, err := h.evtchnDomain(native.Uint16(m[2:]))
		if err != nil && err != hypercall.EPERM {
			return 0, err
		}
		port, err := h.allocPort(dom)
		if err != nil {
			return 0, err
		}
		h.evtchns[dom][port] = &EventChannel{State: evtchnstatUnbound, RemoteDomain: remote}
		native.PutUint32(m[4:], port)
	case evtchnopBindInterdomain: // { remote_dom; remote_port; local_port }
		remote, err := h.evtchnDomain(native.Uint16(m[0:]))
		if err != nil && err != hypercall.EPERM {
			return 0, err
		}
		rport := native.Uint32(m[4:])
		r, ok := h.evtchns[remote][rport]
		if !ok || r.State != evtchnstatUnbound || r.RemoteDomain != self {
			return 0, hypercall.EINVAL
		}
		port, err := h.allocPort(self)
		if err != nil {
			return 0, err
		}
		h.evtchns[self][port] = &EventChannel{State: evtchnstatInterdomain, RemoteDomain: remote, RemotePort: rport}
		*r = EventChannel{State: evtchnstatInterdomain, RemoteDomain: self, RemotePort: port}
		native.PutUint32(m[8:], port)
	case evtchnopSend: // { port }
		e, ok := h.evtchns[self][native.Uint32(m[0:])]
		if !ok {
			return 0, hypercall.EINVAL
		}
		if e.State == evtchnstatInterdomain {
			h.evtchns[e.RemoteDomain][e.RemotePort].Pending++
		}
	case evtchnopClose: // { port }
		port := native.Uint32(m[0:])
		if _, ok := h.evtchns[self][port]; !ok {
			return 0, hypercall.EINVAL
		}
		h.closePort(self, port)
	case evtchnopStatus: // { dom; port; status; vcpu; union u at 16 }
		dom, err := h.evtchnDomain(native.Uint16(m[0:]))
		if err != nil {
			return 0, err
		}
		port := native.Uint32(m[4:])
		if port > h.maxPort(dom) {
			return 0, hypercall.EINVAL
		}
		clear(m[8:24])
		if e, ok := h.evtchns[dom][port]; ok {
			native.PutUint32(m[8:], e.State)
			native.PutUint16(m[16:], e.RemoteDomain)
			if e.State == evtchnstatInterdomain {
				native.PutUint32(m[20:], e.RemotePort)
			}
		}
	}
	return 0, nil
}

// evtchnDomain resolves an event channel's domain (DOMID_SELF included):
// ESRCH for none, EPERM for another domain's when the caller is not
// privileged. h.mu must be held.
func (h *Hypervisor) evtchnDomain(id uint16) (uint16, error) {
	if id == domidSelf {
		id = h.cfg.self
	}
	if _, ok := h.domains[id]; !ok {
		return 0, hypercall.ESRCH
	}
	if h.cfg.unprivileged && id != h.cfg.self {
		return id, hypercall.EPERM
	}
	return id, nil
}

// maxPort is the highest port a domain may use.
func (h *Hypervisor) maxPort(dom uint16) uint32 {
	if d := h.domains[dom]; d != nil && d.MaxEvtchnPort != 0 {
		return d.MaxEvtchnPort
	}
	return defaultMaxEvtchnPort
}

// allocPort returns dom's lowest free port; port 0 is never used.
func (h *Hypervisor) allocPort(dom uint16) (uint32, error) {
	if h.evtchns[dom] == nil {
		h.evtchns[dom] = map[uint32]*EventChannel{}
	}
	for p := uint32(1); p <= h.maxPort(dom); p++ {
		if _, used := h.evtchns[dom][p]; !used {
			return p, nil
		}
	}
	return 0, hypercall.ENOSPC
}

// closePort frees a port; an interdomain peer becomes unbound, bindable
// again by this domain, as Xen leaves it.
func (h *Hypervisor) closePort(dom uint16, port uint32) {
	e := h.evtchns[dom][port]
	if e.State == evtchnstatInterdomain {
		if r, ok := h.evtchns[e.RemoteDomain][e.RemotePort]; ok {
			*r = EventChannel{State: evtchnstatUnbound, RemoteDomain: dom}
		}
	}
	delete(h.evtchns[dom], port)
}

// closeAll closes every port of a domain that goes away.
func (h *Hypervisor) closeAll(dom uint16) {
	for p := range h.evtchns[dom] {
		h.closePort(dom, p)
	}
	delete(h.evtchns, dom)
}
