package layout

// Record is the computed layout of one struct or union for one target.
//
// Name is "struct X", "union X", "typedef X" for a typedef of an anonymous
// record, and "<parent>.<member>" for a nested anonymous record, or
// "<parent>.#<index>" when the member that holds it has no name.
type Record struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"` // "struct" or "union"
	Size   int64   `json:"size"`
	Align  int64   `json:"align"`
	Pos    string  `json:"pos"` // "file:line:col", file relative to the header tree
	Fields []Field `json:"fields"`
}

// Field is one member of a Record, at its offset from the record's start.
//
// An unnamed member holding an anonymous struct or union is named "#<index>",
// the index counting the record's members in declaration order, unnamed
// bit-fields excluded (they shape the layout but are not listed, as in DWARF).
// For a bit-field, Offset is BitOffset/8 rounded down and Size is the size of
// the declared type; BitOffset counts bits from the record's start.
// Arrays have the size of the whole array; a flexible array member has size 0.
type Field struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Offset    int64  `json:"offset"`
	Size      int64  `json:"size"`
	BitOffset *int64 `json:"bit_offset"`
	BitSize   *int64 `json:"bit_size"`
}
