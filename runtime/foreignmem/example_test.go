package foreignmem_test

import (
	"fmt"

	"github.com/xenbind/xenbind/runtime/foreignmem"
	"github.com/xenbind/xenbind/runtime/foreignmem/foreignmemtest"
)

// Map the first frame of a domain's grant table, as a backend or an
// introspection tool does. In dom0, foreignmem.Open() gives the Device;
// simulated domains stand in here.
func Example() {
	ds := foreignmemtest.New()
	ds.SetResource(1, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 1)
	d := ds.Open(0) // foreignmem.Open() in dom0
	defer d.Close()

	n, err := d.ResourceSize(1, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := d.MapResource(1, foreignmem.ResourceGrantTable, foreignmem.GrantTableShared, 0, int(n), false)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(n, len(m.Mem))
	// Output: 1 4096
}
