package dom0_test

import (
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/generated/dom0"
	xen417 "github.com/xenbind/xenbind/generated/xen"
	xen420 "github.com/xenbind/xenbind/generated/xen420"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

const (
	hypervisorDomctl   = 36
	hypervisorSysctl   = 35
	domctlCreatedomain = 1
	envelopePayload    = 16 // struct xen_domctl: cmd, interface_version, domain, pad[3]... then u
)

// cOffsets are the offsets of struct xen_domctl_createdomain's members in
// the C headers of each release, the same on the four targets (every
// member before arch is 4 bytes wide or a byte array): 4.20 inserts
// altp2m_opts after grant_opts and moves every later member by 4 bytes.
// TestXen420LayoutsMatchGCC checks 4.20's against gcc, the goldens 4.17's.
var cOffsets = map[string]map[string]int{
	"4.17": {"Ssidref": 0, "Handle": 4, "Flags": 20, "IommuOpts": 24, "MaxVCPUs": 28, "MaxEvtchnPort": 32,
		"MaxGrantFrames": 36, "MaxMaptrackFrames": 40, "GrantOpts": 44, "VmtraceSize": 48, "CpupoolID": 52, "Arch": 56},
	"4.20": {"Ssidref": 0, "Handle": 4, "Flags": 20, "IommuOpts": 24, "MaxVCPUs": 28, "MaxEvtchnPort": 32,
		"MaxGrantFrames": 36, "MaxMaptrackFrames": 40, "GrantOpts": 44, "Altp2mOpts": 48, "VmtraceSize": 52, "CpupoolID": 56, "Arch": 60},
}

// onlyIn420 are the members of the neutral request 4.17 lacks.
var onlyIn420 = map[string]bool{"Altp2mOpts": true, "SVEVl": true}

// fill sets every scalar leaf of v to a distinct non-zero value, except
// the members skip names.
func fill(v reflect.Value, n *uint64, skip map[string]bool) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.Name != "_" && !skip[f.Name] {
				fill(v.Field(i), n, skip)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), n, skip)
		}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		*n++
		v.SetUint(*n)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		*n++
		v.SetInt(int64(*n))
	default:
		panic("fill: " + v.Type().String())
	}
}

