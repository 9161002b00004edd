package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Storage holds a log's leaves and its stored hashes (the tlog layout: the
// hash with stored index tlog.StoredHashIndex(level, n) is the root of the
// 2^level leaves starting at n·2^level). The server implements it on its
// database; [MemStorage] implements it in memory.
//
// Implementations must return copies (callers may keep and modify results),
// must be safe for concurrent readers, and must make Append atomic: either
// all of a batch is stored or none of it.
type Storage interface {
	// ReadHashes returns the stored hashes at the given stored-hash
	// indexes, in order. It fails if an index is not stored yet.
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	// ReadLeaves returns the leaves with indexes start ≤ i < end.
	ReadLeaves(start, end int64) ([][]byte, error)
	// Size returns the number of leaves stored.
	Size() (int64, error)
	// Append stores leaves at indexes start, start+1, … and hashes at
	// stored-hash indexes tlog.StoredHashCount(start), … in one atomic
	// step. It must fail, storing nothing, unless Size() == start, so two
	// writers can never interleave.
	Append(start int64, leaves [][]byte, hashes []tlog.Hash) error
}

// A LeafFinder is a [Storage] with an index from leaf hash
// (tlog.RecordHash) to leaf index. Find returns the index of the first leaf
// with that hash, or an error when there is none.
type LeafFinder interface {
	Find(h tlog.Hash) (int64, error)
}

// MemStorage is an in-memory [Storage], safe for concurrent use. Its zero
// value is an empty log.
type MemStorage struct {
	mu     sync.RWMutex
	leaves [][]byte
	hashes []tlog.Hash
}

// ReadHashes implements [Storage].
func (m *MemStorage) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("memstorage: hash %d not stored", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// ReadLeaves implements [Storage].
func (m *MemStorage) ReadLeaves(start, end int64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if start < 0 || end < start || end > int64(len(m.leaves)) {
		return nil, fmt.Errorf("memstorage: leaves [%d, %d) out of range [0, %d)", start, end, len(m.leaves))
	}
	out := make([][]byte, 0, end-start)
	for _, l := range m.leaves[start:end] {
		out = append(out, bytes.Clone(l))
	}
	return out, nil
}

// Size implements [Storage].
func (m *MemStorage) Size() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.leaves)), nil
}

// Append implements [Storage].
func (m *MemStorage) Append(start int64, leaves [][]byte, hashes []tlog.Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if start != int64(len(m.leaves)) {
		return fmt.Errorf("memstorage: append at %d, size is %d", start, len(m.leaves))
	}
	if int64(len(m.hashes)) != tlog.StoredHashCount(start) ||
		int64(len(m.hashes)+len(hashes)) != tlog.StoredHashCount(start+int64(len(leaves))) {
		return fmt.Errorf("memstorage: append of %d leaves with %d hashes at %d: wrong hash count", len(leaves), len(hashes), start)
	}
	for _, l := range leaves {
		m.leaves = append(m.leaves, bytes.Clone(l))
	}
	m.hashes = append(m.hashes, hashes...)
	return nil
}

// A Log is an append-only RFC 6962 Merkle log over a [Storage]
// (docs/record.md §7). Appends through one Log are serialized; reads may
// run concurrently with them. A Log never rewrites a leaf, so every
// checkpoint signed over it is consistent with every later one.
type Log struct {
	s  Storage
	mu sync.Mutex // serializes Append
}

// NewLog returns a Log over s.
func NewLog(s Storage) *Log { return &Log{s: s} }

// Size returns the number of leaves in the log.
func (l *Log) Size() (int64, error) { return l.s.Size() }

// ErrEmptyLeaf is returned by [Log.Append] for an empty leaf: every leaf of
// a round is a non-empty text, and the record cannot hold an empty line.
var ErrEmptyLeaf = errors.New("empty leaf")

