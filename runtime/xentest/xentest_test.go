package xentest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"unsafe"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// alloc returns a buffer of n bytes from h, released when the test ends.
func alloc(t testing.TB, h *Hypervisor, n int) *hypercall.Buffer {
	t.Helper()
	b, err := h.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc(%d): %v", n, err)
	}
	t.Cleanup(b.Release)
	return b
}

// checkCall compares a hypercall's outcome with the expected result or
// error.
func checkCall(t *testing.T, what string, got uint64, err error, want uint64, wantErr error) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Errorf("%s = %#x, %v; want %v", what, got, err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s = %#x, %v; want %#x", what, got, err, want)
	}
}

// cString returns the C string at the start of b.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func TestXenVersionStrings(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 2000))
	tests := []struct {
		name    string
		opts    []Option
		cmd     uint64
		size    int // buffer size
		want    string
		wantErr error
	}{
		{"extraversion default", nil, xenverExtraversion, 16, ".0", nil},
		{"extraversion", []Option{WithExtraversion(".5-rc1")}, xenverExtraversion, 16, ".5-rc1", nil},
		{"extraversion truncated", []Option{WithExtraversion("0123456789abcdefXYZ")}, xenverExtraversion, 16, "0123456789abcde", nil},
		{"extraversion short buffer", nil, xenverExtraversion, 15, "", hypercall.EFAULT},
		{"capabilities default", nil, xenverCapabilities, 1024, "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64", nil},
		{"capabilities", []Option{WithCapabilities("xen-3.0-aarch64 xen-3.0-armv7l")}, xenverCapabilities, 1024, "xen-3.0-aarch64 xen-3.0-armv7l", nil},
		{"capabilities short buffer", nil, xenverCapabilities, 1023, "", hypercall.EFAULT},
		{"changeset", []Option{WithChangeset("abc123")}, xenverChangeset, 64, "abc123", nil},
		{"commandline", []Option{WithCommandline("console=com1 dom0_mem=512M")}, xenverCommandline, 1024, "console=com1 dom0_mem=512M", nil},
		{"commandline truncated", []Option{WithCommandline(long)}, xenverCommandline, 1024, long[:1023], nil},
		{"commandline denied", []Option{WithCommandline("secret"), WithoutPrivilege()}, xenverCommandline, 16, "<denied>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(tt.opts...)
			b := alloc(t, h, tt.size)
			copy(b.Bytes(), bytes.Repeat([]byte{0xff}, tt.size)) // stale bytes must go
			got, err := h.Call(hypervisorXenVersion, [5]uint64{tt.cmd, b.Addr()})
			checkCall(t, "xen_version", got, err, 0, tt.wantErr)
			if tt.wantErr != nil {
				return
			}
			if s := cString(b.Bytes()); s != tt.want {
				t.Errorf("string = %q, want %q", s, tt.want)
			}
			if tt.cmd != xenverCommandline || tt.want != "<denied>" {
				if rest := b.Bytes()[len(tt.want):]; !bytes.Equal(rest, make([]byte, len(rest))) {
					t.Errorf("array not NUL-padded after the string")
				}
			}
		})
	}
}

