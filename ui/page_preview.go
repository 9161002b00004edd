package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// The "what would happen if" page of a round (/admin/rounds/:round/preview):
// the coordinator types sample ballots and sees, for every counting rule
// the round's ballot allows, what it would fund and why, with the round's
// minimum and exclusion groups, counted by service.PreviewRound (the one
// count of publication and pbverify).

// previewRow is one project under one rule.
type previewRow struct {
	Title  string
	Votes  int64
	Cost   int64
	Funded bool
	Why    string
}

// previewRule is one rule's outcome in words.
type previewRule struct {
	Name    string
	Chosen  bool
	Summary string
	Rows    []previewRow
}

// previewPage is GET and POST /admin/rounds/:round/preview.
func (p *pages) previewPage(c *fiber.Ctx) error {
	id := AccountOf(c)
	rd, err := p.app.svc.RoundDetail(c.UserContext(), c.Params("round"))
	if core.KindOf(err) == core.NotFound {
		return core.NotFoundf("no such round")
	}
	if err != nil {
		return err
	}
	r := rd.Round
	if !id.CanManage(r.Community) {
		return core.Forbiddenf("you may not manage this round")
	}
	v := p.newView(c, "preview.title")
	titles := map[string]string{}
	for _, pr := range rd.Projects {
		titles[pr.ID] = pr.Title
	}
	points := r.Ballot.Kind == ballot.KindCumulative
	d := struct {
		Round    core.Round
		Points   bool
		Text     string
		Error    string
		Settings []string
		Rules    []previewRule
		Projects []string // the projects' short names, for the hint
	}{Round: r, Points: points}
	for _, pr := range rd.Projects {
		d.Projects = append(d.Projects, pr.ID)
	}
	d.Settings = optionTexts(v, r, titles)
	if c.Method() == fiber.MethodPost {
		d.Text = c.FormValue("ballots")
		samples, line, perr := parseSamples(d.Text, points)
		switch {
		case perr != nil:
			d.Error = v.T("preview.badline", line)
		default:
			pv, err := p.app.svc.PreviewRound(c.UserContext(), id, r.ID, service.PreviewRequest{Ballots: samples})
			if err != nil {
				status, msg, reason, public := PublicError(err)
				if !public {
					return err
				}
				d.Error = p.formErrorText(v.Lang, status, msg, reason)
				break
			}
			d.Rules = previewRules(v, pv, titles, points)
		}
	}
	v.D = d
	status := http.StatusOK
	if d.Error != "" {
		status = http.StatusBadRequest
	}
	return p.render(c, status, "admin_preview", v)
}

// cmpTitle is a project's title, or its ID when it has none.
func cmpTitle(titles map[string]string, id string) string {
	if t := titles[id]; t != "" {
		return t
	}
	return id
}

// previewRules puts a preview into words: each rule by name, funded
// projects first, each explained as the results page explains it.
func previewRules(v *view, pv *service.Preview, titles map[string]string, points bool) []previewRule {
	var out []previewRule
	for _, o := range pv.Outcomes {
		pr := previewRule{Name: v.T("rule." + o.Rule), Chosen: o.Chosen}
		if strings.HasPrefix(pr.Name, "[") {
			pr.Name = o.Rule
		}
		if len(o.Funded) == 0 {
			pr.Summary = v.T("preview.none")
		} else {
			pr.Summary = v.plural("preview.summary", int64(len(o.Funded)), len(o.Funded), v.Amount(o.Spent), v.Amount(pv.Budget))
		}
		var rows []resultProject
		for i, p := range o.Projects {
			row := resultProject{ID: p.ID, Title: cmpTitle(titles, p.ID), Cost: p.Cost, Votes: p.Votes, Funded: p.Funded,
				points: points, excludedBy: cmpTitle(titles, p.ExcludedBy)}
			row.Why = ruleWhy(v, o.Explanations[i], row)
			row.step = o.Explanations[i].Step
			rows = append(rows, row)
		}
		sortResults(rows)
		for _, row := range rows {
			pr.Rows = append(pr.Rows, previewRow{Title: row.Title, Votes: row.Votes, Cost: row.Cost, Funded: row.Funded, Why: row.Why})
		}
		out = append(out, pr)
	}
	return out
}

// parseSamples reads the preview form's sample ballots: one ballot per
// line, optionally led by "N:" for N voters casting it; then the
// projects' short names (approval ballots) or "name=points" (cumulative
// ballots), separated by spaces or commas. Blank lines and lines starting
// with # are skipped. On a line it cannot read it returns that line's
// number (1-based). The ballots' validity for the round is the service's
// to check.
func parseSamples(text string, points bool) ([]service.SampleBallot, int, error) {
	var out []service.SampleBallot
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == service.MaxSampleBallots {
			return nil, n, core.Invalidf("at most %d sample ballots", service.MaxSampleBallots)
		}
		var b service.SampleBallot
		if head, rest, ok := strings.Cut(line, ":"); ok {
			k, err := strconv.Atoi(strings.TrimSpace(head))
			if err != nil || k < 1 || k > service.MaxSampleVoters {
				return nil, n, core.Invalidf("line %d: the count before ':' must be 1 to %d", n, service.MaxSampleVoters)
			}
			b.Count, line = k, rest
		}
		for _, tok := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\r' }) {
			if !points {
				if !ballot.ValidID(tok) {
					return nil, n, core.Invalidf("line %d: %q is not a project's short name", n, tok)
				}
				b.Approve = append(b.Approve, tok)
				continue
			}
			id, pts, ok := strings.Cut(tok, "=")
			k, err := strconv.ParseInt(pts, 10, 64)
			if !ok || !ballot.ValidID(id) || err != nil || k < 1 || k > ballot.MaxPoints {
				return nil, n, core.Invalidf("line %d: %q is not name=points", n, tok)
			}
			if b.Points == nil {
				b.Points = map[string]int64{}
			}
			if _, dup := b.Points[id]; dup {
				return nil, n, core.Invalidf("line %d: %s twice", n, id)
			}
			b.Points[id] = k
		}
		out = append(out, b)
	}
	return out, 0, nil
}
