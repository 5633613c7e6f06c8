//go:build amd64 && linux

package direct

import "encoding/binary"

// Layout of the data page the fake hypercall page records into: the entry
// that ran, then RAX and the five argument registers of the x86_64 ABI,
// then the value the handler returns.
const (
	recEntry  = 0
	recOp     = 8
	recArgs   = 16 // RDI, RSI, RDX, R10, R8: 8 bytes each
	recResult = 56
	wordSize  = 8
)

// argRegisters names the registers that carry a1..a5, for messages.
var argRegisters = [5]string{"RDI", "RSI", "RDX", "R10", "R8"}

// fakePage writes the machine code of a fake hypercall page into code,
// which will be mapped at base: page 0 holds an entry at op*32 for every op,
// and page 1 the handler they jump to. Each entry stores its own index, so
// the test sees which entry ran; the handler stores RAX, RDI, RSI, RDX,
// R10 and R8 into the data page at base+2*4096 and returns the result word
// found there.
func fakePage(code []byte, base uintptr) {
	const handler = 4096
	data := uint64(base) + 2*4096
	// rel32 is the displacement from the end of an instruction at
	// code offset end to data offset off.
	rel32 := func(end int, off int) []byte {
		return binary.LittleEndian.AppendUint32(nil, uint32(int32(int64(data)+int64(off)-int64(base)-int64(end))))
	}
	for op := 0; op < pageEntries; op++ {
		at := op * 32
		e := []byte{0xc7, 0x05} // MOVL $op, entry(RIP)
		e = append(e, rel32(at+10, recEntry)...)
		e = binary.LittleEndian.AppendUint32(e, uint32(op))
		e = append(e, 0xe9) // JMP handler
		e = binary.LittleEndian.AppendUint32(e, uint32(int32(handler-(at+15))))
		copy(code[at:], e)
	}
	var h []byte
	store := func(prefix, modrm byte, off int) { // MOVQ reg, off(RIP)
		h = append(h, prefix, 0x89, modrm)
		h = append(h, rel32(handler+len(h)+4, off)...)
	}
	store(0x48, 0x05, recOp)        // RAX
	store(0x48, 0x3d, recArgs+0*8)  // RDI
	store(0x48, 0x35, recArgs+1*8)  // RSI
	store(0x48, 0x15, recArgs+2*8)  // RDX
	store(0x4c, 0x15, recArgs+3*8)  // R10
	store(0x4c, 0x05, recArgs+4*8)  // R8
	h = append(h, 0x48, 0x8b, 0x05) // MOVQ result(RIP), RAX
	h = append(h, rel32(handler+len(h)+4, recResult)...)
	h = append(h, 0xc3) // RET
	copy(code[handler:], h)
}

// word reads the register word at off of the data page.
func word(data []byte, off int) uintptr {
	return uintptr(binary.LittleEndian.Uint64(data[off:]))
}

// setWord writes the word at off of the data page.
func setWord(data []byte, off int, v uintptr) {
	binary.LittleEndian.PutUint64(data[off:], uint64(v))
}
