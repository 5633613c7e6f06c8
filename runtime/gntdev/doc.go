// Package gntdev maps pages other domains grant to this one, and copies
// between grants and local memory, through Linux's gntdev driver
// (/dev/xen/gntdev), without cgo or libxengnttab.
//
// [Device.Map] maps a list of grant references (a domain and a reference
// each) into the process as one [Mapping]; [Mapping.Close] unmaps it.
// [Device.Copy] is IOCTL_GNTDEV_GRANT_COPY: each [CopySegment] copies
// between a grant and local memory (or two grants) without mapping them,
// and reports its own grant status. [Device.Close] unmaps every mapping of
// the Device.
//
// The ioctl structures and numbers are the generated ones of package
// runtime/uapi (Linux's include/uapi/xen/gntdev.h). The Device type works
// over any [Backend]; package runtime/granttest offers an in-memory one
// that maps runtime/gntalloc's double's grants.
package gntdev
