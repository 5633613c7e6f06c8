// Package gntalloc shares pages of this domain with another domain through
// Linux's gntalloc driver (/dev/xen/gntalloc), without cgo or
// libxengnttab.
//
// [Device.Share] allocates pages, grants a domain access to them (one
// grant reference per page, [Share.Refs]) and maps them into the process
// ([Share.Mem]). [Share.NotifyOnUnmap] asks the kernel to clear a byte or
// signal an event channel when the share goes away, even if the process
// dies. [Share.Close] unmaps the pages and ends the grants; [Device.Close]
// closes every share of the Device.
//
// The ioctl structures and numbers are the generated ones of package
// runtime/uapi (Linux's include/uapi/xen/gntalloc.h). The Device type
// works over any [Backend]; package runtime/granttest offers an in-memory
// one whose grants runtime/gntdev's double maps.
package gntalloc