// Append appends a batch of leaves in order, in one atomic storage step, and
// returns the index of the first. It computes the new stored hashes with
// tlog.StoredHashes. Leaves must be non-empty.
func (l *Log) Append(leaves [][]byte) (start int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start, err = l.s.Size()
	if err != nil {
		return 0, fmt.Errorf("ledger: append: %w", err)
	}
	// pending holds the hashes of this batch, stored at tlog.StoredHashCount(start) onward.
	base := tlog.StoredHashCount(start)
	var pending []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var need []int64
		var at []int
		for i, x := range idx {
			if x >= base {
				if x-base >= int64(len(pending)) {
					return nil, fmt.Errorf("hash %d not computed yet", x)
				}
				out[i] = pending[x-base]
				continue
			}
			need = append(need, x)
			at = append(at, i)
		}
		if len(need) > 0 {
			got, err := l.s.ReadHashes(need)
			if err != nil {
				return nil, err
			}
			if len(got) != len(need) {
				return nil, fmt.Errorf("storage returned %d hashes, want %d", len(got), len(need))
			}
			for j, i := range at {
				out[i] = got[j]
			}
		}
		return out, nil
	})
	for i, leaf := range leaves {
		if len(leaf) == 0 {
			return 0, fmt.Errorf("ledger: append leaf %d: %w", start+int64(i), ErrEmptyLeaf)
		}
		h, err := tlog.StoredHashes(start+int64(i), leaf, reader)
		if err != nil {
			return 0, fmt.Errorf("ledger: append leaf %d: %w", start+int64(i), err)
		}
		pending = append(pending, h...)
	}
	if err := l.s.Append(start, leaves, pending); err != nil {
		return 0, fmt.Errorf("ledger: append: %w", err)
	}
	return start, nil
}

// checkSize returns the current size and checks 0 ≤ n ≤ size.
func (l *Log) checkSize(n int64) (int64, error) {
	size, err := l.s.Size()
	if err != nil {
		return 0, err
	}
	if n < 0 || n > size {
		return 0, fmt.Errorf("%w: tree size %d outside [0, %d]", ErrBadProof, n, size)
	}
	return size, nil
}

// TreeHash returns the root hash of the first n leaves (n ≤ Size).
func (l *Log) TreeHash(n int64) (tlog.Hash, error) {
	if _, err := l.checkSize(n); err != nil {
		return tlog.Hash{}, fmt.Errorf("ledger: tree hash: %w", err)
	}
	h, err := tlog.TreeHash(n, l.s)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("ledger: tree hash %d: %w", n, err)
	}
	return h, nil
}

// Head returns the unsigned checkpoint of the whole log under origin; sign
// it with [SignCheckpoint]. Appends that run concurrently may or may not be
// included.
func (l *Log) Head(origin string) (Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.s.Size()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: head: %w", err)
	}
	h, err := tlog.TreeHash(n, l.s)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: head: %w", err)
	}
	return Checkpoint{Origin: origin, Size: n, Root: h}, nil
}

// ProveInclusion returns the inclusion proof (RFC 9162 §2.1.3) of leaf
// index in the tree of size n: 0 ≤ index < n ≤ Size.
func (l *Log) ProveInclusion(n, index int64) (tlog.RecordProof, error) {
	if _, err := l.checkSize(n); err != nil {
		return nil, fmt.Errorf("ledger: prove inclusion: %w", err)
	}
	if index < 0 || index >= n {
		return nil, fmt.Errorf("ledger: prove inclusion: %w: index %d outside tree of size %d", ErrBadProof, index, n)
	}
	p, err := tlog.ProveRecord(n, index, l.s)
	if err != nil {
		return nil, fmt.Errorf("ledger: prove inclusion: %w", err)
	}
	return p, nil
}

