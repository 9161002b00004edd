package ui

import (
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"slices"
	"strings"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
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
	v.D = struct {
		Round     core.Round
		Community core.Community
		Projects  []projectView
		Proposals []core.Proposal
	}{r, cm, projects, proposals}
	return p.render(c, http.StatusOK, "round", v)
}

// propose is POST /r/:round/proposals: a resident's idea, during the
// proposal phase.
func (p *pages) propose(c *fiber.Ctx) error {
	id := c.Params("round")
	title := strings.Join(strings.Fields(c.FormValue("title")), " ")
	desc := strings.TrimSpace(c.FormValue("description"))
	cat := c.FormValue("category")
	var cost int64
	if _, err := fmt.Sscan(c.FormValue("estimated_cost"), &cost); err != nil || cost < 1 {
		return core.Invalidf("the estimated cost must be a whole number of kroner")
	}
	if title == "" || len(title) > 200 || desc == "" || len(desc) > 2000 {
		return core.Invalidf("a proposal needs a title (at most 200 characters) and a description (at most 2000)")
	}
	pr, secret, err := p.app.svc.Propose(c.UserContext(), id, service.ProposalRequest{Title: title,
		Description: strings.Clone(desc), EstimatedCost: cost, Category: cat,
		TitleEN: strings.Clone(c.FormValue("title_en")), DescriptionEN: strings.Clone(c.FormValue("description_en")),
		Name: strings.Clone(c.FormValue("name")), Contact: strings.Clone(c.FormValue("contact"))})
	if err != nil {
		return err
	}
	// The proposer's private page, with the link to keep (shown once).
	return c.Redirect(service.FollowPath(id, pr.ID, secret)+"&new=1", http.StatusSeeOther)
}

// resultProject is one row of the results page.
type resultProject struct {
	ID, Title string
	Cost      int64
	Votes     int64
	Funded    bool
	Why       string
}

// results is GET /r/:round/results: the last result note of the round's
// chain, explained per project, with a bar chart of votes and costs.
func (p *pages) results(c *fiber.Ctx) error {
	r, _, projects, err := p.roundData(c, c.Params("round"))
	if err != nil {
		return err
	}
	v := p.newView(c, "results.title")
	v.Wide = true
	res, rows, err := p.result(c, v, r, projects)
	if err != nil {
		return err
	}
	d := struct {
		Round    core.Round
		Result   *ledger.Result
		Projects []resultProject
		Turnout  string
		RuleName string
		Chart    template.HTML
	}{Round: r, Result: res, Projects: rows}
	if res != nil {
		if slips := int64(r.TurnoutBase()); slips > 0 {
			d.Turnout = fmt.Sprintf("%s / %s (%d %%)", v.Num(res.Ballots), v.Num(slips), min(res.Ballots, slips)*100/slips)
		} else {
			d.Turnout = v.Num(res.Ballots)
		}
		d.RuleName = res.Rule
		if t := v.T("rule." + res.Rule); !strings.HasPrefix(t, "[") {
			d.RuleName = t + " (" + res.Rule + ")"
		}
		d.Chart = barChart(v, rows)
	}
	v.D = d
	return p.render(c, http.StatusOK, "results", v)
}

// result returns the round's last result note, verified with the council
// key, and its projects explained; nil before publication.
func (p *pages) result(c *fiber.Ctx, v *view, r core.Round, projects []projectView) (*ledger.Result, []resultProject, error) {
	if r.Phase != core.PhasePublished {
		return nil, nil, nil
	}
	res, _, err := p.app.svc.Result(c.UserContext(), r.ID)
	if core.KindOf(err) == core.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]projectView{}
	for _, pv := range projects {
		byID[pv.ID] = pv
	}
	var rows []resultProject
	for _, rp := range res.Projects {
		pv := byID[rp.ID]
		row := resultProject{ID: rp.ID, Title: pv.Title, Cost: pv.Cost, Votes: rp.Votes, Funded: rp.Funded}
		if row.Title == "" {
			row.Title = rp.ID
		}
		rows = append(rows, row)
	}
	explain(v, res, rows)
	if why, err := p.app.svc.Explanations(c.UserContext(), r.ID); err != nil {
		p.app.logError(c, "explain result", err)
	} else if why != nil {
		for i := range rows {
			if ex, ok := why[rows[i].ID]; ok {
				rows[i].Why = ruleWhy(v, ex, rows[i])
			}
		}
	}
	return res, rows, nil
}

