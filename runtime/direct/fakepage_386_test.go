//go:build 386 && linux

package direct

import "encoding/binary"

// Layout of the data page the fake hypercall page records into: the entry
// that ran, then EAX and the five argument registers of the x86_32 ABI,
// then the value the handler returns.
const (
	recEntry  = 0
	recOp     = 4
	recArgs   = 8 // EBX, ECX, EDX, ESI, EDI: 4 bytes each
	recResult = 28
	wordSize  = 4
)

// argRegisters names the registers that carry a1..a5, for messages.
var argRegisters = [5]string{"EBX", "ECX", "EDX", "ESI", "EDI"}

// fakePage writes the machine code of a fake hypercall page into code,
// which will be mapped at base: page 0 holds an entry at op*32 for every op,
// and page 1 the handler they jump to. Each entry stores its own index, so
// the test sees which entry ran; the handler stores EAX, EBX, ECX, EDX, ESI
// and EDI into the data page at base+2*4096 and returns the result word
// found there.
func fakePage(code []byte, base uintptr) {
	const handler = 4096
	data := uint32(base) + 2*4096
	abs := func(b []byte, off int) []byte { return binary.LittleEndian.AppendUint32(b, data+uint32(off)) }
	for op := 0; op < pageEntries; op++ {
		at := op * 32
		e := abs([]byte{0xc7, 0x05}, recEntry) // MOVL $op, entry
		e = binary.LittleEndian.AppendUint32(e, uint32(op))
		e = append(e, 0xe9) // JMP handler
		e = binary.LittleEndian.AppendUint32(e, uint32(int32(handler-(at+15))))
		copy(code[at:], e)
	}
	h := abs([]byte{0xa3}, recOp)               // MOVL AX, op
	h = abs(append(h, 0x89, 0x1d), recArgs+0*4) // MOVL BX, a1
	h = abs(append(h, 0x89, 0x0d), recArgs+1*4) // MOVL CX, a2
	h = abs(append(h, 0x89, 0x15), recArgs+2*4) // MOVL DX, a3
	h = abs(append(h, 0x89, 0x35), recArgs+3*4) // MOVL SI, a4
	h = abs(append(h, 0x89, 0x3d), recArgs+4*4) // MOVL DI, a5
	h = abs(append(h, 0xa1), recResult)         // MOVL result, AX
	h = append(h, 0xc3)                         // RET
	copy(code[handler:], h)
}

// word reads the register word at off of the data page.
func word(data []byte, off int) uintptr {
	return uintptr(binary.LittleEndian.Uint32(data[off:]))
}

// setWord writes the word at off of the data page.
func setWord(data []byte, off int, v uintptr) {
	binary.LittleEndian.PutUint32(data[off:], uint32(v))
}
