package service

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/core"
)

// TestCountingOptionsPublishAndVerify freezes a round counted by
// equalshares/add1u with a minimum of votes and an exclusion group, votes,
// publishes, and verifies the record as pbverify does (issue 13's "done
// when").
func TestCountingOptionsPublishAndVerify(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	const id = "barrit-2026"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.svc.CreateRound(ctx, coord, RoundRequest{ID: id, Community: "barrit", Year: 2026, Title: "Borgerbudget Barrit",
		Budget: 25_000, Rule: tally.RuleAdd1U, Minimum: 3}))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseProposals))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseReview))
	for _, p := range testProjects {
		must(e.svc.PutProject(ctx, coord, id, p))
	}
	// A group naming a project the round does not have is refused.
	bad := [][]string{{"shelter", "skatepark"}}
	if _, err := e.svc.UpdateRound(ctx, coord, id, RoundSettings{Exclusive: &bad}); core.KindOf(err) != core.Invalid {
		t.Fatalf("group with an unknown project: %v", err)
	}
	groups := [][]string{{"shelter", "legeplads"}} // canonicalised to legeplads shelter
	r, err := e.svc.UpdateRound(ctx, coord, id, RoundSettings{Exclusive: &groups})
	if err != nil {
		t.Fatal(err)
	}
	if r.Minimum != 3 || len(r.Exclusive) != 1 || r.Exclusive[0][0] != "legeplads" {
		t.Fatalf("settings %d %v", r.Minimum, r.Exclusive)
	}
	v := newVoters(t, id, 6)
	must(e.svc.UploadRoll(ctx, coord, id, v.roll.Bytes()))
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseFrozen))
	fr, err := e.svc.FrozenRound(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\nrule equalshares/add1u\n", "\nminimum 3\nrevote none\n", "\nexclusive legeplads shelter\n"} {
		if !bytes.Contains(fr.Leaf0, []byte(line)) {
			t.Errorf("manifest lacks %q:\n%s", line, fr.Leaf0)
		}
	}
	must(e.svc.SetPhase(ctx, coord, id, core.PhaseVoting))
	// legeplads 3, shelter 4, vaerksted 2, bibliotek 1 votes. Equal
	// Shares funds shelter (4 × 3,750) first; legeplads is then out of the
	// count (same group); vaerksted and bibliotek are below the minimum.
	for i, approve := range [][]string{
		{"legeplads", "shelter", "vaerksted"}, {"legeplads", "shelter"}, {"legeplads", "shelter"},
		{"shelter"}, {"bibliotek"}, {"vaerksted"},
	} {
		e.cast(id, e.ballotLeaf(id, v, i, approve...), false)
	}
	e.closeAndPublish(id)
	rep := verifyRound(t, e, id)
	if !rep.OK() {
		t.Fatal("record does not verify")
	}
	res, _, err := e.svc.Result(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	funded := map[string]bool{}
	for _, p := range res.Projects {
		funded[p.ID] = p.Funded
	}
	if !funded["shelter"] || funded["legeplads"] || funded["vaerksted"] || funded["bibliotek"] || res.Spent != 15_000 {
		t.Fatalf("result %+v", res.Projects)
	}
	why, err := e.svc.Explanations(ctx, id)
	if err != nil || why == nil {
		t.Fatalf("explanations: %v %v", why, err)
	}
	if x := why["legeplads"]; x.Reason != tally.ReasonExcluded || x.ExcludedBy != "shelter" {
		t.Errorf("legeplads: %+v", x)
	}
	for _, p := range []string{"vaerksted", "bibliotek"} {
		if x := why[p]; x.Reason != tally.ReasonMinimum || x.Minimum != 3 {
			t.Errorf("%s: %+v", p, x)
		}
	}
}

