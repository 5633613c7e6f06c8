package hypercall

import "strconv"

// Errno is an error number from Xen: a hypercall that fails returns -errno.
// Xen's public errno.h takes its values from x86 Linux, so on Linux an Errno
// also matches the golang.org/x/sys/unix (and syscall) Errno of the same
// number with errors.Is.
//
// Errno is an integer so that returning one as an error does not allocate:
// Go stores small integers in an interface without a heap copy.
type Errno int

// Xen's error numbers, in the order of xen/include/public/errno.h. EINTR and
// ERESTART are internal to Xen and never reach a guest, but are listed so that
// the table is the header's.
const (
	EPERM         Errno = 1   // Operation not permitted
	ENOENT        Errno = 2   // No such file or directory
	ESRCH         Errno = 3   // No such process
	EINTR         Errno = 4   // Interrupted system call (internal to Xen)
	EIO           Errno = 5   // I/O error
	ENXIO         Errno = 6   // No such device or address
	E2BIG         Errno = 7   // Arg list too long
	ENOEXEC       Errno = 8   // Exec format error
	EBADF         Errno = 9   // Bad file number
	ECHILD        Errno = 10  // No child processes
	EAGAIN        Errno = 11  // Try again
	EWOULDBLOCK   Errno = 11  // Operation would block; aliases EAGAIN
	ENOMEM        Errno = 12  // Out of memory
	EACCES        Errno = 13  // Permission denied
	EFAULT        Errno = 14  // Bad address
	EBUSY         Errno = 16  // Device or resource busy
	EEXIST        Errno = 17  // File exists
	EXDEV         Errno = 18  // Cross-device link
	ENODEV        Errno = 19  // No such device
	ENOTDIR       Errno = 20  // Not a directory
	EISDIR        Errno = 21  // Is a directory
	EINVAL        Errno = 22  // Invalid argument
	ENFILE        Errno = 23  // File table overflow
	EMFILE        Errno = 24  // Too many open files
	ENOSPC        Errno = 28  // No space left on device
	EROFS         Errno = 30  // Read-only file system
	EMLINK        Errno = 31  // Too many links
	EDOM          Errno = 33  // Math argument out of domain of func
	ERANGE        Errno = 34  // Math result not representable
	EDEADLK       Errno = 35  // Resource deadlock would occur
	EDEADLOCK     Errno = 35  // Resource deadlock would occur; aliases EDEADLK
	ENAMETOOLONG  Errno = 36  // File name too long
	ENOLCK        Errno = 37  // No record locks available
	ENOSYS        Errno = 38  // Function not implemented
	ENOTEMPTY     Errno = 39  // Directory not empty
	ENODATA       Errno = 61  // No data available
	ETIME         Errno = 62  // Timer expired
	EBADMSG       Errno = 74  // Not a data message
	EOVERFLOW     Errno = 75  // Value too large for defined data type
	EILSEQ        Errno = 84  // Illegal byte sequence
	ERESTART      Errno = 85  // Interrupted system call should be restarted (internal to Xen)
	ENOTSOCK      Errno = 88  // Socket operation on non-socket
	EMSGSIZE      Errno = 90  // Message too large
	EOPNOTSUPP    Errno = 95  // Operation not supported on transport endpoint
	EADDRINUSE    Errno = 98  // Address already in use
	EADDRNOTAVAIL Errno = 99  // Cannot assign requested address
	ENOBUFS       Errno = 105 // No buffer space available
	EISCONN       Errno = 106 // Transport endpoint is already connected
	ENOTCONN      Errno = 107 // Transport endpoint is not connected
	ETIMEDOUT     Errno = 110 // Connection timed out
	ECONNREFUSED  Errno = 111 // Connection refused
)

// errnoInfo is one line of Xen's errno.h.
type errnoInfo struct {
	name string // the header's name, without the XEN_ prefix
	text string // the header's comment, as Go error text
}