func TestXenVersionValues(t *testing.T) {
	h := New(WithVersion(4, 19), WithFeatures(0x2fe5), WithVirtStart(0xF5800000),
		WithDomain(0, Domain{Handle: [16]byte{0xde, 0xad, 0xbe, 0xef, 15: 0x42}}),
		WithCompileInfo(CompileInfo{Compiler: "gcc 12", CompileBy: "me", CompileDomain: "example.net", CompileDate: "today"}))

	got, err := h.Call(hypervisorXenVersion, [5]uint64{xenverVersion})
	checkCall(t, "XENVER_version", got, err, 4<<16|19, nil)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverPagesize})
	checkCall(t, "XENVER_pagesize", got, err, 4096, nil)

	b := alloc(t, h, 8)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverPagesize, b.Addr()})
	checkCall(t, "XENVER_pagesize with an argument", got, err, 0, hypercall.EINVAL)

	fi := alloc(t, h, featureInfoSize)
	native.PutUint32(fi.Bytes()[featureInfoSubmapIdx:], 0)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverGetFeatures, fi.Addr()})
	checkCall(t, "XENVER_get_features", got, err, 0, nil)
	if v := native.Uint32(fi.Bytes()[featureInfoSubmap:]); v != 0x2fe5 {
		t.Errorf("submap 0 = %#x, want 0x2fe5", v)
	}
	native.PutUint32(fi.Bytes()[featureInfoSubmapIdx:], 1)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverGetFeatures, fi.Addr()})
	checkCall(t, "XENVER_get_features submap 1", got, err, 0, hypercall.EINVAL)

	pp := alloc(t, h, 8)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverPlatformParameters, pp.Addr()})
	checkCall(t, "XENVER_platform_parameters", got, err, 0, nil)
	var virtStart uint64
	if xenULongSize == 4 {
		virtStart = uint64(native.Uint32(pp.Bytes()))
	} else {
		virtStart = native.Uint64(pp.Bytes())
	}
	if virtStart != 0xF5800000 {
		t.Errorf("virt_start = %#x", virtStart)
	}

	gh := alloc(t, h, domainHandleLen)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverGuestHandle, gh.Addr()})
	checkCall(t, "XENVER_guest_handle", got, err, 0, nil)
	if want := []byte{0xde, 0xad, 0xbe, 0xef, 15: 0x42}; !bytes.Equal(gh.Bytes(), want) {
		t.Errorf("guest handle = %x, want %x", gh.Bytes(), want)
	}

	ci := alloc(t, h, compileInfoSize)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverCompileInfo, ci.Addr()})
	checkCall(t, "XENVER_compile_info", got, err, 0, nil)
	for _, f := range []struct {
		off  int
		want string
	}{{compileInfoCompiler, "gcc 12"}, {compileInfoCompileBy, "me"}, {compileInfoCompileDomain, "example.net"}, {compileInfoCompileDate, "today"}} {
		if s := cString(ci.Bytes()[f.off:]); s != f.want {
			t.Errorf("compile info at %d = %q, want %q", f.off, s, f.want)
		}
	}

	got, err = h.Call(hypervisorXenVersion, [5]uint64{99})
	checkCall(t, "unknown XENVER command", got, err, 0, hypercall.ENOSYS)
}

func TestXenVersionBuildID(t *testing.T) {
	id := []byte{0xb1, 0xd0, 1, 2, 3, 4, 5, 6}
	tests := []struct {
		name    string
		opts    []Option
		null    bool
		len     uint32
		size    int
		want    uint64
		wantErr error
	}{
		{name: "size", null: true, want: 8},
		{name: "fits", len: 8, size: 12, want: 8},
		{name: "roomy", len: 100, size: 104, want: 8},
		{name: "len zero", len: 0, size: 12, wantErr: hypercall.EINVAL},
		{name: "len too small", len: 7, size: 12, wantErr: hypercall.ENOBUFS},
		{name: "len lies about the buffer", len: 100, size: 8, wantErr: hypercall.EFAULT},
		{name: "denied", opts: []Option{WithoutPrivilege()}, len: 8, size: 12, wantErr: hypercall.EPERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(append([]Option{WithBuildID(id)}, tt.opts...)...)
			var arg uint64
			var b *hypercall.Buffer
			if !tt.null {
				b = alloc(t, h, tt.size)
				native.PutUint32(b.Bytes()[buildIDLen:], tt.len)
				arg = b.Addr()
			}
			got, err := h.Call(hypervisorXenVersion, [5]uint64{xenverBuildID, arg})
			checkCall(t, "XENVER_build_id", got, err, tt.want, tt.wantErr)
			if b != nil && tt.wantErr == nil && !bytes.Equal(b.Bytes()[buildIDBuf:buildIDBuf+len(id)], id) {
				t.Errorf("buf = %x, want %x", b.Bytes()[buildIDBuf:], id)
			}
		})
	}
}

