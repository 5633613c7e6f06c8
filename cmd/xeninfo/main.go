// Command xeninfo prints what a Xen dom0 sees of its hypervisor: the Xen
// version and extra version, the capabilities, the page size, this domain's
// current and maximum memory reservation, the highest RAM page, and the size
// and version of its grant table. It is built on the generated bindings
// (generated/xen) and Linux's privcmd driver, with no cgo and no libxc, so a
// static binary runs in a minimal dom0.
//
// Usage:
//
//	xeninfo [-json]
//
// -json prints one JSON object for scripts instead of text.
//
// xeninfo must run as root in a Xen domain with privcmd (the xen-privcmd
// module, /dev/xen/privcmd); it says so plainly when it is not, and when a
// 32-bit build runs on a 64-bit kernel, whose privcmd cannot serve it. The
// exit status is 2 for a usage error and 1 for any other failure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"strings"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/hypercall"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	if err == nil {
		return
	}
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "xeninfo: %v\n", err)
	}
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	os.Exit(1)
}

// usageError marks a bad command line.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

const usage = "usage: xeninfo [-json]"

// opener returns the Caller the queries go through and a function that
// releases it. Tests replace openPrivcmd with the xentest double.
type opener func() (hypercall.Caller, func() error, error)

// open is the opener run uses: privcmd on Linux.
var open opener = openPrivcmd

func run(args []string, stdout io.Writer) error {
	fset := flag.NewFlagSet("xeninfo", flag.ContinueOnError)
	fset.SetOutput(io.Discard) // errors are returned, and printed once by main
	jsonOut := fset.Bool("json", false, "print one JSON object for scripts")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "%s\n  -json\tprint one JSON object for scripts\n", usage)
			return err
		}
		return usageError{fmt.Errorf("%w (%s)", err, usage)}
	}
	if fset.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (%s)", fset.Arg(0), usage)}
	}
	c, closeCaller, err := open()
	if err != nil {
		return explain(err)
	}
	info, err := collect(c)
	if cerr := closeCaller(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return explain(err)
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	return info.writeText(stdout)
}

// explain turns the failures a user can do something about into a
// sentence saying what; the error itself stays wrapped.
func explain(err error) error {
	var c32 hypercall.Compat32Error
	switch {
	case errors.As(err, &c32):
		return err // its text says what to do
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotLinux):
		return fmt.Errorf("not running on Xen (no privcmd device): %w", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("no privilege: run xeninfo as root in dom0: %w", err)
	}
	return err
}

// Info is what xeninfo reports; its JSON form is the -json output.
type Info struct {
	// Version is Xen's major.minor version, ExtraVersion what follows it
	// (".5", "-rc").
	Version      string `json:"version"`
	ExtraVersion string `json:"extra_version"`
	// Capabilities are the guest ABIs Xen can run ("xen-3.0-x86_64",
	// "hvm-3.0-x86_32p").
	Capabilities []string `json:"capabilities"`
	// PageSize is the hypervisor's page size in bytes.
	PageSize uint64 `json:"page_size"`
	// CurrentPages and MaxPages are this domain's current and maximum
	// memory reservation, in pages.
	CurrentPages uint64 `json:"current_reservation_pages"`
	MaxPages     uint64 `json:"maximum_reservation_pages"`
	// MaxRAMPage is the highest machine frame number of RAM.
	MaxRAMPage uint64 `json:"maximum_ram_page"`
	// GrantFrames, MaxGrantFrames and GrantVersion describe this domain's
	// grant table.
	GrantFrames    uint32 `json:"grant_table_frames"`
	MaxGrantFrames uint32 `json:"grant_table_max_frames"`
	GrantVersion   uint32 `json:"grant_table_version"`
}

// collect asks Xen. Each failure names the query it comes from.
func collect(c hypercall.Caller) (*Info, error) {
	var in Info
	v, err := xen.XenverVersion(c)
	if err != nil {
		return nil, fmt.Errorf("query the version: %w", err)
	}
	in.Version = v.String()
	ev, err := xen.XenverExtraversion(c)
	if err != nil {
		return nil, fmt.Errorf("query the extra version: %w", err)
	}
	in.ExtraVersion = hypercall.CString(ev[:])
	caps, err := xen.XenverCapabilities(c)
	if err != nil {
		return nil, fmt.Errorf("query the capabilities: %w", err)
	}
	in.Capabilities = strings.Fields(hypercall.CString(caps[:]))
	if in.Capabilities == nil {
		in.Capabilities = []string{}
	}
	if in.PageSize, err = xen.XenverPagesize(c); err != nil {
		return nil, fmt.Errorf("query the page size: %w", err)
	}
	if in.CurrentPages, err = xen.XenmemCurrentReservation(c, xen.DOMID_SELF); err != nil {
		return nil, fmt.Errorf("query this domain's current reservation: %w", err)
	}
	if in.MaxPages, err = xen.XenmemMaximumReservation(c, xen.DOMID_SELF); err != nil {
		return nil, fmt.Errorf("query this domain's maximum reservation: %w", err)
	}
	if in.MaxRAMPage, err = xen.XenmemMaximumRAMPage(c); err != nil {
		return nil, fmt.Errorf("query the maximum RAM page: %w", err)
	}
	if in.GrantFrames, in.MaxGrantFrames, err = xen.GnttabopQuerySize(c, xen.DOMID_SELF); err != nil {
		return nil, fmt.Errorf("query the grant table size: %w", err)
	}
	if in.GrantVersion, err = xen.GnttabopGetVersion(c, xen.DOMID_SELF); err != nil {
		return nil, fmt.Errorf("query the grant table version: %w", err)
	}
	return &in, nil
}

// writeText prints the report for people.
func (in *Info) writeText(w io.Writer) error {
	pages := func(n uint64) string {
		hi, size := bits.Mul64(n, in.PageSize)
		if hi != 0 {
			return fmt.Sprintf("%d pages (no limit)", n) // ~0: Xen sets no maximum
		}
		return fmt.Sprintf("%d pages (%s)", n, bytesText(size))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Xen version:          %s%s\n", in.Version, in.ExtraVersion)
	fmt.Fprintf(&b, "Capabilities:         %s\n", strings.Join(in.Capabilities, " "))
	fmt.Fprintf(&b, "Page size:            %d bytes\n", in.PageSize)
	fmt.Fprintf(&b, "Current reservation:  %s\n", pages(in.CurrentPages))
	fmt.Fprintf(&b, "Maximum reservation:  %s\n", pages(in.MaxPages))
	fmt.Fprintf(&b, "Maximum RAM page:     %#x\n", in.MaxRAMPage)
	fmt.Fprintf(&b, "Grant table:          %d of %d frames, version %d\n", in.GrantFrames, in.MaxGrantFrames, in.GrantVersion)
	_, err := io.WriteString(w, b.String())
	return err
}

// bytesText spells a size in the largest binary unit that keeps it whole
// or above 1, for a reader ("512 MiB").
func bytesText(n uint64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	v := float64(n)
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	if v == float64(uint64(v)) {
		return fmt.Sprintf("%d %s", uint64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
