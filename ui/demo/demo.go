// Package demo seeds a server with demo data like Hedensted's: a pooled
// fund shared by 29 local areas and rounds in every phase. It works only
// through the service's operations, as a council would.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
)

// Fund is the fund the demo creates.
const Fund = "landdistriktspuljen"

// demoCommunities are 29 local areas of Hedensted Kommune with rounded
// populations. They are demo data: the names are real places, the numbers
// are approximate and must not be used for a real allocation.
var demoCommunities = []service.CommunityRequest{
	{ID: "aale", Name: "Aale", Population: 350, Fund: Fund},
	{ID: "barrit", Name: "Barrit", Population: 720, Fund: Fund},
	{ID: "bjerre", Name: "Bjerre", Population: 480, Fund: Fund},
	{ID: "daugaard", Name: "Daugård", Population: 950, Fund: Fund},
	{ID: "glud", Name: "Glud", Population: 520, Fund: Fund},
	{ID: "gaarslev", Name: "Gårslev", Population: 410, Fund: Fund},
	{ID: "hedensted", Name: "Hedensted", Population: 6600, Fund: Fund},
	{ID: "hjarnoe", Name: "Hjarnø", Population: 100, Fund: Fund},
	{ID: "hornsyld", Name: "Hornsyld", Population: 1650, Fund: Fund},
	{ID: "hvirring", Name: "Hvirring", Population: 290, Fund: Fund},
	{ID: "juelsminde", Name: "Juelsminde", Population: 3900, Fund: Fund},
	{ID: "klakring", Name: "Klakring", Population: 420, Fund: Fund},
	{ID: "korning", Name: "Korning", Population: 680, Fund: Fund},
	{ID: "lindved", Name: "Lindved", Population: 610, Fund: Fund},
	{ID: "loesning", Name: "Løsning", Population: 2950, Fund: Fund},
	{ID: "oelholm", Name: "Ølholm", Population: 580, Fund: Fund},
	{ID: "oelsted", Name: "Ølsted", Population: 790, Fund: Fund},
	{ID: "oerum", Name: "Ørum", Population: 430, Fund: Fund},
	{ID: "oester-snede", Name: "Øster Snede", Population: 1050, Fund: Fund},
	{ID: "rask-moelle", Name: "Rask Mølle", Population: 1150, Fund: Fund},
	{ID: "remmerslund", Name: "Remmerslund", Population: 320, Fund: Fund},
	{ID: "raarup", Name: "Rårup", Population: 930, Fund: Fund},
	{ID: "stenderup", Name: "Stenderup", Population: 510, Fund: Fund},
	{ID: "store-dalby", Name: "Store Dalby", Population: 380, Fund: Fund},
	{ID: "stouby", Name: "Stouby", Population: 1230, Fund: Fund},
	{ID: "toerring", Name: "Tørring", Population: 3100, Fund: Fund},
	{ID: "uldum", Name: "Uldum", Population: 1820, Fund: Fund},
	{ID: "urlev", Name: "Urlev", Population: 300, Fund: Fund},
	{ID: "vrigsted", Name: "Vrigsted", Population: 470, Fund: Fund},
}

// demoProject is a project idea; Share is its cost in percent of the
// round's budget.
type demoProject struct {
	title, description, category string
	share                        int64
}

var demoIdeas = []demoProject{
	{"Multibane ved hallen", "En multibane til fodbold, basket og hockey ved hallen.", "fritid-og-faellesskab", 45},
	{"Shelterplads ved stranden", "To shelters og en bålplads til fællesspisning.", "fritid-og-faellesskab", 20},
	{"Naturlegeplads og udeskole", "Udeskole for børnehave og skole i den lille skov.", "laering", 30},
	{"Lektiecafé i forsamlingshuset", "Frivillige hjælper børn med lektier to dage om ugen.", "laering", 10},
	{"Iværksætterværksted", "Værksted og mødelokale for små virksomheder i det gamle mejeri.", "beskaeftigelse", 35},
	{"Sommerjob for unge", "Tilskud til lokale sommerjob for unge mellem 15 og 17.", "beskaeftigelse", 15},
	{"Besøgsvenner for ældre", "Kursus og kørsel for frivillige besøgsvenner.", "social-omsorg", 12},
	{"Fællesspisning hver måned", "Fællesspisning i forsamlingshuset for alle aldre.", "social-omsorg", 8},
}

