package ui

import (
	"encoding/base64"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// The council's printed and archived material: a round's poster (how to
// vote, the trust anchors, the manifest fingerprint), its minutes, a
// fund's statistics, and the open-data files (CSV and zip). All of it is
// public: it holds nothing a round's record does not, and no proposer's
// name or contact.

// ruleName is a counting rule in words in v's language, with its id.
func ruleName(v *view, id string) string {
	if t := v.T("rule." + id); !strings.HasPrefix(t, "[") {
		return t + " (" + id + ")"
	}
	return id
}

// qrData is a QR code of content as a data: URL of a PNG (pages allow
// data: images), so that a printed page needs no second request.
func qrData(content string, size int) (template.URL, error) {
	png, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// localDate writes t as a date and time in the municipality's zone, in
// v's language; "" for the zero time.
func localDate(v *view, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(meetingZone())
	months := strings.Split(v.T("date.months"), ",")
	m := t.Month().String()
	if len(months) == 12 {
		m = months[t.Month()-1]
	}
	if v.Lang == "da" {
		return t.Format("2. ") + m + t.Format(" 2006 kl. 15.04")
	}
	return t.Format("2 ") + m + t.Format(" 2006, 15:04")
}

// poster is GET /r/:round/poster: an A4 page to print and hang up before
// the meeting.
func (p *pages) poster(c *fiber.Ctx) error {
	r, cm, projects, err := p.roundData(c, c.Params("round"))
	if err != nil {
		return err
	}
	base := p.app.svc.BaseURL()
	anchors := string((&ledger.Anchors{Round: r.ID, LogKey: r.LogKey, CouncilKey: r.CouncilKey, Manifest: r.Fingerprint}).Bytes())
	d := struct {
		Round       core.Round
		Community   core.Community
		Projects    int
		RoundURL    string
		RoundQR     template.URL
		Anchors     string
		AnchorsQR   template.URL
		Fingerprint string
		When        string
		Place       string
		Verify      string
	}{Round: r, Community: cm, Projects: len(projects), RoundURL: base + "/r/" + r.ID, Anchors: anchors,
		Place: meetingPlace(r)}
	if d.RoundQR, err = qrData(d.RoundURL, 320); err != nil {
		return err
	}
	if d.AnchorsQR, err = qrData(anchors, 420); err != nil {
		return err
	}
	if r.Fingerprint != "" {
		d.Fingerprint = ballot.FormatFingerprint(r.Fingerprint)
	}
	v := p.newView(c, "poster.title")
	d.When = localDate(v, r.MeetingAt)
	if d.When == "" {
		d.When = localDate(v, r.OpensAt)
	}
	d.Verify = "pbverify record " + base + "/rounds/" + r.ID + "/record/ --anchors anchors.txt"
	v.Title = v.T("poster.title") + " · " + r.Title
	v.BodyClass, v.NoFooter = "print-page", true
	v.D = d
	return p.render(c, http.StatusOK, "poster", v)
}

// meetingPlace is where the round's meeting is held, "" when not set.
func meetingPlace(r core.Round) string { return r.MeetingPlace }

// LocalTime writes t in the municipality's time zone, in v's language.
func (v *view) LocalTime(t time.Time) string { return localDate(v, t) }

// minutesProject is one line of the minutes' project table.
type minutesProject struct {
	service.ReportProject
	CategoryName string
}

// minutes is GET /r/:round/minutes: the round's minutes for the
// council's archive, printable: the rule, the counts, the funded projects
// and the fingerprints.
func (p *pages) minutes(c *fiber.Ctx) error {
	rep, err := p.app.svc.RoundReport(c.UserContext(), c.Params("round"))
	if core.KindOf(err) == core.NotFound {
		return core.NotFoundf("no such round")
	}
	if err != nil {
		return err
	}
	v := p.newView(c, "minutes.title")
	r := rep.Round
	v.Title = v.T("minutes.title") + " · " + r.Title
	v.BodyClass = "print-page"
	names := map[string]string{}
	for _, cat := range r.Categories {
		names[cat.ID] = categoryName(v.Lang, p.cat, cat)
	}
	d := struct {
		Report      *service.RoundReport
		Round       core.Round
		Rule        string
		Tiebreak    string
		Revote      string
		Projects    []minutesProject
		Funded      []minutesProject
		Fingerprint string
		Turnout     string
		Voids       int
		HandedOut   int
		Dates       [][2]string
		Printed     string
	}{Report: rep, Round: r, Rule: ruleName(v, r.Rule), Tiebreak: v.T("minutes.tiebreak." + tiebreakKey(r.Tiebreak)),
		Revote: v.T("minutes.revote." + r.Revote), Voids: len(r.VoidLeaves), HandedOut: r.TurnoutBase(), Printed: localDate(v, p.app.svc.Now())}
	if r.Fingerprint != "" {
		d.Fingerprint = ballot.FormatFingerprint(r.Fingerprint)
	}
	for _, pr := range rep.Projects {
		mp := minutesProject{ReportProject: pr, CategoryName: names[pr.Category]}
		d.Projects = append(d.Projects, mp)
		if pr.Funded {
			d.Funded = append(d.Funded, mp)
		}
	}
	if rep.Result != nil {
		if pct, ok := core.Turnout(rep.Result.Ballots, r.TurnoutBase()); ok {
			d.Turnout = v.T("minutes.turnout.of", v.Num(rep.Result.Ballots), v.Num(int64(r.TurnoutBase())), pct)
		}
	}
	for _, dt := range []struct {
		key string
		t   time.Time
	}{{"minutes.date.created", r.Created}, {"minutes.date.frozen", r.Frozen}, {"minutes.date.opened", r.Opened},
		{"minutes.date.closed", r.Closed}, {"minutes.date.published", r.Published}} {
		if !dt.t.IsZero() {
			d.Dates = append(d.Dates, [2]string{v.T(dt.key), localDate(v, dt.t)})
		}
	}
	v.D = d
	return p.render(c, http.StatusOK, "minutes", v)
}

// tiebreakKey is the catalog key part of a tie-break order.
func tiebreakKey(tb string) string {
	if tb == ballot.TiebreakLexicographic {
		return "lexicographic"
	}
	return "default"
}

// statsRow is one line of the turnout table.
type statsRow struct {
	service.TurnoutRow
	OfPopulation string // "12.3 %" or ""
	OfSlips      string
}

// statsComparison is one round's comparison of two rules, by project.
type statsComparison struct {
	Round             core.Round
	Rule, Alt         string
	Spent, AltSpent   int64
	Rows              []statsCompareRow
	Same              bool
	OnlyRule, OnlyAlt int
}

type statsCompareRow struct {
	Title       string
	Cost, Votes int64
	Funded, Alt bool
}

// percent writes n/d as a percentage with one decimal in v's language.
func percent(v *view, n, d int64) string {
	if d <= 0 || n < 0 {
		return ""
	}
	tenths := (n*1000 + d/2) / d
	s := formatNumber(v.Lang, tenths/10)
	sep := "."
	if v.Lang == "da" {
		sep = ","
	}
	return s + sep + string(rune('0'+tenths%10)) + " %"
}

// turnoutPercent is the turnout by its one definition ([core.Turnout]),
// "81 %", or "" when no slip was handed out.
func turnoutPercent(ballots int64, handedOut int) string {
	if pct, ok := core.Turnout(ballots, handedOut); ok {
		return strconv.FormatInt(pct, 10) + " %"
	}
	return ""
}

// statistics is GET /f/:fund/statistics.
func (p *pages) statistics(c *fiber.Ctx) error {
	st, err := p.app.svc.FundStats(c.UserContext(), c.Params("fund"))
	if core.KindOf(err) == core.NotFound {
		return core.NotFoundf("no such fund")
	}
	if err != nil {
		return err
	}
	v := p.newView(c, "stats.title")
	v.Title = v.T("stats.title") + " · " + st.Fund.Name
	v.Wide = true
	type yearBlock struct {
		Year                    int
		Rows                    []statsRow
		Ballots, Population     int64
		Slips                   int64
		OfPopulation, OfSlips   string
		Rounds, PublishedRounds int
	}
	d := struct {
		Fund        core.Fund
		Years       []*yearBlock
		Categories  []service.CategoryStat
		CatNames    map[string]string
		Comparisons []statsComparison
	}{Fund: st.Fund, Categories: st.Categories, CatNames: map[string]string{}}
	blocks := map[int]*yearBlock{}
	for _, y := range st.Years {
		b := &yearBlock{Year: y}
		blocks[y] = b
		d.Years = append(d.Years, b)
	}
	for _, row := range st.Turnout {
		b := blocks[row.Year]
		sr := statsRow{TurnoutRow: row}
		if row.Round != nil {
			b.Rounds++
		}
		if row.Ballots >= 0 {
			sr.OfPopulation = percent(v, row.Ballots, row.Community.Population)
			sr.OfSlips = turnoutPercent(row.Ballots, row.HandedOut)
			b.PublishedRounds++
			b.Ballots += row.Ballots
			b.Population += row.Community.Population
			b.Slips += int64(row.HandedOut)
		}
		b.Rows = append(b.Rows, sr)
	}
	for _, b := range d.Years {
		b.OfPopulation, b.OfSlips = percent(v, b.Ballots, b.Population), turnoutPercent(b.Ballots, int(b.Slips))
	}
	for _, cs := range st.Categories {
		d.CatNames[cs.ID] = categoryName(v.Lang, p.cat, core.Category{ID: cs.ID, Name: cs.Name})
	}
	for _, id := range sortedReportIDs(st.Reports) {
		rep := st.Reports[id]
		if rep.Result == nil {
			continue
		}
		cmp, err := p.comparison(c, id)
		if err != nil {
			return err
		}
		if cmp == nil {
			continue
		}
		sc := statsComparison{Round: rep.Round, Rule: ruleName(v, cmp.Rule), Alt: ruleName(v, cmp.Alt),
			Spent: cmp.Spent, AltSpent: cmp.AltSpent, Same: true}
		for _, pr := range rep.Projects {
			row := statsCompareRow{Title: pr.Title, Cost: pr.Cost, Votes: pr.Votes, Funded: cmp.Funded[pr.ID], Alt: cmp.AltFunded[pr.ID]}
			if row.Funded != row.Alt {
				sc.Same = false
				if row.Funded {
					sc.OnlyRule++
				} else {
					sc.OnlyAlt++
				}
			}
			sc.Rows = append(sc.Rows, row)
		}
		d.Comparisons = append(d.Comparisons, sc)
	}
	v.D = d
	return p.render(c, http.StatusOK, "stats", v)
}

func sortedReportIDs(m map[string]*service.RoundReport) []string {
	return slices.Sorted(maps.Keys(m))
}

// comparison is [service.Service.RuleComparison], kept once counted: a
// published round never changes.
func (p *pages) comparison(c *fiber.Ctx, id string) (*service.RuleComparison, error) {
	p.mu.Lock()
	cmp, ok := p.compared[id]
	p.mu.Unlock()
	if ok {
		return cmp, nil
	}
	cmp, err := p.app.svc.RuleComparison(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.compared[id] = cmp
	p.mu.Unlock()
	return cmp, nil
}

// sendDownload answers with a file to save under name.
func sendDownload(c *fiber.Ctx, mime, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, mime)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(b)
}

// handleRoundCSV is GET /rounds/:round/results.csv.
func (a *App) handleRoundCSV(c *fiber.Ctx) error {
	id := c.Params("round")
	b, err := a.svc.RoundCSV(c.UserContext(), id)
	if err != nil {
		return err
	}
	return sendDownload(c, "text/csv; charset=utf-8", id+".csv", b)
}

// handleFundCSV is GET /funds/:fund/projects.csv.
func (a *App) handleFundCSV(c *fiber.Ctx) error {
	id := c.Params("fund")
	b, err := a.svc.FundCSV(c.UserContext(), id)
	if err != nil {
		return noFund(id, err)
	}
	return sendDownload(c, "text/csv; charset=utf-8", id+".csv", b)
}

// handleFundZip is GET /funds/:fund/open-data.zip. The archive holds
// every closed round's record, so one is built at a time; others wait
// for it (until their request's deadline: 503, try again).
func (a *App) handleFundZip(c *fiber.Ctx) error {
	id := c.Params("fund")
	select {
	case a.zipSem <- struct{}{}:
		defer func() { <-a.zipSem }()
	case <-c.UserContext().Done():
		return core.Errorf(core.Unavailable, "the server is busy building open data: try again in a moment")
	}
	b, err := a.svc.FundArchive(c.UserContext(), id)
	if err != nil {
		return noFund(id, err)
	}
	return sendDownload(c, "application/zip", id+".zip", b)
}

// noFund maps the store's not-found to the public error for fund id.
func noFund(id string, err error) error {
	if core.KindOf(err) == core.NotFound {
		return core.NotFoundf("no fund %s", id)
	}
	return err
}
