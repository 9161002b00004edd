package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hedensted-pb/pb/ui/core"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is one round's Merkle log (docs/record.md §7) inside a transaction:
// its leaves, the stored hashes of golang.org/x/mod/sumdb/tlog, an index
// from leaf hash to leaf and what each roll key has done (both kept in
// memory, logmem.go; the latter from the voter journal), the signed
// checkpoints and the result notes. Appends made through a Log obtained
// from an Update transaction become durable together when it commits.
//
// Log implements ledger.Storage (and so [tlog.HashReader]): wrap it with
// ledger.NewLog to append batches and build proofs inside one transaction.
type Log struct {
	tx    *Tx
	round string
}

// Log returns the log of a round. It exists (empty) for every round ID.
func (tx *Tx) Log(round string) *Log { return &Log{tx: tx, round: round} }

// ErrLogCorrupt reports stored log data that contradicts itself.
var ErrLogCorrupt = errors.New("log data corrupt")

// Size is the number of leaves in the log.
func (l *Log) Size() (int64, error) {
	v := l.tx.b(bLogSize).Get([]byte(l.round))
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("store: log %s size: %w", l.round, ErrLogCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Append stores leaves at indexes start, start+1, … and the given tlog
// stored hashes at stored-hash indexes tlog.StoredHashCount(start), …, and
// indexes each leaf by its record hash. It implements the Append method of
// ledger.Storage; callers normally go through ledger.NewLog(tx.Log(round)),
// which computes the hashes. Append needs an Update transaction, and when it
// fails the caller must abort the transaction (return the error from the
// Update function), which stores nothing.
//
// It fails unless start is the log's size and the number of hashes is
// right for the leaves, and with an error wrapping ErrExists when a leaf's
// bytes are already in the log or twice in the batch (a leaf appears at
// most once).
func (l *Log) Append(start int64, leaves [][]byte, hashes []tlog.Hash) error {
	n, err := l.Size()
	if err != nil {
		return err
	}
	if start != n {
		return fmt.Errorf("store: log %s: append at %d, size is %d", l.round, start, n)
	}
	end := start + int64(len(leaves))
	if int64(len(hashes)) != tlog.StoredHashCount(end)-tlog.StoredHashCount(start) {
		return fmt.Errorf("store: log %s: %d hashes for leaves [%d, %d)", l.round, len(hashes), start, end)
	}
	seen := make(map[tlog.Hash]bool, len(leaves))
	rh := make([]tlog.Hash, len(leaves))
	for i, leaf := range leaves {
		h := tlog.RecordHash(leaf)
		if seen[h] {
			return fmt.Errorf("store: leaf %s of %s: %w", h, l.round, ErrExists)
		}
		if _, err := l.Find(h); err == nil {
			return fmt.Errorf("store: leaf %s of %s: %w", h, l.round, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		seen[h], rh[i] = true, h
	}
	hb := l.tx.b(bHashes)
	base := tlog.StoredHashCount(start)
	for i, sh := range hashes {
		if err := hb.Put(rkey(l.round, u64(uint64(base+int64(i)))), sh[:]); err != nil {
			return err
		}
	}
	for i, leaf := range leaves {
		idx := start + int64(i)
		if err := l.tx.b(bLeaves).Put(rkey(l.round, u64(uint64(idx))), leaf); err != nil {
			return err
		}
	}
	if err := l.tx.b(bLogSize).Put([]byte(l.round), u64(uint64(end))); err != nil {
		return err
	}
	// The leaf index is kept in memory (logmem.go): note the hashes for
	// this transaction's lookups and for the memory after the commit.
	lw := l.tx.writes(l.round)
	if lw.start < 0 {
		lw.start = start
	}
	for i, h := range rh {
		lw.hashes = append(lw.hashes, h)
		lw.index[h] = start + int64(i)
	}
	lw.end = end
	return nil
}

// ReadLeaves returns the leaves with indexes start ≤ i < end; it
// implements the ReadLeaves method of ledger.Storage.
func (l *Log) ReadLeaves(start, end int64) ([][]byte, error) {
	n, err := l.Size()
	if err != nil {
		return nil, err
	}
	if start < 0 || end < start || end > n {
		return nil, fmt.Errorf("store: log %s: leaves [%d, %d) outside [0, %d)", l.round, start, end, n)
	}
	out := make([][]byte, 0, end-start)
	lb := l.tx.b(bLeaves)
	for i := start; i < end; i++ {
		v := lb.Get(rkey(l.round, u64(uint64(i))))
		if v == nil {
			return nil, fmt.Errorf("store: log %s leaf %d: %w", l.round, i, ErrLogCorrupt)
		}
		out = append(out, clone(v))
	}
	return out, nil
}

// Leaf returns leaf i, or ErrNotFound.
func (l *Log) Leaf(i int64) ([]byte, error) {
	if i < 0 {
		return nil, ErrNotFound
	}
	v := l.tx.b(bLeaves).Get(rkey(l.round, u64(uint64(i))))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

// ForEachLeaf calls fn for every leaf in index order. The slice passed to
// fn is valid only during the call; fn must copy what it keeps. An error
// from fn stops the iteration and is returned.
func (l *Log) ForEachLeaf(fn func(i int64, leaf []byte) error) error {
	prefix := rkey(l.round)
	c := l.tx.b(bLeaves).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+8 {
			return fmt.Errorf("store: log %s leaf key: %w", l.round, ErrLogCorrupt)
		}
		if err := fn(int64(binary.BigEndian.Uint64(k[len(prefix):])), v); err != nil {
			return err
		}
	}
	return nil
}

// Find returns the index of the leaf whose record hash is h, or
// ErrNotFound. The leaf index is kept in memory (logmem.go); the answer is
// the transaction's snapshot's.
func (l *Log) Find(h tlog.Hash) (int64, error) {
	committed, err := l.Size()
	if err != nil {
		return 0, err
	}
	if lw := l.tx.logWrites(l.round); lw != nil {
		if i, ok := lw.index[h]; ok {
			return i, nil
		}
		if lw.start >= 0 {
			committed = lw.start
		}
	}
	m, unlock, err := l.mem()
	if err != nil {
		return 0, err
	}
	from := int64(0)
	if m != nil {
		cands, n := m.candidates(h), m.n
		unlock()
		for _, i := range cands {
			if i < committed && l.leafHashIs(i, h) {
				return i, nil
			}
		}
		from = n
	}
	// Leaves the memory does not hold yet (a commit whose extension has
	// not run, or no memory).
	if i := l.scanHashes(h, from, committed); i >= 0 {
		return i, nil
	}
	return 0, ErrNotFound
}

// LeafHashes returns the record hashes of leaves [0, n).
func (l *Log) LeafHashes(n int64) ([]tlog.Hash, error) {
	idx := make([]int64, n)
	for i := range idx {
		idx[i] = tlog.StoredHashIndex(0, int64(i))
	}
	return l.ReadHashes(idx)
}

// ReadHashes returns the stored hashes at the given tlog stored-hash
// indexes; it implements [tlog.HashReader].
func (l *Log) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hb := l.tx.b(bHashes)
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := hb.Get(rkey(l.round, u64(uint64(x))))
		if len(v) != len(tlog.Hash{}) {
			return nil, fmt.Errorf("store: log %s: stored hash %d missing", l.round, x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// TreeHash returns the root hash of the log's first n leaves.
func (l *Log) TreeHash(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, l) }

// Voter returns what the log records for a roll key (zero when nothing),
// as of the transaction's snapshot. The states are kept in memory
// (logmem.go), built from the voter journal.
func (l *Log) Voter(key [32]byte) (core.Voter, error) {
	if lw := l.tx.logWrites(l.round); lw != nil {
		if jw, ok := lw.voters[key]; ok {
			return jw.v, nil
		}
	}
	v, _, err := l.committedVoter(key)
	return v, err
}

// committedVoter returns key's state as of the transaction's snapshot
// without its own writes, and the size of the journal entry it comes
// from (0: none).
func (l *Log) committedVoter(key [32]byte) (core.Voter, int64, error) {
	committed, err := l.Size()
	if err != nil {
		return core.Voter{}, 0, err
	}
	if lw := l.tx.logWrites(l.round); lw != nil && lw.start >= 0 {
		committed = lw.start
	}
	m, unlock, err := l.mem()
	if err != nil {
		return core.Voter{}, 0, err
	}
	var va voterAt
	from := int64(0)
	if m != nil {
		va, from = m.voters[key], m.n
		unlock()
	}
	// Entries the memory does not hold yet (or no memory).
	if committed > from {
		err := l.forEachJournal(from, committed, func(at int64, k [32]byte, v core.Voter, prev int64) error {
			if k == key {
				va = voterAt{v: v, at: at, prev: prev}
			}
			return nil
		})
		if err != nil {
			return core.Voter{}, 0, err
		}
	}
	if va.at <= committed {
		return va.v, va.at, nil
	}
	// The memory is newer than this snapshot: the entry before, when
	// the snapshot holds it, else the snapshot's journal (a rare, slower
	// case: the key changed twice since the snapshot).
	if va.prev == 0 {
		return core.Voter{}, 0, nil
	}
	if va.prev <= committed {
		v, _, err := l.journalAt(va.prev, key)
		return v, va.prev, err
	}
	va = voterAt{}
	err = l.forEachJournal(0, committed, func(at int64, k [32]byte, v core.Voter, _ int64) error {
		if k == key {
			va = voterAt{v: v, at: at}
		}
		return nil
	})
	return va.v, va.at, err
}

// ForEachVoter calls fn for every roll key the log records something
// for, in no particular order, with its state as of the transaction's
// snapshot: from memory when it holds exactly that snapshot, else from the
// voter journal. An error from fn stops the iteration and is returned.
func (l *Log) ForEachVoter(fn func(key [32]byte, v core.Voter) error) error {
	size, err := l.Size()
	if err != nil {
		return err
	}
	type keyVoter struct {
		k [32]byte
		v core.Voter
	}
	var all []keyVoter
	lw := l.tx.logWrites(l.round)
	if lw == nil {
		m, unlock, err := l.mem()
		if err != nil {
			return err
		}
		if m != nil {
			if m.n == size {
				all = make([]keyVoter, 0, len(m.voters))
				for k, va := range m.voters {
					all = append(all, keyVoter{k, va.v})
				}
			}
			unlock()
		}
	}
	if all == nil {
		latest := make(map[[32]byte]core.Voter)
		if err := l.forEachJournal(0, size, func(_ int64, k [32]byte, v core.Voter, _ int64) error {
			latest[k] = v
			return nil
		}); err != nil {
			return err
		}
		if lw != nil {
			for k, jw := range lw.voters {
				latest[k] = jw.v
			}
		}
		all = make([]keyVoter, 0, len(latest))
		for k, v := range latest {
			all = append(all, keyVoter{k, v})
		}
	}
	for _, kv := range all {
		if err := fn(kv.k, kv.v); err != nil {
			return err
		}
	}
	return nil
}

// PutVoter records what the log holds for a roll key: an entry of the
// voter journal at the log's current size, pointing back to the key's
// previous entry. It must follow an append to the log in the same
// transaction (the leaf that changed the key's state).
func (l *Log) PutVoter(key [32]byte, v core.Voter) error {
	size, err := l.Size()
	if err != nil {
		return err
	}
	// A key's state changes with the leaf that changes it: the journal
	// entry belongs to a size no snapshot had before this transaction.
	lw := l.tx.logWrites(l.round)
	if lw == nil || lw.start < 0 {
		return fmt.Errorf("store: log %s: voter state changed without an append in the transaction", l.round)
	}
	var prev int64
	if jw, ok := lw.voters[key]; ok {
		prev = jw.at
		if jw.at == size {
			prev = jw.prev
		}
	} else {
		_, at, err := l.committedVoter(key)
		if err != nil {
			return err
		}
		prev = at
		if at == size {
			if _, prev, err = l.journalAt(at, key); err != nil {
				return err
			}
		}
	}
	if err := l.tx.b(bVoterLog).Put(l.journalKey(size, key), journalValue(v, prev)); err != nil {
		return err
	}
	lw.voters[key] = journalW{v: v, at: size, prev: prev}
	lw.end = max(lw.end, size)
	return nil
}

// PutCheckpoint stores the signed checkpoint note for tree size size.
// Sizes must increase: storing a size not larger than the latest stored
// one returns an error (a log never signs two checkpoints of one size).
func (l *Log) PutCheckpoint(size int64, note []byte) error {
	last, _, err := l.LatestCheckpoint()
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err == nil && size <= last {
		return fmt.Errorf("store: log %s: checkpoint size %d after %d", l.round, size, last)
	}
	return l.tx.b(bCheckpoints).Put(rkey(l.round, u64(uint64(size))), note)
}

// LatestCheckpoint returns the largest stored checkpoint and its size, or
// ErrNotFound when there is none.
func (l *Log) LatestCheckpoint() (int64, []byte, error) {
	prefix := rkey(l.round)
	c := l.tx.b(bCheckpoints).Cursor()
	k, v := c.Seek(prefixEnd(prefix))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !hasPrefix(k, prefix) {
		return 0, nil, ErrNotFound
	}
	return int64(binary.BigEndian.Uint64(k[len(prefix):])), clone(v), nil
}

// CheckpointCovering returns the first stored checkpoint whose tree holds
// leaf i (the smallest size > i), with its size, or ErrNotFound. Because
// every batch of appends ends with a checkpoint, this is the checkpoint
// that was current when leaf i was first acknowledged.
func (l *Log) CheckpointCovering(i int64) (int64, []byte, error) {
	prefix := rkey(l.round)
	c := l.tx.b(bCheckpoints).Cursor()
	k, v := c.Seek(rkey(l.round, u64(uint64(i+1))))
	if k == nil || !hasPrefix(k, prefix) {
		return 0, nil, ErrNotFound
	}
	return int64(binary.BigEndian.Uint64(k[len(prefix):])), clone(v), nil
}

// Checkpoints returns every stored checkpoint note in increasing size
// order.
func (l *Log) Checkpoints() ([][]byte, error) {
	var out [][]byte
	prefix := rkey(l.round)
	c := l.tx.b(bCheckpoints).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, clone(v))
	}
	return out, nil
}

// AppendResult adds a result note to the round's chain of results.
func (l *Log) AppendResult(note []byte) error {
	rs, err := l.Results()
	if err != nil {
		return err
	}
	return l.tx.b(bResults).Put(rkey(l.round, u64(uint64(len(rs)))), note)
}

// Results returns the round's result notes in chain order.
func (l *Log) Results() ([][]byte, error) {
	var out [][]byte
	prefix := rkey(l.round)
	c := l.tx.b(bResults).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, clone(v))
	}
	return out, nil
}

// LogStorage is a round's log outside any transaction: each read runs in
// its own read transaction and each Append in its own Update. It implements
// ledger.Storage for readers (proofs, receipts, record downloads); since a
// log only grows, reads from separate transactions are consistent with each
// other for any tree size they have seen.
type LogStorage struct {
	s     *Store
	round string
}

// LogStorage returns the log of a round outside transactions.
func (s *Store) LogStorage(round string) *LogStorage { return &LogStorage{s: s, round: round} }

func (ls *LogStorage) view(fn func(l *Log) error) error {
	return ls.s.db.View(func(btx *bolt.Tx) error { return fn((&Tx{tx: btx, s: ls.s}).Log(ls.round)) })
}

// ReadHashes implements ledger.Storage.
func (ls *LogStorage) ReadHashes(indexes []int64) (hs []tlog.Hash, err error) {
	err = ls.view(func(l *Log) error { hs, err = l.ReadHashes(indexes); return err })
	return hs, err
}

// ReadLeaves implements ledger.Storage.
func (ls *LogStorage) ReadLeaves(start, end int64) (out [][]byte, err error) {
	err = ls.view(func(l *Log) error { out, err = l.ReadLeaves(start, end); return err })
	return out, err
}

// Size implements ledger.Storage.
func (ls *LogStorage) Size() (n int64, err error) {
	err = ls.view(func(l *Log) error { n, err = l.Size(); return err })
	return n, err
}

// Append implements ledger.Storage in its own Update transaction.
func (ls *LogStorage) Append(start int64, leaves [][]byte, hashes []tlog.Hash) error {
	return ls.s.update(func(tx *Tx) error { return tx.Log(ls.round).Append(start, leaves, hashes) })
}

// Find returns the index of the leaf whose record hash is h, or an error
// wrapping ErrNotFound; it implements ledger.LeafFinder.
func (ls *LogStorage) Find(h tlog.Hash) (i int64, err error) {
	err = ls.view(func(l *Log) error { i, err = l.Find(h); return err })
	return i, err
}