// Info is what [Seed] created.
type Info struct {
	Seeded      bool     // false when the demo data was already there
	Fund        string   // the fund's ID
	Communities int      // local areas in the fund
	VotingRound string   // the round open for voting
	Published   string   // the round with a published result
	Codes       []string // voting codes of the open round to try (compact form)
	Rounds      []string // every demo round
}

// SeedDemo creates demo data like Hedensted's: a fund of 1,500,000 DKK over
// three yearly tranches shared by 29 local areas, and rounds in different
// phases: one published (with ballots and a result), one open for voting
// with projects in the four categories, one in review, one collecting
// proposals and one draft. It returns a few voting codes of the open round;
// the server keeps no codes. When the demo fund exists already, it does
// nothing and returns Seeded false.
func Seed(ctx context.Context, svc *service.Service, admin string) (*Info, error) {
	info := &Info{Fund: Fund, Communities: len(demoCommunities), VotingRound: "barrit-2026", Published: "juelsminde-2026"}
	_, err := svc.Fund(ctx, Fund)
	if err == nil {
		return info, nil
	}
	if core.KindOf(err) != core.NotFound {
		return nil, err
	}
	info.Seeded = true
	actor := &core.Identity{Name: admin, Role: core.RoleAdmin}
	if _, err := svc.CreateFund(ctx, actor, service.FundRequest{ID: Fund, Name: "Landdistriktspuljen 2026–2028",
		Total: 1_500_000, Years: []int{2026, 2027, 2028}, Formula: tally.FormulaBasePerInhabitant, Base: 5_000}); err != nil {
		return nil, err
	}
	for _, c := range demoCommunities {
		if _, err := svc.CreateCommunity(ctx, actor, c); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(2026, 29))

	// A published round with ballots and a result.
	codes, err := demoRound(ctx, svc, actor, "juelsminde-2026", "juelsminde", "Borgerbudget Juelsminde 2026", core.PhaseVoting, 60, []int{0, 2, 4, 6, 1, 7})
	if err != nil {
		return nil, err
	}
	if err := demoVotes(ctx, svc, "juelsminde-2026", codes[:44], rng); err != nil {
		return nil, err
	}
	if _, err := svc.CloseRound(ctx, actor, "juelsminde-2026"); err != nil {
		return nil, err
	}
	if _, err := svc.Publish(ctx, actor, "juelsminde-2026"); err != nil {
		return nil, err
	}
	// The round open for voting, with projects in all four categories.
	codes, err = demoRound(ctx, svc, actor, "barrit-2026", "barrit", "Borgerbudget Barrit 2026", core.PhaseVoting, 120, []int{0, 1, 2, 3, 4, 5, 6, 7})
	if err != nil {
		return nil, err
	}
	for _, c := range codes[:5] {
		info.Codes = append(info.Codes, c.Compact())
	}
	if err := demoVotes(ctx, svc, "barrit-2026", codes[90:102], rng); err != nil {
		return nil, err
	}
	// A round in review, one collecting proposals, one draft.
	if _, err := demoRound(ctx, svc, actor, "toerring-2026", "toerring", "Borgerbudget Tørring 2026", core.PhaseReview, 0, []int{1, 3, 6}); err != nil {
		return nil, err
	}
	if _, err := demoRound(ctx, svc, actor, "stouby-2026", "stouby", "Borgerbudget Stouby 2026", core.PhaseProposals, 0, []int{5, 7}); err != nil {
		return nil, err
	}
	if err := demoCoCreation(ctx, svc, actor); err != nil {
		return nil, err
	}
	if _, err := demoRound(ctx, svc, actor, "glud-2027", "glud", "Borgerbudget Glud 2027", core.PhaseDraft, 0, nil); err != nil {
		return nil, err
	}
	// A round frozen, then cancelled (its meeting was called off): the
	// fund's ledger releases its reservation.
	if _, err := demoRound(ctx, svc, actor, "hornsyld-2026", "hornsyld", "Borgerbudget Hornsyld 2026", core.PhaseFrozen, 30, []int{0, 3, 5}); err != nil {
		return nil, err
	}
	if _, err := svc.CancelRound(ctx, actor, "hornsyld-2026"); err != nil {
		return nil, err
	}
	info.Rounds = []string{"juelsminde-2026", "barrit-2026", "toerring-2026", "stouby-2026", "glud-2027", "hornsyld-2026"}
	return info, nil
}