func TestCountingOptionsSettings(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "r1", Community: "barrit", Year: 2026, Title: "R",
		Exclusive: [][]string{{"a", "b"}}}); core.KindOf(err) != core.Invalid {
		t.Errorf("groups at creation: %v", err)
	}
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "r2", Community: "barrit", Year: 2026, Title: "R", Minimum: -1}); core.KindOf(err) != core.Invalid {
		t.Errorf("negative minimum: %v", err)
	}
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: "r3", Community: "barrit", Year: 2026, Title: "R"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range testProjects {
		if _, err := e.svc.PutProject(ctx, coord, "r3", p); err != nil {
			t.Fatal(err)
		}
	}
	for name, g := range map[string][][]string{
		"group of one":  {{"shelter"}},
		"in two groups": {{"shelter", "legeplads"}, {"shelter", "bibliotek"}},
		"not an id":     {{"Shelter", "legeplads"}},
	} {
		if _, err := e.svc.UpdateRound(ctx, coord, "r3", RoundSettings{Exclusive: &g}); core.KindOf(err) != core.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A project deleted after it was grouped blocks the freeze with a
	// plain reason, until the groups change.
	g := [][]string{{"shelter", "legeplads"}}
	if _, err := e.svc.UpdateRound(ctx, coord, "r3", RoundSettings{Exclusive: &g}); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []core.Phase{core.PhaseProposals, core.PhaseReview} {
		if _, err := e.svc.SetPhase(ctx, coord, "r3", ph); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.DeleteProject(ctx, coord, "r3", "legeplads"); err != nil {
		t.Fatal(err)
	}
	v := newVoters(t, "r3", 3)
	if _, err := e.svc.UploadRoll(ctx, coord, "r3", v.roll.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPhase(ctx, coord, "r3", core.PhaseFrozen); core.KindOf(err) != core.Conflict || !strings.Contains(err.Error(), "exclusion group") {
		t.Fatalf("freeze with a group naming a deleted project: %v", err)
	}
	if bs, err := e.svc.FreezeBlockers(ctx, "r3", false); err != nil || len(bs) != 1 || bs[0].Reason != "groups" {
		t.Fatalf("blockers %v, %v", bs, err)
	}
	none := [][]string{}
	r, err := e.svc.UpdateRound(ctx, coord, "r3", RoundSettings{Exclusive: &none})
	if err != nil || r.Exclusive != nil {
		t.Fatalf("clearing groups: %v %v", r.Exclusive, err)
	}
	if _, err := e.svc.SetPhase(ctx, coord, "r3", core.PhaseFrozen); err != nil {
		t.Fatal(err)
	}
}

// TestPreviewRound counts sample ballots with every rule before the
// freeze, with the round's minimum and groups.
func TestPreviewRound(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	const id = "barrit-2026"
	if _, err := e.svc.CreateRound(ctx, coord, RoundRequest{ID: id, Community: "barrit", Year: 2026, Title: "Borgerbudget Barrit",
		Budget: 25_000, Rule: tally.RuleAdd1U, Minimum: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PreviewRound(ctx, coord, id, PreviewRequest{}); core.KindOf(err) != core.Invalid {
		t.Errorf("preview without projects: %v", err)
	}
	for _, p := range testProjects {
		if _, err := e.svc.PutProject(ctx, coord, id, p); err != nil {
			t.Fatal(err)
		}
	}
	groups := [][]string{{"legeplads", "shelter"}}
	if _, err := e.svc.UpdateRound(ctx, coord, id, RoundSettings{Exclusive: &groups}); err != nil {
		t.Fatal(err)
	}
	sample := PreviewRequest{Ballots: []SampleBallot{
		{Approve: []string{"legeplads", "shelter", "vaerksted"}}, {Approve: []string{"shelter", "legeplads"}, Count: 2},
		{Approve: []string{"shelter"}}, {Approve: []string{"bibliotek"}}, {Approve: []string{"vaerksted"}},
	}}
	pv, err := e.svc.PreviewRound(ctx, coord, id, sample)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Voters != 6 || pv.Minimum != 3 || len(pv.Outcomes) != 9 || pv.Rule != tally.RuleAdd1U {
		t.Fatalf("preview %+v", pv)
	}
	byRule := map[string]PreviewOutcome{}
	for _, o := range pv.Outcomes {
		byRule[o.Rule] = o
		for _, p := range o.Projects {
			if p.Funded && p.Votes < 3 {
				t.Errorf("%s funds %s with %d votes", o.Rule, p.ID, p.Votes)
			}
		}
	}
	// The same outcome as the published round of
	// TestCountingOptionsPublishAndVerify: one counting implementation.
	if o := byRule[tally.RuleAdd1U]; !o.Chosen || strings.Join(o.Funded, ",") != "shelter" || o.Spent != 15_000 {
		t.Errorf("add1u: %+v", o)
	}
	// greedy: shelter (4 votes) first, legeplads then excluded.
	if o := byRule[tally.RuleGreedy]; strings.Join(o.Funded, ",") != "shelter" || o.Projects[1].Reason != tally.ReasonExcluded || o.Projects[1].ExcludedBy != "shelter" {
		t.Errorf("greedy: %+v", o)
	}
	// Refusals: a project the round lacks, too many approvals, a rule
	// outside the table, another account's round.
	for name, req := range map[string]PreviewRequest{
		"unknown project":  {Ballots: []SampleBallot{{Approve: []string{"skatepark"}}}},
		"too many":         {Ballots: []SampleBallot{{Approve: []string{"bibliotek", "legeplads", "shelter", "vaerksted"}}}},
		"points":           {Ballots: []SampleBallot{{Points: map[string]int64{"shelter": 1}}}},
		"rule for points":  {Rules: []string{tally.RuleGreedyPoints}},
		"greedy-threshold": {Rules: []string{tally.RuleGreedyThreshold}},
		"negative count":   {Ballots: []SampleBallot{{Approve: []string{"shelter"}, Count: -1}}},
	} {
		if _, err := e.svc.PreviewRound(ctx, coord, id, req); core.KindOf(err) != core.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	other := &core.Identity{Name: "glud-coord", Role: core.RoleCoordinator, Community: "glud"}
	if _, err := e.svc.PreviewRound(ctx, other, id, sample); core.KindOf(err) != core.Forbidden {
		t.Errorf("other community: %v", err)
	}
}
