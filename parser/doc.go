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
// Record layout is not computed here: cc/v4's own is wrong for some
// bit-fields and ignores #pragma pack. Package layout computes it from this
// model.
package parser
