package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/hedensted-pb/pb/ui/core"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// What a log keeps in memory (schema 2). Two lookups of a round's log
// used to be B-tree buckets keyed by hash and by roll key: every ballot
// inserted one key at a random place in each, and a batch of a few hundred
// ballots rewrote a few hundred random pages of each bucket at commit.
// Now both are kept in memory, built from what the database holds in
// append order:
//
//   - the leaf index (record hash → leaf index) from the log's stored
//     hashes, whose level-0 hashes are the record hashes of the leaves;
//   - what each roll key has done (core.Voter) from the voter journal
//     (bucket voter_log), where each transaction that changes a key's
//     state appends one entry keyed by the log's size after it and the key:
//     the state from that size on, and the size of the key's previous
//     entry (0: none), so that the state at any earlier size is found by
//     walking back.
//
// The memory is only ever a copy of committed data: it is loaded from a
// read transaction (or a write transaction that has not written to the
// log yet), and extended after a commit with what the transaction
// appended. Every lookup takes the transaction's own size T into
// account: entries beyond T are not seen, committed entries the memory
// does not hold yet (a commit whose extension has not run) are read from
// the transaction, and the transaction's own writes are kept with it. So
// a lookup answers exactly what the transaction's snapshot holds.

// logMem is the memory of one log.
type logMem struct {
	mu     sync.Mutex
	loaded bool
	n      int64 // the log size the memory holds
	// hashes maps the first 8 bytes of a record hash to its leaf;
	// more holds further leaves whose hashes share a prefix.
	hashes map[uint64]int64
	more   map[uint64][]int64
	voters map[[32]byte]voterAt
	// hookEnd is the largest log size a committed transaction has left
	// (recorded even while nothing is loaded), so that a load from a
	// snapshot older than a commit that has already been applied is not
	// kept.
	hookEnd int64
}

// voterAt is a key's state, the size of its latest journal entry and
// that of the entry before (0: none).
type voterAt struct {
	v        core.Voter
	at, prev int64
}

// logMems holds the memory of every log used since Open.
type logMems struct {
	mu   sync.Mutex
	logs map[string]*logMem
}

func (ms *logMems) get(round string) *logMem {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.logs == nil {
		ms.logs = make(map[string]*logMem)
	}
	m := ms.logs[round]
	if m == nil {
		m = &logMem{}
		ms.logs[round] = m
	}
	return m
}

// txWrites is what a write transaction has written to each log, applied
// to the logs' memory after it commits.
type txWrites struct {
	logs map[string]*logWrites
}

// logWrites is one log's part of txWrites.
type logWrites struct {
	start  int64 // the log's size when the transaction first appended (-1: no append)
	end    int64 // the log's size after the transaction's last write
	hashes []tlog.Hash
	index  map[tlog.Hash]int64
	voters map[[32]byte]journalW
}

// journalW is a voter journal entry a transaction wrote.
type journalW struct {
	v        core.Voter
	at, prev int64
}

// writes returns what tx has written to log round, made empty on first
// use; only write transactions write.
func (tx *Tx) writes(round string) *logWrites {
	if tx.w == nil {
		tx.w = &txWrites{} // a write outside Update fails in bbolt anyway
	}
	if tx.w.logs == nil {
		tx.w.logs = make(map[string]*logWrites)
	}
	lw := tx.w.logs[round]
	if lw == nil {
		lw = &logWrites{start: -1, index: make(map[tlog.Hash]int64), voters: make(map[[32]byte]journalW)}
		tx.w.logs[round] = lw
	}
	return lw
}

// logWrites returns what tx has written to log round, or nil.
func (tx *Tx) logWrites(round string) *logWrites {
	if tx.w == nil {
		return nil
	}
	return tx.w.logs[round]
}

// applied extends the memory of every log tx wrote to; called after tx
// committed.
func (s *Store) applied(w *txWrites) {
	for round, lw := range w.logs {
		s.mems.get(round).applyCommit(lw)
	}
}

// prefix64 is the first 8 bytes of a hash.
func prefix64(h tlog.Hash) uint64 { return binary.BigEndian.Uint64(h[:8]) }

func (m *logMem) addHash(h tlog.Hash, i int64) {
	p := prefix64(h)
	if _, ok := m.hashes[p]; !ok {
		m.hashes[p] = i
		return
	}
	if m.more == nil {
		m.more = make(map[uint64][]int64)
	}
	m.more[p] = append(m.more[p], i)
}