// copyByName sets dst's members from src's members of the same name: the
// per-release struct a correct conversion must produce.
func copyByName(t *testing.T, dst, src reflect.Value) {
	t.Helper()
	switch dst.Kind() {
	case reflect.Struct:
		for i := range dst.NumField() {
			name := dst.Type().Field(i).Name
			if name == "_" {
				continue
			}
			s := src.FieldByName(name)
			if !s.IsValid() {
				t.Fatalf("%s: no member %s in the neutral type", src.Type(), name)
			}
			copyByName(t, dst.Field(i), s)
		}
	case reflect.Array:
		for i := range dst.Len() {
			copyByName(t, dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src.Convert(dst.Type()))
	}
}

func bytesOf[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// lastDomctl returns the envelope of the last domctl the double saw.
func lastDomctl(t *testing.T, h *xentest.Hypervisor) []byte {
	t.Helper()
	calls := h.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Op == hypervisorDomctl {
			return calls[i].Mem[0]
		}
	}
	t.Fatal("no domctl issued")
	return nil
}

// TestCreatedomainBytes: under each release, the request reaches the
// hypervisor byte for byte as the release's own generated struct holds it,
// every member at the offset C gives it, with the release's interface
// version; and the answer comes back into the same members.
func TestCreatedomainBytes(t *testing.T) {
	for _, rel := range []struct {
		name         string
		major, minor uint16
		version      uint32
		want         func(*testing.T, *dom0.DomctlCreatedomain) []byte
	}{
		{"4.17", 4, 17, 0x15, func(t *testing.T, n *dom0.DomctlCreatedomain) []byte {
			var v xen417.DomctlCreatedomain
			copyByName(t, reflect.ValueOf(&v).Elem(), reflect.ValueOf(n).Elem())
			return slices.Clone(bytesOf(&v))
		}},
		{"4.20", 4, 20, 0x17, func(t *testing.T, n *dom0.DomctlCreatedomain) []byte {
			var v xen420.DomctlCreatedomain
			copyByName(t, reflect.ValueOf(&v).Elem(), reflect.ValueOf(n).Elem())
			return slices.Clone(bytesOf(&v))
		}},
	} {
		t.Run(rel.name, func(t *testing.T) {
			defer dom0.Override(uint32(rel.major), uint32(rel.minor))()
			h := xentest.New(xentest.WithVersion(rel.major, rel.minor))
			var req dom0.DomctlCreatedomain
			skip := map[string]bool{}
			if rel.name == "4.17" {
				skip = onlyIn420
			}
			n := uint64(0)
			fill(reflect.ValueOf(&req).Elem(), &n, skip)
			req.Flags = 0    // a PV domain: the double refuses unknown flags
			req.MaxVCPUs = 1 // and zero vCPUs
			sent := req
			want := rel.want(t, &req)
			domid, err := dom0.XenDomctlCreatedomain(h, 0, &req)
			if err != nil {
				t.Fatalf("createdomain: %v", err)
			}
			if domid != 1 {
				t.Errorf("domid %d, want 1 (the lowest free id)", domid)
			}
			env := lastDomctl(t, h)
			if got := binary.LittleEndian.Uint32(env[0:]); got != domctlCreatedomain {
				t.Errorf("cmd %d, want %d", got, domctlCreatedomain)
			}
			if got := binary.LittleEndian.Uint32(env[4:]); got != rel.version {
				t.Errorf("interface_version %#x, want %#x", got, rel.version)
			}
			payload := env[envelopePayload : envelopePayload+len(want)]
			if !slices.Equal(payload, want) {
				t.Errorf("payload\n got %x\nwant %x (xen%s.DomctlCreatedomain)", payload, want, rel.name)
			}
			// Independently of the Go types: each top-level scalar
			// member's value at its C offset.
			rv := reflect.ValueOf(sent)
			for name, off := range cOffsets[rel.name] {
				f := rv.FieldByName(name)
				switch f.Kind() {
				case reflect.Uint32:
					if got := binary.LittleEndian.Uint32(payload[off:]); got != uint32(f.Uint()) {
						t.Errorf("%s at C offset %d: %d, want %d", name, off, got, f.Uint())
					}
				case reflect.Int32:
					if got := int32(binary.LittleEndian.Uint32(payload[off:])); got != int32(f.Int()) {
						t.Errorf("%s at C offset %d: %d, want %d", name, off, got, f.Int())
					}
				}
			}
			if len(cOffsets[rel.name]) != reflect.TypeFor[dom0.DomctlCreatedomain]().NumField()-boolInt(rel.name == "4.17") {
				t.Errorf("cOffsets[%s] does not list every member", rel.name)
			}
			if req != sent {
				t.Errorf("the request came back changed:\n got %+v\nwant %+v", req, sent)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestMemberTheReleaseLacks: a member only 4.20 has, set while the
// hypervisor is 4.17, is refused before anything is sent; zero, it is
// fine.
func TestMemberTheReleaseLacks(t *testing.T) {
	defer dom0.Override(4, 17)()
	h := xentest.New()
	req := dom0.DomctlCreatedomain{MaxVCPUs: 1, Altp2mOpts: 2}
	_, err := dom0.XenDomctlCreatedomain(h, 0, &req)
	var me *hypercall.MemberError
	if !errors.As(err, &me) || me.Member != "arg.Altp2mOpts" || me.Speaks != 0x15 || me.Release != "4.17" || me.Op != "XEN_DOMCTL_createdomain" {
		t.Fatalf("err = %v (%#v), want a MemberError for arg.Altp2mOpts", err, me)
	}
	if len(h.Calls()) != 0 {
		t.Errorf("%d hypercalls issued, want none", len(h.Calls()))
	}
	t.Log(err)
	if runtime.GOARCH == "arm" || runtime.GOARCH == "arm64" {
		req := dom0.DomctlCreatedomain{MaxVCPUs: 1}
		reflect.ValueOf(&req.Arch).Elem().FieldByName("SVEVl").SetUint(4)
		_, err := dom0.XenDomctlCreatedomain(h, 0, &req)
		if !errors.As(err, &me) || me.Member != "arg.Arch.SVEVl" {
			t.Errorf("sve_vl on 4.17: err = %v, want a MemberError for arg.Arch.SVEVl", err)
		}
	}
	req.Altp2mOpts = 0
	if _, err := dom0.XenDomctlCreatedomain(h, 0, &req); err != nil {
		t.Errorf("without altp2m_opts: %v", err)
	}
}

// TestUnknownInterface: a release whose interface version no binding set
// has, or a release the table does not know, gets an InterfaceError
// naming it, and nothing is sent.
func TestUnknownInterface(t *testing.T) {
	for _, c := range []struct {
		major, minor uint32
		speaks       uint32
	}{{4, 18, 0x16}, {4, 16, 0x14}, {4, 99, 0}} {
		restore := dom0.Override(c.major, c.minor)
		h := xentest.New()
		_, err := dom0.XenDomctlGetdomaininfo(h, 0)
		restore()
		var ie *hypercall.InterfaceError
		if !errors.As(err, &ie) {
			t.Fatalf("Xen %d.%d: err = %v, want an InterfaceError", c.major, c.minor, err)
		}
		if ie.Speaks != c.speaks || ie.Interface != "XEN_DOMCTL_INTERFACE_VERSION" || !slices.Equal(ie.Have, []uint32{0x15, 0x17}) || ie.Op != "XEN_DOMCTL_getdomaininfo" {
			t.Errorf("Xen %d.%d: %#v", c.major, c.minor, ie)
		}
		if len(h.Calls()) != 0 {
			t.Errorf("Xen %d.%d: %d hypercalls issued, want none", c.major, c.minor, len(h.Calls()))
		}
		t.Log(err)
	}
	// Xen 4.21 speaks 4.20's domctl but a newer sysctl (0x16).
	defer dom0.Override(4, 21)()
	h := xentest.New(xentest.WithVersion(4, 20))
	if _, err := dom0.XenDomctlGetdomaininfo(h, 0); err != nil {
		t.Errorf("domctl on 4.21: %v", err)
	}
	_, err := dom0.XenSysctlPhysinfo(h)
	var ie *hypercall.InterfaceError
	if !errors.As(err, &ie) || ie.Speaks != 0x16 || ie.Interface != "XEN_SYSCTL_INTERFACE_VERSION" || !slices.Equal(ie.Have, []uint32{0x15}) {
		t.Errorf("sysctl on 4.21: %v", err)
	}
}

// TestSameInterfaceOtherRelease: Xen 4.19 speaks 4.20's interfaces, so its
// bindings are used.
func TestSameInterfaceOtherRelease(t *testing.T) {
	defer dom0.Override(4, 19)()
	h := xentest.New(xentest.WithVersion(4, 20))
	if _, err := dom0.XenDomctlCreatedomain(h, 0, &dom0.DomctlCreatedomain{MaxVCPUs: 1, Altp2mOpts: 1}); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(lastDomctl(t, h)[4:]); v != 0x17 {
		t.Errorf("interface_version %#x, want 0x17", v)
	}
}

// TestDomainsBothReleases creates, lists and destroys a domain through
// the double under each release.
func TestDomainsBothReleases(t *testing.T) {
	for _, rel := range [][2]uint16{{4, 17}, {4, 20}} {
		restore := dom0.Override(uint32(rel[0]), uint32(rel[1]))
		h := xentest.New(xentest.WithVersion(rel[0], rel[1]))
		handle := dom0.DomainHandle{1, 2, 3, 4}
		id, err := dom0.XenDomctlCreatedomain(h, 0, &dom0.DomctlCreatedomain{Handle: handle, MaxVCPUs: 1, MaxEvtchnPort: 1023, MaxGrantFrames: -1, MaxMaptrackFrames: -1, GrantOpts: 1})
		if err != nil {
			t.Fatalf("%v: create: %v", rel, err)
		}
		if err := dom0.XenDomctlMaxMem(h, id, 64<<10); err != nil {
			t.Fatalf("%v: max_mem: %v", rel, err)
		}
		info, err := dom0.XenDomctlGetdomaininfo(h, id)
		if err != nil || info.Domain != id || info.Handle != handle || info.MaxPages != 16384 {
			t.Errorf("%v: getdomaininfo: %+v, %v", rel, info, err)
		}
		list := make([]dom0.DomctlGetdomaininfo, 4)
		n, err := dom0.XenSysctlGetdomaininfolist(h, 0, list)
		if err != nil || n != 2 || list[1].Domain != id || list[1].Handle != handle || list[1].MaxPages != 16384 {
			t.Errorf("%v: getdomaininfolist: %d %+v, %v", rel, n, list[:2], err)
		}
		if err := dom0.XenDomctlDestroydomain(h, id); err != nil {
			t.Errorf("%v: destroy: %v", rel, err)
		}
		if _, err := dom0.XenDomctlGetdomaininfo(h, id); !errors.Is(err, hypercall.ESRCH) {
			t.Errorf("%v: getdomaininfo after destroy: %v, want ESRCH", rel, err)
		}
		restore()
	}
}

// TestDetect asks the hypervisor once: later calls, and the wrappers,
// answer from memory.
func TestDetect(t *testing.T) {
	h := xentest.New(xentest.WithVersion(4, 20))
	first, err := dom0.Detect(h)
	if err != nil {
		t.Fatal(err)
	}
	asked := len(h.Calls())
	if _, err := dom0.XenDomctlGetdomaininfo(h, 0); err != nil && !errors.Is(err, hypercall.EACCES) {
		t.Fatal(err)
	}
	again, _ := dom0.Detect(h)
	versionCalls := 0
	for _, c := range h.Calls() {
		if c.Op == 17 { // __HYPERVISOR_xen_version
			versionCalls++
		}
	}
	if versionCalls > 1 || again != first || asked > 1 {
		t.Errorf("XENVER_version asked %d times (%d before the call), %+v then %+v", versionCalls, asked, first, again)
	}
	// Whatever release the process met first (another test of this
	// package may have asked a 4.17 double), the answer is a known one.
	if first.Domctl == 0 || first.Release() != "4.20" && first.Release() != "4.17" {
		t.Errorf("Detect: %+v", first)
	}
	restore := dom0.Override(4, 18)
	if v, _ := dom0.Detect(h); v.Release() != "4.18" || v.Domctl != 0x16 || v.Sysctl != 0x15 {
		t.Errorf("Override(4, 18): %+v", v)
	}
	restore()
	if v, _ := dom0.Detect(h); v != first {
		t.Errorf("after restore: %+v, want %+v", v, first)
	}
}
