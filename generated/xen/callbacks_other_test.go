//go:build !386

package xen_test

import (
	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

// setCallbacksCase: x86_64's HYPERVISOR_set_callbacks (and so the other
// targets') takes three addresses.
var setCallbacksCase = rawCase{"HypervisorSetCallbacks", xen.HYPERVISOR_set_callbacks, func(c hypercall.Caller) (uint64, error) {
	return xen.HypervisorSetCallbacks(c, 11, 12, 13)
}, words5(11, 12, 13)}