// candidates returns the leaves whose hash may be h.
func (m *logMem) candidates(h tlog.Hash) []int64 {
	p := prefix64(h)
	i, ok := m.hashes[p]
	if !ok {
		return nil
	}
	return append([]int64{i}, m.more[p]...)
}

// applyCommit extends the memory with a committed transaction's writes
// to this log (called after the commit, in commit order).
func (m *logMem) applyCommit(lw *logWrites) {
	end := lw.end
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hookEnd = max(m.hookEnd, end)
	if !m.loaded || end <= m.n {
		return // nothing held, or loaded from a snapshot that has it
	}
	start := lw.start
	if start < 0 {
		start = end // no leaves appended
	}
	if start != m.n || start+int64(len(lw.hashes)) != end {
		// A gap (cannot happen when every commit is applied): load
		// again at the next use.
		m.loaded, m.hashes, m.more, m.voters = false, nil, nil, nil
		return
	}
	for i, h := range lw.hashes {
		m.addHash(h, start+int64(i))
	}
	for k, jw := range lw.voters {
		m.voters[k] = voterAt{v: jw.v, at: jw.at, prev: jw.prev}
	}
	m.n = end
}

// mem returns the log's memory, loaded, locked by the caller's unlock
// function; nil when it could not be kept (a load from a snapshot older
// than the memory's last commit; the caller then reads the database).
func (l *Log) mem() (*logMem, func(), error) {
	m := l.tx.s.mems.get(l.round)
	m.mu.Lock()
	if m.loaded {
		return m, m.mu.Unlock, nil
	}
	// A write transaction that has written to this log sees more than
	// what is committed: do not load from it.
	if l.tx.w != nil && l.tx.w.logs[l.round] != nil {
		m.mu.Unlock()
		return nil, func() {}, nil
	}
	size, err := l.Size()
	if err != nil {
		m.mu.Unlock()
		return nil, nil, err
	}
	if m.hookEnd > size {
		m.mu.Unlock()
		return nil, func() {}, nil
	}
	hashes, more, err := l.loadHashes(size)
	if err != nil {
		m.mu.Unlock()
		return nil, nil, err
	}
	voters, err := l.loadVoters(size)
	if err != nil {
		m.mu.Unlock()
		return nil, nil, err
	}
	m.loaded, m.n, m.hashes, m.more, m.voters = true, size, hashes, more, voters
	return m, m.mu.Unlock, nil
}

// loadHashes reads the record hashes of leaves [0, size) in one pass
// over the stored hashes.
func (l *Log) loadHashes(size int64) (map[uint64]int64, map[uint64][]int64, error) {
	tmp := &logMem{hashes: make(map[uint64]int64, size)}
	prefix := rkey(l.round)
	c := l.tx.b(bHashes).Cursor()
	next := int64(0) // the next leaf
	want := tlog.StoredHashIndex(0, 0)
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && next < size; k, v = c.Next() {
		if len(k) != len(prefix)+8 || len(v) != len(tlog.Hash{}) {
			return nil, nil, fmt.Errorf("store: log %s stored hash: %w", l.round, ErrLogCorrupt)
		}
		x := int64(binary.BigEndian.Uint64(k[len(prefix):]))
		if x < want {
			continue
		}
		if x > want {
			return nil, nil, fmt.Errorf("store: log %s: stored hash %d missing: %w", l.round, want, ErrLogCorrupt)
		}
		tmp.addHash(tlog.Hash(v), next)
		next++
		want = tlog.StoredHashIndex(0, next)
	}
	if next != size {
		return nil, nil, fmt.Errorf("store: log %s: %d leaf hashes for %d leaves: %w", l.round, next, size, ErrLogCorrupt)
	}
	return tmp.hashes, tmp.more, nil
}

// loadVoters reads the voter journal up to size: every key's latest state.
func (l *Log) loadVoters(size int64) (map[[32]byte]voterAt, error) {
	out := make(map[[32]byte]voterAt)
	err := l.forEachJournal(0, size, func(at int64, key [32]byte, v core.Voter, prev int64) error {
		out[key] = voterAt{v: v, at: at, prev: prev}
		return nil
	})
	return out, err
}

// journalKey is the voter journal's key of key's entry at log size at.
func (l *Log) journalKey(at int64, key [32]byte) []byte {
	return rkey(l.round, u64(uint64(at)), key[:])
}

