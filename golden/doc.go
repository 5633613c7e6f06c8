// Package golden holds what real C compilers say about the record layouts
// of Xen's public headers, and the means to check that again.
//
// For each header set (SetThree, SetAll), target and mode, gcc (Debian's
// cross compilers) compiles the headers into an object with debug
// information; the sizes, member offsets and bit-field positions of every
// struct and union are read from its DWARF, and a second, generated C file
// makes the compiler evaluate sizeof, _Alignof and offsetof for every
// record and member it can name, which gives the alignments (DWARF has
// none) and checks the DWARF reading. The result is kept as text in
// layouts/<set>/<target>-<mode>.txt (see File.Format), clang must agree
// with it, and the layout engine's tests compare against it through Load
// and Compare.
//
// Refresh the files with
//
//	go test ./golden -update
//
// Without -update the tests recompile everything with every installed
// compiler and fail on any difference from the files.
package golden