// reservationHypervisor has dom0 (the caller), a guest domain 7, and
// nothing else.
func reservationHypervisor(opts ...Option) *Hypervisor {
	return New(append([]Option{
		WithDomain(0, Domain{CurrentPages: 131072, MaxPages: 262144, MaxGPFN: 0x3ffff, GrantFrames: 1, MaxGrantFrames: 64, GrantVersion: 1}),
		WithDomain(7, Domain{CurrentPages: 2048, MaxPages: 4096, MaxGPFN: 0xfff, GrantFrames: 4, MaxGrantFrames: 32, GrantVersion: 2}),
		WithMaxRAMPage(0x87ffff),
		WithSharing(11, 22),
	}, opts...)...)
}

func TestMemoryOp(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		cmd     uint64
		domid   uint16
		noArg   bool
		want    uint64
		wantErr error
	}{
		{name: "current self", cmd: xenmemCurrentReservation, domid: domidSelf, want: 131072},
		{name: "maximum self", cmd: xenmemMaximumReservation, domid: domidSelf, want: 262144},
		{name: "current dom0 by id", cmd: xenmemCurrentReservation, domid: 0, want: 131072},
		{name: "current other", cmd: xenmemCurrentReservation, domid: 7, want: 2048},
		{name: "maximum other", cmd: xenmemMaximumReservation, domid: 7, want: 4096},
		{name: "maximum gpfn", cmd: xenmemMaximumGPFN, domid: 7, want: 0xfff},
		{name: "unknown domain", cmd: xenmemCurrentReservation, domid: 3, wantErr: hypercall.ESRCH},
		{name: "reserved domain id", cmd: xenmemMaximumGPFN, domid: 0x7FF1, wantErr: hypercall.ESRCH},
		{name: "other domain unprivileged", opts: []Option{WithoutPrivilege()}, cmd: xenmemCurrentReservation, domid: 7, wantErr: hypercall.EPERM},
		{name: "self unprivileged", opts: []Option{WithoutPrivilege()}, cmd: xenmemCurrentReservation, domid: domidSelf, want: 131072},
		{name: "null domain pointer", cmd: xenmemCurrentReservation, noArg: true, wantErr: hypercall.EFAULT},
		{name: "start extent", cmd: xenmemCurrentReservation | 1<<memopExtentShift, domid: domidSelf, wantErr: hypercall.EINVAL},
		{name: "maximum ram page", cmd: xenmemMaximumRAMPage, noArg: true, want: 0x87ffff},
		{name: "sharing freed", cmd: xenmemGetSharingFreedPages, noArg: true, want: 11},
		{name: "sharing shared", cmd: xenmemGetSharingSharedPage, noArg: true, want: 22},
		{name: "unknown command", cmd: 63, noArg: true, wantErr: hypercall.ENOSYS},
		{name: "exchange is not simulated", cmd: 11, domid: domidSelf, wantErr: hypercall.ENOSYS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reservationHypervisor(tt.opts...)
			var arg uint64
			if !tt.noArg {
				b := alloc(t, h, memoryDomainSize)
				native.PutUint16(b.Bytes()[memoryDomainDomid:], tt.domid)
				arg = b.Addr()
			}
			got, err := h.Call(hypervisorMemoryOp, [5]uint64{tt.cmd, arg})
			checkCall(t, "memory_op", got, err, tt.want, tt.wantErr)
		})
	}
}

