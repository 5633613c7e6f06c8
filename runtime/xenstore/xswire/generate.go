package xswire

// Xen's io/xs_wire.h alone (the pinned tree's xen.h comes first in every
// translation unit, but nothing of it is generated). A test regenerates the
// files and fails when they are stale.
//go:generate go run ../../../cmd/xenbind gen -mode tools -include io/xs_wire.h -only io/xs_wire.h -pkg xswire -out .
