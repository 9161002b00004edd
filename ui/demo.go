package ui

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/store"
)

// DemoFund is the fund the demo creates.
const DemoFund = "landdistriktspuljen"

// demoCommunities are 29 local areas of Hedensted Kommune with rounded
// populations. They are demo data: the names are real places, the numbers
// are approximate and must not be used for a real allocation.
var demoCommunities = []CommunityRequest{
	{"aale", "Aale", 350, DemoFund},
	{"barrit", "Barrit", 720, DemoFund},
	{"bjerre", "Bjerre", 480, DemoFund},
	{"daugaard", "Daugård", 950, DemoFund},
	{"glud", "Glud", 520, DemoFund},
	{"gaarslev", "Gårslev", 410, DemoFund},
	{"hedensted", "Hedensted", 6600, DemoFund},
	{"hjarnoe", "Hjarnø", 100, DemoFund},
	{"hornsyld", "Hornsyld", 1650, DemoFund},
	{"hvirring", "Hvirring", 290, DemoFund},
	{"juelsminde", "Juelsminde", 3900, DemoFund},
	{"klakring", "Klakring", 420, DemoFund},
	{"korning", "Korning", 680, DemoFund},
	{"lindved", "Lindved", 610, DemoFund},
	{"loesning", "Løsning", 2950, DemoFund},
	{"oelholm", "Ølholm", 580, DemoFund},
	{"oelsted", "Ølsted", 790, DemoFund},
	{"oerum", "Ørum", 430, DemoFund},
	{"oester-snede", "Øster Snede", 1050, DemoFund},
	{"rask-moelle", "Rask Mølle", 1150, DemoFund},
	{"remmerslund", "Remmerslund", 320, DemoFund},
	{"raarup", "Rårup", 930, DemoFund},
	{"stenderup", "Stenderup", 510, DemoFund},
	{"store-dalby", "Store Dalby", 380, DemoFund},
	{"stouby", "Stouby", 1230, DemoFund},
	{"toerring", "Tørring", 3100, DemoFund},
	{"uldum", "Uldum", 1820, DemoFund},
	{"urlev", "Urlev", 300, DemoFund},
	{"vrigsted", "Vrigsted", 470, DemoFund},
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

// DemoInfo is what [App.SeedDemo] created.
type DemoInfo struct {
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
func (a *App) SeedDemo(ctx context.Context, admin string) (*DemoInfo, error) {
	info := &DemoInfo{Fund: DemoFund, Communities: len(demoCommunities), VotingRound: "barrit-2026", Published: "juelsminde-2026"}
	err := a.store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Fund(DemoFund)
		return err
	})
	if err == nil {
		return info, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	info.Seeded = true
	actor := &Identity{Name: admin, Role: store.RoleAdmin}
	if _, err := a.CreateFund(ctx, actor, FundRequest{ID: DemoFund, Name: "Landdistriktspuljen 2026–2028",
		Total: 1_500_000, Years: []int{2026, 2027, 2028}, Formula: tally.FormulaBasePerInhabitant, Base: 5_000}); err != nil {
		return nil, err
	}
	for _, c := range demoCommunities {
		if _, err := a.CreateCommunity(ctx, actor, c); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(2026, 29))

	// A published round with ballots and a result.
	codes, err := a.demoRound(ctx, actor, "juelsminde-2026", "juelsminde", "Borgerbudget Juelsminde 2026", store.PhaseVoting, 60, []int{0, 2, 4, 6, 1, 7})
	if err != nil {
		return nil, err
	}
	if err := a.demoVotes(ctx, "juelsminde-2026", codes[:44], rng); err != nil {
		return nil, err
	}
	if _, err := a.CloseRound(ctx, actor, "juelsminde-2026"); err != nil {
		return nil, err
	}
	if _, err := a.Publish(ctx, actor, "juelsminde-2026"); err != nil {
		return nil, err
	}
	// The round open for voting, with projects in all four categories.
	codes, err = a.demoRound(ctx, actor, "barrit-2026", "barrit", "Borgerbudget Barrit 2026", store.PhaseVoting, 120, []int{0, 1, 2, 3, 4, 5, 6, 7})
	if err != nil {
		return nil, err
	}
	for _, c := range codes[:5] {
		info.Codes = append(info.Codes, c.Compact())
	}
	if err := a.demoVotes(ctx, "barrit-2026", codes[90:102], rng); err != nil {
		return nil, err
	}
	// A round in review, one collecting proposals, one draft.
	if _, err := a.demoRound(ctx, actor, "toerring-2026", "toerring", "Borgerbudget Tørring 2026", store.PhaseReview, 0, []int{1, 3, 6}); err != nil {
		return nil, err
	}
	if _, err := a.demoRound(ctx, actor, "stouby-2026", "stouby", "Borgerbudget Stouby 2026", store.PhaseProposals, 0, []int{5, 7}); err != nil {
		return nil, err
	}
	if _, err := a.demoRound(ctx, actor, "glud-2027", "glud", "Borgerbudget Glud 2027", store.PhaseDraft, 0, nil); err != nil {
		return nil, err
	}
	info.Rounds = []string{"juelsminde-2026", "barrit-2026", "toerring-2026", "stouby-2026", "glud-2027"}
	return info, nil
}

// demoRound creates a round and takes it to phase `to` (draft, proposals,
// review or voting). Ideas are submitted as proposals; from review on they
// are decided (all accepted, except the last when there are more than
// three), and for voting a roll of codes codes is generated.
func (a *App) demoRound(ctx context.Context, actor *Identity, id, community, title string, to store.Phase, codes int, ideas []int) ([]ballot.Code, error) {
	year := 2026
	if id == "glud-2027" {
		year = 2027
	}
	if _, err := a.CreateRound(ctx, actor, RoundRequest{ID: id, Community: community, Year: year, Title: title,
		Description: "Lokalrådet fordeler årets midler fra Landdistriktspuljen. Stem på de projekter, du vil støtte."}); err != nil {
		return nil, err
	}
	if to == store.PhaseDraft {
		return nil, nil
	}
	if _, err := a.SetPhase(ctx, actor, id, store.PhaseProposals); err != nil {
		return nil, err
	}
	var r store.Round
	if err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.Round(id)
		return err
	}); err != nil {
		return nil, err
	}
	for _, i := range ideas {
		d := demoIdeas[i]
		if _, err := a.SubmitProposal(ctx, id, ProposalRequest{Title: d.title, Description: d.description,
			EstimatedCost: max(1, r.Budget*d.share/100), Category: d.category}); err != nil {
			return nil, err
		}
	}
	if to == store.PhaseProposals {
		return nil, nil
	}
	if _, err := a.SetPhase(ctx, actor, id, store.PhaseReview); err != nil {
		return nil, err
	}
	if to == store.PhaseReview {
		return nil, nil
	}
	for n := range ideas {
		d := Decision{Accept: true, Reason: "Lever op til puljens formål og kan gennemføres i år"}
		if len(ideas) > 3 && n == len(ideas)-1 {
			d = Decision{Accept: false, Reason: "Dækkes allerede af kommunens budget"}
		}
		if _, err := a.DecideProposal(ctx, actor, id, int64(n+1), d); err != nil {
			return nil, err
		}
	}
	_, cs, _, err := a.freezeWithCodes(ctx, actor, id, CodesRequest{Count: codes, Reserve: codes / 10})
	if err != nil {
		return nil, err
	}
	if _, err := a.Open(ctx, actor, id); err != nil {
		return nil, err
	}
	return cs, nil
}

// demoVotes casts one ballot per code, concurrently (so they share a few
// batches), approving a random choice of one to three projects.
func (a *App) demoVotes(ctx context.Context, round string, codes []ballot.Code, rng *rand.Rand) error {
	fr, err := a.frozenRound(ctx, round)
	if err != nil {
		return err
	}
	ids := make([]string, len(fr.manifest.Projects))
	for i, p := range fr.manifest.Projects {
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
			_, errs[i] = a.castWithCode(ctx, round, c.Compact(), Choices{Approve: choices[i]})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ui: demo votes in %s: %w", round, err)
	}
	return nil
}
