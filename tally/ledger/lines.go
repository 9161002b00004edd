package ledger

// ParseLines reads a file framed like a record's leaves.txt (docs/record.md
// §10.1): empty, or lines each holding the non-empty strict b64 of one item
// and ending in LF. It returns the items, or a [*FileError] naming name.
// The fund ledger (§14.5) uses the same framing.
func ParseLines(name string, data []byte) ([][]byte, error) { return decodeLines(name, data) }

// EncodeLines returns items in the framing [ParseLines] reads.
func EncodeLines(items [][]byte) []byte { return encodeLines(items) }
