package demo

import (
	"context"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// demoCoCreation shows co-creation in the demo: in Stouby (collecting
// proposals) a proposal in Danish and English from a resident who left a
// contact, with the coordinator's question; in Tørring (in review) one
// proposal accepted as a project and another merged into it, each with
// its public answer; and the meetings' times and places for the posters.
func demoCoCreation(ctx context.Context, svc *service.Service, actor *core.Identity) error {
	p, _, err := svc.Propose(ctx, "stouby-2026", service.ProposalRequest{
		Title: "Bænke langs stien til havnen", Description: "Tre bænke, så ældre og gangbesværede kan hvile sig på vejen ned til havnen.",
		TitleEN: "Benches along the path to the harbour", DescriptionEN: "Three benches so that older people can rest on the way down to the harbour.",
		EstimatedCost: 9_000, Category: "fritid-og-faellesskab", Name: "Inger Madsen", Contact: "inger@example.dk"})
	if err != nil {
		return err
	}
	if err := svc.CouncilMessage(ctx, actor, "stouby-2026", p.ID, "Tak for forslaget! Ved du, om grundejerne langs stien er med på det?"); err != nil {
		return err
	}
	if _, err := svc.DecideProposal(ctx, actor, "toerring-2026", 1, service.Decision{Accept: true, Project: "moedested",
		Reason: "Kommer på stemmesedlen sammen med et lignende forslag"}); err != nil {
		return err
	}
	if _, err := svc.DecideProposal(ctx, actor, "toerring-2026", 2, service.Decision{Accept: true, Merge: "moedested",
		Reason: "Slået sammen med forslag 1: samme sted og samme penge"}); err != nil {
		return err
	}
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		loc = time.UTC
	}
	for _, m := range []struct {
		round, place string
		at           time.Time
	}{
		{"barrit-2026", "Barrit Forsamlingshus, Barritvej 2", time.Date(2026, 5, 12, 19, 0, 0, 0, loc)},
		{"stouby-2026", "Stouby Skole, Aulaen", time.Date(2026, 9, 8, 19, 30, 0, 0, loc)},
	} {
		if _, err := svc.SetMeeting(ctx, actor, m.round, m.at, m.place); err != nil {
			return err
		}
	}
	return nil
}
