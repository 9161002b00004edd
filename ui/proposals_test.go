package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
	"github.com/hedensted-pb/pb/ui/store"
)

// TestProposalAbuse: one client's proposals are throttled (API and page
// form share the count; 429 with Retry-After, translated on the page), the
// list is paged with a Link header, and a coordinator decides many
// proposals at once over the API and the admin page.
func TestProposalAbuse(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Borgerbudget Barrit 2026"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})

	spammer := e.client()
	req := service.ProposalRequest{Title: "Bænke", Description: "Flere bænke", EstimatedCost: 5000, Category: "laering"}
	for i := range proposalBurst {
		if i%2 == 1 {
			form := url.Values{"title": {"Bænke"}, "description": {"Flere bænke"}, "estimated_cost": {"5000"}, "category": {"laering"}}
			if r := spammer.do("POST", "/r/barrit-2026/proposals", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.Status != 303 {
				t.Fatalf("form proposal %d = %d, want 303", i, r.Status)
			}
			continue
		}
		spammer.must(201, "POST", "/api/rounds/barrit-2026/proposals", req)
	}
	r := spammer.do("POST", "/api/rounds/barrit-2026/proposals", req)
	if r.Status != 429 || r.errorCode() != "too_many_proposals" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("proposal over the limit = %s (Retry-After %q), want 429 too_many_proposals", r, r.Header.Get("Retry-After"))
	}
	r = spammer.do("POST", "/r/barrit-2026/proposals", "title=x", "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "da")
	if r.Status != 429 || !strings.Contains(string(r.Body), "Der er sendt mange forslag fra denne enhed") {
		t.Fatalf("form proposal over the limit = %d, want 429 with the Danish text", r.Status)
	}

	// Fill the round (cheaply, in one transaction) and page through it.
	err := e.store.Update(context.Background(), func(tx *store.Tx) error {
		for i := range 150 {
			if _, err := tx.AddProposal(core.Proposal{Round: "barrit-2026", Title: fmt.Sprintf("Idé %d", i), Description: "En idé",
				EstimatedCost: 1000, Category: "laering", Status: core.ProposalPending}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	path, n, pages := "/api/rounds/barrit-2026/proposals?limit=70", 0, 0
	for path != "" {
		r := e.client().must(200, "GET", path, nil)
		var ps []ProposalView
		r.JSON(t, &ps)
		n += len(ps)
		pages++
		path = ""
		if l := r.Header.Get("Link"); l != "" {
			p, _, ok := strings.Cut(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			if !ok {
				t.Fatalf("Link header %q", l)
			}
			path = p
		}
	}
	if n != proposalBurst+150 || pages != 3 {
		t.Errorf("%d proposals in %d pages, want %d in 3", n, pages, proposalBurst+150)
	}
	var first []ProposalView
	e.client().must(200, "GET", "/api/rounds/barrit-2026/proposals", nil).JSON(t, &first)
	if len(first) != 100 {
		t.Errorf("default page of %d, want 100", len(first))
	}
	e.client().must(400, "GET", "/api/rounds/barrit-2026/proposals?limit=0", nil)
	e.client().must(400, "GET", "/api/rounds/barrit-2026/proposals?status=maybe", nil)

	// Bulk decisions: two ticked on the admin page, the rest over the API.
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	form := url.Values{"_csrf": {co.csrf}, "which": {"ticked"}, "ids": {"1", "2"}, "accept": {"true"}, "reason": {"Gode idéer"}}
	if r := co.do("POST", "/admin/rounds/barrit-2026/decisions", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.Status != 303 {
		t.Fatalf("page bulk decision = %s, want 303", r)
	}
	var decided []core.Proposal
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/decisions", service.BulkDecision{AllPending: true, Reason: "Uden for rammen"}).JSON(t, &decided)
	if len(decided) != proposalBurst+150-2 {
		t.Errorf("bulk rejection decided %d, want %d", len(decided), proposalBurst+150-2)
	}
	var pending []ProposalView
	e.client().must(200, "GET", "/api/rounds/barrit-2026/proposals?status=pending", nil).JSON(t, &pending)
	var accepted []ProposalView
	e.client().must(200, "GET", "/api/rounds/barrit-2026/proposals?status=accepted", nil).JSON(t, &accepted)
	if len(pending) != 0 || len(accepted) != 2 {
		t.Errorf("after bulk decisions: %d pending, %d accepted; want 0, 2", len(pending), len(accepted))
	}
	e.client().must(401, "POST", "/api/rounds/barrit-2026/proposals/decisions", service.BulkDecision{AllPending: true, Reason: "x"})
}
