// Package emit writes Go from the C model and the layouts: for each target's
// GOARCH, types with the exact C layout (explicit padding where Go would
// place a member elsewhere, union storage with typed accessors, bit-field
// getters and setters, guest handles of the target's width), constants for
// the macros with values, and compile-time guards that fail the build when
// a size or offset is not what C says. Declarations that come out the same
// on every target go into one shared file, the rest into z*_<goarch>.go
// files with build constraints. Hypercall wrappers (calls*.go) come from
// the headers' own conventions (the backtick prototype annotations, "arg ==
// addr of struct X", GNTTABOP_* => struct gnttab_*) and, for what the
// headers do not say, from hypercalls.spec. Foreign (foreign.go) writes
// host-independent packages with explicit little-endian encoding.
//
// Rendering goes through github.com/dave/jennifer, which formats the
// result; nothing here knows C beyond what the model says.
package emit
