package xen_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/privcmd"
	"github.com/xenbind/xenbind/runtime/xentest"
)

// A dom0 tool: open Linux's privcmd device and call typed wrappers. Run as
// root in dom0; anywhere else Open says why it cannot.
func Example_dom0() {
	dev, err := privcmd.Open()
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errors.ErrUnsupported) {
		fmt.Println("not in a Xen domain:", err)
		return
	}
	if err != nil {
		log.Fatal(err) // not privileged, or a 32-bit process on a 64-bit kernel
	}
	defer dev.Close()
	v, err := xen.XenverVersion(dev)
	if err != nil {
		log.Fatal(err)
	}
	pages, err := xen.XenmemCurrentReservation(dev, xen.DOMID_SELF)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Xen %s, %d pages\n", v, pages) // v.Major(), v.Minor(): 4, 17
}

// The same calls against the simulated hypervisor of runtime/xentest, as a
// unit test makes them: any hypercall.Caller will do.
func ExampleXenmemCurrentReservation() {
	hv := xentest.New(xentest.WithDomain(0, xentest.Domain{CurrentPages: 65536, MaxPages: 131072}))
	pages, err := xen.XenmemCurrentReservation(hv, xen.DOMID_SELF)
	if err != nil {
		log.Fatal(err)
	}
	max, err := xen.XenmemMaximumReservation(hv, xen.DOMID_SELF)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pages, "of", max, "pages")
	// Output:
	// 65536 of 131072 pages
}

// Grant-table statuses come back as xen.GNTST errors with the header's
// messages; errors.Is matches them.
func ExampleGnttabopQuerySize() {
	hv := xentest.New()
	frames, max, err := xen.GnttabopQuerySize(hv, xen.DOMID_SELF)
	fmt.Println(frames, max, err)

	hv.Fail(xentest.Cmd(xen.HYPERVISOR_grant_table_op, xen.GNTTABOP_query_size), xen.GNTST_bad_domain)
	_, _, err = xen.GnttabopQuerySize(hv, 7)
	fmt.Println(err, errors.Is(err, xen.GNTST_bad_domain))
	// Output:
	// 1 64 <nil>
	// GNTTABOP_query_size: unrecognised domain id true
}
