package xentest_test

import (
	"errors"
	"fmt"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// A unit test of code that makes hypercalls: configure the simulated Xen,
// pass it wherever the code takes a hypercall.Caller, and check what it
// answered and which calls were made.
func Example() {
	hv := xentest.New(xentest.WithVersion(4, 20), xentest.WithExtraversion(".5-pre"))
	v, _ := xen.XenverVersion(hv)
	extra, _ := xen.XenverExtraversion(hv)
	fmt.Printf("Xen %s%s after %d calls\n", v, extra, len(hv.Calls()))
	// Output:
	// Xen 4.20.5-pre after 2 calls
}

// Fail one command with an errno, and one grant-table command with a
// status, while every other call keeps its simulated answer.
func ExampleHypervisor_Fail() {
	hv := xentest.New()
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_maximum_reservation), hypercall.EPERM)
	hv.Fail(xentest.Cmd(xen.HYPERVISOR_grant_table_op, xen.GNTTABOP_query_size), xen.GNTST_permission_denied)

	_, err := xen.XenmemMaximumReservation(hv, xen.DOMID_SELF)
	fmt.Println(err, errors.Is(err, hypercall.EPERM))
	pages, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF)
	fmt.Println(pages, err)
	_, _, err = xen.GnttabopQuerySize(hv, xen.DOMID_SELF)
	fmt.Println(err)
	// Output:
	// XENMEM_maximum_reservation: EPERM: operation not permitted true
	// 131072 <nil>
	// GNTTABOP_query_size: permission denied
}
