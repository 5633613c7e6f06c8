package xen_test

import (
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// The dom0 wrappers that take slices: each test plays Xen at gcc's
// offsets, checks the count member and the elements it reads, and writes
// the elements and counts it returns.

// payload scripts hypercall op (domctl or sysctl) for command cmd and
// hands fn the command's argument inside the envelope.
func payload(t *testing.T, hv *xentest.Hypervisor, env string, cmd uint64, record string, fn func(m cmem) (uint64, error)) {
	t.Helper()
	op := uint64(xen.HYPERVISOR_domctl)
	if env == "struct xen_sysctl" {
		op = xen.HYPERVISOR_sysctl
	}
	script(t, hv, op, func(a [5]uint64) (uint64, error) {
		e := at(t, hv, a[0], env)
		if e.get("cmd") != cmd {
			t.Errorf("cmd %d, want %d", e.get("cmd"), cmd)
			return 0, hypercall.ENOSYS
		}
		off, _ := member(t, env, "u")
		return fn(at(t, hv, a[0]+uint64(off), record))
	})
}

func TestSysctlGetdomaininfolist(t *testing.T) {
	hv := xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_getdomaininfolist, "struct xen_sysctl_getdomaininfolist", func(m cmem) (uint64, error) {
		if m.get("first_domain") != 5 || m.get("max_domains") != 3 {
			t.Errorf("first_domain %d max_domains %d, want 5 3", m.get("first_domain"), m.get("max_domains"))
		}
		size := sizeOf(t, "struct xen_domctl_getdomaininfo")
		for i := 0; i < 2; i++ {
			info := at(t, hv, m.get("buffer")+uint64(i*size), "struct xen_domctl_getdomaininfo")
			info.set("domain", uint64(5+i))
			info.set("tot_pages", uint64(1000*(i+1)))
			info.set("flags", xen.XEN_DOMINF_paused)
		}
		m.set("num_domains", 2)
		return 0, nil
	})
	buf := make([]xen.DomctlGetdomaininfo, 3)
	n, err := xen.XenSysctlGetdomaininfolist(hv, 5, buf)
	if err != nil || n != 2 {
		t.Fatalf("XenSysctlGetdomaininfolist = %d, %v; want 2", n, err)
	}
	if buf[0].Domain != 5 || buf[1].Domain != 6 || buf[1].TotPages != 2000 || buf[0].Flags != xen.XEN_DOMINF_paused || buf[2].Domain != 0 {
		t.Errorf("buffer %+v", buf)
	}
}

func TestSysctlCputopoNuma(t *testing.T) {
	hv := xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_cputopoinfo, "struct xen_sysctl_cputopoinfo", func(m cmem) (uint64, error) {
		if m.get("cputopo") == 0 {
			m.set("num_cpus", 4) // the size query
			return 0, nil
		}
		arr := array(t, hv, m.get("cputopo"), int(m.get("num_cpus"))*3, 4)
		for i := 0; i < int(m.get("num_cpus")); i++ {
			arr.set(3*i, uint64(i)) // core
			arr.set(3*i+1, 1)       // socket
			arr.set(3*i+2, 0)       // node
		}
		return 0, nil
	})
	n, err := xen.XenSysctlCputopoinfo(hv, nil)
	if err != nil || n != 4 {
		t.Fatalf("XenSysctlCputopoinfo(nil) = %d, %v; want 4", n, err)
	}
	topo := make([]xen.SysctlCputopo, n)
	if n, err = xen.XenSysctlCputopoinfo(hv, topo); err != nil || n != 4 || topo[3].Core != 3 || topo[3].Socket != 1 {
		t.Errorf("XenSysctlCputopoinfo = %d, %+v, %v", n, topo, err)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_numainfo, "struct xen_sysctl_numainfo", func(m cmem) (uint64, error) {
		if m.get("num_nodes") != 2 {
			t.Errorf("num_nodes %d, want 2", m.get("num_nodes"))
		}
		mem := array(t, hv, m.get("meminfo"), 4, 8)
		mem.set(0, 1<<30)
		mem.set(1, 1<<29)
		d := array(t, hv, m.get("distance"), 4, 4)
		for i := 0; i < 4; i++ {
			d.set(i, uint64(10+i))
		}
		return 0, nil
	})
	mi := make([]xen.SysctlMeminfo, 2)
	dist := make([]uint32, 4)
	if n, err := xen.XenSysctlNumainfo(hv, mi, dist); err != nil || n != 2 || mi[0].Memsize != 1<<30 || mi[0].Memfree != 1<<29 || dist[3] != 13 {
		t.Errorf("XenSysctlNumainfo = %d, %+v, %v, %v", n, mi, dist, err)
	}
	_, err = xen.XenSysctlNumainfo(hv, mi, dist[:3])
	wantArgError(t, err, "XEN_SYSCTL_numainfo", "distance")
}

