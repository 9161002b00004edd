package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// memTree holds the stored hashes of a list of leaves, for verification.
type memTree struct {
	n      int64
	hashes []tlog.Hash
}

// buildTree computes the stored hashes of leaves (empty leaves included).
func buildTree(leaves [][]byte) (*memTree, error) {
	t := &memTree{hashes: make([]tlog.Hash, 0, tlog.StoredHashCount(int64(len(leaves))))}
	for i, leaf := range leaves {
		h, err := tlog.StoredHashes(int64(i), leaf, t)
		if err != nil {
			return nil, fmt.Errorf("tree: leaf %d: %w", i, err)
		}
		t.hashes = append(t.hashes, h...)
	}
	t.n = int64(len(leaves))
	return t, nil
}

// ReadHashes implements tlog.HashReader.
func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("tree: hash %d not stored", x)
		}
		out[i] = t.hashes[x]
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
func (t *memTree) leafHash(i int64) tlog.Hash { return t.hashes[tlog.StoredHashIndex(0, i)] }