func TestGrantTableQuerySize(t *testing.T) {
	tests := []struct {
		name      string
		opts      []Option
		dom       uint16
		count     uint64
		frames    uint32
		maxFrames uint32
		status    int16
		wantErr   error
	}{
		{name: "self", dom: domidSelf, count: 1, frames: 1, maxFrames: 64},
		{name: "other", dom: 7, count: 1, frames: 4, maxFrames: 32},
		{name: "unknown domain", dom: 3, count: 1, status: gntstBadDomain},
		{name: "other unprivileged", opts: []Option{WithoutPrivilege()}, dom: 7, count: 1, status: gntstPermissionDenied},
		{name: "count 0", dom: domidSelf, count: 0, wantErr: hypercall.EINVAL},
		{name: "count 2", dom: domidSelf, count: 2, wantErr: hypercall.EINVAL},
		{name: "negative count", dom: domidSelf, count: 0x80000000, wantErr: hypercall.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reservationHypervisor(tt.opts...)
			b := alloc(t, h, querySizeSize)
			native.PutUint16(b.Bytes()[querySizeDom:], tt.dom)
			got, err := h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopQuerySize, b.Addr(), tt.count})
			checkCall(t, "GNTTABOP_query_size", got, err, 0, tt.wantErr)
			if tt.wantErr != nil {
				return
			}
			mem := b.Bytes()
			if st := int16(native.Uint16(mem[querySizeStatus:])); st != tt.status {
				t.Errorf("status = %d, want %d", st, tt.status)
			}
			if f, m := native.Uint32(mem[querySizeNrFrames:]), native.Uint32(mem[querySizeMaxNrFrames:]); f != tt.frames || m != tt.maxFrames {
				t.Errorf("frames %d of %d, want %d of %d", f, m, tt.frames, tt.maxFrames)
			}
		})
	}
}

func TestGrantTableVersion(t *testing.T) {
	h := reservationHypervisor()
	getVersion := func(dom uint16) (uint32, error) {
		t.Helper()
		b := alloc(t, h, getVersionSize)
		native.PutUint16(b.Bytes()[getVersionDom:], dom)
		_, err := h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopGetVersion, b.Addr(), 1})
		return native.Uint32(b.Bytes()[getVersionVersion:]), err
	}
	setVersion := func(v uint32) (uint32, error) {
		t.Helper()
		b := alloc(t, h, setVersionSize)
		native.PutUint32(b.Bytes()[setVersionVersion:], v)
		_, err := h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopSetVersion, b.Addr(), 1})
		return native.Uint32(b.Bytes()[setVersionVersion:]), err
	}

	if v, err := getVersion(domidSelf); v != 1 || err != nil {
		t.Errorf("get_version(self) = %d, %v; want 1", v, err)
	}
	if v, err := getVersion(7); v != 2 || err != nil {
		t.Errorf("get_version(7) = %d, %v; want 2", v, err)
	}
	if _, err := getVersion(3); !errors.Is(err, hypercall.ESRCH) {
		t.Errorf("get_version(unknown) = %v, want ESRCH", err)
	}
	if v, err := setVersion(2); v != 2 || err != nil {
		t.Errorf("set_version(2) = %d, %v; want 2", v, err)
	}
	if v, err := getVersion(domidSelf); v != 2 || err != nil {
		t.Errorf("get_version(self) after set_version(2) = %d, %v", v, err)
	}
	if d, _ := h.Domain(domidSelf); d.GrantVersion != 2 {
		t.Errorf("Domain(self).GrantVersion = %d, want 2", d.GrantVersion)
	}
	if v, err := setVersion(3); v != 2 || !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("set_version(3) = %d, %v; want the version in force (2) and EINVAL", v, err)
	}

	h = New(WithMaxGrantVersion(1))
	if v, err := setVersion(2); v != 1 || !errors.Is(err, hypercall.ENOSYS) {
		t.Errorf("set_version(2) with gnttab_max_version=1 = %d, %v; want 1, ENOSYS", v, err)
	}
	h = New(WithoutPrivilege(), WithDomain(7, Domain{}))
	if _, err := getVersion(7); !errors.Is(err, hypercall.EPERM) {
		t.Errorf("get_version(other) unprivileged = %v, want EPERM", err)
	}
}