func TestSysctlCPULists(t *testing.T) {
	hv := xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_getcpuinfo, "struct xen_sysctl_getcpuinfo", func(m cmem) (uint64, error) {
		array(t, hv, m.get("info"), int(m.get("max_cpus")), 8).set(1, 777)
		m.set("nr_cpus", 2)
		return 0, nil
	})
	info := make([]xen.SysctlCpuinfo, 8)
	if n, err := xen.XenSysctlGetcpuinfo(hv, info); err != nil || n != 2 || info[1].Idletime != 777 {
		t.Errorf("XenSysctlGetcpuinfo = %d, %+v, %v", n, info, err)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_get_cpu_featureset, "struct xen_sysctl_cpu_featureset", func(m cmem) (uint64, error) {
		if m.get("index") != xen.XEN_SYSCTL_cpu_featureset_host || m.get("nr_features") != 4 {
			t.Errorf("index %d nr_features %d", m.get("index"), m.get("nr_features"))
		}
		array(t, hv, m.get("features"), 4, 4).set(0, 0xdead)
		m.set("nr_features", 1)
		return 0, nil
	})
	fs := make([]uint32, 4)
	if n, err := xen.XenSysctlGetCPUFeatureset(hv, xen.XEN_SYSCTL_cpu_featureset_host, fs); err != nil || n != 1 || fs[0] != 0xdead {
		t.Errorf("XenSysctlGetCPUFeatureset = %d, %v, %v", n, fs, err)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_sysctl", xen.XEN_SYSCTL_debug_keys, "struct xen_sysctl_debug_keys", func(m cmem) (uint64, error) {
		if got := array(t, hv, m.get("keys"), int(m.get("nr_keys")), 1); got.get(0) != 'q' || got.get(1) != 'h' || m.get("nr_keys") != 2 {
			t.Errorf("keys %q", got.mem)
		}
		return 0, nil
	})
	if err := xen.XenSysctlDebugKeys(hv, &xen.SysctlDebugKeys{}, []byte("qh")); err != nil {
		t.Error(err)
	}
	_, err := xen.XenSysctlGetcpuinfo(hv, nil)
	wantArgError(t, err, "XEN_SYSCTL_getcpuinfo", "info")
}

