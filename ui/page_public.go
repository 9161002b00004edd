package ui

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/tally"
)

// Public pages: the fund overview, community and round pages (with the
// proposal form), results and the record page.

type homeFund struct {
	Fund        core.Fund
	Tranches    []homeTranche
	Communities []homeCommunity
	// Formula is the fund's formula in words, in the reader's language.
	Formula string
}

// homeTranche is one year of a fund's allocation, by community name.
type homeTranche struct {
	Year   int
	Amount int64
	Open   bool // shown unfolded: the current year's tranche
	// Projected: the allocation or the carry-ins are not fixed yet (the
	// tranche has not opened, or the one before has not closed).
	Projected bool
	Closed    bool
	Rows      []homeAlloc
}

type homeAlloc struct {
	Name                                      string
	CarryIn, Allocated, Reserved, Spent, Left int64
}

// formulaText is fund f's formula in words, in v's language.
func formulaText(v *view, f core.Fund) string {
	if f.Formula == tally.FormulaBasePerInhabitant {
		return v.T("home.formula."+f.Formula, formatAmount(v.Lang, f.Base))
	}
	return v.T("home.formula." + f.Formula)
}

type homeCommunity struct {
	Community core.Community
	Rounds    []core.Round
}

// home is GET /: every fund with its communities and their rounds.
func (p *pages) home(c *fiber.Ctx) error {
	o, err := p.app.svc.Overview(c.UserContext())
	if err != nil {
		return err
	}
	v := p.newView(c, "home.title")
	funds := homeFunds(v, o, p.app.svc.Clock().Year())
	v.Wide = true
	v.D = struct{ Funds []homeFund }{funds}
	return p.render(c, http.StatusOK, "home", v)
}

// homeFunds are the funds of o with their allocations by community name,
// in v's language; the tranche of year is shown unfolded.
func homeFunds(v *view, o *service.Overview, year int) []homeFund {
	var funds []homeFund
	comms, rounds := o.Communities, o.Rounds
	{
		for _, f := range o.Funds {
			plan := o.Plans[f.ID]
			hf := homeFund{Fund: f, Formula: formulaText(v, f)}
			names := map[string]string{}
			for _, cm := range comms {
				names[cm.ID] = cm.Name
			}
			for _, tv := range plan.Allocation {
				ht := homeTranche{Year: tv.Year, Amount: tv.Amount, Open: tv.Year == year,
					Projected: !tv.Opened || !tv.CarryInFixed, Closed: tv.Closed}
				for _, ac := range tv.Accounts {
					ht.Rows = append(ht.Rows, homeAlloc{Name: names[ac.Community], CarryIn: ac.CarryIn, Allocated: ac.Allocated,
						Reserved: ac.Reserved, Spent: ac.Spent, Left: ac.Left})
				}
				hf.Tranches = append(hf.Tranches, ht)
			}
			// The current tranche is open, the others folded (a long
			// table each on a phone); the first when none is current.
			if len(hf.Tranches) > 0 && !slices.ContainsFunc(hf.Tranches, func(t homeTranche) bool { return t.Open }) {
				hf.Tranches[0].Open = true
			}
			for _, cm := range comms {
				if cm.Fund != f.ID {
					continue
				}
				hc := homeCommunity{Community: cm}
				for _, r := range rounds {
					if r.Community == cm.ID {
						hc.Rounds = append(hc.Rounds, r)
					}
				}
				hf.Communities = append(hf.Communities, hc)
			}
			funds = append(funds, hf)
		}
	}
	return funds
}

// communityTranche is one tranche of a community's share of its fund.
type communityTranche struct {
	Year                                      int
	CarryIn, Allocated, Reserved, Spent, Left int64
	Projected                                 bool // allocation or carry-in not fixed yet
}

// community is GET /c/:community: its rounds and its allocation from its
// fund, tranche by tranche.
func (p *pages) community(c *fiber.Ctx) error {
	var d struct {
		Community  core.Community
		Fund       core.Fund
		Rounds     []core.Round
		Allocation []communityTranche
		Formula    string
	}
	var err error
	if d.Community, err = p.app.svc.Community(c.UserContext(), c.Params("community")); err != nil {
		return err
	}
	o, err := p.app.svc.Overview(c.UserContext())
	if err != nil {
		return err
	}
	for _, f := range o.Funds {
		if f.ID != d.Community.Fund {
			continue
		}
		d.Fund = f
		for _, tv := range o.Plans[f.ID].Allocation {
			for _, ac := range tv.Accounts {
				if ac.Community == d.Community.ID {
					d.Allocation = append(d.Allocation, communityTranche{Year: tv.Year, CarryIn: ac.CarryIn,
						Allocated: ac.Allocated, Reserved: ac.Reserved, Spent: ac.Spent, Left: ac.Left,
						Projected: !tv.Opened || !tv.CarryInFixed})
				}
			}
		}
	}
	for _, r := range o.Rounds {
		if r.Community == d.Community.ID {
			d.Rounds = append(d.Rounds, r)
		}
	}
	v := p.newView(c, "home.title")
	v.Title = d.Community.Name
	if d.Fund.ID != "" {
		d.Formula = formulaText(v, d.Fund)
	}
	v.D = d
	return p.render(c, http.StatusOK, "community", v)
}