// journalValue encodes a journal entry: the state (17 bytes: ballots,
// last, voided) and the size of the key's previous entry.
func journalValue(v core.Voter, prev int64) []byte {
	b := make([]byte, 25)
	binary.BigEndian.PutUint64(b[0:8], uint64(v.Ballots))
	binary.BigEndian.PutUint64(b[8:16], uint64(v.Last))
	if v.Voided {
		b[16] = 1
	}
	binary.BigEndian.PutUint64(b[17:25], uint64(prev))
	return b
}

// parseJournal decodes a journal entry's key suffix and value.
func parseJournal(round string, k, v []byte) (at int64, key [32]byte, st core.Voter, prev int64, err error) {
	prefix := rkey(round)
	if len(k) != len(prefix)+8+32 || len(v) != 25 || v[16] > 1 {
		return 0, key, st, 0, fmt.Errorf("store: log %s voter journal: %w", round, ErrLogCorrupt)
	}
	at = int64(binary.BigEndian.Uint64(k[len(prefix):]))
	key = [32]byte(k[len(prefix)+8:])
	st = core.Voter{
		Ballots: int(binary.BigEndian.Uint64(v[0:8])),
		Last:    int64(binary.BigEndian.Uint64(v[8:16])),
		Voided:  v[16] == 1,
	}
	prev = int64(binary.BigEndian.Uint64(v[17:25]))
	if at < 1 || prev < 0 || prev >= at {
		return 0, key, st, 0, fmt.Errorf("store: log %s voter journal entry at %d: %w", round, at, ErrLogCorrupt)
	}
	return at, key, st, prev, nil
}

// forEachJournal calls fn for the journal entries at sizes from < at ≤
// to, in order of size and key.
func (l *Log) forEachJournal(from, to int64, fn func(at int64, key [32]byte, v core.Voter, prev int64) error) error {
	prefix := rkey(l.round)
	c := l.tx.b(bVoterLog).Cursor()
	for k, v := c.Seek(rkey(l.round, u64(uint64(from+1)))); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		at, key, st, prev, err := parseJournal(l.round, k, v)
		if err != nil {
			return err
		}
		if at > to {
			break
		}
		if err := fn(at, key, st, prev); err != nil {
			return err
		}
	}
	return nil
}

// journalAt returns key's entry at size at.
func (l *Log) journalAt(at int64, key [32]byte) (core.Voter, int64, error) {
	k := l.journalKey(at, key)
	v := l.tx.b(bVoterLog).Get(k)
	if v == nil {
		return core.Voter{}, 0, fmt.Errorf("store: log %s: voter journal entry at %d missing: %w", l.round, at, ErrLogCorrupt)
	}
	_, _, st, prev, err := parseJournal(l.round, k, v)
	return st, prev, err
}

// leafHashIs reports whether leaf i's record hash is h.
func (l *Log) leafHashIs(i int64, h tlog.Hash) bool {
	v := l.tx.b(bHashes).Get(rkey(l.round, u64(uint64(tlog.StoredHashIndex(0, i)))))
	return bytes.Equal(v, h[:])
}

// scanHashes returns the first leaf in [from, to) whose record hash is h,
// read from the transaction, or -1.
func (l *Log) scanHashes(h tlog.Hash, from, to int64) int64 {
	for i := from; i < to; i++ {
		if l.leafHashIs(i, h) {
			return i
		}
	}
	return -1
}

// upgradeV2 removes the buckets of schema 1 that schema 2 keeps in
// memory, after moving each key's state into the voter journal (one entry
// per key at its log's size).
func upgradeV2(tx *bolt.Tx) error {
	old := tx.Bucket(bVoters)
	if old != nil {
		sizes := tx.Bucket(bLogSize)
		journal := tx.Bucket(bVoterLog)
		err := old.ForEach(func(k, v []byte) error {
			i := bytes.IndexByte(k, 0)
			if i < 0 || len(k) != i+1+32 || len(v) != 17 {
				return fmt.Errorf("store: upgrade: voters entry %q: %w", k, ErrLogCorrupt)
			}
			round := string(k[:i])
			sv := sizes.Get([]byte(round))
			if len(sv) != 8 || binary.BigEndian.Uint64(sv) == 0 {
				return fmt.Errorf("store: upgrade: voter of log %s without leaves: %w", round, ErrLogCorrupt)
			}
			nv := append(append([]byte(nil), v...), u64(0)...)
			return journal.Put(rkey(round, sv, k[i+1:]), nv)
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(bVoters); err != nil {
			return err
		}
	}
	if tx.Bucket(bLeafIndex) != nil {
		if err := tx.DeleteBucket(bLeafIndex); err != nil {
			return err
		}
	}
	return nil
}
