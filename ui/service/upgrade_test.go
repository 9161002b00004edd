package service

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

var writeV1 = flag.Bool("write-v1", false, "write testdata/v1 (only with the schema-1 store)")

// TestWriteV1 wrote testdata/v1, a data directory of schema 1 (the voters
// bucket keyed by roll key and the leaf_index bucket), with the store as
// it was before schema 2: round v1-2026 (revote last, 6 voters) where
// voter 0 voted twice, voter 1 once, voter 2 was voided after voting, and
// voter 3 voided without voting. codes.txt holds the voting codes (test
// data only).
func TestWriteV1(t *testing.T) {
	if !*writeV1 {
		t.Skip("-write-v1 not given")
	}
	e := newEnv(t)
	e.seed()
	const round = "v1-2026"
	v := e.votingRound(round, 6, RoundRequest{Revote: ballot.RevoteLast})
	e.cast(round, e.castLeaf(round, v, 0, 1, "bibliotek"), false)
	e.cast(round, e.castLeaf(round, v, 1, 1, "shelter"), false)
	e.cast(round, e.castLeaf(round, v, 2, 1, "legeplads"), false)
	e.cast(round, e.castLeaf(round, v, 0, 2, "legeplads"), false)
	ctx := context.Background()
	for _, i := range []int{2, 3} {
		key := ballot.PublicKey(ballot.DeriveKey(v.codes[i], round))
		if _, err := e.svc.Void(ctx, coord, round, VoidRequest{Key: canon.EncodeB64(key[:]), Reason: "stolen slip"}); err != nil {
			t.Fatal(err)
		}
	}
	e.svc.Close()
	out := filepath.Join("testdata", "v1")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(out, "keys"), os.DirFS(filepath.Join(e.dir, "keys"))); err != nil {
		t.Fatal(err)
	}
	// A backup holds the pages in use only (the file itself is grown
	// in steps of 16 MB).
	f, err := os.Create(filepath.Join(out, "pb.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Backup(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range v.codes {
		codes = append(codes, c.String())
	}
	if err := os.WriteFile(filepath.Join(out, "codes.txt"), []byte(strings.Join(codes, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeV1 opens testdata/v1 (schema 1) with the current store: the
// file is upgraded at open (the voters move into the voter journal, the
// leaf index is dropped), passes the full check, and intake carries on
// from the old state: a resent ballot is a repeat with its old index, a
// voided key stays refused, a revote under "last" replaces the ballot of
// before the upgrade, a new voter votes, and the record verifies.
func TestUpgradeV1(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "v1"))); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "codes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const round = "v1-2026"
	var v voters
	for _, line := range strings.Fields(string(raw)) {
		c, err := ballot.ParseCode(line)
		if err != nil {
			t.Fatal(err)
		}
		v.codes = append(v.codes, c)
	}
	s, st := open(t, dir)
	e := &env{t: t, svc: s, store: st, dir: dir}
	t.Cleanup(func() {
		s.Close()
		st.Close()
	})
	ctx := context.Background()
	key := func(i int) [32]byte { return ballot.PublicKey(ballot.DeriveKey(v.codes[i], round)) }

	voter := func(i int) core.Voter {
		t.Helper()
		var vs core.Voter
		if err := st.Read(ctx, func(tx core.Tx) error {
			var err error
			vs, err = tx.RoundLog(round).Voter(key(i))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return vs
	}
	// The state of before the upgrade (leaves: 0 the manifest, 1 voter 0,
	// 2 voter 1, 3 voter 2, 4 voter 0 again, 5 and 6 the voids of voters 2
	// and 3).
	for i, want := range []core.Voter{{Ballots: 2, Last: 4}, {Ballots: 1, Last: 2}, {Ballots: 1, Last: 3, Voided: true}, {Voided: true}, {}} {
		if got := voter(i); got != want {
			t.Errorf("voter %d: %+v, want %+v", i, got, want)
		}
	}
	if n, err := s.Voters(ctx, round); err != nil || n != 2 {
		t.Errorf("Voters = %d, %v, want 2", n, err)
	}
	// Voter 1's ballot again: a repeat, found without the old leaf index.
	old := e.castLeaf(round, v, 1, 1, "shelter")
	c, err := s.CastBallot(ctx, round, old)
	if err != nil || !c.Repeat || c.Receipt.Index != 2 {
		t.Fatalf("resent ballot: %+v, %v; want a repeat of leaf 2", c, err)
	}
	if _, err := s.CastBallot(ctx, round, e.castLeaf(round, v, 2, 2, "bibliotek")); !errors.Is(err, core.ErrVoided) {
		t.Errorf("voided key: %v, want ErrVoided", err)
	}
	r1 := e.cast(round, e.castLeaf(round, v, 0, 3, "shelter"), false)
	r4 := e.cast(round, e.castLeaf(round, v, 4, 1, "vaerksted"), false)
	if got := voter(0); got.Ballots != 3 || got.Last < 7 {
		t.Errorf("voter 0 after a revote: %+v, want 3 ballots, the last after leaf 6", got)
	}
	e.closeAndPublish(round)
	rep := verifyRound(t, e, round, r1, r4)
	if rep.Counts.Counted != 3 {
		t.Errorf("counted %d ballots, want 3 (voters 0, 1 and 4)", rep.Counts.Counted)
	}
	s.Close()
	st.Close()
	if err := store.Check(filepath.Join(dir, "pb.db")); err != nil {
		t.Errorf("Check after the upgrade: %v", err)
	}
}
