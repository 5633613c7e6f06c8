// Package foreignmem maps other domains' memory and resources into a dom0
// process through Linux's privcmd driver (/dev/xen/privcmd), without cgo
// or libxenforeignmemory.
//
// [Device.MapBatch] maps a list of a domain's guest frames
// (IOCTL_PRIVCMD_MMAPBATCH_V2) and reports each page that could not be
// mapped with its own error ([BatchError]). [Device.MapResource] maps
// frames of a domain's resource, such as its grant table
// (IOCTL_PRIVCMD_MMAP_RESOURCE); [Device.ResourceSize] asks how many there
// are. [Device.Restrict] limits the device to one domain for good
// (IOCTL_PRIVCMD_RESTRICT). [Mapping.Close] unmaps; [Device.Close] unmaps
// every mapping of the Device.
//
// The ioctl structures and numbers are the generated ones of package
// runtime/uapi (Linux's include/uapi/xen/privcmd.h). The Device type works
// over any [Backend]; package foreignmemtest offers an in-memory one.
package foreignmem
