package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
)

// TestPaperBallots: paper ballots come from the sealed copy of the slips,
// one page per slip with its tag and the manifest's projects, with the
// copy's refusals (passphrase, community, gone once voting opens).
func TestPaperBallots(t *testing.T) {
	const round, pass = "barrit-2026", "korn og kaffe i hallen"
	e := newEnv(t)
	e.seed()
	e.reviewRound(round)
	ctx := context.Background()
	if _, _, err := e.svc.PaperBallots(ctx, coord, round, pass); !errors.Is(err, core.ErrWrongPhase) {
		t.Errorf("before freeze: %v, want wrong phase", err)
	}
	_, codes, _, err := e.svc.FreezeWithNewCodes(ctx, coord, round, CodesRequest{Count: 4, Reserve: 1, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	_, paper, err := e.svc.PaperBallots(ctx, coord, round, pass)
	if err != nil {
		t.Fatal(err)
	}
	html := string(paper)
	if got := strings.Count(html, `<section class="page"`); got != 4 {
		t.Errorf("%d paper ballots, want 4", got)
	}
	for _, c := range codes {
		if tag := ballot.KeyTag(ballot.PublicKey(ballot.DeriveKey(c, round))); !strings.Contains(html, tag) {
			t.Errorf("no paper ballot with tag %s", tag)
		}
	}
	for _, p := range testProjects {
		if !strings.Contains(html, p.Title) {
			t.Errorf("the paper ballot lacks project %q", p.Title)
		}
	}
	if _, _, err := e.svc.PaperBallots(ctx, coord, round, pass+"!"); !errors.Is(err, core.ErrSlipPassphrase) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	other := &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
	if _, _, err := e.svc.PaperBallots(ctx, other, round, pass); core.KindOf(err) != core.Forbidden {
		t.Errorf("another community's coordinator: %v, want forbidden", err)
	}
	if _, err := e.svc.SetPhase(ctx, coord, round, core.PhaseVoting); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.PaperBallots(ctx, coord, round, pass); !errors.Is(err, core.ErrSlipsGone) {
		t.Errorf("after opening: %v, want slips gone", err)
	}
}
