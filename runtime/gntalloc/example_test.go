package gntalloc_test

import (
	"fmt"

	"github.com/xenbind/xenbind/runtime/granttest"
)

// Share a page with domain 2 and tell it the grant reference (through
// xenstore, typically); clear the first byte when the share goes away, so
// that the peer sees the end even if this process dies. In dom0,
// gntalloc.Open() gives the Device; the in-memory double stands in here.
func Example() {
	tab := granttest.NewTable()
	d := tab.Gntalloc(0) // gntalloc.Open() in dom0
	defer d.Close()

	s, err := d.Share(2, 1, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	copy(s.Mem, "hello")
	if err := s.NotifyOnUnmap(0, 1, 0); err != nil { // gntalloc.ClearByte
		fmt.Println(err)
		return
	}
	fmt.Println(len(s.Refs), string(s.Mem[:5]))
	// Output: 1 hello
}
