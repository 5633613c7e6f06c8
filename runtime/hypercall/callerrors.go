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