func TestDomctlLists(t *testing.T) {
	hv := xentest.New()
	payload(t, hv, "struct xen_domctl", xen.XEN_DOMCTL_gethvmcontext, "struct xen_domctl_hvmcontext", func(m cmem) (uint64, error) {
		if m.get("buffer") == 0 {
			m.set("size", 100)
			return 0, nil
		}
		array(t, hv, m.get("buffer"), int(m.get("size")), 1).set(99, 0x42)
		m.set("size", 100)
		return 0, nil
	})
	n, err := xen.XenDomctlGethvmcontext(hv, 3, nil)
	if err != nil || n != 100 {
		t.Fatalf("XenDomctlGethvmcontext(nil) = %d, %v", n, err)
	}
	ctx := make([]byte, n)
	if n, err = xen.XenDomctlGethvmcontext(hv, 3, ctx); err != nil || n != 100 || ctx[99] != 0x42 {
		t.Errorf("XenDomctlGethvmcontext = %d, %v", n, err)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_domctl", xen.XEN_DOMCTL_sethvmcontext, "struct xen_domctl_hvmcontext", func(m cmem) (uint64, error) {
		if m.get("size") != 3 || array(t, hv, m.get("buffer"), 3, 1).get(2) != 9 {
			t.Errorf("size %d", m.get("size"))
		}
		return 0, nil
	})
	if err := xen.XenDomctlSethvmcontext(hv, 3, &xen.DomctlHvmcontext{}, []byte{7, 8, 9}); err != nil {
		t.Error(err)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_domctl", xen.XEN_DOMCTL_gethvmcontext_partial, "struct xen_domctl_hvmcontext_partial", func(m cmem) (uint64, error) {
		if m.get("type") != 2 || m.get("instance") != 1 || m.get("bufsz") != 16 {
			t.Errorf("type %d instance %d bufsz %d", m.get("type"), m.get("instance"), m.get("bufsz"))
		}
		array(t, hv, m.get("buffer"), 16, 1).set(0, 0x55)
		return 0, nil
	})
	part := make([]byte, 16)
	if err := xen.XenDomctlGethvmcontextPartial(hv, 3, 2, 1, part); err != nil || part[0] != 0x55 {
		t.Errorf("XenDomctlGethvmcontextPartial: %v, % x", err, part)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_domctl", xen.XEN_DOMCTL_getpageframeinfo3, "struct xen_domctl_getpageframeinfo3", func(m cmem) (uint64, error) {
		arr := array(t, hv, m.get("array"), int(m.get("num")), ulong())
		if m.get("num") != 2 || arr.get(1) != 0x1234 {
			t.Errorf("num %d array[1] %#x", m.get("num"), arr.get(1))
		}
		arr.set(1, 0x1234|xen.XEN_DOMCTL_PFINFO_XTAB)
		return 0, nil
	})
	pfns := []xen.PFN{0x1000, 0x1234}
	if err := xen.XenDomctlGetpageframeinfo3(hv, 3, &xen.DomctlGetpageframeinfo3{}, pfns); err != nil || pfns[1] != 0x1234|xen.XEN_DOMCTL_PFINFO_XTAB {
		t.Errorf("XenDomctlGetpageframeinfo3: %v, %#x", err, pfns)
	}

	hv = xentest.New()
	payload(t, hv, "struct xen_domctl", xen.XEN_DOMCTL_get_device_group, "struct xen_domctl_get_device_group", func(m cmem) (uint64, error) {
		if m.get("machine_sbdf") != 0x100 || m.get("max_sdevs") != 4 {
			t.Errorf("machine_sbdf %#x max_sdevs %d", m.get("machine_sbdf"), m.get("max_sdevs"))
		}
		array(t, hv, m.get("sdev_array"), 4, 4).set(0, 0x108)
		m.set("num_sdevs", 1)
		return 0, nil
	})
	sdevs := make([]uint32, 4)
	if n, err := xen.XenDomctlGetDeviceGroup(hv, 3, 0x100, sdevs); err != nil || n != 1 || sdevs[0] != 0x108 {
		t.Errorf("XenDomctlGetDeviceGroup = %d, %#x, %v", n, sdevs, err)
	}
}

func TestSchedopPoll(t *testing.T) {
	hv := xentest.New()
	script(t, hv, xen.HYPERVISOR_sched_op, func(a [5]uint64) (uint64, error) {
		if a[0] != xen.SCHEDOP_poll {
			t.Errorf("cmd %d", a[0])
		}
		m := at(t, hv, a[1], "struct sched_poll")
		ports := array(t, hv, m.get("ports"), int(m.get("nr_ports")), 4)
		if m.get("nr_ports") != 2 || ports.get(0) != 5 || ports.get(1) != 9 || m.get("timeout") != 1e9 {
			t.Errorf("nr_ports %d timeout %d", m.get("nr_ports"), m.get("timeout"))
		}
		return 0, nil
	})
	if err := xen.SchedopPoll(hv, 1e9, []xen.EvtchnPort{5, 9}); err != nil {
		t.Error(err)
	}
}
