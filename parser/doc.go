// Package parser reads Xen's public C headers for one target and mode and
// returns the project's own C model of them: records (structs and unions,
// nested and anonymous ones named by path), members with their types, array
// dimensions, bit-field widths and alignment attributes, typedefs, enums,
// macros with their values, source positions, and the headers' comments.
//
// modernc.org/cc/v4 preprocesses, parses and type checks; no cc/v4 type
// leaks out of this package. It is configured per target without any C
// compiler: cc.NewABI for the target's C types, the target's predefined
// macros written here, and a built-in stdint.h and stddef.h served from
// memory. cc.NewConfig is never used: it would run the host compiler and
// pair the host's macros with a foreign ABI.
//
// cc/v4 loops for ever, or recurses past any stack, on some malformed
// input. Every translation therefore runs first in a child process (this
// same executable, started again: see child.go) that is killed at a time
// and memory limit growing with the input (Config.Timeout, Config.Memory);
// only a translation that finished there is repeated in this process. A
// translation stopped at a limit is a *LimitError, never a verdict about
// the headers. Include chains deeper than 200 and brackets nested deeper
// than 256 are positioned errors before cc/v4 sees them.
//
// Record layout is not computed here: cc/v4's own is wrong for some
// bit-fields and ignores #pragma pack. Package layout computes it from this
// model.
package parser
