package xentest

import (
	"fmt"
	"reflect"

	"github.com/xenbind/xenbind/runtime/hypercall"
)

// Hypercalls whose command is not their first argument but the first
// uint32_t of the structure it points to (struct xen_platform_op,
// xen_sysctl and xen_domctl all start with uint32_t cmd).
const (
	hypervisorPlatformOp = 7
	hypervisorSysctl     = 35
	hypervisorDomctl     = 36
)

// commandInStruct reports whether hypercall op carries its command in the
// structure args[0] points to rather than in args[0] itself.
func commandInStruct(op uint64) bool {
	return op == hypervisorPlatformOp || op == hypervisorSysctl || op == hypervisorDomctl
}

// A Command names what a fault or handler applies to: a whole hypercall, one
// command of it, or one sub-command of a command. Build one with [Hypercall]
// or [Cmd], and [Command.Sub].
type Command struct {
	op    uint64
	cmd   uint64
	sub   uint64
	depth int // 0: the hypercall, 1: a command, 2: a sub-command

	// The sub-command is the subSize-byte unsigned integer at subOffset in
	// the command's structure.
	subOffset, subSize int
}

// Hypercall names every call of hypercall op (a __HYPERVISOR_* number such
// as xen.HYPERVISOR_memory_op).
func Hypercall(op uint64) Command {
	return Command{op: op}
}

// Cmd names command cmd of hypercall op, such as
// Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_maximum_reservation). The command
// is the hypercall's first argument (without the continuation bits Xen keeps
// above MEMOP_CMD_MASK and GNTTABOP_CMD_MASK), or for platform_op, sysctl and
// domctl the cmd member at the start of the structure the first argument
// points to (Cmd(xen.HYPERVISOR_domctl, xen.XEN_DOMCTL_createdomain)).
func Cmd(op, cmd uint64) Command {
	return Command{op: op, cmd: cmd, depth: 1}
}

// Sub narrows c, a command, to one sub-command: the calls whose structure
// (the one the command's argument points to: the second argument, or the
// first for platform_op, sysctl and domctl) holds sub in its size-byte
// unsigned member at byte offset (size 1, 2, 4 or 8, in the host's byte
// order). For example XENMEM_access_op's sub-operation is the uint8_t op at
// offset 0 of struct xen_mem_access_op:
//
//	xentest.Cmd(xen.HYPERVISOR_memory_op, xen.XENMEM_access_op).Sub(0, 1, xen.XENMEM_access_op_set_access)
//
// Sub panics if c is not a command or size is not one of 1, 2, 4, 8: both
// are mistakes in the test's own code.
func (c Command) Sub(offset, size int, sub uint64) Command {
	if c.depth != 1 {
		panic("xentest: Sub of something that is not a Cmd")
	}
	if size != 1 && size != 2 && size != 4 && size != 8 || offset < 0 {
		panic(fmt.Sprintf("xentest: Sub(%d, %d, ...): size must be 1, 2, 4 or 8 and offset not negative", offset, size))
	}
	c.sub, c.subOffset, c.subSize, c.depth = sub, offset, size, 2
	return c
}

// String describes c for messages.
func (c Command) String() string {
	switch c.depth {
	case 0:
		return fmt.Sprintf("hypercall %d", c.op)
	case 1:
		return fmt.Sprintf("hypercall %d command %d", c.op, c.cmd)
	}
	return fmt.Sprintf("hypercall %d command %d sub-command %d (%d bytes at %d)", c.op, c.cmd, c.sub, c.subSize, c.subOffset)
}

// action is what the double does for a matched Command instead of its
// simulation: run fn, or fail with err or status.
type action struct {
	c         Command
	fn        HandlerFunc
	err       error
	status    int16
	hasStatus bool
}

// Fail makes every call that c names fail with err while everything else
// keeps its simulated behaviour. err is what the hypercall returns: a
// [hypercall.Errno] such as hypercall.EPERM, as Xen's -errno. A status type
// (an error whose type is an int16, such as the generated xen.GNTST) is
// instead reported the way Xen reports it: the hypercall succeeds and the
// status is written into the status member of each entry of the batch (for
// the GNTTABOP commands that have one; see [Hypervisor.FailStatus]). A nil
// err removes what Fail or HandleCommand installed for c.
//
// The most specific match wins: a sub-command's fault over its command's,
// a command's over its hypercall's, and any of them over a handler installed
// with [Hypervisor.Handle].
func (h *Hypervisor) Fail(c Command, err error) {
	if err == nil {
		h.set(c, nil)
		return
	}
	if v := reflect.ValueOf(err); v.Kind() == reflect.Int16 {
		h.FailStatus(c, int16(v.Int()))
		return
	}
	h.set(c, &action{c: c, err: err})
}

// FailStatus makes every call that c names report status (a GNTST_* value)
// in the status member of each entry, and otherwise succeed, as Xen does
// when a grant-table operation fails. c must name a GNTTABOP command that
// has a status member (every one but set_version, get_version and
// cache_flush); FailStatus panics otherwise, a mistake in the test.
func (h *Hypervisor) FailStatus(c Command, status int16) {
	if c.op != hypervisorGrantTableOp || c.depth != 1 {
		panic(fmt.Sprintf("xentest: FailStatus(%v): statuses are reported by GNTTABOP commands only", c))
	}
	if _, ok := gnttabStatusOf(c.cmd); !ok {
		panic(fmt.Sprintf("xentest: FailStatus: GNTTABOP command %d has no status member", c.cmd))
	}
	h.set(c, &action{c: c, status: status, hasStatus: true})
}

