//go:build 386 || amd64

package xen_test

import "github.com/xenbind/xenbind/generated/xen"

// HVMOP_set_evtchn_upcall_vector exists on x86 only.
func init() {
	dom0Cases = append(dom0Cases, dom0Cases[0])
	c := &dom0Cases[len(dom0Cases)-1]
	c.name, c.member = "HvmopSetEvtchnUpcallVector", ""
	c.dom0Case = dom0Case{fn: xen.HvmopSetEvtchnUpcallVector, cmd: xen.HVMOP_set_evtchn_upcall_vector, record: "struct xen_hvm_evtchn_upcall_vector"}
}
