package service

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// reviewRound creates round id in barrit with the test projects, in the
// review phase.
func (e *env) reviewRound(id string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: id, Community: "barrit", Year: 2026, Title: "Borgerbudget " + id}); err != nil {
		e.t.Fatal(err)
	}
	for _, ph := range []core.Phase{core.PhaseProposals, core.PhaseReview} {
		if _, err := e.svc.SetPhase(ctx, coord, id, ph); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, p := range testProjects {
		if _, err := e.svc.PutProject(ctx, coord, id, p); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestSlipSheetAgain: freezing with server-made codes and a passphrase
// renders the sheet after the freeze has committed (outside the write
// transaction), keeps the codes only sealed under the passphrase, gives
// the same sheet again for the right passphrase until voting opens, and
// destroys the copy when it opens.
func TestSlipSheetAgain(t *testing.T) {
	const round, pass = "barrit-2026", "korn og kaffe i hallen"
	e := newEnv(t)
	e.seed()
	e.reviewRound(round)
	ctx := context.Background()

	// The sheet is rendered when the freeze is already visible to another
	// transaction: its write transaction has committed.
	var phaseAtRender []core.Phase
	testOnlyBeforeRender = func(id string) {
		if id != round {
			return // another test's sheet (the service's tests are not parallel)
		}
		if err := e.store.View(ctx, func(tx *store.Tx) error {
			r, err := tx.Round(id)
			phaseAtRender = append(phaseAtRender, r.Phase)
			return err
		}); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testOnlyBeforeRender = nil })

	if _, _, _, err := e.svc.FreezeWithNewCodes(ctx, coord, round, CodesRequest{Count: 5, Reserve: 1, Passphrase: "short"}); core.KindOf(err) != core.Invalid {
		t.Fatalf("a 5-character passphrase: %v, want invalid", err)
	}
	r, codes, sheet, err := e.svc.FreezeWithNewCodes(ctx, coord, round, CodesRequest{Count: 5, Reserve: 1, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	if len(phaseAtRender) != 1 || phaseAtRender[0] != core.PhaseFrozen {
		t.Fatalf("phase seen while rendering: %v, want frozen (rendered after the commit)", phaseAtRender)
	}
	for _, c := range codes {
		if !bytes.Contains(sheet, []byte(c.String())) {
			t.Fatalf("the sheet lacks code %d", len(codes))
		}
	}
	if ok, err := e.svc.HasSlipCopy(ctx, round); !ok || err != nil {
		t.Fatalf("HasSlipCopy = %v, %v", ok, err)
	}
	// The store holds no code in the clear, in any form.
	var db bytes.Buffer
	if _, err := e.store.Backup(ctx, &db); err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		for _, form := range [][]byte{c[:], []byte(c.Compact()), []byte(c.String())} {
			if bytes.Contains(db.Bytes(), form) {
				t.Fatalf("the database holds a code in the clear (%q)", form)
			}
		}
	}

	// Again: a wrong passphrase is refused; the right one gives the same sheet.
	if _, _, err := e.svc.SlipSheet(ctx, coord, round, pass+"!"); !errors.Is(err, core.ErrSlipPassphrase) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	other := &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
	if _, _, err := e.svc.SlipSheet(ctx, other, round, pass); core.KindOf(err) != core.Forbidden {
		t.Errorf("another community's coordinator: %v, want forbidden", err)
	}
	r2, again, err := e.svc.SlipSheet(ctx, coord, round, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, sheet) || r2.Fingerprint != r.Fingerprint {
		t.Error("the sheet downloaded again differs from the first")
	}
	if !strings.Contains(string(again), ballot.FormatFingerprint(r.Fingerprint)) {
		t.Error("the sheet lacks the manifest fingerprint")
	}
	// A second freeze with codes is still refused: no new codes, ever.
	if _, _, err := e.svc.FreezeWithCodes(ctx, coord, round, CodesRequest{Count: 5, Passphrase: pass}); !errors.Is(err, core.ErrSlipsMade) {
		t.Errorf("codes again: %v, want slips made", err)
	}

	// Voting opens: the copy is destroyed.
	if _, err := e.svc.SetPhase(ctx, coord, round, core.PhaseVoting); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SlipSheet(ctx, coord, round, pass); !errors.Is(err, core.ErrSlipsGone) {
		t.Errorf("after opening: %v, want slips gone", err)
	}
	if ok, err := e.svc.HasSlipCopy(ctx, round); ok || err != nil {
		t.Errorf("HasSlipCopy after opening = %v, %v", ok, err)
	}
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.SealedSlips(round)
		return err
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the sealed copy after opening: %v, want not found", err)
	}
}

// TestSlipSheetWithoutPassphrase: without a passphrase nothing is kept,
// and asking for the sheet again says so.
func TestSlipSheetWithoutPassphrase(t *testing.T) {
	const round = "barrit-2026"
	e := newEnv(t)
	e.seed()
	e.reviewRound(round)
	ctx := context.Background()
	if _, _, err := e.svc.SlipSheet(ctx, coord, round, "whatever it is"); !errors.Is(err, core.ErrWrongPhase) {
		t.Errorf("before freeze: %v, want wrong phase", err)
	}
	if _, _, err := e.svc.FreezeWithCodes(ctx, coord, round, CodesRequest{Count: 3}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SlipSheet(ctx, coord, round, "whatever it is"); !errors.Is(err, core.ErrNoSlipCopy) {
		t.Errorf("no copy: %v, want no slip copy", err)
	}
}

// TestSealSlips: the sealed form opens only with its passphrase and for
// its round, and keeps the codes and the reserve count.
func TestSealSlips(t *testing.T) {
	codes := make([]ballot.Code, 4)
	for i := range codes {
		codes[i][0] = byte(i + 1)
	}
	sealed, err := sealSlips("r-1", codes, 2, "a good passphrase", testArgon2, bytes.NewReader(make([]byte, 64)))
	if err != nil {
		t.Fatal(err)
	}
	got, reserve, err := openSlips("r-1", sealed, "a good passphrase")
	if err != nil || reserve != 2 || len(got) != 4 || got[3] != codes[3] {
		t.Fatalf("openSlips = %v, %d, %v", got, reserve, err)
	}
	if _, _, err := openSlips("r-2", sealed, "a good passphrase"); !errors.Is(err, core.ErrSlipPassphrase) {
		t.Errorf("another round: %v", err)
	}
	if _, _, err := openSlips("r-1", sealed, "a good passphrasE"); !errors.Is(err, core.ErrSlipPassphrase) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	if _, _, err := openSlips("r-1", []byte("{}"), "a good passphrase"); err == nil || errors.Is(err, core.ErrSlipPassphrase) {
		t.Errorf("a malformed copy: %v", err)
	}
}
