package xen_test

import (
	"fmt"
	"testing"

	"github.com/xenbind/xenbind/generated/xen"
)

// Typed constant groups print as their C names: flags bit by bit, with
// multi-bit fields decoded, bits that two constants share named by the
// field that decides (GTF_readonly or GTF_transfer_committed), and bits
// without a name in hex; other groups by the constant's name.
func TestConstString(t *testing.T) {
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{xen.GTF_permit_access | xen.GTF_readonly, "GTF_permit_access|GTF_readonly"},
		{xen.GTF_permit_access | xen.GTF_reading | xen.GTF_writing, "GTF_permit_access|GTF_reading|GTF_writing"},
		{xen.GTF_accept_transfer | xen.GTF_transfer_committed, "GTF_accept_transfer|GTF_transfer_committed"},
		{xen.GTF_accept_transfer | xen.GTF_transfer_committed | xen.GTF_transfer_completed, "GTF_accept_transfer|GTF_transfer_committed|GTF_transfer_completed"},
		{xen.GTF_transitive | xen.GTF_sub_page | xen.GTF_PAT, "GTF_transitive|GTF_PAT|GTF_sub_page"},
		{xen.GTF_invalid, "GTF_invalid"},
		{xen.GTF(0x4), "GTF_invalid|GTF_readonly"},
		{xen.GTF_permit_access | 0x8200, "GTF_permit_access|0x8200"},
		{xen.GNTMAP_host_map | xen.GNTMAP_readonly, "GNTMAP_host_map|GNTMAP_readonly"},
		{xen.GNTMAP_device_map | xen.GNTMAP(0x30000), "GNTMAP_device_map|GNTMAP_guest_avail_mask&0x30000"},
		{xen.GNTMAP(0x20), "0x20"},
		{xen.GNTMAP(0), "0"},
		{xen.PT_IRQ_TYPE_MSI, "PT_IRQ_TYPE_MSI"},
		{xen.PtIRQType(99), "PtIRQType(99)"},
		{xen.GNTST_bad_domain, "unrecognised domain id"}, // the header's own message table
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T.String() = %q, want %q", c.v, got, c.want)
		}
		if got := fmt.Sprint(c.v); got != c.want {
			t.Errorf("fmt.Sprint(%T) = %q, want %q", c.v, got, c.want)
		}
	}
}

func ExampleGTF_String() {
	fmt.Println(xen.GTF_permit_access | xen.GTF_readonly)
	fmt.Println(xen.GTF_accept_transfer | xen.GTF_transfer_completed)
	fmt.Println(xen.GNTMAP_host_map | xen.GNTMAP_readonly)
	// Output:
	// GTF_permit_access|GTF_readonly
	// GTF_accept_transfer|GTF_transfer_completed
	// GNTMAP_host_map|GNTMAP_readonly
}
