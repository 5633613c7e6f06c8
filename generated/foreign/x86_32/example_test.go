package x86_32_test

import (
	"fmt"
	"log"

	"github.com/xenbind/xenbind/generated/foreign/x86_32"
)

// Decode a struct xen_memory_reservation as an x86_32 guest lays it out, on any
// host: a tool reading a guest's memory or a saved record does this.
func ExampleMemoryReservation_UnmarshalBinary() {
	raw := []byte{
		0x00, 0x10, 0x00, 0x00, // extent_start: 0x1000
		0x02, 0x00, 0x00, 0x00, // nr_extents: 2
		0x09, 0x00, 0x00, 0x00, // extent_order: 9 (2 MiB extents)
		0x00, 0x00, 0x00, 0x00, // mem_flags
		0x05, 0x00, 0x00, 0x00, // domid 5, trailing padding
	}
	var r x86_32.MemoryReservation
	if err := r.UnmarshalBinary(raw); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: extents at %#x, %d of order %d, domain %d\n",
		x86_32.SizeofMemoryReservation, r.ExtentStart.Addr(), r.NrExtents, r.ExtentOrder, r.DomID)
	// Output:
	// 20 bytes: extents at 0x1000, 2 of order 9, domain 5
}
