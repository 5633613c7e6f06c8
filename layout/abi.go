package layout

import (
	"fmt"

	"github.com/xenbind/xenbind/parser"
)

// ABI is the C ABI of one target: what the layout algorithm needs to know
// about its scalar types. All sizes and alignments are in bytes.
type ABI struct {
	Target parser.Target
	// GOARCH is the Go architecture with the same C ABI.
	GOARCH string
	// PointerSize is the size and alignment of data and function pointers.
	PointerSize int64
	// LongSize is the size and alignment of long and unsigned long.
	LongSize int64
	// Int64Align is the alignment of long long and double as struct
	// members: 4 on i386 (System V i386 ABI), 8 under AAPCS and x86-64.
	Int64Align int64
	// LongDoubleSize and LongDoubleAlign describe long double as a member.
	LongDoubleSize, LongDoubleAlign int64
	// Int128 says whether __int128 exists (64-bit targets only).
	Int128 bool
	// BiggestAlign is what a bare __attribute__((aligned)) means.
	BiggestAlign int64
	// AlignAnonBitfields: an unnamed bit-field raises the record's
	// alignment to its type's, as a named one does (AAPCS and AAPCS64).
	AlignAnonBitfields bool
	// GoAlign64 is Go's alignment of uint64 on this GOARCH. Where it is
	// lower than C's, Go structs need explicit padding.
	GoAlign64 int64
}

// ABIs is the table of the four targets.
var ABIs = []ABI{
	{Target: parser.X86_32, GOARCH: "386", PointerSize: 4, LongSize: 4, Int64Align: 4,
		LongDoubleSize: 12, LongDoubleAlign: 4, BiggestAlign: 16, GoAlign64: 4},
	{Target: parser.X86_64, GOARCH: "amd64", PointerSize: 8, LongSize: 8, Int64Align: 8,
		LongDoubleSize: 16, LongDoubleAlign: 16, Int128: true, BiggestAlign: 16, GoAlign64: 8},
	{Target: parser.ARM32, GOARCH: "arm", PointerSize: 4, LongSize: 4, Int64Align: 8,
		LongDoubleSize: 8, LongDoubleAlign: 8, BiggestAlign: 8, AlignAnonBitfields: true, GoAlign64: 4},
	{Target: parser.ARM64, GOARCH: "arm64", PointerSize: 8, LongSize: 8, Int64Align: 8,
		LongDoubleSize: 16, LongDoubleAlign: 16, Int128: true, BiggestAlign: 16, AlignAnonBitfields: true, GoAlign64: 8},
}

// ABIOf returns the ABI of a target.
func ABIOf(t parser.Target) (*ABI, error) {
	for i := range ABIs {
		if ABIs[i].Target == t {
			return &ABIs[i], nil
		}
	}
	return nil, fmt.Errorf("unknown target %q", t)
}

// scalar returns the size and member alignment of a scalar kind.
func (a *ABI) scalar(k parser.Kind) (size, align int64, ok bool) {
	switch k {
	case parser.Bool, parser.Char, parser.SChar, parser.UChar:
		return 1, 1, true
	case parser.Short, parser.UShort:
		return 2, 2, true
	case parser.Int, parser.UInt, parser.Float:
		return 4, 4, true
	case parser.Long, parser.ULong:
		return a.LongSize, a.LongSize, true
	case parser.LongLong, parser.ULongLong, parser.Double:
		return 8, a.Int64Align, true
	case parser.LongDouble:
		return a.LongDoubleSize, a.LongDoubleAlign, true
	case parser.Int128, parser.UInt128:
		return 16, 16, a.Int128
	}
	return 0, 0, false
}
