package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// account returns community c's account in year of fund pulje.
func (e *env) account(year int, c string) AccountView {
	e.t.Helper()
	view, err := e.svc.FundPlan(context.Background(), "pulje")
	if err != nil {
		e.t.Fatalf("FundPlan: %v", err)
	}
	for _, tv := range view.Allocation {
		for _, ac := range tv.Accounts {
			if tv.Year == year && ac.Community == c {
				return ac
			}
		}
	}
	e.t.Fatalf("no account of %s in %d", c, year)
	return AccountView{}
}

func wantKind(t *testing.T, err error, k core.Kind, substr string) {
	t.Helper()
	if core.KindOf(err) != k || !strings.Contains(err.Error(), substr) {
		t.Fatalf("error = %v (kind %v), want kind %v containing %q", err, core.KindOf(err), k, substr)
	}
}

// Regression (issue 10): tranches 2^63−1, 2^63−1 and 3 were accepted with
// a total of 1, and the fund answered 500 for good once a community
// joined.
func TestCreateFundOverflow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, req := range []FundRequest{
		{ID: "f", Name: "F", Tranches: []core.Tranche{{Year: 2026, Amount: math.MaxInt64}, {Year: 2027, Amount: math.MaxInt64}, {Year: 2028, Amount: 3}}, Formula: "equal"},
		{ID: "f", Name: "F", Total: 1, Tranches: []core.Tranche{{Year: 2026, Amount: math.MaxInt64}, {Year: 2027, Amount: math.MaxInt64}, {Year: 2028, Amount: 3}}, Formula: "equal"},
		{ID: "f", Name: "F", Total: math.MaxInt64, Years: []int{2026, 2027}, Formula: "equal"},
		{ID: "f", Name: "F", Total: 10, Years: []int{2026}, Formula: "base+per-inhabitant", Base: math.MaxInt64},
	} {
		_, err := e.svc.CreateFund(ctx, admin, req)
		wantKind(t, err, core.Invalid, "")
	}
	if fs, _ := e.svc.Funds(ctx); len(fs) != 0 {
		t.Errorf("funds = %+v", fs)
	}
}

// Regression (issue 10): adding a community recomputed allocations that
// were already spent ("community juelsminde spent 40101 of 26432", 500
// everywhere), and a community of population 0 moved a published
// community's allocation. The tranche froze when its first round froze.
func TestAddCommunityKeepsOpenedTranche(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "bibliotek"), false)
	e.closeAndPublish("barrit-2026")
	before := e.account(2026, "barrit")
	if before.Allocated != 25_000 || before.Spent == 0 {
		t.Fatalf("barrit 2026 = %+v", before)
	}
	for _, c := range []CommunityRequest{{ID: "nul", Name: "Nul", Population: 0, Fund: "pulje"},
		{ID: "zz-new", Name: "Ny", Population: 30_000, Fund: "pulje"}} {
		if _, err := e.svc.CreateCommunity(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
		if got := e.account(2026, "barrit"); got != before {
			t.Errorf("after adding %s: barrit 2026 = %+v, was %+v", c.ID, got, before)
		}
	}
	// The newcomer shares the tranches not opened yet, and rounds can
	// still be made in the fund.
	if got := e.account(2027, "zz-new"); got.Allocated != 100_000*30_000/34_000+1 && got.Allocated != 100_000*30_000/34_000 {
		t.Errorf("zz-new 2027 = %+v", got)
	}
	if _, err := e.svc.CreateRound(ctx, &core.Identity{Name: "admin", Role: core.RoleAdmin},
		RoundRequest{ID: "glud-2026", Community: "glud", Year: 2026, Title: "Glud"}); err != nil {
		t.Fatalf("a round after the newcomer: %v", err)
	}
	_, err := e.svc.CreateRound(ctx, admin, RoundRequest{ID: "zz-2026", Community: "zz-new", Year: 2026, Title: "Ny"})
	wantKind(t, err, core.Invalid, "no share of tranche 2026")
}

