package parser

// Target names one of the Xen architectures xenbind generates for.
// Its values are Xen's own spellings, as in foreign/<target>.h.
type Target string

const (
	X86_32 Target = "x86_32"
	X86_64 Target = "x86_64"
	ARM32  Target = "arm32"
	ARM64  Target = "arm64"
)

// Targets lists every supported target in canonical order.
var Targets = []Target{X86_32, X86_64, ARM32, ARM64}

// Mode selects which part of the interface the headers expose.
type Mode string

const (
	// Guest is the interface of a guest kernel: __XEN_INTERFACE_VERSION__
	// is set to the tree's __XEN_LATEST_INTERFACE_VERSION__.
	Guest Mode = "guest"
	// Tools is the interface of the toolstack: __XEN_TOOLS__ is defined,
	// which also enables domctl, sysctl and the memory-sharing interface.
	Tools Mode = "tools"
)

// Modes lists both modes in canonical order.
var Modes = []Mode{Guest, Tools}
