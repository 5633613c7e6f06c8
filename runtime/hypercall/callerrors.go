package hypercall

import (
	"strconv"
	"strings"
)

// ArgError reports an argument a wrapper refused before the hypervisor saw
// it, because the header says Xen requires otherwise (XENMEM_exchange's
// extent lists must not overlap; a grant copy must not cross a page) or
// because it cannot be expressed (a slice too long for its count member).
type ArgError struct {
	// Op is the C name of the command, "XENMEM_exchange".
	Op string
	// Field is the C member or parameter at fault, "out.extent_start".
	Field string
	// Entry is the index of the offending element of a batch, or -1.
	Entry int
	// Reason says what is wrong.
	Reason string
}

// Error returns "XENMEM_exchange: out.extent_start: overlaps
// in.extent_start", with "[3]" after the op for an entry of a batch.
func (e *ArgError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Entry >= 0 {
		b.WriteString("[" + strconv.Itoa(e.Entry) + "]")
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// EntryError is the failure of one entry of a batched hypercall.
type EntryError struct {
	Index int
	Err   error
}

// BatchError reports the entries of a batched hypercall that failed, such
// as the maps of a GNTTABOP_map_grant_ref batch whose status is not
// GNTST_okay: Xen completes the hypercall and reports each entry's outcome
// in the entry. The other entries succeeded.
//
// errors.Is and errors.As see the entries' errors, so
// errors.Is(err, xen.GNTST_eagain) asks whether any entry must be retried.
type BatchError struct {
	// Op is the C name of the command.
	Op string
	// Entries lists the failed entries in index order.
	Entries []EntryError
}

// Add records that entry index failed with err. It may be called on a nil
// *BatchError, which it then allocates: a batch that succeeds costs no
// allocation.
func (e *BatchError) Add(op string, index int, err error) *BatchError {
	if e == nil {
		e = &BatchError{Op: op}
	}
	e.Entries = append(e.Entries, EntryError{Index: index, Err: err})
	return e
}

// Error lists the failed entries: "GNTTABOP_copy: 2 entries failed:
// [0] bad page; [3] invalid grant reference".
func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": ")
	if len(e.Entries) == 1 {
		b.WriteString("1 entry failed: ")
	} else {
		b.WriteString(strconv.Itoa(len(e.Entries)) + " entries failed: ")
	}
	for i, en := range e.Entries {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("[" + strconv.Itoa(en.Index) + "] " + en.Err.Error())
	}
	return b.String()
}

// Unwrap returns the entries' errors.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Entries))
	for i, en := range e.Entries {
		errs[i] = en.Err
	}
	return errs
}

// Failed reports whether entry index failed, and its error.
func (e *BatchError) Failed(index int) (error, bool) {
	for _, en := range e.Entries {
		if en.Index == index {
			return en.Err, true
		}
	}
	return nil, false
}

// CodeError is a failure a command reports with a result code of its own
// rather than an errno: XENMEM_sharing_op returns
// XENMEM_SHARING_OP_S_HANDLE_INVALID (-10) when the source handle is stale,
// which as an errno would read ECHILD. The generated package declares one
// variable per code; compare with errors.Is.
type CodeError struct {
	// Name is the C name of the code.
	Name string
	// Code is its value, as Xen returns it (negative).
	Code int
	// Text says what it means.
	Text string
}

// Error returns the code's name and meaning.
func (e *CodeError) Error() string {
	return e.Name + ": " + e.Text
}

// VersionError reports a domctl or sysctl that Xen refused with EACCES
// because the interface_version it carried is not the hypervisor's: the
// bindings were generated from headers of another Xen release. Xen checks
// the version before anything else, so nothing was done.
type VersionError struct {
	// Op is the C name of the command, "XEN_DOMCTL_getdomaininfo".
	Op string
	// Interface names the version macro, "XEN_DOMCTL_INTERFACE_VERSION".
	Interface string
	// Sent is the version the call carried.
	Sent uint32
	// Generated is the version the bindings were generated for; Sent
	// differs from it only when the caller set the version by hand.
	Generated uint32
	// Err is the hypervisor's error, EACCES.
	Err error
}

// Error says which version was sent and that the hypervisor speaks
// another.
func (e *VersionError) Error() string {
	s := e.Op + ": the hypervisor refused " + e.Interface + " " + hex32(e.Sent)
	if e.Sent == e.Generated {
		s += ", the version these bindings were generated for"
	} else {
		s += " (these bindings were generated for " + hex32(e.Generated) + ")"
	}
	return s + ": it speaks another (" + e.Err.Error() + ")"
}

// Unwrap returns the hypervisor's error.
func (e *VersionError) Unwrap() error { return e.Err }

// hex32 spells a version as the headers do, 0x00000015.
func hex32(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return "0x" + strings.Repeat("0", 8-len(s)) + s
}

// InterfaceError reports a domctl or sysctl that was not sent because the
// bindings have no layout for it in the interface version the running
// hypervisor speaks: bindings that choose the layout at run time (the
// output of "xenbind dispatch", such as package generated/dom0) return it
// instead of sending a request Xen would refuse or misread.
type InterfaceError struct {
	// Op is the C name of the command, "XEN_DOMCTL_createdomain".
	Op string
	// Interface names the version macro, "XEN_DOMCTL_INTERFACE_VERSION".
	Interface string
	// Release is the hypervisor's Xen release, "4.18".
	Release string
	// Speaks is the interface version of that release, or 0 when the
	// bindings do not know the release.
	Speaks uint32
	// Have lists the interface versions the bindings have Op for.
	Have []uint32
}

// Error names the version the hypervisor speaks and the ones the bindings
// have.
func (e *InterfaceError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": ")
	if e.Speaks == 0 {
		b.WriteString("these bindings do not know which " + e.Interface + " Xen " + e.Release + " speaks")
	} else {
		b.WriteString("Xen " + e.Release + " speaks " + e.Interface + " " + hex32(e.Speaks) + ", for which these bindings have no layout")
	}
	b.WriteString(" (they have")
	for i, v := range e.Have {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + hex32(v))
	}
	if len(e.Have) == 0 {
		b.WriteString(" none")
	}
	b.WriteString("): nothing was sent")
	return b.String()
}

// MemberError reports a request member the caller set that the interface
// version the running hypervisor speaks does not have (a member added in
// a later release): sending the request without it would silently drop
// what the caller asked for, so nothing was sent. Members the running
// version lacks may be left zero.
type MemberError struct {
	// Op is the C name of the command, "XEN_DOMCTL_createdomain".
	Op string
	// Member is the Go path of the member, "arg.AltP2MOpts" or
	// "buffer[2].Arch.SveVl".
	Member string
	// Interface names the version macro, "XEN_DOMCTL_INTERFACE_VERSION".
	Interface string
	// Release is the hypervisor's Xen release, "4.17".
	Release string
	// Speaks is the interface version the hypervisor speaks.
	Speaks uint32
}

// Error names the member and the version that lacks it.
func (e *MemberError) Error() string {
	return e.Op + ": " + e.Member + " is set, but " + e.Interface + " " + hex32(e.Speaks) +
		" (Xen " + e.Release + "), which the hypervisor speaks, has no such member: nothing was sent"
}