// Regression (issue 10): with barrit-2026 voting on all of its 2026
// money, barrit-2027 got a default budget of two years, counting 2026's
// money again as carry-over.
func TestNoDoubleCommitment(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.votingRound("barrit-2026", 3, RoundRequest{})
	r, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"})
	if err != nil || r.Budget != 25_000 {
		t.Fatalf("barrit-2027 = budget %d, %v; want 25000", r.Budget, err)
	}
	budget := int64(25_001)
	_, err = e.svc.UpdateRound(ctx, coord, "barrit-2027", RoundSettings{Budget: &budget})
	wantKind(t, err, core.Invalid, "exceeds the 25000")
	_, err = e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2026b", Community: "barrit", Year: 2026, Title: "B", Budget: 1})
	wantKind(t, err, core.Invalid, "exceeds the 0")
	// 2028 has its own money plus nothing carried: 2026's and 2027's are
	// reserved.
	r, err = e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2028", Community: "barrit", Year: 2028, Title: "B"})
	if err != nil || r.Budget != 25_000 {
		t.Fatalf("barrit-2028 = budget %d, %v; want 25000", r.Budget, err)
	}
	if ac := e.account(2027, "barrit"); ac.Reserved != 25_000 || ac.CarryIn != 0 || ac.Left != 0 {
		t.Errorf("barrit 2027 = %+v", ac)
	}
}

