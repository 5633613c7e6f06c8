package dom0_test

import (
	"reflect"
	"testing"

	xen417 "github.com/xenbind/xenbind/generated/xen"
	xen420 "github.com/xenbind/xenbind/generated/xen420"
)

// TestDoubleLayouts: runtime/xentest simulates 4.20's domctl and sysctl
// with the offsets it uses for 4.17, changing only the interface version.
// That holds if every member it reads sits at the same offset in both
// releases' generated types (whose layouts the compile-time guards tie to
// C): all members of these records, and createdomain's up to grant_opts.
func TestDoubleLayouts(t *testing.T) {
	for _, c := range []struct {
		old, new any
		upTo     string // last member to compare, "" for all
	}{
		{xen417.DomctlCreatedomain{}, xen420.DomctlCreatedomain{}, "GrantOpts"},
		{xen417.DomctlGetdomaininfo{}, xen420.DomctlGetdomaininfo{}, ""},
		{xen417.DomctlMaxMem{}, xen420.DomctlMaxMem{}, ""},
		{xen417.DomctlMaxVCPUs{}, xen420.DomctlMaxVCPUs{}, ""},
		{xen417.SysctlGetdomaininfolist{}, xen420.SysctlGetdomaininfolist{}, ""},
		{xen417.SysctlPhysinfo{}, xen420.SysctlPhysinfo{}, ""},
		{xen417.Domctl{}, xen420.Domctl{}, ""},
		{xen417.Sysctl{}, xen420.Sysctl{}, ""},
	} {
		o, n := reflect.TypeOf(c.old), reflect.TypeOf(c.new)
		if c.upTo == "" && o.Size() != n.Size() {
			t.Errorf("%s: size %d in 4.17, %d in 4.20", o.Name(), o.Size(), n.Size())
		}
		for i := range o.NumField() {
			f := o.Field(i)
			if f.Name == "_" {
				continue
			}
			g, ok := n.FieldByName(f.Name)
			if !ok || g.Offset != f.Offset || g.Type.Size() != f.Type.Size() {
				t.Errorf("%s.%s: offset %d size %d in 4.17, in 4.20 %v offset %d size %d", o.Name(), f.Name, f.Offset, f.Type.Size(), ok, g.Offset, g.Type.Size())
			}
			if f.Name == c.upTo {
				break
			}
		}
	}
}
