package direct

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// insn is one expected instruction of a stub: either disassembly text as
// go tool objdump prints it, or raw encoding (hex, in objdump's byte order)
// for what the disassembler cannot decode, such as HVC and VMCALL.
type insn struct {
	asm string
	hex string
}

// stubs lists, per GOARCH, each stub's register moves and trap instruction
// in order. The argument offsets are those of a frameless ABI0 function:
// the arguments follow the return address (x86) or the saved link register
// slot (ARM).
var stubs = []struct {
	goarch string
	symbol string
	want   []insn
}{
	{"arm", "hvc", []insn{
		{asm: "MOVW 0x4(R13), R12"}, // op
		{asm: "MOVW 0x8(R13), R0"},
		{asm: "MOVW 0xc(R13), R1"},
		{asm: "MOVW 0x10(R13), R2"},
		{asm: "MOVW 0x14(R13), R3"},
		{asm: "MOVW 0x18(R13), R4"},
		{hex: "e140ea71"}, // HVC #0xEA1
		{asm: "MOVW R0, 0x1c(R13)"},
	}},
	{"arm64", "hvc", []insn{
		{asm: "MOVD 8(RSP), R16"}, // op
		{asm: "MOVD 16(RSP), R0"},
		{asm: "MOVD 24(RSP), R1"},
		{asm: "MOVD 32(RSP), R2"},
		{asm: "MOVD 40(RSP), R3"},
		{asm: "MOVD 48(RSP), R4"},
		{hex: "d401d422"}, // HVC #0xEA1
		{asm: "MOVD R0, 56(RSP)"},
	}},
	{"amd64", "vmcall", []insn{
		{asm: "MOVQ 0x8(SP), AX"}, // op
		{asm: "MOVQ 0x10(SP), DI"},
		{asm: "MOVQ 0x18(SP), SI"},
		{asm: "MOVQ 0x20(SP), DX"},
		{asm: "MOVQ 0x28(SP), R10"},
		{asm: "MOVQ 0x30(SP), R8"},
		{hex: "0f01c1"}, // VMCALL
		{asm: "MOVQ AX, 0x38(SP)"},
	}},
	{"amd64", "vmmcall", []insn{
		{asm: "MOVQ 0x8(SP), AX"},
		{asm: "MOVQ 0x30(SP), R8"},
		{hex: "0f01d9"}, // VMMCALL
		{asm: "MOVQ AX, 0x38(SP)"},
	}},
	{"386", "vmcall", []insn{
		{asm: "MOVL 0x4(SP), AX"}, // op
		{asm: "MOVL 0x8(SP), BX"},
		{asm: "MOVL 0xc(SP), CX"},
		{asm: "MOVL 0x10(SP), DX"},
		{asm: "MOVL 0x14(SP), SI"},
		{asm: "MOVL 0x18(SP), DI"},
		{hex: "0f01c1"}, // VMCALL
		{asm: "MOVL AX, 0x1c(SP)"},
	}},
	{"386", "vmmcall", []insn{
		{asm: "MOVL 0x4(SP), AX"},
		{asm: "MOVL 0x18(SP), DI"},
		{hex: "0f01d9"}, // VMMCALL
		{asm: "MOVL AX, 0x1c(SP)"},
	}},
}

// TestStubEncodings builds this package's test binary for each GOARCH and
// checks the stubs' instructions in its disassembly: the only check there
// can be of the ARM traps and of VMCALL/VMMCALL off a hypervisor.
func TestStubEncodings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package for four architectures")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build and disassemble with: %v", err)
	}
	// go test caches a passing result by the files the test opens; read
	// every source file, so that editing another architecture's stub
	// (which this build does not compile) reruns the test.
	sources, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sources {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	built := map[string]string{}
	for _, s := range stubs {
		bin, ok := built[s.goarch]
		if !ok {
			bin = filepath.Join(dir, "direct.test."+s.goarch)
			cmd := exec.Command(goTool, "test", "-c", "-o", bin, ".")
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+s.goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GOARCH=%s go test -c: %v\n%s", s.goarch, err, out)
			}
			built[s.goarch] = bin
		}
		// Assembly functions carry an .abi0 suffix where Go's own ABI
		// passes arguments in registers.
		sym := `direct\.` + s.symbol + `(\.abi0)?$`
		out, err := exec.Command(goTool, "tool", "objdump", "-s", sym, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: go tool objdump: %v\n%s", s.goarch, err, out)
		}
		lines := parseObjdump(out)
		if len(lines) == 0 {
			t.Errorf("%s: no %s in the disassembly", s.goarch, s.symbol)
			continue
		}
		if err := matchInsns(lines, s.want); err != "" {
			t.Errorf("%s %s: %s\ndisassembly:\n%s", s.goarch, s.symbol, err, out)
		}
	}
}

// objdumpLine is one instruction of go tool objdump's output.
type objdumpLine struct {
	hex string
	asm string
}

// objdumpRE matches "  file.s:LINE  0xADDR  HEX  ASM".
var objdumpRE = regexp.MustCompile(`^\s+\S+:\d+\s+0x[0-9a-f]+\s+([0-9a-f]+)\s+(.*?)\s*$`)

func parseObjdump(out []byte) []objdumpLine {
	var lines []objdumpLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := objdumpRE.FindStringSubmatch(sc.Text()); m != nil {
			lines = append(lines, objdumpLine{hex: m[1], asm: m[2]})
		}
	}
	return lines
}

// matchInsns checks that want occurs in lines in order. A hex item must
// start at an instruction boundary but may span lines, because objdump
// splits bytes it cannot decode.
func matchInsns(lines []objdumpLine, want []insn) string {
	i := 0
	for _, w := range want {
		found := false
		for ; i < len(lines) && !found; i++ {
			if w.asm != "" {
				found = lines[i].asm == w.asm
				continue
			}
			var run strings.Builder
			for j := i; j < len(lines) && run.Len() < len(w.hex); j++ {
				run.WriteString(lines[j].hex)
			}
			if strings.HasPrefix(run.String(), w.hex) {
				found = true
				for n := len(lines[i].hex); n < len(w.hex); n += len(lines[i].hex) {
					i++
				}
			}
		}
		if !found {
			if w.asm != "" {
				return "missing or out of order: " + w.asm
			}
			return "missing or out of order: encoding " + w.hex
		}
	}
	return ""
}
