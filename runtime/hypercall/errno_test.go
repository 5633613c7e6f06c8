package hypercall

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/xenbind/xenbind/runtime/internal/headertree"
)

// byName lists every Errno constant under its header name, so the test can
// compare the Go constants with errno.h line by line.
var byName = map[string]Errno{
	"EPERM": EPERM, "ENOENT": ENOENT, "ESRCH": ESRCH, "EINTR": EINTR, "EIO": EIO,
	"ENXIO": ENXIO, "E2BIG": E2BIG, "ENOEXEC": ENOEXEC, "EBADF": EBADF, "ECHILD": ECHILD,
	"EAGAIN": EAGAIN, "EWOULDBLOCK": EWOULDBLOCK, "ENOMEM": ENOMEM, "EACCES": EACCES,
	"EFAULT": EFAULT, "EBUSY": EBUSY, "EEXIST": EEXIST, "EXDEV": EXDEV, "ENODEV": ENODEV,
	"ENOTDIR": ENOTDIR, "EISDIR": EISDIR, "EINVAL": EINVAL, "ENFILE": ENFILE,
	"EMFILE": EMFILE, "ENOSPC": ENOSPC, "EROFS": EROFS, "EMLINK": EMLINK, "EDOM": EDOM,
	"ERANGE": ERANGE, "EDEADLK": EDEADLK, "EDEADLOCK": EDEADLOCK,
	"ENAMETOOLONG": ENAMETOOLONG, "ENOLCK": ENOLCK, "ENOSYS": ENOSYS,
	"ENOTEMPTY": ENOTEMPTY, "ENODATA": ENODATA, "ETIME": ETIME, "EBADMSG": EBADMSG,
	"EOVERFLOW": EOVERFLOW, "EILSEQ": EILSEQ, "ERESTART": ERESTART, "ENOTSOCK": ENOTSOCK,
	"EMSGSIZE": EMSGSIZE, "EOPNOTSUPP": EOPNOTSUPP, "EADDRINUSE": EADDRINUSE,
	"EADDRNOTAVAIL": EADDRNOTAVAIL, "ENOBUFS": ENOBUFS, "EISCONN": EISCONN,
	"ENOTCONN": ENOTCONN, "ETIMEDOUT": ETIMEDOUT, "ECONNREFUSED": ECONNREFUSED,
}

// headerErrno is one XEN_ERRNO(name, value) /* comment */ line of errno.h.
type headerErrno struct {
	name    string
	value   Errno
	comment string
}

var errnoLine = regexp.MustCompile(`(?m)^XEN_ERRNO\(\s*(\w+)\s*,\s*(\d+)\s*\)\s*/\*\s*(.*?)\s*\*/`)

// parseErrnoH returns the XEN_ERRNO lines of errno.h's text in order.
func parseErrnoH(t *testing.T, text string) []headerErrno {
	t.Helper()
	var out []headerErrno
	for _, m := range errnoLine.FindAllStringSubmatch(text, -1) {
		v, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatalf("errno.h: %s: bad value %q", m[1], m[2])
		}
		out = append(out, headerErrno{name: m[1], value: Errno(v), comment: m[3]})
	}
	if len(out) < 40 {
		t.Fatalf("errno.h: found only %d XEN_ERRNO lines; has the format changed?", len(out))
	}
	return out
}

// errorText turns a header comment into Go error text: no trailing period,
// and a lower-case first word unless it is an acronym ("I/O error").
func errorText(comment string) string {
	s := strings.TrimSuffix(comment, ".")
	r, n := utf8.DecodeRuneInString(s)
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsLower(next) {
		return string(unicode.ToLower(r)) + s[n:]
	}
	return s
}

func TestErrnoTableMatchesHeader(t *testing.T) {
	lines := parseErrnoH(t, headertree.Read(t, "errno.h"))
	seen := map[string]bool{}
	first := map[Errno]string{}
	for _, l := range lines {
		seen[l.name] = true
		c, ok := byName[l.name]
		if !ok {
			t.Errorf("errno.h defines %s = %d; the package has no constant for it", l.name, l.value)
			continue
		}
		if c != l.value {
			t.Errorf("%s = %d, errno.h says %d", l.name, c, l.value)
		}
		if _, alias := first[l.value]; alias {
			continue
		}
		first[l.value] = l.name
		want := errnoInfo{name: l.name, text: errorText(l.comment)}
		if got := errnos[l.value]; got != want {
			t.Errorf("errnos[%d] = %+v, errno.h says %+v", l.value, got, want)
		}
	}
	for name := range byName {
		if !seen[name] {
			t.Errorf("constant %s is not in errno.h", name)
		}
	}
	if len(errnos) != len(first) {
		t.Errorf("errnos has %d numbers, errno.h %d", len(errnos), len(first))
	}
}

func TestErrnoError(t *testing.T) {
	tests := []struct {
		err  Errno
		want string
	}{
		{ENOSYS, "ENOSYS: function not implemented"},
		{EPERM, "EPERM: operation not permitted"},
		{ESRCH, "ESRCH: no such process"},
		{EIO, "EIO: I/O error"},
		{EWOULDBLOCK, "EAGAIN: try again"},
		{EDEADLOCK, "EDEADLK: resource deadlock would occur"},
		{Errno(100000), "errno 100000"},
		{Errno(-3), "errno -3"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Errno(%d).Error() = %q, want %q", int(tt.err), got, tt.want)
		}
	}
}

func TestErrnoName(t *testing.T) {
	for name, e := range byName {
		got := e.Name()
		// Aliases print as the name errno.h gives first.
		if got != name && !(name == "EWOULDBLOCK" && got == "EAGAIN") && !(name == "EDEADLOCK" && got == "EDEADLK") {
			t.Errorf("%s.Name() = %q", name, got)
		}
	}
	if got := Errno(1000).Name(); got != "" {
		t.Errorf("Errno(1000).Name() = %q, want \"\"", got)
	}
}

func TestErrnoWrapped(t *testing.T) {
	err := fmt.Errorf("xen_version: %w", ENOSYS)
	if !errors.Is(err, ENOSYS) {
		t.Errorf("errors.Is(%v, ENOSYS) = false", err)
	}
	if errors.Is(err, EPERM) {
		t.Errorf("errors.Is(%v, EPERM) = true", err)
	}
	var e Errno
	if !errors.As(err, &e) || e != ENOSYS {
		t.Errorf("errors.As(%v) = %v, want ENOSYS", err, e)
	}
}

// sink keeps the conversions below from being optimised away.
var sink error

// fail returns e as an error the way a Caller does.
//
//go:noinline
func fail(e Errno) error { return e }

func TestErrnoDoesNotAllocate(t *testing.T) {
	for _, e := range []Errno{EPERM, ENOSYS, EFAULT, ECONNREFUSED} {
		if n := testing.AllocsPerRun(100, func() { sink = fail(e) }); n != 0 {
			t.Errorf("returning %v allocates %v times", e, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { sink = Compat32Error{} }); n != 0 {
		t.Errorf("returning Compat32Error allocates %v times", n)
	}
}

func TestCompat32ErrorMessage(t *testing.T) {
	msg := Compat32Error{}.Error()
	for _, want := range []string{"32-bit process", "64-bit kernel", "cannot use privcmd"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Compat32Error message %q does not say %q", msg, want)
		}
	}
	var c Compat32Error
	if !errors.As(fmt.Errorf("privcmd: %w", Compat32Error{}), &c) {
		t.Error("errors.As does not find a wrapped Compat32Error")
	}
}
