package golden

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/xenbind/xenbind/layout"
	"github.com/xenbind/xenbind/parser"
)

// UAPIHeaders are the Linux device headers the runtime's ABI package is
// generated from (parser.UAPIDialect).
var UAPIHeaders = []string{"xen/privcmd.h", "xen/evtchn.h", "xen/gntdev.h", "xen/gntalloc.h"}

// UAPIResult is what a compiler says about the device headers: the
// records and the values of the macros asked for.
type UAPIResult struct {
	Records []layout.Record
	Macros  map[string]uint64
}

var includeRE = regexp.MustCompile(`(?m)^#include <([^>]+)>`)

// CompileUAPI compiles headers of a Linux UAPI tree (usr/include) with c
// as the parser reads them: after the dialect's prelude, with the
// dialect's built-in headers (parser.DialectBuiltins) on the include path.
// It returns every record declared under tree and the values of the
// macros named, as unsigned long long.
func CompileUAPI(ctx context.Context, c *Compiler, tree string, headers, macros []string) (*UAPIResult, error) {
	tree, err := filepath.Abs(tree)
	if err != nil {
		return nil, fmt.Errorf("header tree: %w", err)
	}
	dir, err := os.MkdirTemp("", "xenbind-uapi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	builtins := filepath.Join(dir, "builtin")
	for name, text := range parser.DialectBuiltins(parser.UAPIDialect) {
		p := filepath.Join(builtins, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	prelude, err := parser.DialectPrelude(parser.UAPIDialect)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, m := range includeRE.FindAllStringSubmatch(prelude, -1) {
		if m[1] != "stddef.h" && m[1] != "stdint.h" { // in the golden prelude
			all = append(all, m[1])
		}
	}
	all = append(all, headers...)
	// The built-in headers come first, as in the parser.
	defs := []string{"-I" + builtins}
	recs, err := c.layouts(ctx, tree, all, defs)
	if err != nil {
		return nil, err
	}
	vals, err := c.macroValues(ctx, dir, tree, all, defs, macros)
	if err != nil {
		return nil, err
	}
	return &UAPIResult{Records: recs, Macros: vals}, nil
}

// macroValuesSymbol holds the compiler's values of the macros.
const macroValuesSymbol = "xb_macros"

// macroValues compiles an array of the macros' values and reads it back.
func (c *Compiler) macroValues(ctx context.Context, dir, tree string, headers, defs, macros []string) (map[string]uint64, error) {
	tu, err := translationUnit(headers)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(tu)
	fmt.Fprintf(&b, "const unsigned long long %s[%d] = {\n", macroValuesSymbol, max(len(macros), 1))
	for _, m := range macros {
		fmt.Fprintf(&b, "\t(unsigned long long)(%s),\n", m)
	}
	b.WriteString("};\n")
	if err := os.WriteFile(filepath.Join(dir, "macros.c"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	args := append(append([]string{"-O0", "-c", "-I" + tree}, defs...), "-o", "macros.o", "macros.c")
	if err := c.run(ctx, dir, args...); err != nil {
		return nil, fmt.Errorf("macro values: %w", err)
	}
	f, err := elf.Open(filepath.Join(dir, "macros.o"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	bySym := map[string]elf.Symbol{}
	for _, s := range syms {
		bySym[s.Name] = s
	}
	data, err := symbolData(f, bySym, macroValuesSymbol, int64(8*max(len(macros), 1)))
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for i, m := range macros {
		out[m] = f.ByteOrder.Uint64(data[8*i:])
	}
	return out, nil
}

// uapiMacrosPath is the golden file of the device headers' macro values.
func uapiMacrosPath(t parser.Target) string {
	return filepath.ToSlash(filepath.Join("layouts", "uapi", string(t)+"-tools.macros"))
}

// LoadUAPIMacros returns the macro values of the device headers for a
// target, as the compilers evaluate them (the golden file).
func LoadUAPIMacros(t parser.Target) (map[string]uint64, error) {
	p := uapiMacrosPath(t)
	b, err := layouts.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("golden %s: %w", p, err)
	}
	out := map[string]uint64{}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"NAME VALUE\"", p, i+1)
		}
		v, err := strconv.ParseUint(f[1], 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", p, i+1, err)
		}
		out[f[0]] = v
	}
	return out, nil
}