// projectView is a project as pages show it, with its category's name.
type projectView struct {
	ID, Title, Description, Category string
	Cost                             int64
	Proposal                         int64 // the proposal it came from, if any
}

func projectViews(lang string, cat catalog, r core.Round, ps []core.Project) []projectView {
	names := map[string]string{}
	for _, c := range r.Categories {
		names[c.ID] = categoryName(lang, cat, c)
	}
	out := make([]projectView, 0, len(ps))
	for _, pr := range ps {
		name := names[pr.Category]
		if name == "" {
			name = pr.Category
		}
		out = append(out, projectView{ID: pr.ID, Title: pr.Title, Description: pr.Description, Category: name, Cost: pr.Cost, Proposal: pr.Proposal})
	}
	return out
}

// categoryName is a category's name in the page's language: one of
// [core.DefaultCategories] under its default (Danish) name is translated
// ("category.<id>" in the catalog); a round's own categories keep the name
// the round gives them. Stored and manifest ids never change.
func categoryName(lang string, cat catalog, c core.Category) string {
	for _, d := range core.DefaultCategories {
		if d.ID == c.ID && d.Name == c.Name {
			if t, ok := cat[lang]["category."+c.ID]; ok {
				return t
			}
		}
	}
	return c.Name
}

// roundData loads a round with its community and projects.
func (p *pages) roundData(c *fiber.Ctx, id string) (core.Round, core.Community, []projectView, error) {
	d, err := p.app.svc.RoundDetail(c.UserContext(), id)
	if core.KindOf(err) == core.NotFound {
		return d.Round, d.Community, nil, core.NotFoundf("no such round")
	}
	r, cm, ps := d.Round, d.Community, d.Projects
	lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	return r, cm, projectViews(lang, p.cat, r, ps), err
}

// round is GET /r/:round.
func (p *pages) round(c *fiber.Ctx) error {
	r, cm, projects, err := p.roundData(c, c.Params("round"))
	if err != nil {
		return err
	}
	d, err := p.app.svc.RoundDetail(c.UserContext(), r.ID)
	if err != nil {
		return err
	}
	proposals := d.Proposals
	v := p.newView(c, "home.title")
	v.Title = r.Title
	switch c.Query("sent") {
	case "1":
		v.Flash, v.FlashKind = v.T("round.propose.thanks"), "ok"
	}
	form, _ := c.Locals(localProposeForm).(*proposeForm)
	if form != nil {
		v.Flash, v.FlashKind = form.Error, "bad"
	}
	v.D = struct {
		Round     core.Round
		Community core.Community
		Projects  []projectView
		Proposals []core.Proposal
		Form      *proposeForm // a refused proposal, sent again with its error
	}{r, cm, projects, proposals, form}
	return p.render(c, http.StatusOK, "round", v)
}

// propose is POST /r/:round/proposals: a resident's idea, during the
// proposal phase.
func (p *pages) propose(c *fiber.Ctx) error {
	id := c.Params("round")
	title := strings.Join(strings.Fields(c.FormValue("title")), " ")
	desc := strings.TrimSpace(c.FormValue("description"))
	cat := c.FormValue("category")
	cost, ok := parseKroner(c.FormValue("estimated_cost"))
	if !ok || cost < 1 {
		return p.proposeAgain(c, "round.propose.bad.cost", nil)
	}
	if title == "" || len(title) > 200 || desc == "" || len(desc) > 2000 {
		return p.proposeAgain(c, "round.propose.bad.text", nil)
	}
	pr, secret, err := p.app.svc.Propose(c.UserContext(), id, service.ProposalRequest{Title: title,
		Description: strings.Clone(desc), EstimatedCost: cost, Category: cat,
		TitleEN: strings.Clone(c.FormValue("title_en")), DescriptionEN: strings.Clone(c.FormValue("description_en")),
		Name: strings.Clone(c.FormValue("name")), Contact: strings.Clone(c.FormValue("contact"))})
	if err != nil {
		return p.proposeAgain(c, "", err)
	}
	// The proposer's private page, with the link to keep (shown once).
	return c.Redirect(service.FollowPath(id, pr.ID, secret)+"&new=1", http.StatusSeeOther)
}

// about is GET /about: how the vote works and what it cannot do, in plain words.
func (p *pages) about(c *fiber.Ctx) error {
	v := p.newView(c, "about.title")
	return p.render(c, http.StatusOK, "about", v)
}