func TestGrantTableOpRejects(t *testing.T) {
	h := New()
	b := alloc(t, h, querySizeSize)
	tests := []struct {
		name    string
		cmd     uint64
		count   uint64
		wantErr error
	}{
		{"unknown command", 99, 1, hypercall.ENOSYS},
		{"copy is not simulated", 5, 1, hypercall.ENOSYS},
		{"continuation bits", gnttabopQuerySize | 1<<12, 1, hypercall.EINVAL},
	}
	for _, tt := range tests {
		got, err := h.Call(hypervisorGrantTableOp, [5]uint64{tt.cmd, b.Addr(), tt.count})
		checkCall(t, tt.name, got, err, 0, tt.wantErr)
	}
}

func TestUnknownHypercall(t *testing.T) {
	h := New()
	for _, op := range []uint64{0, 13, 33, 1 << 40} {
		got, err := h.Call(op, [5]uint64{})
		checkCall(t, "unknown hypercall", got, err, 0, hypercall.ENOSYS)
	}
}

// TestForeignMemoryFaults shows the point of the double: memory that did
// not come from its Alloc is not Xen's to touch.
func TestForeignMemoryFaults(t *testing.T) {
	h := New()
	heap := make([]byte, 4096)
	var stack [16]byte
	released, err := h.Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	released.Release()
	other := New()
	foreign := alloc(t, other, 16)

	tests := []struct {
		name string
		addr uint64
	}{
		{"Go heap", uint64(uintptr(unsafe.Pointer(&heap[0])))},
		{"goroutine stack", uint64(uintptr(unsafe.Pointer(&stack[0])))},
		{"released buffer", released.Addr()},
		{"another hypervisor's buffer", foreign.Addr()},
		{"NULL", 0},
	}
	for _, tt := range tests {
		got, err := h.Call(hypervisorXenVersion, [5]uint64{xenverExtraversion, tt.addr})
		checkCall(t, tt.name, got, err, 0, hypercall.EFAULT)
	}
}

func TestSelf(t *testing.T) {
	h := New(WithSelf(5), WithDomain(5, Domain{CurrentPages: 77}))
	b := alloc(t, h, memoryDomainSize)
	native.PutUint16(b.Bytes(), domidSelf)
	got, err := h.Call(hypervisorMemoryOp, [5]uint64{xenmemCurrentReservation, b.Addr()})
	checkCall(t, "current reservation of self (5)", got, err, 77, nil)
	native.PutUint16(b.Bytes(), 0)
	got, err = h.Call(hypervisorMemoryOp, [5]uint64{xenmemCurrentReservation, b.Addr()})
	checkCall(t, "dom0 when self is 5", got, err, 0, hypercall.ESRCH)

	// A self with no WithDomain gets the default domain.
	h = New(WithSelf(9), WithGrantTable(2, 16, 2))
	d, ok := h.Domain(9)
	if !ok || d.CurrentPages != defaultSelf.CurrentPages || d.GrantFrames != 2 || d.MaxGrantFrames != 16 || d.GrantVersion != 2 {
		t.Errorf("Domain(9) = %+v, %v", d, ok)
	}
	if _, ok := h.Domain(0); ok {
		t.Error("dom0 exists though self is 9")
	}
}

