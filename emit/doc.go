// Package emit writes Go from the C model and the layouts: for each target's
// GOARCH, types with the exact C layout (explicit padding where Go would
// place a member elsewhere, union storage with typed accessors, bit-field
// getters and setters, guest handles of the target's width), constants for
// the macros with values, and compile-time guards that fail the build when
// a size or offset is not what C says. Declarations that come out the same
// on every target go into one shared file, the rest into z*_<goarch>.go
// files with build constraints.
//
// Rendering goes through github.com/dave/jennifer, which formats the
// result; nothing here knows C beyond what the model says.
package emit