// errnos maps each number to its first name in errno.h, so that aliases
// (EWOULDBLOCK, EDEADLOCK) print as the name Xen's own code uses.
var errnos = map[Errno]errnoInfo{
	EPERM:         {"EPERM", "operation not permitted"},
	ENOENT:        {"ENOENT", "no such file or directory"},
	ESRCH:         {"ESRCH", "no such process"},
	EINTR:         {"EINTR", "interrupted system call"},
	EIO:           {"EIO", "I/O error"},
	ENXIO:         {"ENXIO", "no such device or address"},
	E2BIG:         {"E2BIG", "arg list too long"},
	ENOEXEC:       {"ENOEXEC", "exec format error"},
	EBADF:         {"EBADF", "bad file number"},
	ECHILD:        {"ECHILD", "no child processes"},
	EAGAIN:        {"EAGAIN", "try again"},
	ENOMEM:        {"ENOMEM", "out of memory"},
	EACCES:        {"EACCES", "permission denied"},
	EFAULT:        {"EFAULT", "bad address"},
	EBUSY:         {"EBUSY", "device or resource busy"},
	EEXIST:        {"EEXIST", "file exists"},
	EXDEV:         {"EXDEV", "cross-device link"},
	ENODEV:        {"ENODEV", "no such device"},
	ENOTDIR:       {"ENOTDIR", "not a directory"},
	EISDIR:        {"EISDIR", "is a directory"},
	EINVAL:        {"EINVAL", "invalid argument"},
	ENFILE:        {"ENFILE", "file table overflow"},
	EMFILE:        {"EMFILE", "too many open files"},
	ENOSPC:        {"ENOSPC", "no space left on device"},
	EROFS:         {"EROFS", "read-only file system"},
	EMLINK:        {"EMLINK", "too many links"},
	EDOM:          {"EDOM", "math argument out of domain of func"},
	ERANGE:        {"ERANGE", "math result not representable"},
	EDEADLK:       {"EDEADLK", "resource deadlock would occur"},
	ENAMETOOLONG:  {"ENAMETOOLONG", "file name too long"},
	ENOLCK:        {"ENOLCK", "no record locks available"},
	ENOSYS:        {"ENOSYS", "function not implemented"},
	ENOTEMPTY:     {"ENOTEMPTY", "directory not empty"},
	ENODATA:       {"ENODATA", "no data available"},
	ETIME:         {"ETIME", "timer expired"},
	EBADMSG:       {"EBADMSG", "not a data message"},
	EOVERFLOW:     {"EOVERFLOW", "value too large for defined data type"},
	EILSEQ:        {"EILSEQ", "illegal byte sequence"},
	ERESTART:      {"ERESTART", "interrupted system call should be restarted"},
	ENOTSOCK:      {"ENOTSOCK", "socket operation on non-socket"},
	EMSGSIZE:      {"EMSGSIZE", "message too large"},
	EOPNOTSUPP:    {"EOPNOTSUPP", "operation not supported on transport endpoint"},
	EADDRINUSE:    {"EADDRINUSE", "address already in use"},
	EADDRNOTAVAIL: {"EADDRNOTAVAIL", "cannot assign requested address"},
	ENOBUFS:       {"ENOBUFS", "no buffer space available"},
	EISCONN:       {"EISCONN", "transport endpoint is already connected"},
	ENOTCONN:      {"ENOTCONN", "transport endpoint is not connected"},
	ETIMEDOUT:     {"ETIMEDOUT", "connection timed out"},
	ECONNREFUSED:  {"ECONNREFUSED", "connection refused"},
}

// Error returns the errno's name and meaning, "ENOSYS: function not
// implemented", so that logs show both what a program can match on and what
// it means. A number Xen does not define (a Linux-only errno from privcmd,
// for instance) is described by the host where it can be.
func (e Errno) Error() string {
	if info, ok := errnos[e]; ok {
		return info.name + ": " + info.text
	}
	if s := hostErrnoText(e); s != "" {
		return s
	}
	return "errno " + strconv.Itoa(int(e))
}

// Name returns the errno's name from Xen's errno.h ("ENOSYS"), or "" for a
// number Xen does not define.
func (e Errno) Name() string {
	return errnos[e].name
}
