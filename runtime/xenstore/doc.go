// Package xenstore is a client of Xen's configuration store, xenstored,
// without cgo or libxenstore: over xenstored's Unix socket
// (/var/run/xenstored/socket, [DialSocket]) or Linux's xenbus device
// (/dev/xen/xenbus, [OpenDevice]), or any connection speaking the wire
// protocol ([NewConn]).
//
// A [Conn] reads, writes, creates and removes nodes, lists directories and
// reads and sets permissions. [Conn.Watch] registers a watch whose events
// arrive on a channel; [Conn.Transaction] runs a function in a transaction
// and runs it again when xenstored answers the commit with EAGAIN (another
// transaction or connection changed what it used), which is what every
// caller of transactions needs.
//
// The message types, the header (struct xsd_sockmsg) and the payload
// limits are the generated ones of package xswire (Xen's io/xs_wire.h);
// xenstored's errors, sent by name, become syscall.Errno values in an
// [*Error]. Package xenstoretest offers an in-memory xenstored for unit
// tests.
//
// The package is empty on Plan 9: its errors are Linux errno values
// (syscall.Errno), which Plan 9's syscall package does not have.
package xenstore
