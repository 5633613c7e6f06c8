package uapi

// The device headers of the pinned linux-libc-dev (headers/manifest.txt),
// read in the UAPI dialect for all four targets. A test regenerates them
// and fails when the files here are stale.
//go:generate go run ../../cmd/xenbind gen -dialect uapi -mode tools -include xen/privcmd.h,xen/evtchn.h,xen/gntdev.h,xen/gntalloc.h -pkg uapi -out .
