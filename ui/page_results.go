package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// The results page: the round's published result, funded projects first,
// each project explained in plain words from the rule's own explanation
// (tally.Explanation, through service.Explanations): the money left when
// its turn came, and every tie with the tie-break step that decided it.

// resultProject is one row of the results page.
type resultProject struct {
	ID, Title string
	Cost      int64
	Votes     int64
	Funded    bool
	Why       string
	Ties      []string // each exact tie in words
	step      int      // the rule's step (0: never examined)
	// points: votes are points (cumulative ballots); excludedBy: the title
	// of the project of the same exclusion group that was funded.
	points     bool
	excludedBy string
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
		Funded   int
		Left     int64
		Turnout  string
		RuleName string
		Options  []string // the manifest's counting options in words
		Chart    template.HTML
	}{Round: r, Result: res, Projects: rows}
	if res != nil {
		d.Turnout = turnoutText(v, res.Ballots, r.TurnoutBase())
		d.RuleName = res.Rule
		if t := v.T("rule." + res.Rule); !strings.HasPrefix(t, "[") {
			d.RuleName = t
		}
		d.Left = res.Budget - res.Spent
		for _, row := range rows {
			if row.Funded {
				d.Funded++
			}
		}
		d.Chart = barChart(v, rows)
		titles := map[string]string{}
		for _, row := range rows {
			titles[row.ID] = row.Title
		}
		d.Options = optionTexts(v, r, titles)
	}
	v.D = d
	return p.render(c, http.StatusOK, "results", v)
}

// optionTexts says a round's counting options (docs/counting.md §2.8)
// in words: the minimum of votes (or points) and each exclusion group.
func optionTexts(v *view, r core.Round, titles map[string]string) []string {
	var out []string
	if r.Minimum > 0 {
		key := "preview.minimum"
		if r.Ballot.Kind == ballot.KindCumulative {
			key = "preview.minimum.points"
		}
		out = append(out, v.plural(key, r.Minimum, v.Num(r.Minimum)))
	}
	for _, g := range r.Exclusive {
		var names []string
		for _, id := range g {
			names = append(names, "»"+cmpTitle(titles, id)+"«")
		}
		out = append(out, v.T("preview.group", andList(v, names)))
	}
	return out
}

// turnoutText is the turnout in words by the one definition
// ([core.Turnout]): "28 af 35 udleverede stemmesedler (80 %)".
func turnoutText(v *view, ballots int64, base int) string {
	pct, ok := core.Turnout(ballots, base)
	if !ok {
		return v.Num(ballots)
	}
	return v.plural("turnout.of", int64(base), v.Num(ballots), v.Num(int64(base)), pct)
}

// result returns the round's last result note, verified with the council
// key, and its projects explained, funded first; nil before publication.
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
		titles := map[string]string{}
		for _, row := range rows {
			titles[row.ID] = row.Title
		}
		for i := range rows {
			if ex, ok := why[rows[i].ID]; ok {
				rows[i].points = r.Ballot.Kind == ballot.KindCumulative
				rows[i].excludedBy = titles[ex.ExcludedBy]
				if rows[i].excludedBy == "" {
					rows[i].excludedBy = ex.ExcludedBy
				}
				rows[i].Why = ruleWhy(v, ex, rows[i])
				rows[i].Ties = tieTexts(v, res.Rule, ex, titles)
				rows[i].step = ex.Step
			}
		}
	}
	sortResults(rows)
	return res, rows, nil
}

// sortResults orders rows by outcome: the funded projects first, then the
// others; within each, most votes first, then the rule's order.
func sortResults(rows []resultProject) {
	slices.SortStableFunc(rows, func(a, b resultProject) int {
		if a.Funded != b.Funded {
			if a.Funded {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Votes, a.Votes); c != 0 {
			return c
		}
		sa, sb := a.step, b.step
		if sa == 0 {
			sa = 1 << 30
		}
		if sb == 0 {
			sb = 1 << 30
		}
		return cmp.Compare(sa, sb)
	})
}

// ruleWhy translates a rule's explanation of one project.
func ruleWhy(v *view, ex tally.Explanation, r resultProject) string {
	switch ex.Reason {
	case tally.ReasonSelected:
		if ex.Step > 0 && ex.Shares == nil && ex.Left > 0 { // a greedy rule: Left is what was left
			return v.plural("why.selected.left", r.Votes, ex.Step, v.Num(r.Votes), v.Amount(r.Cost), v.Amount(ex.Left))
		}
		return v.plural("why.selected", r.Votes, ex.Step, v.Num(r.Votes), v.Amount(r.Cost))
	case tally.ReasonCompletion:
		return v.T("why.completion.left", v.Amount(r.Cost), v.Amount(ex.Left))
	case tally.ReasonNoFit:
		return v.T("why.nofit.left", ex.Step, v.Amount(ex.Left), v.Amount(r.Cost))
	case tally.ReasonOverBudget:
		return v.T("why.overbudget.short", v.Amount(r.Cost))
	case tally.ReasonNoSupport:
		return v.T("why.novotes")
	case tally.ReasonThreshold:
		return v.plural("why.fewer", r.Votes, v.Num(r.Votes))
	case tally.ReasonStopped:
		return v.T("why.stopped")
	case tally.ReasonMinimum:
		if r.points {
			return v.T("why.minimum.points", v.Num(ex.Minimum), v.Num(r.Votes))
		}
		return v.T("why.minimum", v.Num(ex.Minimum), v.Num(r.Votes))
	case tally.ReasonExcluded:
		return v.T("why.excluded", r.excludedBy)
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

// tieTexts says, for each group of projects a rule found exactly as
// good as this one (a greedy rule: as many votes; Equal Shares: as cheap
// for its supporters in the same round) and ordered by the same tie-break step on the same
// side, which step decided and whether this project came first.
func tieTexts(v *view, rule string, ex tally.Explanation, titles map[string]string) []string {
	type group struct {
		by    string
		first bool
	}
	var order []group
	names := map[group][]string{}
	for _, t := range ex.Ties {
		g := group{t.By, t.First}
		if _, ok := names[g]; !ok {
			order = append(order, g)
		}
		title := titles[t.Project]
		if title == "" {
			title = t.Project
		}
		names[g] = append(names[g], "»"+title+"«")
	}
	same := "tie.same.votes"
	switch rule {
	case tally.RuleGreedyPerCost:
		same = "tie.same.percost"
	case tally.RuleGreedyPoints:
		same = "tie.same.points"
	case tally.RuleGreedyPointsPerCost:
		same = "tie.same.pointspercost"
	}
	if strings.HasPrefix(rule, "equalshares") {
		same = "tie.same.shares"
	}
	if rule == tally.RulePhragmen {
		same = "tie.same.load"
	}
	var out []string
	for _, g := range order {
		key := "tie.after"
		if g.first {
			key = "tie.before"
		}
		out = append(out, v.T(key, v.T(same, andList(v, names[g])), v.T("tie.by."+g.by)))
	}
	return out
}

// andList joins items as "a, b og c" ("a, b and c").
func andList(v *view, items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + v.T("list.and") + " " + items[len(items)-1]
}

// ratFloor is the whole part of a non-negative rational amount.
func ratFloor(x *big.Rat) int64 {
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return q.Int64()
}

// explain writes each project's explanation from the result note alone,
// for when the rule's own explanation is not at hand: the order of
// consideration is the rule's (by votes for the greedy rules), and a
// project that was not funded although it has more votes than a funded
// one did not fit in what was left of the budget.
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