// HandleCommand makes fn simulate every call that c names (one command or
// sub-command of a hypercall) in place of the built-in simulation, while the
// hypercall's other commands keep theirs. A nil fn removes it.
func (h *Hypervisor) HandleCommand(c Command, fn HandlerFunc) {
	if fn == nil {
		h.set(c, nil)
		return
	}
	h.set(c, &action{c: c, fn: fn})
}

// set installs a (nil: removes) the action for c.
func (h *Hypervisor) set(c Command, a *action) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, old := range h.actions {
		if old.c == c {
			if a == nil {
				h.actions = append(h.actions[:i], h.actions[i+1:]...)
			} else {
				h.actions[i] = a
			}
			return
		}
	}
	if a != nil {
		h.actions = append(h.actions, a)
	}
}

// match returns the most specific action installed for this call, or nil.
// h.mu must not be held: reading the command may resolve an argument.
func (h *Hypervisor) match(op uint64, args [5]uint64) *action {
	h.mu.Lock()
	var cands []*action
	for _, a := range h.actions {
		if a.c.op == op {
			cands = append(cands, a)
		}
	}
	h.mu.Unlock()
	if len(cands) == 0 {
		return nil
	}
	cmd, structArg, cmdOK := h.command(op, args)
	var best *action
	for _, a := range cands {
		switch a.c.depth {
		case 1:
			if !cmdOK || a.c.cmd != cmd {
				continue
			}
		case 2:
			if !cmdOK || a.c.cmd != cmd {
				continue
			}
			sub, ok := h.readUint(structArg, a.c.subOffset, a.c.subSize)
			if !ok || sub != a.c.sub {
				continue
			}
		}
		if best == nil || a.c.depth > best.c.depth {
			best = a
		}
	}
	return best
}

// command returns the command of a call of op and the address of the
// structure its sub-commands live in.
func (h *Hypervisor) command(op uint64, args [5]uint64) (cmd, structArg uint64, ok bool) {
	switch {
	case commandInStruct(op):
		c, ok := h.readUint(args[0], 0, 4)
		return c, args[0], ok
	case op == hypervisorMemoryOp:
		return args[0] & memopCmdMask, args[1], true
	case op == hypervisorGrantTableOp:
		return args[0] & gnttabopCmdMask, args[1], true
	}
	return args[0], args[1], true
}

// readUint reads a size-byte unsigned integer at addr+off from a live
// buffer.
func (h *Hypervisor) readUint(addr uint64, off, size int) (uint64, bool) {
	mem, err := h.pool.Resolve(addr, off+size)
	if err != nil {
		return 0, false
	}
	b := mem[off : off+size]
	switch size {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(native.Uint16(b)), true
	case 4:
		return uint64(native.Uint32(b)), true
	}
	return native.Uint64(b), true
}

// run carries out a matched action.
func (h *Hypervisor) run(a *action, args [5]uint64) (uint64, error) {
	switch {
	case a.fn != nil:
		return a.fn(args)
	case a.hasStatus:
		return h.writeStatus(a.c.cmd, args[1], args[2], a.status)
	}
	return 0, a.err
}

// writeStatus stores status in each of the count entries at uop, as Xen
// does for a failed grant-table operation.
func (h *Hypervisor) writeStatus(cmd, uop, count uint64, status int16) (uint64, error) {
	st, _ := gnttabStatusOf(cmd)
	if count == 0 {
		return 0, nil
	}
	if count > 1<<20 {
		return 0, hypercall.EINVAL
	}
	mem, err := h.pool.Resolve(uop, int(count)*st.size)
	if err != nil {
		return 0, err
	}
	for i := range int(count) {
		putInt16(mem[i*st.size+st.offset:], status)
	}
	return 0, nil
}

// gnttabStatus is where a GNTTABOP command's structure keeps its int16_t
// status, and the structure's size (the stride of a batch).
type gnttabStatus struct{ offset, size int }

// gnttabStatusOf returns the status member of GNTTABOP command cmd's
// structure on this host's Xen architecture. Only x86_32 differs: its
// xen_pfn_t and guest handles are 4 bytes and its uint64_t is aligned to 4;
// arm32 has 8-byte xen_pfn_t and handles. The tests check every entry
// against the generated types, which golden/ checks against gcc.
func gnttabStatusOf(cmd uint64) (gnttabStatus, bool) {
	x86_32 := xenULongSize == 4
	switch cmd {
	case 0: // struct gnttab_map_grant_ref
		return gnttabStatus{18, 32}, true
	case 1: // struct gnttab_unmap_grant_ref
		return gnttabStatus{20, 24}, true
	case 2: // struct gnttab_setup_table
		if x86_32 {
			return gnttabStatus{8, 16}, true
		}
		return gnttabStatus{8, 24}, true
	case 3: // struct gnttab_dump_table
		return gnttabStatus{2, 4}, true
	case 4: // struct gnttab_transfer
		if x86_32 {
			return gnttabStatus{12, 16}, true
		}
		return gnttabStatus{16, 24}, true
	case 5: // struct gnttab_copy
		if x86_32 {
			return gnttabStatus{20, 24}, true
		}
		return gnttabStatus{36, 40}, true
	case gnttabopQuerySize: // struct gnttab_query_size
		return gnttabStatus{querySizeStatus, querySizeSize}, true
	case 7: // struct gnttab_unmap_and_replace
		return gnttabStatus{20, 24}, true
	case 9: // struct gnttab_get_status_frames
		if x86_32 {
			return gnttabStatus{6, 12}, true
		}
		return gnttabStatus{6, 16}, true
	case 11: // struct gnttab_swap_grant_ref
		return gnttabStatus{8, 12}, true
	}
	return gnttabStatus{}, false
}