// ruleWhy translates a rule's explanation of one project.
func ruleWhy(v *view, ex tally.Explanation, r resultProject) string {
	switch ex.Reason {
	case tally.ReasonSelected:
		return v.plural("why.selected", r.Votes, ex.Step, v.Num(r.Votes), v.Amount(r.Cost))
	case tally.ReasonCompletion:
		return v.T("why.completion", v.Amount(r.Cost))
	case tally.ReasonNoFit:
		return v.T("why.nofit.step", ex.Step, v.Amount(r.Cost))
	case tally.ReasonOverBudget:
		return v.T("why.overbudget.short", v.Amount(r.Cost))
	case tally.ReasonNoSupport:
		return v.T("why.novotes")
	case tally.ReasonThreshold:
		return v.plural("why.fewer", r.Votes, v.Num(r.Votes))
	case tally.ReasonStopped:
		return v.T("why.stopped")
	case tally.ReasonShortOfMoney:
		if ex.Shares != nil && ex.Shares.Money != nil {
			return v.plural("why.shortofmoney", ex.Shares.Supporters, ex.Shares.Supporters, v.Amount(ratFloor(ex.Shares.Money)), v.Amount(r.Cost))
		}
		return v.T("why.shortofmoney.plain", v.Amount(r.Cost))
	}
	if ex.Funded {
		return v.plural("why.funded", r.Votes, v.Num(r.Votes), v.Amount(r.Cost))
	}
	return v.T("why.notfunded")
}

// ratFloor is the whole part of a non-negative rational amount.
func ratFloor(x *big.Rat) int64 {
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return q.Int64()
}

// explain writes each project's explanation from the result note: the
// order of consideration is the rule's (by votes for the greedy rules),
// and a project that was not funded although it has more votes than a
// funded one did not fit in what was left of the budget.
func explain(v *view, res *ledger.Result, rows []resultProject) {
	var minFundedVotes int64 = -1
	for _, r := range rows {
		if r.Funded && (minFundedVotes < 0 || r.Votes < minFundedVotes) {
			minFundedVotes = r.Votes
		}
	}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.Funded:
			r.Why = v.plural("why.funded", r.Votes, v.Num(r.Votes), v.Amount(r.Cost))
		case r.Votes == 0:
			r.Why = v.T("why.novotes")
		case r.Cost > res.Budget:
			r.Why = v.T("why.overbudget", v.Amount(r.Cost), v.Amount(res.Budget))
		case minFundedVotes >= 0 && r.Votes > minFundedVotes:
			r.Why = v.T("why.nofit", v.Amount(r.Cost), v.Amount(res.Budget-res.Spent))
		default:
			r.Why = v.plural("why.fewer", r.Votes, v.Num(r.Votes))
		}
	}
}

// barChart draws votes and costs per project as an inline SVG sized for a
// phone: per project a title line, a dark bar for votes and a light bar for
// the cost, each scaled to its own maximum.
func barChart(v *view, rows []resultProject) template.HTML {
	const width, barMax, rowH = 360, 250, 58
	var maxVotes, maxCost int64 = 1, 1
	for _, r := range rows {
		maxVotes = max(maxVotes, r.Votes)
		maxCost = max(maxCost, r.Cost)
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`, width, len(rows)*rowH+28)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(v.T("results.chart")), esc(v.T("results.chart.desc")))
	fmt.Fprintf(&b, `<rect x="0" y="4" width="14" height="14" fill="#0b5394"/><text x="20" y="16">%s</text>`, esc(v.T("results.votescol")))
	fmt.Fprintf(&b, `<rect x="140" y="4" width="14" height="14" fill="#7fa6cc"/><text x="160" y="16">%s</text>`, esc(v.T("round.cost")))
	for i, r := range rows {
		y := 28 + i*rowH
		wv := max(int64(barMax)*r.Votes/maxVotes, 2)
		wc := max(int64(barMax)*r.Cost/maxCost, 2)
		mark := ""
		if r.Funded {
			mark = "✓ "
		}
		fmt.Fprintf(&b, `<text x="0" y="%d" font-weight="700">%s%s</text>`, y+14, mark, esc(r.Title))
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="14" fill="#0b5394"/><text x="%d" y="%d">%s</text>`, y+20, wv, wv+6, y+32, esc(v.Num(r.Votes)))
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="14" fill="#7fa6cc"/><text x="%d" y="%d">%s</text>`, y+37, wc, wc+6, y+49, esc(v.Amount(r.Cost)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// about is GET /about: how the vote works and what it cannot do, in plain words.
func (p *pages) about(c *fiber.Ctx) error {
	v := p.newView(c, "about.title")
	return p.render(c, http.StatusOK, "about", v)
}
