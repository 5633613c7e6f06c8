//go:build 386

package xen_test

import (
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// setCallbacksCase: on x86_32 HYPERVISOR_set_callbacks takes a selector
// with each address.
var setCallbacksCase = rawCase{"HypervisorSetCallbacks", xen.HYPERVISOR_set_callbacks, func(c hypercall.Caller) (uint64, error) {
	return xen.HypervisorSetCallbacks(c, 11, 12, 13, 14)
}, words5(11, 12, 13, 14)}
