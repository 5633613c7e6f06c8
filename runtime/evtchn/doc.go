// Package evtchn binds, signals and receives Xen event channels from Linux
// user space through the evtchn driver (/dev/xen/evtchn), without cgo or
// libxenevtchn.
//
// [Open] returns a [Device]. It binds local ports ([Device.BindUnbound],
// [Device.BindInterdomain], [Device.BindVIRQ]), signals them
// ([Device.Notify]) and receives the ports that fired: [Device.Wait]
// blocks until one is pending or its context is done, and [Device.Events]
// delivers them on a channel. Either way one read of the device serves
// every bound port (there is no goroutine per port), and a port is
// unmasked after it has been delivered, so that its next event can come.
// [Device.Close] unbinds every port the Device bound.
//
// The ioctl structures and numbers are the generated ones of package
// runtime/uapi (Linux's include/uapi/xen/evtchn.h). Package evtchntest
// offers in-memory Devices for unit tests: the Device type works over any
// [Backend].
package evtchn
