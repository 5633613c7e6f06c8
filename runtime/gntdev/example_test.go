package gntdev_test

import (
	"fmt"

	"github.com/xenbind/xenbind/runtime/gntdev"
	"github.com/xenbind/xenbind/runtime/granttest"
)

// Map a page domain 1 granted to this domain (2), and copy from it without
// mapping. In dom0, gntdev.Open() gives the Device; the in-memory grant
// table stands in here, with domain 1's share made by its gntalloc double.
func Example() {
	tab := granttest.NewTable()
	peer := tab.Gntalloc(1)
	defer peer.Close()
	s, _ := peer.Share(2, 1, false)
	copy(s.Mem, "from domain 1")

	d := tab.Gntdev(2) // gntdev.Open() in dom0
	defer d.Close()
	ref := gntdev.Ref{Dom: 1, Ref: gntdev.GrantRef(s.Refs[0])}
	m, err := d.Map([]gntdev.Ref{ref}, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	buf := make([]byte, 13)
	err = d.Copy([]gntdev.CopySegment{{Source: gntdev.CopyEnd{Ref: ref}, Dest: gntdev.CopyEnd{Local: buf}, Len: 13}})
	fmt.Println(string(m.Mem[:13]), string(buf), err)
	// Output: from domain 1 from domain 1 <nil>
}