func TestRecording(t *testing.T) {
	h := New()
	b := alloc(t, h, querySizeSize)
	native.PutUint16(b.Bytes()[querySizeDom:], domidSelf)
	h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopQuerySize, b.Addr(), 1})
	h.Call(33, [5]uint64{1, 2, 3, 4, 5})

	calls := h.Calls()
	if len(calls) != 2 {
		t.Fatalf("recorded %d calls, want 2", len(calls))
	}
	c := calls[0]
	if c.Op != hypervisorGrantTableOp || c.Args != [5]uint64{gnttabopQuerySize, b.Addr(), 1} || c.Err != nil || c.Result != 0 {
		t.Errorf("first call recorded as %+v", c)
	}
	if c.Mem[0] != nil || c.Mem[2] != nil {
		t.Error("arguments that are not addresses have memory recorded")
	}
	// The copy is from before the call: the dom, but no answer yet.
	if len(c.Mem[1]) != querySizeSize || native.Uint16(c.Mem[1][querySizeDom:]) != domidSelf || native.Uint32(c.Mem[1][querySizeMaxNrFrames:]) != 0 {
		t.Errorf("recorded memory %x, want the request as it was before the call", c.Mem[1])
	}
	if native.Uint32(b.Bytes()[querySizeMaxNrFrames:]) != 64 {
		t.Error("the call did not answer in the buffer")
	}
	if calls[1].Op != 33 || !errors.Is(calls[1].Err, hypercall.ENOSYS) {
		t.Errorf("second call recorded as %+v", calls[1])
	}

	quiet := New(WithoutRecording())
	quiet.Call(hypervisorXenVersion, [5]uint64{})
	if n := len(quiet.Calls()); n != 0 {
		t.Errorf("WithoutRecording recorded %d calls", n)
	}
}

func TestHandle(t *testing.T) {
	h := New()
	const opEventChannel = 32
	h.Handle(opEventChannel, func(args [5]uint64) (uint64, error) {
		mem, err := h.Resolve(args[1], 4)
		if err != nil {
			return 0, err
		}
		native.PutUint32(mem, 0x1234)
		return args[0] + 1, nil
	})
	b := alloc(t, h, 4)
	got, err := h.Call(opEventChannel, [5]uint64{41, b.Addr()})
	checkCall(t, "handled op", got, err, 42, nil)
	if native.Uint32(b.Bytes()) != 0x1234 {
		t.Error("handler did not write through Resolve")
	}
	got, err = h.Call(opEventChannel, [5]uint64{41, 0})
	checkCall(t, "handled op with a bad pointer", got, err, 0, hypercall.EFAULT)

	// A handler replaces a built-in simulation, and nil restores it.
	h.Handle(hypervisorXenVersion, func([5]uint64) (uint64, error) { return 0, hypercall.EPERM })
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverVersion})
	checkCall(t, "overridden xen_version", got, err, 0, hypercall.EPERM)
	h.Handle(hypervisorXenVersion, nil)
	got, err = h.Call(hypervisorXenVersion, [5]uint64{xenverVersion})
	checkCall(t, "restored xen_version", got, err, 4<<16|17, nil)
}

func TestConcurrent(t *testing.T) {
	h := reservationHypervisor()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				b, err := h.Alloc(querySizeSize + g*i)
				if err != nil {
					t.Error(err)
					return
				}
				native.PutUint16(b.Bytes()[querySizeDom:], 7)
				if _, err := h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopQuerySize, b.Addr(), 1}); err != nil {
					t.Error(err)
				}
				if native.Uint32(b.Bytes()[querySizeNrFrames:]) != 4 {
					t.Error("wrong answer under concurrency")
				}
				b.Release()
			}
		})
	}
	wg.Wait()
	if n := len(h.Calls()); n != 800 {
		t.Errorf("recorded %d calls, want 800", n)
	}
}

func TestCallDoesNotAllocate(t *testing.T) {
	h := New(WithoutRecording())
	alloc(t, h, querySizeSize).Release() // warm the pool
	n := testing.AllocsPerRun(100, func() {
		b, err := h.Alloc(querySizeSize)
		if err != nil {
			t.Fatal(err)
		}
		native.PutUint16(b.Bytes()[querySizeDom:], domidSelf)
		h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopQuerySize, b.Addr(), 1})
		h.Call(hypervisorMemoryOp, [5]uint64{xenmemCurrentReservation, b.Addr()})
		h.Call(hypervisorXenVersion, [5]uint64{99}) // an error too
		b.Release()
	})
	if n != 0 {
		t.Errorf("a call allocates %v times", n)
	}
}

