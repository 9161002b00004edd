package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"

	"golang.org/x/mod/sumdb/tlog"
)

// TestLogMemorySnapshots: the leaf index and the voter states kept in
// memory answer exactly what each transaction's snapshot holds: a read
// transaction older than a commit does not see it (the voter journal is
// walked back), a write transaction sees its own writes, a rolled-back
// transaction leaves nothing, and a memory that cannot be loaded from an
// old snapshot is not kept (the database answers).
func TestLogMemorySnapshots(t *testing.T) {
	s := MustOpen(t)
	h := func(leaf string) tlog.Hash { return tlog.RecordHash([]byte(leaf)) }
	k1, k2 := [32]byte{1}, [32]byte{2}
	find := func(tx *Tx, leaf string) int64 {
		t.Helper()
		i, err := tx.Log("r").Find(h(leaf))
		if errors.Is(err, ErrNotFound) {
			return -1
		}
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	voter := func(tx *Tx, k [32]byte) core.Voter {
		t.Helper()
		v, err := tx.Log("r").Voter(k)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	voters := func(tx *Tx) [][32]byte {
		t.Helper()
		var ks [][32]byte
		if err := tx.Log("r").ForEachVoter(func(k [32]byte, _ core.Voter) error {
			ks = append(ks, k)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	update(t, s, func(tx *Tx) error {
		if _, err := appendLeaves(tx, "r", []byte("a"), []byte("b"), []byte("c")); err != nil {
			return err
		}
		return tx.Log("r").PutVoter(k1, core.Voter{Ballots: 1, Last: 1})
	})
	old, err := s.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Rollback()
	r1 := &Tx{tx: old, s: s}
	if got := find(r1, "b"); got != 1 {
		t.Errorf("Find(b) = %d, want 1", got)
	}
	update(t, s, func(tx *Tx) error {
		if _, err := appendLeaves(tx, "r", []byte("d"), []byte("e")); err != nil {
			return err
		}
		l := tx.Log("r")
		if err := l.PutVoter(k1, core.Voter{Ballots: 2, Last: 4}); err != nil {
			return err
		}
		if err := l.PutVoter(k2, core.Voter{Ballots: 1, Last: 3}); err != nil {
			return err
		}
		// Its own writes.
		if got := find(tx, "e"); got != 4 {
			t.Errorf("in the writing transaction: Find(e) = %d, want 4", got)
		}
		if got := voter(tx, k1); got != (core.Voter{Ballots: 2, Last: 4}) {
			t.Errorf("in the writing transaction: Voter(k1) = %+v", got)
		}
		if got := voters(tx); len(got) != 2 {
			t.Errorf("in the writing transaction: %d voters, want 2", len(got))
		}
		if _, err := appendLeaves(tx, "r", []byte("b")); !errors.Is(err, ErrExists) {
			t.Errorf("Append of a logged leaf: %v, want ErrExists", err)
		}
		return nil
	})
	// The older snapshot does not see the commit.
	if got := find(r1, "e"); got != -1 {
		t.Errorf("old snapshot: Find(e) = %d, want none", got)
	}
	if got := voter(r1, k1); got != (core.Voter{Ballots: 1, Last: 1}) {
		t.Errorf("old snapshot: Voter(k1) = %+v, want the state before", got)
	}
	if got := voter(r1, k2); got != (core.Voter{}) {
		t.Errorf("old snapshot: Voter(k2) = %+v, want none", got)
	}
	if got := voters(r1); !slices.Equal(got, [][32]byte{k1}) {
		t.Errorf("old snapshot: voters %x, want k1 only", got)
	}
	old.Rollback()
	// A transaction that fails leaves nothing, in memory either.
	boom := errors.New("boom")
	if err := s.Update(context.Background(), func(tx *Tx) error {
		if _, err := appendLeaves(tx, "r", []byte("f")); err != nil {
			return err
		}
		if err := tx.Log("r").PutVoter(k1, core.Voter{Ballots: 3, Last: 5}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	view(t, s, func(tx *Tx) error {
		if got := find(tx, "e"); got != 4 {
			t.Errorf("Find(e) = %d, want 4", got)
		}
		if got := find(tx, "f"); got != -1 {
			t.Errorf("rolled back: Find(f) = %d, want none", got)
		}
		if got := voter(tx, k1); got != (core.Voter{Ballots: 2, Last: 4}) {
			t.Errorf("rolled back: Voter(k1) = %+v, want {2 4}", got)
		}
		return nil
	})
	// After a restart, a first use from a snapshot older than a commit
	// does not keep its memory; a later one does.
	s = MustReopen(t, s)
	old, err = s.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Rollback()
	update(t, s, func(tx *Tx) error {
		if _, err := appendLeaves(tx, "r", []byte("g")); err != nil {
			return err
		}
		return tx.Log("r").PutVoter(k2, core.Voter{Ballots: 2, Last: 5})
	})
	r2 := &Tx{tx: old, s: s}
	if got, want := [...]int64{find(r2, "b"), find(r2, "g")}, [...]int64{1, -1}; got != want {
		t.Errorf("old snapshot after restart: Find(b), Find(g) = %v, want %v", got, want)
	}
	if got := voter(r2, k2); got != (core.Voter{Ballots: 1, Last: 3}) {
		t.Errorf("old snapshot after restart: Voter(k2) = %+v", got)
	}
	old.Rollback()
	view(t, s, func(tx *Tx) error {
		if got := find(tx, "g"); got != 5 {
			t.Errorf("Find(g) = %d, want 5", got)
		}
		if got := voter(tx, k2); got != (core.Voter{Ballots: 2, Last: 5}) {
			t.Errorf("Voter(k2) = %+v", got)
		}
		// From memory (it holds this snapshot).
		got := voters(tx)
		slices.SortFunc(got, func(a, b [32]byte) int { return int(a[0]) - int(b[0]) })
		if !slices.Equal(got, [][32]byte{k1, k2}) {
			t.Errorf("voters %x, want k1 and k2", got)
		}
		return nil
	})
	path := s.Path()
	s.Close()
	if err := Check(path); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLeafIndexPrefixes: leaves whose hashes share the 8 bytes the
// memory is keyed by are all candidates.
func TestLeafIndexPrefixes(t *testing.T) {
	m := &logMem{hashes: make(map[uint64]int64)}
	a, b, c := tlog.Hash{1, 2}, tlog.Hash{1, 2, 0, 0, 0, 0, 0, 0, 9}, tlog.Hash{3}
	m.addHash(a, 0)
	m.addHash(b, 7)
	m.addHash(c, 8)
	if got := m.candidates(b); !slices.Equal(got, []int64{0, 7}) {
		t.Errorf("candidates(b) = %v, want [0 7]", got)
	}
	if got := m.candidates(tlog.Hash{4}); got != nil {
		t.Errorf("candidates of an unknown hash = %v", got)
	}
}

// TestVoterOfOldSnapshot: a snapshot older than two changes of a key
// finds the key's state from its own journal.
func TestVoterOfOldSnapshot(t *testing.T) {
	s := MustOpen(t)
	k := [32]byte{9}
	put := func(leaf string, v core.Voter) {
		t.Helper()
		update(t, s, func(tx *Tx) error {
			if _, err := appendLeaves(tx, "r", []byte(leaf)); err != nil {
				return err
			}
			return tx.Log("r").PutVoter(k, v)
		})
	}
	put("a", core.Voter{Ballots: 1, Last: 0})
	old, err := s.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Rollback()
	r := &Tx{tx: old, s: s}
	if v, err := r.Log("r").Voter(k); err != nil || v.Ballots != 1 {
		t.Fatalf("Voter = %+v, %v", v, err)
	}
	put("b", core.Voter{Ballots: 2, Last: 1})
	put("c", core.Voter{Ballots: 3, Last: 2, Voided: true})
	if v, err := r.Log("r").Voter(k); err != nil || v != (core.Voter{Ballots: 1, Last: 0}) {
		t.Errorf("old snapshot: Voter = %+v, %v, want the first state", v, err)
	}
	view(t, s, func(tx *Tx) error {
		if v, err := tx.Log("r").Voter(k); err != nil || v != (core.Voter{Ballots: 3, Last: 2, Voided: true}) {
			t.Errorf("Voter = %+v, %v, want the last state", v, err)
		}
		return nil
	})
}
