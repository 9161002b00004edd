package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MustOpen opens a store on a fresh file in a temporary directory and
// closes it when the test ends.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "pb.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openCopy writes a database file (a backup) into a temporary directory
// and opens it; it is closed when the test ends.
func openCopy(tb testing.TB, db []byte) *Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "copy.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		tb.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// MustReopen closes s and opens its file again.
func MustReopen(tb testing.TB, s *Store) *Store {
	tb.Helper()
	path := s.Path()
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s2.Close() })
	return s2
}

func update(tb testing.TB, s *Store, fn func(tx *Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

func view(tb testing.TB, s *Store, fn func(tx *Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// appendLeaves appends leaves to a round's log the way ledger.Log does:
// computing the tlog stored hashes, then one Append.
func appendLeaves(tx *Tx, round string, leaves ...[]byte) (int64, error) {
	l := tx.Log(round)
	start, err := l.Size()
	if err != nil {
		return 0, err
	}
	var pending []tlog.Hash
	base := tlog.StoredHashCount(start)
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= base {
				out[i] = pending[x-base]
				continue
			}
			h, err := l.ReadHashes([]int64{x})
			if err != nil {
				return nil, err
			}
			out[i] = h[0]
		}
		return out, nil
	})
	for i, leaf := range leaves {
		hs, err := tlog.StoredHashes(start+int64(i), leaf, r)
		if err != nil {
			return 0, err
		}
		pending = append(pending, hs...)
	}
	return start, l.Append(start, leaves, pending)
}

func TestRecordsSurviveReopen(t *testing.T) {
	s := MustOpen(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fund := core.Fund{ID: "pulje", Name: "Landdistriktspuljen", Total: 1_500_000,
		Tranches: []core.Tranche{{Year: 2026, Amount: 500_000}, {Year: 2027, Amount: 500_000}, {Year: 2028, Amount: 500_000}}, Formula: "equal", Created: now}
	comm := core.Community{ID: "barrit", Name: "Barrit", Population: 1234, Fund: "pulje", Created: now}
	round := core.Round{ID: "barrit-2026", Community: "barrit", Fund: "pulje", Year: 2026, Title: "Barrit 2026",
		Budget: 50_000, Phase: core.PhaseDraft, Ballot: ballot.BallotSpec{Kind: "approval", Min: 0, Max: 3},
		Rule: "greedy", Tiebreak: "lexicographic", Revote: "none", Created: now,
		OpensAt: now.Add(time.Hour)}
	acct := core.Account{Name: "admin", Role: core.RoleAdmin, PasswordHash: "$argon2id$x", Created: now}
	update(t, s, func(tx *Tx) error {
		if err := tx.CreateFund(fund); err != nil {
			return err
		}
		if err := tx.CreateCommunity(comm); err != nil {
			return err
		}
		if err := tx.CreateRound(round); err != nil {
			return err
		}
		if err := tx.CreateAccount(acct); err != nil {
			return err
		}
		if err := tx.PutProject(core.Project{Round: round.ID, ID: "p002", Title: "Bænke", Cost: 10_000, Category: "social-omsorg"}); err != nil {
			return err
		}
		if err := tx.PutProject(core.Project{Round: round.ID, ID: "p001", Title: "Legeplads", Cost: 20_000, Category: "laering"}); err != nil {
			return err
		}
		return tx.PutMeta("hello", []byte("world"))
	})

	s = MustReopen(t, s)
	view(t, s, func(tx *Tx) error {
		f, err := tx.Fund("pulje")
		if err != nil || f.Name != fund.Name || len(f.Tranches) != 3 || !f.Created.Equal(now) {
			t.Errorf("Fund = %+v, %v", f, err)
		}
		c, err := tx.Community("barrit")
		if err != nil || c != comm {
			t.Errorf("Community = %+v, %v, want %+v", c, err, comm)
		}
		r, err := tx.Round("barrit-2026")
		if err != nil || r.Title != round.Title || r.Ballot != round.Ballot || !r.OpensAt.Equal(round.OpensAt) || !r.ClosesAt.IsZero() {
			t.Errorf("Round = %+v, %v", r, err)
		}
		a, err := tx.Account("admin")
		if err != nil || a != acct {
			t.Errorf("Account = %+v, %v", a, err)
		}
		ps, err := tx.Projects(round.ID)
		if err != nil || len(ps) != 2 || ps[0].ID != "p001" || ps[1].ID != "p002" {
			t.Errorf("Projects = %+v, %v", ps, err)
		}
		m, err := tx.Meta("hello")
		if err != nil || string(m) != "world" {
			t.Errorf("Meta = %q, %v", m, err)
		}
		return nil
	})
}

func TestNotFoundAndExists(t *testing.T) {
	s := MustOpen(t)
	update(t, s, func(tx *Tx) error {
		if err := tx.CreateFund(core.Fund{ID: "f"}); err != nil {
			return err
		}
		if err := tx.CreateFund(core.Fund{ID: "f"}); !errors.Is(err, ErrExists) {
			t.Errorf("second CreateFund error = %v, want ErrExists", err)
		}
		if err := tx.CreateCommunity(core.Community{ID: "c"}); err != nil {
			return err
		}
		if err := tx.CreateCommunity(core.Community{ID: "c"}); !errors.Is(err, ErrExists) {
			t.Errorf("second CreateCommunity error = %v, want ErrExists", err)
		}
		if err := tx.CreateRound(core.Round{ID: "r"}); err != nil {
			return err
		}
		if err := tx.CreateRound(core.Round{ID: "r"}); !errors.Is(err, ErrExists) {
			t.Errorf("second CreateRound error = %v, want ErrExists", err)
		}
		if err := tx.CreateAccount(core.Account{Name: "a"}); err != nil {
			return err
		}
		if err := tx.CreateAccount(core.Account{Name: "a"}); !errors.Is(err, ErrExists) {
			t.Errorf("second CreateAccount error = %v, want ErrExists", err)
		}
		if err := tx.PutManifest("r", []byte("m")); err != nil {
			return err
		}
		if err := tx.PutManifest("r", []byte("m2")); !errors.Is(err, ErrExists) {
			t.Errorf("second PutManifest error = %v, want ErrExists", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		checks := map[string]error{}
		_, checks["fund"] = tx.Fund("nope")
		_, checks["community"] = tx.Community("nope")
		_, checks["round"] = tx.Round("nope")
		_, checks["account"] = tx.Account("nope")
		_, checks["proposal"] = tx.Proposal("r", 1)
		_, checks["proposal0"] = tx.Proposal("r", 0)
		_, checks["project"] = tx.Project("r", "x")
		_, checks["manifest"] = tx.Manifest("nope")
		_, checks["roll"] = tx.Roll("r")
		_, checks["meta"] = tx.Meta("nope")
		_, checks["session"] = tx.Session([32]byte{1})
		_, checks["leaf"] = tx.Log("r").Leaf(0)
		_, checks["find"] = tx.Log("r").Find(tlog.Hash{})
		_, _, checks["checkpoint"] = tx.Log("r").LatestCheckpoint()
		_, _, checks["covering"] = tx.Log("r").CheckpointCovering(0)
		for name, err := range checks {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: error = %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	s := MustOpen(t)
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.CreateFund(core.Fund{ID: "f"}); err != nil {
			return err
		}
		if _, err := appendLeaves(tx, "r", []byte("leaf")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	view(t, s, func(tx *Tx) error {
		if _, err := tx.Fund("f"); !errors.Is(err, ErrNotFound) {
			t.Errorf("fund written by a failed update")
		}
		if n, _ := tx.Log("r").Size(); n != 0 {
			t.Errorf("log size %d after a failed update", n)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(ctx, func(*Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with cancelled context = %v", err)
	}
}

func TestProposalsNumbering(t *testing.T) {
	s := MustOpen(t)
	update(t, s, func(tx *Tx) error {
		for _, r := range []string{"a", "b", "a", "a", "b"} {
			p, err := tx.AddProposal(core.Proposal{Round: r, Title: "idea in " + r})
			if err != nil {
				return err
			}
			if p.ID < 1 {
				t.Errorf("AddProposal ID = %d", p.ID)
			}
		}
		return nil
	})
	s = MustReopen(t, s)
	update(t, s, func(tx *Tx) error {
		p, err := tx.AddProposal(core.Proposal{Round: "a", Title: "fourth"})
		if err != nil {
			return err
		}
		if p.ID != 4 {
			t.Errorf("fourth proposal of a has ID %d", p.ID)
		}
		p.Status = core.ProposalAccepted
		if err := tx.PutProposal(p); err != nil {
			return err
		}
		if err := tx.PutProposal(core.Proposal{Round: "a", ID: 99}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutProposal of a missing proposal = %v", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		ps, err := tx.Proposals("a")
		if err != nil {
			return err
		}
		var ids []int64
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if fmt.Sprint(ids) != "[1 2 3 4]" || ps[3].Status != core.ProposalAccepted {
			t.Errorf("proposals of a = %v", ps)
		}
		ps, _ = tx.Proposals("b")
		if len(ps) != 2 {
			t.Errorf("proposals of b = %v", ps)
		}
		// "a" must not see the proposals of a round named "a-b" or the like.
		ps, _ = tx.Proposals("ab")
		if len(ps) != 0 {
			t.Errorf("proposals of ab = %v", ps)
		}
		return nil
	})
}

func TestLogMatchesTlog(t *testing.T) {
	s := MustOpen(t)
	const n = 70
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = []byte(fmt.Sprintf("leaf %d\n", i))
	}
	// Append in uneven batches, across a reopen; another round's log is
	// interleaved to check that logs do not mix.
	for start := 0; start < n; {
		end := min(n, start+1+start%7)
		update(t, s, func(tx *Tx) error {
			idx, err := appendLeaves(tx, "r", leaves[start:end]...)
			if err != nil {
				return err
			}
			if idx != int64(start) {
				t.Fatalf("Append at %d, want %d", idx, start)
			}
			for i := start; i < end; i++ {
				if _, err := appendLeaves(tx, "other", append([]byte("x"), leaves[i]...)); err != nil {
					return err
				}
			}
			return nil
		})
		if start == n/2 {
			s = MustReopen(t, s)
		}
		start = end
	}

	// Reference: tlog over an in-memory hash storage.
	var mem []tlog.Hash
	ref := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = mem[x]
		}
		return out, nil
	})
	for i, leaf := range leaves {
		hs, err := tlog.StoredHashes(int64(i), leaf, ref)
		if err != nil {
			t.Fatal(err)
		}
		mem = append(mem, hs...)
	}

	view(t, s, func(tx *Tx) error {
		l := tx.Log("r")
		size, err := l.Size()
		if err != nil || size != n {
			t.Fatalf("Size = %d, %v", size, err)
		}
		for _, k := range []int64{0, 1, 2, 3, 31, 32, 33, 64, n} {
			got, err := l.TreeHash(k)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tlog.TreeHash(k, ref)
			if got != want {
				t.Errorf("TreeHash(%d) = %v, want %v", k, got, want)
			}
		}
		root, _ := l.TreeHash(n)
		for i := int64(0); i < n; i += 9 {
			p, err := tlog.ProveRecord(n, i, l)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, n, root, i, tlog.RecordHash(leaves[i])); err != nil {
				t.Errorf("inclusion of %d: %v", i, err)
			}
			got, err := l.Find(tlog.RecordHash(leaves[i]))
			if err != nil || got != i {
				t.Errorf("Find(leaf %d) = %d, %v", i, got, err)
			}
			leaf, err := l.Leaf(i)
			if err != nil || !bytes.Equal(leaf, leaves[i]) {
				t.Errorf("Leaf(%d) = %q, %v", i, leaf, err)
			}
		}
		old, _ := l.TreeHash(13)
		tp, err := tlog.ProveTree(n, 13, l)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(tp, n, root, 13, old); err != nil {
			t.Errorf("consistency 13→%d: %v", n, err)
		}
		hs, err := l.LeafHashes(n)
		if err != nil {
			return err
		}
		var count int64
		if err := l.ForEachLeaf(func(i int64, leaf []byte) error {
			if i != count || !bytes.Equal(leaf, leaves[i]) || hs[i] != tlog.RecordHash(leaf) {
				t.Errorf("ForEachLeaf: leaf %d out of place", i)
			}
			count++
			return nil
		}); err != nil {
			return err
		}
		if count != n {
			t.Errorf("ForEachLeaf visited %d leaves", count)
		}
		if on, _ := tx.Log("other").Size(); on != n {
			t.Errorf("other log size %d", on)
		}
		return nil
	})

	// A leaf appears at most once, also within one batch.
	for _, batch := range [][][]byte{{leaves[5]}, {[]byte("new"), []byte("new")}} {
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := appendLeaves(tx, "r", batch...)
			return err
		})
		if !errors.Is(err, ErrExists) {
			t.Errorf("appending a duplicate leaf: %v, want ErrExists", err)
		}
	}
	// Appends at the wrong place or with the wrong hash count fail.
	err := s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.Log("r").Append(3, [][]byte{[]byte("z")}, make([]tlog.Hash, 1)); err == nil {
			t.Errorf("Append at 3 of a log of size %d succeeded", n)
		}
		if err := tx.Log("r").Append(n, [][]byte{[]byte("z")}, nil); err == nil {
			t.Errorf("Append without hashes succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// LogStorage reads the same log outside transactions.
	ls := s.LogStorage("r")
	if size, err := ls.Size(); err != nil || size != n {
		t.Errorf("LogStorage.Size = %d, %v", size, err)
	}
	got, err := ls.ReadLeaves(3, 5)
	if err != nil || len(got) != 2 || !bytes.Equal(got[1], leaves[4]) {
		t.Errorf("LogStorage.ReadLeaves(3, 5) = %q, %v", got, err)
	}
	if i, err := ls.Find(tlog.RecordHash(leaves[7])); err != nil || i != 7 {
		t.Errorf("LogStorage.Find = %d, %v", i, err)
	}
	if _, err := ls.ReadLeaves(5, n+1); err == nil {
		t.Errorf("ReadLeaves past the end succeeded")
	}
	if root, err := tlog.TreeHash(n, ls); err != nil || root != func() tlog.Hash { h, _ := tlog.TreeHash(n, ref); return h }() {
		t.Errorf("LogStorage tree hash = %v, %v", root, err)
	}
}

func TestCheckpointsAndVoters(t *testing.T) {
	s := MustOpen(t)
	update(t, s, func(tx *Tx) error {
		l := tx.Log("r")
		for _, size := range []int64{1, 4, 9} {
			if err := l.PutCheckpoint(size, []byte(fmt.Sprintf("cp %d\n", size))); err != nil {
				return err
			}
		}
		if err := l.PutCheckpoint(9, []byte("again")); err == nil {
			t.Errorf("PutCheckpoint accepted a repeated size")
		}
		if err := l.PutCheckpoint(3, []byte("back")); err == nil {
			t.Errorf("PutCheckpoint accepted a smaller size")
		}
		if err := tx.Log("r2").PutCheckpoint(100, []byte("other")); err != nil {
			return err
		}
		var k [32]byte
		k[0] = 7
		// A voter's state belongs to the log's size: leaves first.
		if _, err := appendLeaves(tx, "r", []byte("a"), []byte("b"), []byte("c")); err != nil {
			return err
		}
		if err := l.PutVoter(k, core.Voter{Ballots: 2, Last: 8, Voided: true}); err != nil {
			return err
		}
		if err := l.AppendResult([]byte("r1")); err != nil {
			return err
		}
		return l.AppendResult([]byte("r2"))
	})
	s = MustReopen(t, s)
	view(t, s, func(tx *Tx) error {
		l := tx.Log("r")
		size, cp, err := l.LatestCheckpoint()
		if err != nil || size != 9 || string(cp) != "cp 9\n" {
			t.Errorf("LatestCheckpoint = %d, %q, %v", size, cp, err)
		}
		for _, c := range []struct{ leaf, size int64 }{{0, 1}, {1, 4}, {3, 4}, {4, 9}, {8, 9}} {
			got, note, err := l.CheckpointCovering(c.leaf)
			if err != nil || got != c.size || string(note) != fmt.Sprintf("cp %d\n", c.size) {
				t.Errorf("CheckpointCovering(%d) = %d, %q, %v, want %d", c.leaf, got, note, err, c.size)
			}
		}
		if _, _, err := l.CheckpointCovering(9); !errors.Is(err, ErrNotFound) {
			t.Errorf("CheckpointCovering(9) error = %v, want ErrNotFound", err)
		}
		cps, _ := l.Checkpoints()
		if len(cps) != 3 || string(cps[0]) != "cp 1\n" || string(cps[2]) != "cp 9\n" {
			t.Errorf("Checkpoints = %q", cps)
		}
		var k [32]byte
		k[0] = 7
		v, err := l.Voter(k)
		if err != nil || v != (core.Voter{Ballots: 2, Last: 8, Voided: true}) {
			t.Errorf("Voter = %+v, %v", v, err)
		}
		v, err = l.Voter([32]byte{})
		if err != nil || v != (core.Voter{}) {
			t.Errorf("unknown core.Voter = %+v, %v", v, err)
		}
		rs, _ := l.Results()
		if len(rs) != 2 || string(rs[1]) != "r2" {
			t.Errorf("Results = %q", rs)
		}
		return nil
	})
}

func TestSessionsAndAudit(t *testing.T) {
	s := MustOpen(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	update(t, s, func(tx *Tx) error {
		if err := tx.PutSession([32]byte{1}, core.Session{Account: "a", CSRF: "x", Expires: now.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.PutSession([32]byte{2}, core.Session{Account: "b", Expires: now.Add(-time.Hour)}); err != nil {
			return err
		}
		for i := range 5 {
			if _, err := tx.AppendAudit(core.AuditEntry{Time: now, Account: "a", Action: fmt.Sprint("act", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx *Tx) error {
		n, err := tx.DeleteExpiredSessions(now)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredSessions = %d, %v", n, err)
		}
		if err := tx.DeleteSession([32]byte{9}); err != nil {
			t.Errorf("DeleteSession of a missing session: %v", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		if got, err := tx.Session([32]byte{1}); err != nil || got.Account != "a" {
			t.Errorf("Session 1 = %+v, %v", got, err)
		}
		if _, err := tx.Session([32]byte{2}); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired session still there")
		}
		es, err := tx.Audit(3)
		if err != nil || len(es) != 3 || es[0].Action != "act4" || es[0].Seq != 5 || es[2].Action != "act2" {
			t.Errorf("Audit(3) = %+v, %v", es, err)
		}
		all, _ := tx.Audit(0)
		if len(all) != 5 {
			t.Errorf("Audit(0) returned %d entries", len(all))
		}
		return nil
	})
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	s := MustOpen(t)
	update(t, s, func(tx *Tx) error {
		_, err := appendLeaves(tx, "r", []byte("first"))
		return err
	})
	// Keep writing while the backup streams.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Update(context.Background(), func(tx *Tx) error {
				_, err := appendLeaves(tx, "r", []byte(fmt.Sprint("more ", i)))
				return err
			})
		}
	}()
	var buf bytes.Buffer
	n, err := s.Backup(context.Background(), &buf)
	close(stop)
	wg.Wait()
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	c := openCopy(t, buf.Bytes())
	view(t, c, func(tx *Tx) error {
		l := tx.Log("r")
		size, err := l.Size()
		if err != nil || size < 1 {
			t.Fatalf("backup log size %d, %v", size, err)
		}
		// The copy is consistent: every leaf up to its size is there and
		// the tree hashes.
		if _, err := l.TreeHash(size); err != nil {
			t.Errorf("backup TreeHash: %v", err)
		}
		if _, err := l.Leaf(size - 1); err != nil {
			t.Errorf("backup last leaf: %v", err)
		}
		return nil
	})
}

func TestOpenLockedFails(t *testing.T) {
	s := MustOpen(t)
	if _, err := Open(s.Path()); err == nil {
		t.Fatal("second Open of a locked file succeeded")
	}
}

func TestKeyring(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	s1, v1, err := k.Signer("log-r1", "example.org/r1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "log-r1.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v", st.Mode(), err)
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode = %v", d.Mode())
	}
	// Reopening gives the same key.
	k2, _ := OpenKeyring(dir)
	s2, v2, err := k2.Signer("log-r1", "example.org/r1")
	if err != nil || v1 != v2 || s1.KeyHash() != s2.KeyHash() {
		t.Fatalf("second Signer = %q, %v, want %q", v2, err, v1)
	}
	// The vkey verifies what the signer signs.
	ver, err := note.NewVerifier(v1)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(ver)); err != nil {
		t.Errorf("note signed by the keyring does not open with its vkey: %v", err)
	}
	if !strings.HasPrefix(v1, "example.org/r1+") {
		t.Errorf("vkey %q", v1)
	}
	if _, _, err := k.Signer("log-r1", "example.org/other"); err == nil {
		t.Errorf("Signer with a different name reused the key")
	}
	for _, bad := range []string{"", "../x", "A", "a/b", "-a"} {
		if _, _, err := k.Signer(bad, "n"); err == nil {
			t.Errorf("Signer(%q) accepted a bad id", bad)
		}
	}
	if _, v, err := k.Existing("log-r1"); err != nil || v != v1 {
		t.Errorf("Existing = %q, %v, want %q", v, err, v1)
	}
	if _, _, err := k.Existing("log-r9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Existing of a missing key: %v", err)
	}
	_, v3, err := k.Signer("council-barrit", "example.org/council/barrit")
	if err != nil || v3 == v1 {
		t.Errorf("second key = %q, %v", v3, err)
	}
}

func TestPhaseOrder(t *testing.T) {
	ps := core.Phases()
	for i, p := range ps {
		if p.Order() != i {
			t.Errorf("%s.Order() = %d, want %d", p, p.Order(), i)
		}
	}
	if core.Phase("nope").Order() != -1 {
		t.Errorf("unknown phase has an order")
	}
	if core.PhaseReview.Frozen() || !core.PhaseFrozen.Frozen() || !core.PhasePublished.Frozen() {
		t.Errorf("Frozen() wrong")
	}
}

func TestDigest(t *testing.T) {
	s := MustOpen(t)
	digest := func(s *Store) (d [32]byte) {
		view(t, s, func(tx *Tx) error { d = tx.Digest(); return nil })
		return d
	}
	empty := digest(s)
	update(t, s, func(tx *Tx) error {
		_, err := appendLeaves(tx, "r", []byte("first"), []byte("second"))
		return err
	})
	full := digest(s)
	if full == empty {
		t.Fatal("appending leaves did not change the digest")
	}
	// A refused (rolled back) update leaves the digest alone.
	errNo := errors.New("no")
	if err := s.Update(context.Background(), func(tx *Tx) error {
		if _, err := appendLeaves(tx, "r", []byte("third")); err != nil {
			return err
		}
		return errNo
	}); !errors.Is(err, errNo) {
		t.Fatalf("Update = %v", err)
	}
	if digest(s) != full {
		t.Error("a rolled-back update changed the digest")
	}
	// The same data in another file (a backup) has the same digest, and so
	// has the file reopened.
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	c := openCopy(t, buf.Bytes())
	if digest(c) != full {
		t.Error("the backup's digest differs")
	}
	if digest(MustReopen(t, s)) != full {
		t.Error("the reopened file's digest differs")
	}
	// One changed value changes it.
	update(t, c, func(tx *Tx) error { return tx.PutMeta("note", []byte("x")) })
	if digest(c) == full {
		t.Error("a new meta value did not change the digest")
	}
}
