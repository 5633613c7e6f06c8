package evtchn_test

import (
	"context"
	"fmt"

	"github.com/xenbind/xenbind/runtime/evtchn/evtchntest"
)

// A loopback channel: an unbound port offered to the domain itself, bound
// from the same domain, then an event sent on one end and received on the
// other. On a real dom0, evtchn.Open() gives the Device and DomIDSelf
// names the domain; here the in-memory double stands in for it.
func Example() {
	hub := evtchntest.NewHub()
	d := hub.Open(0) // evtchn.Open() in dom0
	defer d.Close()

	unbound, err := d.BindUnbound(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	local, err := d.BindInterdomain(0, unbound)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Binding sets the new local port pending (Xen does, in case events
	// sent to the unbound port were lost); then the notification arrives
	// on the other end.
	p, _ := d.Wait(context.Background())
	fmt.Println(p == local)
	d.Notify(local)
	p, err = d.Wait(context.Background())
	fmt.Println(p == unbound, err)
	// Output:
	// true
	// true <nil>
}
