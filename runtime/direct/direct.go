// Package direct issues Xen hypercalls from Go running in guest kernel
// context, such as a unikernel, where there is no Linux privcmd to ask.
//
// A hypercall is a trap with the operation and its arguments in registers,
// so each architecture has a small assembly stub (hypercall_<goarch>.s):
//   - amd64 and 386 call into the hypercall page Xen filled in, at
//     page+op*32, or, where no page is given (HVM and PVH guests), trap with
//     VMCALL on Intel or VMMCALL on AMD;
//   - arm and arm64 trap with HVC #0xEA1.
//
// The stubs execute privileged instructions: from a Linux process they
// crash it (SIGILL or SIGSEGV). The tests therefore check the x86 calling
// convention through a hypercall page of their own and the ARM instruction
// encodings by disassembly.
//
// Xen takes hypercall arguments that point to memory as guest virtual
// addresses and reads them without faulting pages in. A [Caller] gets such
// memory for Alloc from a [hypercall.Memory] the guest kernel supplies.
package direct

import (
	"errors"
	"fmt"
	"math"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// Config says how to reach Xen and where buffers come from.
type Config struct {
	// Page is the guest virtual address of the hypercall page Xen filled in
	// (x86 only: the guest names the page through the MSR that CPUID leaf
	// 0x40000002 reports). A hypercall calls Page+op*32. Zero traps
	// directly with VMCALL or VMMCALL, chosen by CPUID vendor, which works
	// in HVM and PVH guests but not in PV ones. Must be zero on arm and
	// arm64, where every hypercall is HVC.
	Page uintptr
	// Memory supplies Alloc's buffers: memory mapped at a fixed guest
	// virtual address, never paged out, and the address to give Xen for
	// it, which in guest kernel context is the virtual address itself.
	// Nil makes Alloc fail, for programs whose hypercalls take no memory.
	Memory hypercall.Memory
	// PageSize is Memory's granule and the unit in which Alloc writes
	// pages once before Xen sees them; zero means 4096, Xen's page size.
	PageSize int
}

// trapFunc issues hypercall op with arguments a and returns the raw result
// register.
type trapFunc func(op uintptr, a [5]uintptr) uintptr

// Caller issues hypercalls with the stubs of the running architecture. It
// implements hypercall.Caller and is safe for concurrent use.
type Caller struct {
	trap trapFunc
	pool *hypercall.Pool // nil without Config.Memory
}

var _ hypercall.Caller = (*Caller)(nil)

// errNoMemory is Alloc's error when Config.Memory was nil.
var errNoMemory = errors.New("direct: allocate: no Config.Memory to allocate from")

// New returns a Caller for cfg.
func New(cfg Config) (*Caller, error) {
	trap, err := newTrap(cfg.Page)
	if err != nil {
		return nil, err
	}
	c := &Caller{trap: trap}
	if cfg.Memory != nil {
		pageSize := cfg.PageSize
		if pageSize == 0 {
			pageSize = 4096
		}
		if c.pool, err = hypercall.NewPool(cfg.Memory, pageSize); err != nil {
			return nil, fmt.Errorf("direct: %w", err)
		}
	}
	return c, nil
}

// maxErrno bounds the negative results that are errors: as in Linux's
// system calls, -4095..-1. Anything else is a result, however large.
const maxErrno = 4095

// Call issues hypercall op. On 32-bit architectures the registers are 32
// bits wide: an op or argument that does not fit is refused with EINVAL
// rather than silently truncated.
func (c *Caller) Call(op uint64, args [5]uint64) (uint64, error) {
	if op > math.MaxUint {
		return 0, fmt.Errorf("direct: hypercall %#x: op does not fit a register: %w", op, hypercall.EINVAL)
	}
	var a [5]uintptr
	for i, v := range args {
		if v > math.MaxUint {
			return 0, fmt.Errorf("direct: hypercall %d: argument %d (%#x) does not fit a register: %w", op, i+1, v, hypercall.EINVAL)
		}
		a[i] = uintptr(v)
	}
	r := c.trap(uintptr(op), a)
	if v := int(r); v < 0 && v >= -maxErrno {
		return 0, hypercall.Errno(-v)
	}
	return uint64(r), nil
}

// Alloc returns a zeroed buffer of n bytes from Config.Memory, every page
// of it written once.
func (c *Caller) Alloc(n int) (*hypercall.Buffer, error) {
	if c.pool == nil {
		return nil, errNoMemory
	}
	b, err := c.pool.Alloc(n)
	if err != nil {
		return nil, fmt.Errorf("direct: %w", err)
	}
	return b, nil
}

// Close gives the idle buffers back to Config.Memory; Alloc fails after it.
func (c *Caller) Close() error {
	if c.pool == nil {
		return nil
	}
	return c.pool.Close()
}
