// Package layout computes the memory layout of C records for each of
// xenbind's four targets: sizes, alignments, member offsets and bit-field
// positions.
//
// The C ABI of each target is one table (ABIs). The algorithm follows gcc's
// for these targets (natural alignment, aligned and packed attributes,
// #pragma pack, PCC bit-field layout, flexible and zero-length arrays,
// anonymous members, unions). It computes its numbers itself, from the
// parser's model; it does not use cc/v4's layout, which is wrong for some
// bit-fields and ignores #pragma pack. Package golden checks it against
// real gcc and clang.
package layout
