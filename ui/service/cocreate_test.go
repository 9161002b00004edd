package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// TestCoCreation follows proposals from submission to a project: private
// links, messages both ways, two proposals merged into one project, a
// rejection with its reason, and the guard against deciding a project's
// own proposal again while others are merged into it.
func TestCoCreation(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.proposalRound("barrit-2026", 0)
	a, secretA, err := e.svc.Propose(ctx, "barrit-2026", ProposalRequest{Title: "Bænke ved søen", Description: "Tre bænke",
		TitleEN: "Benches by the lake", DescriptionEN: "Three benches", EstimatedCost: 9000, Category: "fritid-og-faellesskab",
		Name: "Anna Jensen", Contact: "anna@example.dk"})
	if err != nil {
		t.Fatal(err)
	}
	b, secretB, err := e.svc.Propose(ctx, "barrit-2026", ProposalRequest{Title: "Bænk ved stien", Description: "En bænk",
		EstimatedCost: 3000, Category: "fritid-og-faellesskab"})
	if err != nil {
		t.Fatal(err)
	}
	c, secretC, err := e.svc.Propose(ctx, "barrit-2026", ProposalRequest{Title: "Ny hal", Description: "En stor hal",
		EstimatedCost: 90000, Category: "fritid-og-faellesskab"})
	if err != nil {
		t.Fatal(err)
	}
	if len(secretA) != 43 || secretA == secretB || a.TitleEN != "Benches by the lake" {
		t.Fatalf("secret %q, proposal %+v", secretA, a)
	}
	// Only the right secret opens the follow-up; the public proposal has
	// no contact.
	for _, bad := range []string{"", secretB, strings.Repeat("A", 43), secretA + "x"} {
		if _, err := e.svc.Follow(ctx, "barrit-2026", a.ID, bad); !errors.Is(err, core.ErrFollowUp) || core.KindOf(err) != core.NotFound {
			t.Errorf("Follow with %q: %v, want follow_up (404)", bad, err)
		}
	}
	if _, err := e.svc.Follow(ctx, "barrit-2026", 99, secretA); !errors.Is(err, core.ErrFollowUp) {
		t.Errorf("Follow of a missing proposal: %v", err)
	}
	// Questions back and forth.
	if err := e.svc.CouncilMessage(ctx, coord, "barrit-2026", a.ID, "Hvor ved søen?"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ProposerMessage(ctx, "barrit-2026", a.ID, secretA, "  Ved badebroen.\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ProposerMessage(ctx, "barrit-2026", a.ID, secretB, "Forkert link"); !errors.Is(err, core.ErrFollowUp) {
		t.Errorf("message with another proposal's secret: %v", err)
	}
	if err := e.svc.ProposerMessage(ctx, "barrit-2026", a.ID, secretA, "   "); core.KindOf(err) != core.Invalid {
		t.Errorf("empty message: %v", err)
	}
	glud := &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
	if err := e.svc.CouncilMessage(ctx, glud, "barrit-2026", a.ID, "Hej"); core.KindOf(err) != core.Forbidden {
		t.Errorf("another community's coordinator wrote: %v", err)
	}
	f, err := e.svc.Follow(ctx, "barrit-2026", a.ID, secretA)
	if err != nil || len(f.Messages) != 2 || f.Messages[0].From != core.MessageFromCouncil || f.Messages[1].Text != "Ved badebroen." {
		t.Fatalf("follow = %+v, %v", f, err)
	}
	// English text needs both parts; contacts are one line.
	for _, req := range []ProposalRequest{
		{Title: "A", Description: "B", EstimatedCost: 1, Category: "laering", TitleEN: "Only a title"},
		{Title: "A", Description: "B", EstimatedCost: 1, Category: "laering", Contact: "two\nlines"},
		{Title: "A", Description: "B", EstimatedCost: 1, Category: "laering", Name: strings.Repeat("x", core.MaxContact+1)},
	} {
		if _, _, err := e.svc.Propose(ctx, "barrit-2026", req); core.KindOf(err) != core.Invalid {
			t.Errorf("Propose(%+v) = %v, want invalid", req, err)
		}
	}
	// Review: a becomes a project, b is merged into it, c is rejected.
	if _, err := e.svc.SetPhase(ctx, coord, "barrit-2026", core.PhaseReview); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", a.ID, Decision{Accept: true, Reason: "Godt forslag", Project: "baenke", Title: "Bænke ved sø og sti", Cost: 12000}); err != nil {
		t.Fatal(err)
	}
	pb, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", b.ID, Decision{Accept: true, Reason: "Slået sammen med bænkene ved søen", Merge: "baenke"})
	if err != nil || !pb.Merged || pb.Project != "baenke" || pb.Status != core.ProposalAccepted {
		t.Fatalf("merge: %+v, %v", pb, err)
	}
	if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", c.ID, Decision{Accept: false, Reason: "For dyr til puljen"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", c.ID, Decision{Accept: true, Reason: "x", Merge: "nowhere"}); core.KindOf(err) != core.Invalid {
		t.Errorf("merge into a missing project: %v", err)
	}
	// The project's own proposal cannot be decided again while b is in it,
	// and the project cannot be deleted.
	if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", a.ID, Decision{Accept: false, Reason: "Nej"}); !errors.Is(err, core.ErrMergedInto) {
		t.Errorf("deciding a merged-into proposal again: %v, want merged_into", err)
	}
	fb, err := e.svc.Follow(ctx, "barrit-2026", b.ID, secretB)
	if err != nil || fb.Project == nil || fb.Project.Title != "Bænke ved sø og sti" || len(fb.Together) != 1 || fb.Together[0].ID != a.ID {
		t.Fatalf("b follows %+v, %v", fb, err)
	}
	fc, err := e.svc.Follow(ctx, "barrit-2026", c.ID, secretC)
	if err != nil || fc.Proposal.Status != core.ProposalRejected || fc.Proposal.Reason != "For dyr til puljen" || fc.Project != nil {
		t.Fatalf("c follows %+v, %v", fc, err)
	}
	// Bulk: c merged after all; then b leaves the project and a can be
	// decided again.
	if _, err := e.svc.DecideProposals(ctx, coord, "barrit-2026", BulkDecision{IDs: []int64{c.ID}, Reason: "Alligevel med", Merge: "baenke"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{b.ID, c.ID} {
		if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", id, Decision{Accept: false, Reason: "Ikke alligevel"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.DecideProposal(ctx, coord, "barrit-2026", a.ID, Decision{Accept: false, Reason: "Nej"}); err != nil {
		t.Errorf("deciding a again once alone: %v", err)
	}
	// The council sees the contact; the action log never holds it or a
	// message's text.
	fs, err := e.svc.FollowUps(ctx, coord, "barrit-2026")
	if err != nil || fs[a.ID].Contact != "anna@example.dk" || fs[a.ID].Name != "Anna Jensen" || fs[a.ID].Token != "" {
		t.Errorf("FollowUps = %+v, %v", fs[a.ID], err)
	}
	if _, err := e.svc.FollowUps(ctx, glud, "barrit-2026"); core.KindOf(err) != core.Forbidden {
		t.Errorf("FollowUps for another community: %v", err)
	}
	audit, err := e.svc.Audit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var merged, messaged bool
	for _, ae := range audit {
		line := ae.Action + " " + ae.Target + " " + ae.Detail
		for _, secret := range []string{"anna", "Anna", "søen?", "badebroen", secretA} {
			if strings.Contains(line, secret) {
				t.Errorf("action log holds %q: %s", secret, line)
			}
		}
		merged = merged || ae.Action == "merge proposal"
		messaged = messaged || ae.Action == "message to proposer"
	}
	if !merged || !messaged {
		t.Errorf("action log lacks merge (%v) or message (%v)", merged, messaged)
	}
}

// TestDisableAccount: a disabled account's sessions end, it cannot sign
// in, an administrator cannot disable themself, and both steps are in the
// action log.
func TestDisableAccount(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	if _, err := e.svc.CreateAccount(ctx, admin, AccountRequest{Name: "barrit-coord", Password: "koordinator-1234", Role: core.RoleCoordinator, Community: "barrit"}); err != nil {
		t.Fatal(err)
	}
	token, _, _, err := e.svc.Login(ctx, "barrit-coord", "koordinator-1234")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DisableAccount(ctx, coord, "barrit-coord"); core.KindOf(err) != core.Forbidden {
		t.Errorf("a coordinator disabled an account: %v", err)
	}
	if _, err := e.svc.DisableAccount(ctx, admin, "admin"); !errors.Is(err, core.ErrDisableSelf) {
		t.Errorf("disable oneself: %v", err)
	}
	if _, err := e.svc.DisableAccount(ctx, admin, "nobody"); core.KindOf(err) != core.NotFound {
		t.Errorf("disable a missing account: %v", err)
	}
	acct, err := e.svc.DisableAccount(ctx, admin, "barrit-coord")
	if err != nil || acct.Disabled.IsZero() || acct.PasswordHash != "" {
		t.Fatalf("DisableAccount = %+v, %v", acct, err)
	}
	if _, id, err := e.svc.Session(ctx, token); id != nil || err != nil {
		t.Errorf("the session outlived the account: %v, %v", id, err)
	}
	if _, _, _, err := e.svc.Login(ctx, "barrit-coord", "koordinator-1234"); !errors.Is(err, core.ErrAccountDisabled) {
		t.Errorf("a disabled account signed in: %v", err)
	}
	if _, _, _, err := e.svc.Login(ctx, "barrit-coord", "wrong-password"); core.KindOf(err) != core.Unauthorized {
		t.Errorf("a wrong password for a disabled account: %v, want 401", err)
	}
	if _, err := e.svc.EnableAccount(ctx, admin, "barrit-coord"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.svc.Login(ctx, "barrit-coord", "koordinator-1234"); err != nil {
		t.Errorf("sign-in after enabling: %v", err)
	}
	audit, _ := e.svc.Audit(ctx, 20)
	var seen []string
	for _, ae := range audit {
		if strings.HasSuffix(ae.Action, "able account") {
			seen = append(seen, ae.Action+" "+ae.Target+" "+ae.Detail)
		}
	}
	if len(seen) != 2 || seen[1] != "disable account barrit-coord 1 sessions ended" {
		t.Errorf("action log: %q", seen)
	}
}

// TestSetMeeting: the meeting's time and place, for the poster.
func TestSetMeeting(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.proposalRound("barrit-2026", 0)
	at := time.Date(2026, 5, 12, 17, 30, 0, 0, time.UTC)
	r, err := e.svc.SetMeeting(ctx, coord, "barrit-2026", at, "  Barrit  Forsamlingshus ")
	if err != nil || !r.MeetingAt.Equal(at) || r.MeetingPlace != "Barrit Forsamlingshus" {
		t.Fatalf("SetMeeting = %v %q, %v", r.MeetingAt, r.MeetingPlace, err)
	}
	if _, err := e.svc.SetMeeting(ctx, coord, "barrit-2026", at, strings.Repeat("x", core.MaxContact+1)); core.KindOf(err) != core.Invalid {
		t.Errorf("a place too long: %v", err)
	}
}
