package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// testArgon2 keeps password hashing cheap in tests.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

const testBase = "http://pb.test"

// env is a service on a fresh data directory (a real bbolt file).
type env struct {
	t     testing.TB
	svc   *Service
	store *store.Store
	dir   string
}

// open starts a service on dir with the test defaults changed by opts.
func open(t testing.TB, dir string, opts ...func(*Config)) (*Service, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "pb.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := store.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Keys: keys, BaseURL: testBase, Batch: 20 * time.Millisecond,
		Argon2: testArgon2, ScheduleEvery: -1}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// newEnv starts a service on a temporary data directory. Batches are
// short and the scheduler is off unless opts says otherwise.
func newEnv(t testing.TB, opts ...func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	s, st := open(t, dir, opts...)
	t.Cleanup(func() {
		s.Close()
		st.Close()
	})
	return &env{t: t, svc: s, store: st, dir: dir}
}

var (
	admin = &core.Identity{Name: "admin", Role: core.RoleAdmin}
	coord = &core.Identity{Name: "barrit-coord", Role: core.RoleCoordinator, Community: "barrit"}
)

// seed creates a fund of two communities (barrit, glud).
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateFund(ctx, admin, FundRequest{ID: "pulje", Name: "Landdistriktspuljen",
		Total: 300_000, Years: []int{2026, 2027, 2028}, Formula: "per-inhabitant"}); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range []CommunityRequest{{ID: "barrit", Name: "Barrit", Population: 1000, Fund: "pulje"},
		{ID: "glud", Name: "Glud", Population: 3000, Fund: "pulje"}} {
		if _, err := e.svc.CreateCommunity(ctx, admin, c); err != nil {
			e.t.Fatal(err)
		}
	}
}

// voters are generated codes with their roll.
type voters struct {
	codes []ballot.Code
	roll  *ballot.Roll
}

func newVoters(t testing.TB, round string, n int) voters {
	t.Helper()
	v := voters{codes: make([]ballot.Code, n)}
	keys := make([][32]byte, n)
	for i := range v.codes {
		c, err := ballot.NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		v.codes[i] = c
		keys[i] = ballot.PublicKey(ballot.DeriveKey(c, round))
	}
	r, err := ballot.NewRoll(round, keys)
	if err != nil {
		t.Fatal(err)
	}
	v.roll = r
	return v
}

// testProjects are the projects of test rounds.
var testProjects = []ProjectRequest{
	{ID: "bibliotek", Title: "Nyt bibliotek", Cost: 30_000, Category: "laering"},
	{ID: "legeplads", Title: "Legeplads ved skolen", Cost: 20_000, Category: "fritid-og-faellesskab"},
	{ID: "shelter", Title: "Shelter i skoven", Cost: 15_000, Category: "fritid-og-faellesskab"},
	{ID: "vaerksted", Title: "Værksted for unge", Cost: 10_000, Category: "beskaeftigelse"},
}

// votingRound creates round id in barrit with the test projects and a roll
// of n voters, freezes it and opens voting.
func (e *env) votingRound(id string, n int, req RoundRequest) voters {
	e.t.Helper()
	ctx := context.Background()
	req.ID, req.Community = id, "barrit"
	if req.Year == 0 {
		req.Year = 2026
	}
	if req.Title == "" {
		req.Title = "Borgerbudget " + id
	}
	must := func(_ any, err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(e.svc.CreateRound(ctx, coord, req))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseProposals))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseReview))
	for _, p := range testProjects {
		must(e.svc.PutProject(ctx, coord, id, p))
	}
	v := newVoters(e.t, id, n)
	must(e.svc.UploadRoll(ctx, coord, id, v.roll.Bytes()))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseFrozen))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseVoting))
	return v
}

// ballotLeaf signs a ballot of voter i approving projects (cast nonce 0).
func (e *env) ballotLeaf(round string, v voters, i int, approve ...string) []byte {
	e.t.Helper()
	return e.castLeaf(round, v, i, 0, approve...)
}

// castLeaf signs a ballot of voter i approving projects, with the cast
// nonce whose first byte is cast and the rest zero: two casts of one choice
// are two leaves.
func (e *env) castLeaf(round string, v voters, i int, cast byte, approve ...string) []byte {
	e.t.Helper()
	fr, err := e.svc.FrozenRound(context.Background(), round)
	if err != nil {
		e.t.Fatal(err)
	}
	b := &ballot.Ballot{Round: round, Manifest: fr.Hash, Approve: approve, Cast: [ballot.CastSize]byte{cast}}
	b.Sign(ballot.DeriveKey(v.codes[i], round))
	return b.Bytes()
}

// cast casts a leaf and fails the test unless it is new (repeat false) or
// a repeat (repeat true); it returns the receipt's bytes.
func (e *env) cast(round string, leaf []byte, repeat bool) []byte {
	e.t.Helper()
	c, err := e.svc.CastBallot(context.Background(), round, leaf)
	if err != nil {
		e.t.Fatalf("cast in %s: %v", round, err)
	}
	if c.Repeat != repeat {
		e.t.Fatalf("cast in %s: repeat %v, want %v", round, c.Repeat, repeat)
	}
	return c.Receipt.Bytes()
}

// closeAndPublish closes and publishes round id.
func (e *env) closeAndPublish(id string) {
	e.t.Helper()
	for _, p := range []core.Phase{core.PhaseClosed, core.PhasePublished} {
		if _, err := e.svc.SetPhase(context.Background(), coord, id, p); err != nil {
			e.t.Fatal(err)
		}
	}
}

// verifyRound verifies round's record as pbverify would, with receipts.
func verifyRound(t *testing.T, e *env, round string, receipts ...[]byte) *ledger.Report {
	t.Helper()
	ctx := context.Background()
	fr, err := e.svc.FrozenRound(ctx, round)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.svc.Record(ctx, round)
	if err != nil {
		t.Fatal(err)
	}
	opts := ledger.VerifyOptions{Anchors: fr.Anchors, Count: e.svc.count}
	for i, rc := range receipts {
		opts.Receipts = append(opts.Receipts, ledger.Source{Name: fmt.Sprint("receipt ", i), Bytes: rc})
	}
	rep := ledger.Verify(rec, opts)
	if !rep.OK() {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("record of %s does not verify:\n%s", round, b.String())
	}
	for _, rr := range rep.Receipts {
		if !rr.Included {
			t.Errorf("receipt %s not included: %s", rr.Source, rr.Problem)
		}
	}
	return rep
}

// storeSnapshot returns a fingerprint of everything the store holds (the
// digest of every bucket, key and value), to check that a failed operation
// changed nothing.
func (e *env) storeSnapshot() string {
	e.t.Helper()
	var d [32]byte
	if err := e.store.View(context.Background(), func(tx *store.Tx) error {
		d = tx.Digest()
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("%x", d)
}
