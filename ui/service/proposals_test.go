package service

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// proposalRound creates round id in barrit, opens it for proposals and
// stores n proposals in one transaction (the cheap way to fill a round).
func (e *env) proposalRound(id string, n int) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: id, Community: "barrit", Year: 2026, Title: "Runde " + id}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.SetPhase(ctx, coord, id, core.PhaseProposals); err != nil {
		e.t.Fatal(err)
	}
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		for i := range n {
			if _, err := tx.AddProposal(core.Proposal{Round: id, Title: fmt.Sprintf("Idé %d", i+1), Description: "En god idé",
				EstimatedCost: 1000, Category: "laering", Status: core.ProposalPending}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestProposalCap: a round takes MaxProposals proposals; one more is
// refused (proposals_full) and not stored.
func TestProposalCap(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.proposalRound("barrit-2026", core.MaxProposals-1)
	req := ProposalRequest{Title: "Bænke", Description: "Flere bænke", EstimatedCost: 5000, Category: "laering"}
	if p, err := e.svc.SubmitProposal(ctx, "barrit-2026", req); err != nil || p.ID != core.MaxProposals {
		t.Fatalf("the last proposal: %d, %v", p.ID, err)
	}
	_, err := e.svc.SubmitProposal(ctx, "barrit-2026", req)
	if !errors.Is(err, core.ErrProposalsFull) || core.KindOf(err) != core.Conflict {
		t.Fatalf("one proposal too many: %v, want proposals_full", err)
	}
	page, err := e.svc.Proposals(ctx, "barrit-2026", core.MaxProposals-1, 10, "")
	if err != nil || len(page.Proposals) != 1 || page.Next != 0 {
		t.Errorf("after the refusal: %d proposals past %d, next %d, %v; want 1, 0", len(page.Proposals), core.MaxProposals-1, page.Next, err)
	}
}

// TestProposalPages: pages follow each other by "after", filter by status,
// and refuse bad limits.
func TestProposalPages(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.proposalRound("barrit-2026", 250)
	var got []int64
	var after int64
	for pages := 0; ; pages++ {
		page, err := e.svc.Proposals(ctx, "barrit-2026", after, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Proposals) > 100 {
			t.Fatalf("page of %d, want at most 100", len(page.Proposals))
		}
		for _, p := range page.Proposals {
			got = append(got, p.ID)
		}
		if page.Next == 0 {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		after = page.Next
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("proposal %d of the pages is #%d", i, id)
		}
	}
	if len(got) != 250 {
		t.Errorf("%d proposals over the pages, want 250", len(got))
	}
	for _, tc := range []struct {
		limit  int
		status string
	}{{-1, ""}, {core.MaxProposals + 1, ""}, {10, "maybe"}} {
		if _, err := e.svc.Proposals(ctx, "barrit-2026", 0, tc.limit, tc.status); core.KindOf(err) != core.Invalid {
			t.Errorf("Proposals(limit %d, status %q) = %v, want invalid", tc.limit, tc.status, err)
		}
	}
	if _, err := e.svc.Proposals(ctx, "nowhere", 0, 10, ""); core.KindOf(err) != core.NotFound {
		t.Errorf("Proposals of no round = %v, want not found", err)
	}
}

// TestDecideProposals: ticked proposals and then every pending one are
// decided in one step each; a refusal leaves every proposal as it was;
// afterwards nothing blocks the freeze for pending proposals.
func TestDecideProposals(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	e.proposalRound("barrit-2026", 6)
	if _, err := e.svc.DecideProposals(ctx, coord, "barrit-2026", BulkDecision{IDs: []int64{1}, Reason: "Nej"}); !errors.Is(err, core.ErrWrongPhase) {
		t.Fatalf("bulk decision before review: %v, want wrong_phase", err)
	}
	if _, err := e.svc.SetPhase(ctx, coord, "barrit-2026", core.PhaseReview); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]BulkDecision{
		"no reason":         {IDs: []int64{1}},
		"nothing named":     {Reason: "Nej"},
		"ids and all":       {IDs: []int64{1}, AllPending: true, Reason: "Nej"},
		"no such proposal":  {IDs: []int64{1, 99}, Reason: "Nej"},
		"another community": {IDs: []int64{1}, Reason: "Nej"},
	} {
		actor := coord
		if name == "another community" {
			actor = &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
		}
		if _, err := e.svc.DecideProposals(ctx, actor, "barrit-2026", b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	page, _ := e.svc.Proposals(ctx, "barrit-2026", 0, 0, core.ProposalPending)
	if len(page.Proposals) != 6 {
		t.Fatalf("after refused bulk decisions %d pending, want 6", len(page.Proposals))
	}
	ps, err := e.svc.DecideProposals(ctx, coord, "barrit-2026", BulkDecision{IDs: []int64{2, 3, 2}, Reason: "Ligger uden for rammen"})
	if err != nil || len(ps) != 2 {
		t.Fatalf("reject 2, 3: %d decided, %v", len(ps), err)
	}
	ps, err = e.svc.DecideProposals(ctx, coord, "barrit-2026", BulkDecision{AllPending: true, Accept: true, Reason: "God idé"})
	if err != nil || len(ps) != 4 {
		t.Fatalf("accept all pending: %d decided, %v", len(ps), err)
	}
	d, err := e.svc.RoundDetail(ctx, "barrit-2026")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{1: core.ProposalAccepted, 2: core.ProposalRejected, 3: core.ProposalRejected,
		4: core.ProposalAccepted, 5: core.ProposalAccepted, 6: core.ProposalAccepted}
	for _, p := range d.Proposals {
		if p.Status != want[p.ID] {
			t.Errorf("proposal %d is %s, want %s", p.ID, p.Status, want[p.ID])
		}
	}
	if len(d.Projects) != 4 {
		t.Errorf("%d projects, want 4", len(d.Projects))
	}
	bs, err := e.svc.FreezeBlockers(ctx, "barrit-2026", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Reason == "pending" {
			t.Errorf("freeze still blocked by pending proposals: %+v", b)
		}
	}
}