// BenchmarkQuerySize is a typed wrapper's work over the double: a buffer,
// the call, the answer.
func BenchmarkQuerySize(b *testing.B) {
	h := New(WithoutRecording())
	b.ReportAllocs()
	for b.Loop() {
		buf, err := h.Alloc(querySizeSize)
		if err != nil {
			b.Fatal(err)
		}
		native.PutUint16(buf.Bytes()[querySizeDom:], domidSelf)
		if _, err := h.Call(hypervisorGrantTableOp, [5]uint64{gnttabopQuerySize, buf.Addr(), 1}); err != nil {
			b.Fatal(err)
		}
		buf.Release()
	}
}

// TestFailCommandInStruct: domctl, sysctl and platform_op carry their
// command in the structure their first argument points to.
func TestFailCommandInStruct(t *testing.T) {
	h := New()
	h.Fail(Cmd(hypervisorDomctl, 1), hypercall.EACCES) // XEN_DOMCTL_createdomain
	h.HandleCommand(Cmd(hypervisorDomctl, 2), func([5]uint64) (uint64, error) { return 7, nil })
	b := alloc(t, h, 256)
	native.PutUint32(b.Bytes(), 1)
	if _, err := h.Call(hypervisorDomctl, [5]uint64{b.Addr()}); !errors.Is(err, hypercall.EACCES) {
		t.Errorf("domctl cmd 1: err = %v, want EACCES", err)
	}
	native.PutUint32(b.Bytes(), 2)
	if r, err := h.Call(hypervisorDomctl, [5]uint64{b.Addr()}); err != nil || r != 7 {
		t.Errorf("domctl cmd 2 = %d, %v; want the handler's 7", r, err)
	}
	// Any other command gets the simulation, which checks the interface
	// version first: EACCES for none, ENOSYS for a command it does not
	// simulate.
	native.PutUint32(b.Bytes(), 3)
	if _, err := h.Call(hypervisorDomctl, [5]uint64{b.Addr()}); !errors.Is(err, hypercall.EACCES) {
		t.Errorf("domctl cmd 3 without an interface version: err = %v, want the simulation's EACCES", err)
	}
	native.PutUint32(b.Bytes(), 60) // XEN_DOMCTL_settscinfo
	native.PutUint32(b.Bytes()[domctlVersion:], domctlInterfaceVersion)
	if _, err := h.Call(hypervisorDomctl, [5]uint64{b.Addr()}); !errors.Is(err, hypercall.ENOSYS) {
		t.Errorf("domctl cmd 60: err = %v, want the default ENOSYS", err)
	}
	// A command word with continuation bits above MEMOP_CMD_MASK is still
	// the command.
	h.Fail(Cmd(hypervisorMemoryOp, xenmemMaximumRAMPage), hypercall.EBUSY)
	if _, err := h.Call(hypervisorMemoryOp, [5]uint64{xenmemMaximumRAMPage | 3<<memopExtentShift}); !errors.Is(err, hypercall.EBUSY) {
		t.Errorf("memory_op with continuation bits: err = %v, want EBUSY", err)
	}
}

func TestFailMisuse(t *testing.T) {
	h := New()
	for name, f := range map[string]func(){
		"Sub of a hypercall":       func() { Hypercall(12).Sub(0, 4, 1) },
		"Sub size 3":               func() { Cmd(12, 3).Sub(0, 3, 1) },
		"status on memory_op":      func() { h.FailStatus(Cmd(hypervisorMemoryOp, 3), -1) },
		"status on set_version":    func() { h.FailStatus(Cmd(hypervisorGrantTableOp, gnttabopSetVersion), -1) },
		"int16 error on memory_op": func() { h.Fail(Cmd(hypervisorMemoryOp, 3), testStatus(-1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

type testStatus int16

func (s testStatus) Error() string { return "status" }