// The freeze re-checks the reservation: an amendment (glud's population
// tripled) shrank the projection under barrit-2027's draft budget.
func TestFreezeRechecksBudget(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B", Budget: 30_000}); err != nil {
		t.Fatal(err)
	}
	pop := int64(9_000)
	if _, err := e.svc.UpdateCommunity(ctx, admin, "glud", CommunityUpdate{Population: &pop}); err != nil {
		t.Fatal(err)
	}
	if ac := e.account(2027, "barrit"); ac.Allocated != 10_000 || ac.CarryIn != 10_000 || ac.Left != -10_000 {
		t.Fatalf("barrit 2027 after the amendment = %+v", ac)
	}
	for _, p := range []core.Phase{core.PhaseProposals, core.PhaseReview} {
		if _, err := e.svc.SetPhase(ctx, coord, "barrit-2027", p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.PutProject(ctx, coord, "barrit-2027", testProjects[3]); err != nil {
		t.Fatal(err)
	}
	bs, err := e.svc.FreezeBlockers(ctx, "barrit-2027", true)
	if err != nil || len(bs) != 1 || bs[0].Reason != "over_budget" {
		t.Fatalf("blockers = %v, %v", bs, err)
	}
	before := e.storeSnapshot()
	_, _, err = e.svc.FreezeWithCodes(ctx, coord, "barrit-2027", CodesRequest{Count: 3})
	wantKind(t, err, core.Conflict, "more than its community has left")
	if e.storeSnapshot() != before {
		t.Error("the refused freeze changed the store")
	}
	budget := int64(10_000)
	if _, err := e.svc.UpdateRound(ctx, coord, "barrit-2027", RoundSettings{Budget: &budget}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.FreezeWithCodes(ctx, coord, "barrit-2027", CodesRequest{Count: 3}); err != nil {
		t.Fatal(err)
	}
	// Freezing opened 2026 and 2027 with glud at 9,000: a later amendment
	// no longer moves them.
	pop = 1
	if _, err := e.svc.UpdateCommunity(ctx, admin, "glud", CommunityUpdate{Population: &pop}); err != nil {
		t.Fatal(err)
	}
	if ac := e.account(2027, "barrit"); ac.Allocated != 10_000 {
		t.Errorf("barrit 2027 after a second amendment = %+v", ac)
	}
	if ac := e.account(2028, "barrit"); ac.Allocated != 99_900 {
		t.Errorf("barrit 2028 projection = %+v", ac)
	}
}

// Regression (issue 10): Aale's budget was 8,688 and its projects cost
// 12,000–60,000; the freeze took it and the result funded nothing.
func TestFreezeRefusesWhenNothingFits(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "B", Budget: 8_688}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []core.Phase{core.PhaseProposals, core.PhaseReview} {
		if _, err := e.svc.SetPhase(ctx, coord, "barrit-2026", p); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range testProjects[2:] { // 15,000 and 10,000
		if _, err := e.svc.PutProject(ctx, coord, "barrit-2026", p); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := e.svc.FreezeWithCodes(ctx, coord, "barrit-2026", CodesRequest{Count: 3})
	wantKind(t, err, core.Conflict, "no project fits the budget")
	budget := int64(12_000)
	if _, err := e.svc.UpdateRound(ctx, coord, "barrit-2026", RoundSettings{Budget: &budget}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.FreezeWithCodes(ctx, coord, "barrit-2026", CodesRequest{Count: 3}); err != nil {
		t.Fatalf("one project fits, projects cost more than the budget (a warning only): %v", err)
	}
}

// Carry-over: a closed tranche fixes what each community carries into the
// next; it closes only when none of its rounds is open.
func TestCloseTrancheCarriesOver(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	_, err := e.svc.CloseTranche(ctx, admin, "pulje", 2026)
	wantKind(t, err, core.Conflict, "still has a round open")
	_, err = e.svc.CloseTranche(ctx, coord, "pulje", 2026)
	wantKind(t, err, core.Forbidden, "")
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "legeplads"), false)
	e.closeAndPublish("barrit-2026")
	view, err := e.svc.CloseTranche(ctx, admin, "pulje", 2026)
	if err != nil {
		t.Fatal(err)
	}
	tv := view.Allocation[1]
	if !view.Allocation[0].Closed || !tv.CarryInFixed || tv.Accounts[0].CarryIn != 5_000 || tv.Accounts[1].CarryIn != 75_000 {
		t.Errorf("after closing 2026: %+v", view.Allocation)
	}
	_, err = e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2026b", Community: "barrit", Year: 2026, Title: "B", Budget: 1})
	wantKind(t, err, core.Conflict, "closed")
	r, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"})
	if err != nil || r.Budget != 30_000 {
		t.Errorf("barrit-2027 = budget %d, %v; want 30000 (5000 carried)", r.Budget, err)
	}
}

// Editing and removing a community again, as amendments for the tranches
// not opened yet.
func TestRemoveCommunity(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.RemoveCommunity(ctx, admin, "barrit")
	wantKind(t, err, core.Conflict, "barrit-2027")
	if _, err := e.svc.RemoveCommunity(ctx, admin, "glud"); err != nil {
		t.Fatal(err)
	}
	if ac := e.account(2026, "barrit"); ac.Allocated != 100_000 {
		t.Errorf("barrit 2026 alone = %+v", ac)
	}
	_, err = e.svc.RemoveCommunity(ctx, admin, "glud")
	wantKind(t, err, core.Conflict, "already left")
	name := "Barrit By"
	if cm, err := e.svc.UpdateCommunity(ctx, admin, "barrit", CommunityUpdate{Name: &name}); err != nil || cm.Name != name {
		t.Errorf("rename = %+v, %v", cm, err)
	}
	_, err = e.svc.UpdateCommunity(ctx, coord, "barrit", CommunityUpdate{Name: &name})
	wantKind(t, err, core.Forbidden, "")
}

// Cancelling a round releases its reservation; nothing else can be done
// to it afterwards, and a round cannot be cancelled while voting.
func TestCancelReleasesReservation(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	r, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"})
	if err != nil || r.Budget != 50_000 {
		t.Fatalf("barrit-2027 = budget %d, %v; want 50000 (2026's money carried)", r.Budget, err)
	}
	_, err = e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "B", Budget: 1})
	wantKind(t, err, core.Invalid, "exceeds the 0")
	if _, err := e.svc.CancelRound(ctx, coord, "barrit-2027"); err != nil {
		t.Fatal(err)
	}
	if ac := e.account(2027, "barrit"); ac.Reserved != 0 || ac.Left != 50_000 {
		t.Errorf("barrit 2027 after the cancellation = %+v", ac)
	}
	budget := int64(1)
	_, err = e.svc.UpdateRound(ctx, coord, "barrit-2027", RoundSettings{Budget: &budget})
	wantKind(t, err, core.Conflict, "cancelled")
	_, err = e.svc.CancelRound(ctx, coord, "barrit-2027")
	wantKind(t, err, core.Conflict, "cancelled")
	e.votingRound("barrit-2026", 3, RoundRequest{})
	_, err = e.svc.CancelRound(ctx, coord, "barrit-2026")
	wantKind(t, err, core.Conflict, "phase voting")
	if _, err := e.svc.RemoveCommunity(ctx, admin, "barrit"); err != nil {
		t.Errorf("removing barrit with only a cancelled round after 2026: %v", err)
	}
}