// FindLeaf returns the index of the first leaf among the first n whose
// RecordHash is h, reading level-0 stored hashes. It fails with an error
// wrapping [ErrBadProof] when there is none.
//
// When the storage implements [LeafFinder], FindLeaf asks it instead of
// scanning, and checks its answer against the stored hash.
func (l *Log) FindLeaf(n int64, h tlog.Hash) (int64, error) {
	if _, err := l.checkSize(n); err != nil {
		return 0, fmt.Errorf("ledger: find leaf: %w", err)
	}
	if f, ok := l.s.(LeafFinder); ok {
		i, err := f.Find(h)
		if err != nil {
			return 0, fmt.Errorf("ledger: find leaf: %w: %w", ErrBadProof, err)
		}
		if i < 0 || i >= n {
			return 0, fmt.Errorf("ledger: find leaf: %w: leaf %d not in tree of size %d", ErrBadProof, i, n)
		}
		got, err := l.s.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil || len(got) != 1 || got[0] != h {
			return 0, fmt.Errorf("ledger: find leaf: %w: storage index disagrees with leaf %d", ErrBadProof, i)
		}
		return i, nil
	}
	const chunk = 1024
	for lo := int64(0); lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		idx := make([]int64, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, i))
		}
		hs, err := l.s.ReadHashes(idx)
		if err != nil {
			return 0, fmt.Errorf("ledger: find leaf: %w", err)
		}
		for i, x := range hs {
			if x == h {
				return lo + int64(i), nil
			}
		}
	}
	return 0, fmt.Errorf("ledger: find leaf: %w: no leaf with hash %s in tree of size %d", ErrBadProof, h, n)
}

// ProveInclusionByHash returns the index and inclusion proof of the leaf
// whose RecordHash is h in the tree of size n.
func (l *Log) ProveInclusionByHash(n int64, h tlog.Hash) (int64, tlog.RecordProof, error) {
	i, err := l.FindLeaf(n, h)
	if err != nil {
		return 0, nil, err
	}
	p, err := l.ProveInclusion(n, i)
	return i, p, err
}

// ProveConsistency returns the consistency proof (RFC 9162 §2.1.4) that the
// tree of size old is a prefix of the tree of size n: 1 ≤ old ≤ n ≤ Size.
func (l *Log) ProveConsistency(n, old int64) (tlog.TreeProof, error) {
	if _, err := l.checkSize(n); err != nil {
		return nil, fmt.Errorf("ledger: prove consistency: %w", err)
	}
	if old < 1 || old > n {
		return nil, fmt.Errorf("ledger: prove consistency: %w: old size %d outside [1, %d]", ErrBadProof, old, n)
	}
	p, err := tlog.ProveTree(n, old, l.s)
	if err != nil {
		return nil, fmt.Errorf("ledger: prove consistency: %w", err)
	}
	return p, nil
}

// Leaves returns the leaves start ≤ i < end.
func (l *Log) Leaves(start, end int64) ([][]byte, error) {
	if _, err := l.checkSize(end); err != nil {
		return nil, fmt.Errorf("ledger: leaves: %w", err)
	}
	if start < 0 || start > end {
		return nil, fmt.Errorf("ledger: leaves: bad range [%d, %d)", start, end)
	}
	ls, err := l.s.ReadLeaves(start, end)
	if err != nil {
		return nil, fmt.Errorf("ledger: leaves: %w", err)
	}
	return ls, nil
}

// Receipt returns the receipt (docs/record.md §8) of leaf index against a
// checkpoint note this log signed: the leaf as extra, its index, and its
// inclusion proof in the checkpoint's tree. The note is parsed strictly but
// its signatures are not checked, and its root must equal the log's tree
// hash at its size.
func (l *Log) Receipt(checkpoint []byte, index int64) (*Receipt, error) {
	c, err := ParseCheckpointNote(checkpoint)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	root, err := l.TreeHash(c.Size)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	if root != c.Root {
		return nil, fmt.Errorf("ledger: receipt: %w: checkpoint root differs from the log's tree hash at size %d", ErrMismatch, c.Size)
	}
	p, err := l.ProveInclusion(c.Size, index)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	leaf, err := l.Leaves(index, index+1)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	return &Receipt{Extra: leaf[0], Index: index, Proof: p, Checkpoint: bytes.Clone(checkpoint)}, nil
}
