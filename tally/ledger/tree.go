package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// treeChunk is the number of stored hashes in one chunk of a memTree (2
// MiB): the tree grows by chunks, never copying what it holds.
const treeChunk = 1 << 16

// memTree holds the stored hashes of a log's leaves, for verification, in
// chunks (about 64 bytes per leaf).
type memTree struct {
	n      int64         // leaves
	count  int64         // stored hashes
	chunks [][]tlog.Hash // each treeChunk long but the last
}

// add appends leaf n's record hash (leaves must come in order).
func (t *memTree) add(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.n, h, t)
	if err != nil {
		return fmt.Errorf("tree: leaf %d: %w", t.n, err)
	}
	for _, x := range hs {
		if t.count%treeChunk == 0 {
			t.chunks = append(t.chunks, make([]tlog.Hash, 0, treeChunk))
		}
		last := &t.chunks[len(t.chunks)-1]
		*last = append(*last, x)
		t.count++
	}
	t.n++
	return nil
}

func (t *memTree) at(x int64) tlog.Hash { return t.chunks[x/treeChunk][x%treeChunk] }

// ReadHashes implements tlog.HashReader.
func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= t.count {
			return nil, fmt.Errorf("tree: hash %d not stored", x)
		}
		out[i] = t.at(x)
	}
	return out, nil
}

// root returns the tree hash of the first n leaves (0 ≤ n ≤ t.n).
func (t *memTree) root(n int64) (tlog.Hash, error) {
	if n < 0 || n > t.n {
		return tlog.Hash{}, fmt.Errorf("tree: size %d outside [0, %d]", n, t.n)
	}
	return tlog.TreeHash(n, t)
}

// leafHash returns the record hash of leaf i (i < t.n).
func (t *memTree) leafHash(i int64) tlog.Hash { return t.at(tlog.StoredHashIndex(0, i)) }