// oldData writes, with the store alone, a data directory as an older
// version left it: fund pulje (three tranches) without ledger key or
// openings, communities barrit and glud, and round barrit-2026 frozen in
// phase; extra may add to it.
func oldData(t *testing.T, dir string, extra func(tx *store.Tx) error) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "pb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vkey := func(name string) string {
		_, v, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.CreateFund(core.Fund{ID: "pulje", Name: "Landdistriktspuljen", Total: 300_000, Formula: "per-inhabitant",
			Tranches: []core.Tranche{{Year: 2026, Amount: 100_000}, {Year: 2027, Amount: 100_000}, {Year: 2028, Amount: 100_000}}}); err != nil {
			return err
		}
		for _, c := range []core.Community{{ID: "barrit", Name: "Barrit", Population: 1000, Fund: "pulje"},
			{ID: "glud", Name: "Glud", Population: 3000, Fund: "pulje"}} {
			if err := tx.CreateCommunity(c); err != nil {
				return err
			}
		}
		if err := tx.CreateRound(core.Round{ID: "barrit-2026", Community: "barrit", Fund: "pulje", Year: 2026, Title: "B",
			Budget: 25_000, Phase: core.PhaseFrozen, ManifestHash: base64.StdEncoding.EncodeToString(make([]byte, 32)),
			Fingerprint: "0123456789ABCDEF", LogKey: vkey("pb.test/barrit-2026"), CouncilKey: vkey("pb.test/council/barrit")}); err != nil {
			return err
		}
		if extra != nil {
			return extra(tx)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An existing data directory (funds without openings, from before
// allocations froze, and without ledger) is upgraded at start: the
// tranches of frozen rounds open, and the ledger is written from the
// stored state and replays to it. It is refused with a message naming the
// fund when its rounds committed more than the communities had, or when a
// round was published (its result was chained outside any ledger).
func TestUpgradeFunds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra func(tx *store.Tx) error
		fails string
	}{
		{"ok", nil, ""},
		{"joined since", func(tx *store.Tx) error { // as the older version allowed
			return tx.CreateCommunity(core.Community{ID: "zz-new", Name: "Ny", Population: 30_000, Fund: "pulje"})
		}, "cannot be upgraded"},
		{"published", func(tx *store.Tx) error {
			return tx.CreateRound(core.Round{ID: "glud-2026", Community: "glud", Fund: "pulje", Year: 2026, Title: "G",
				Budget: 10_000, Phase: core.PhasePublished})
		}, "was published"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			oldData(t, dir, tc.extra)
			st2, err := store.Open(filepath.Join(dir, "pb.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st2.Close()
			keys, err := store.OpenKeyring(filepath.Join(dir, "keys"))
			if err != nil {
				t.Fatal(err)
			}
			s2, err := New(Config{Store: st2, Keys: keys, BaseURL: testBase, Argon2: testArgon2, ScheduleEvery: -1})
			if tc.fails != "" {
				if err == nil || !strings.Contains(err.Error(), "fund pulje") || !strings.Contains(err.Error(), tc.fails) {
					t.Errorf("New = %v, want an error naming fund pulje and %q", err, tc.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			ctx := context.Background()
			f, err := s2.Fund(ctx, "pulje")
			if err != nil || len(f.Openings) != 1 || f.Openings[0].Year != 2026 || f.FundKey == "" {
				t.Fatalf("upgraded fund = %+v, %v", f, err)
			}
			leaves, _, err := s2.FundLedger(ctx, "pulje")
			if err != nil || len(leaves) != 3 { // charter, opening, reservation
				t.Fatalf("ledger: %d leaves, %v", len(leaves), err)
			}
			// The fund works on: a community joins for 2027.
			if _, err := s2.CreateCommunity(ctx, admin, CommunityRequest{ID: "hvirring", Name: "Hvirring", Population: 500, Fund: "pulje"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFundLifecycle is issue 10's end-to-end scenario on the service and a
// real bbolt file: a fund of three tranches, a cancelled round, a round
// published, a restart, a community joining and a population update
// after the first tranche opened, the first tranche closed with its
// carry-over, a second round frozen in the next tranche, a second
// restart. The opened allocations never move and nothing is committed
// twice.
func TestFundLifecycle(t *testing.T) {
	dir := t.TempDir()
	s, st := open(t, dir)
	e := &env{t: t, svc: s, store: st, dir: dir}
	restart := func() {
		t.Helper()
		before, err := e.svc.FundPlan(context.Background(), "pulje")
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Close()
		e.store.Close()
		e.svc, e.store = open(t, dir)
		after, err := e.svc.FundPlan(context.Background(), "pulje")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("the restart changed the fund:\n%v\n%v", before, after)
		}
	}
	defer func() { e.svc.Close(); e.store.Close() }()
	ctx := context.Background()
	e.seed() // barrit 1,000 and glud 3,000 inhabitants; 100,000 a year 2026–2028
	glud := &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
	if _, err := e.svc.CreateRound(ctx, glud, RoundRequest{ID: "glud-2026", Community: "glud", Year: 2026, Title: "G"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CancelRound(ctx, glud, "glud-2026"); err != nil {
		t.Fatal(err)
	}
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "legeplads"), false)
	e.closeAndPublish("barrit-2026")
	restart()

	if _, err := e.svc.CreateCommunity(ctx, admin, CommunityRequest{ID: "hornsyld", Name: "Hornsyld", Population: 4000, Fund: "pulje"}); err != nil {
		t.Fatal(err)
	}
	pop := int64(5000)
	if _, err := e.svc.UpdateCommunity(ctx, admin, "glud", CommunityUpdate{Population: &pop}); err != nil {
		t.Fatal(err)
	}
	if ac := e.account(2026, "glud"); ac.Allocated != 75_000 {
		t.Errorf("glud 2026 moved after the amendments: %+v", ac)
	}
	if _, err := e.svc.CloseTranche(ctx, admin, "pulje", 2026); err != nil {
		t.Fatal(err)
	}
	// barrit spent 20,000 of 25,000; 2027 shares 100,000 as 1:5:4.
	r, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"})
	if err != nil || r.Budget != 15_000 {
		t.Fatalf("barrit-2027 = budget %d, %v; want 15000 (5000 carried + 10000)", r.Budget, err)
	}
	for _, p := range []core.Phase{core.PhaseProposals, core.PhaseReview} {
		if _, err := e.svc.SetPhase(ctx, coord, "barrit-2027", p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.PutProject(ctx, coord, "barrit-2027", testProjects[3]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.FreezeWithCodes(ctx, coord, "barrit-2027", CodesRequest{Count: 3}); err != nil {
		t.Fatal(err)
	}
	restart()
	view, err := e.svc.FundPlan(ctx, "pulje")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]AccountView{
		"barrit":   {Community: "barrit", CarryIn: 5_000, Allocated: 10_000, Reserved: 15_000, Available: 15_000},
		"glud":     {Community: "glud", CarryIn: 75_000, Allocated: 50_000, Available: 125_000, Left: 125_000, Unspent: 125_000},
		"hornsyld": {Community: "hornsyld", Allocated: 40_000, Available: 40_000, Left: 40_000, Unspent: 40_000},
	}
	tv := view.Allocation[1]
	if !tv.Opened || !tv.CarryInFixed || len(tv.Accounts) != 3 {
		t.Fatalf("2027 = %+v", tv)
	}
	for _, ac := range tv.Accounts {
		if ac != want[ac.Community] {
			t.Errorf("2027 %s = %+v, want %+v", ac.Community, ac, want[ac.Community])
		}
	}
	verifyRound(t, e, "barrit-2026")
}
