package hypercall_test

import (
	"errors"
	"fmt"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// Xen's -errno comes back as an Errno wrapped with the command's name;
// errors.Is and errors.As reach it through the wrapper's context.
func ExampleErrno() {
	hv := xentest.New() // any Caller: privcmd.Device in dom0
	_, err := xen.XenmemCurrentReservation(hv, 42)
	var e hypercall.Errno
	fmt.Println(errors.Is(err, hypercall.ESRCH), errors.As(err, &e) && e == hypercall.ESRCH)
	fmt.Println(err)
	// Output:
	// true true
	// XENMEM_current_reservation: ESRCH: no such process
}