// demoRound creates a round and takes it to phase `to` (draft, proposals,
// review, frozen or voting). Ideas are submitted as proposals; from review on they
// are decided (all accepted, except the last when there are more than
// three), and for voting a roll of codes codes is generated.
func demoRound(ctx context.Context, svc *service.Service, actor *core.Identity, id, community, title string, to core.Phase, codes int, ideas []int) ([]ballot.Code, error) {
	year := 2026
	if id == "glud-2027" {
		year = 2027
	}
	if _, err := svc.CreateRound(ctx, actor, service.RoundRequest{ID: id, Community: community, Year: year, Title: title,
		Description: "Lokalrådet fordeler årets midler fra Landdistriktspuljen. Stem på de projekter, du vil støtte."}); err != nil {
		return nil, err
	}
	if to == core.PhaseDraft {
		return nil, nil
	}
	if _, err := svc.SetPhase(ctx, actor, id, core.PhaseProposals); err != nil {
		return nil, err
	}
	r, err := svc.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, i := range ideas {
		d := demoIdeas[i]
		if _, err := svc.SubmitProposal(ctx, id, service.ProposalRequest{Title: d.title, Description: d.description,
			EstimatedCost: max(1, r.Budget*d.share/100), Category: d.category}); err != nil {
			return nil, err
		}
	}
	if to == core.PhaseProposals {
		return nil, nil
	}
	if _, err := svc.SetPhase(ctx, actor, id, core.PhaseReview); err != nil {
		return nil, err
	}
	if to == core.PhaseReview {
		return nil, nil
	}
	for n := range ideas {
		d := service.Decision{Accept: true, Reason: "Lever op til puljens formål og kan gennemføres i år"}
		if len(ideas) > 3 && n == len(ideas)-1 {
			d = service.Decision{Accept: false, Reason: "Dækkes allerede af kommunens budget"}
		}
		if _, err := svc.DecideProposal(ctx, actor, id, int64(n+1), d); err != nil {
			return nil, err
		}
	}
	_, cs, _, err := svc.FreezeWithNewCodes(ctx, actor, id, service.CodesRequest{Count: codes, Reserve: codes / 10})
	if err != nil || to == core.PhaseFrozen {
		return cs, err
	}
	if _, err := svc.Open(ctx, actor, id); err != nil {
		return nil, err
	}
	return cs, nil
}

// demoVotes casts one ballot per code, concurrently (so they share a few
// batches), approving a random choice of one to three projects.
func demoVotes(ctx context.Context, svc *service.Service, round string, codes []ballot.Code, rng *rand.Rand) error {
	fr, err := svc.FrozenRound(ctx, round)
	if err != nil {
		return err
	}
	ids := make([]string, len(fr.Manifest.Projects))
	for i, p := range fr.Manifest.Projects {
		ids[i] = p.ID
	}
	choices := make([][]string, len(codes))
	for i := range codes {
		// Earlier projects are more popular, so the result is not flat.
		n := 1 + rng.IntN(min(3, len(ids)))
		for len(choices[i]) < n {
			id := ids[min(rng.IntN(len(ids)), rng.IntN(len(ids)))]
			if !slices.Contains(choices[i], id) {
				choices[i] = append(choices[i], id)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(codes))
	for i, c := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.CastWithCode(ctx, round, c.Compact(), service.Choices{Approve: choices[i]})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ui: demo votes in %s: %w", round, err)
	}
	return nil
}
