package ui

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
)

// Administration pages: sign in, the dashboard (funds, communities,
// accounts, rounds) and one page per round with its whole lifecycle. Every
// form posts with the session's CSRF token and redirects back (303), so
// reloading never repeats an action.

// needLogin sends visitors without a session to the sign-in page.
func (p *pages) needLogin(c *fiber.Ctx) error {
	if AccountOf(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/admin/login?next="+url.QueryEscape(string(c.Request().URI().RequestURI())), http.StatusSeeOther)
		}
		return core.Errorf(core.Unauthorized, "sign in first")
	}
	return c.Next()
}

// loginPage is GET /admin/login.
func (p *pages) loginPage(c *fiber.Ctx) error {
	if AccountOf(c) != nil {
		return c.Redirect("/admin", http.StatusSeeOther)
	}
	v := p.newView(c, "login.title")
	v.D = struct{ Next, Name, Error string }{Next: localPath(c.Query("next")), Error: ""}
	return p.render(c, http.StatusOK, "login", v)
}

// login is POST /admin/login.
func (p *pages) login(c *fiber.Ctx) error {
	name, password := strings.TrimSpace(c.FormValue("name")), c.FormValue("password")
	next := localPath(c.FormValue("next"))
	if next == "/" {
		next = "/admin"
	}
	in, err := p.app.svc.SignIn(c.UserContext(), service.Credentials{Name: name, Password: password, Device: c.Cookies(DeviceCookie)})
	if err != nil {
		return p.loginError(c, err)
	}
	p.app.setSessionCookie(c, in.Token, in.Session.Expires)
	p.app.setDeviceCookie(c, in.Device)
	return c.Redirect(next, http.StatusSeeOther)
}

// loginError shows the sign-in form again with the reason it failed, in
// the page's language (and Retry-After when the sign-in is throttled).
func (p *pages) loginError(c *fiber.Ctx, err error) error {
	status, msg, reason, public := PublicError(err)
	if !public {
		return err
	}
	setRetryAfter(c, err)
	v := p.newView(c, "login.title")
	switch {
	case status == http.StatusUnauthorized:
		msg = v.T("login.wrong")
	case reason != "":
		if t, ok := p.cat[v.Lang]["err."+string(reason)]; ok {
			msg = t
		}
	}
	v.D = struct{ Next, Name, Error string }{localPath(c.FormValue("next")), strings.TrimSpace(c.FormValue("name")), msg}
	return p.render(c, status, "login", v)
}

// logout is POST /admin/logout.
func (p *pages) logout(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	id := AccountOf(c)
	if err := p.app.svc.Logout(c.UserContext(), id, token); err != nil {
		return err
	}
	p.app.setSessionCookie(c, "", time.Unix(0, 0))
	return c.Redirect("/", http.StatusSeeOther)
}

// dashboard is GET /admin.
func (p *pages) dashboard(c *fiber.Ctx) error {
	id := AccountOf(c)
	var d struct {
		Funds       []core.Fund
		Communities []core.Community
		Accounts    []core.Account
		Rounds      []core.Round
		Audit       []core.AuditEntry
		Year        int
		// CommunityNames and FundNames map ids to names, so that tables
		// show names.
		CommunityNames map[string]string
		FundNames      map[string]string
	}
	d.Year = p.app.svc.Clock().Year()
	o, err := p.app.svc.Overview(c.UserContext())
	if err != nil {
		return err
	}
	d.Funds = o.Funds
	d.CommunityNames, d.FundNames = map[string]string{}, map[string]string{}
	for _, f := range o.Funds {
		d.FundNames[f.ID] = f.Name
	}
	for _, cm := range o.Communities {
		d.CommunityNames[cm.ID] = cm.Name
		if id.CanManage(cm.ID) {
			d.Communities = append(d.Communities, cm)
		}
	}
	for _, r := range o.Rounds {
		if id.CanManage(r.Community) {
			d.Rounds = append(d.Rounds, r)
		}
	}
	if id.IsAdmin() {
		if d.Accounts, err = p.app.svc.AccountList(c.UserContext()); err != nil {
			return err
		}
		d.Audit, err = p.app.svc.Audit(c.UserContext(), 30)
	}
	if err != nil {
		return err
	}
	v := p.newView(c, "admin.title")
	v.Wide = true
	p.flash(c, v)
	v.D = d
	return p.render(c, http.StatusOK, "admin", v)
}

// flash shows the outcome of the previous form, passed in ?done= or ?err=.
func (p *pages) flash(c *fiber.Ctx, v *view) {
	if k := c.Query("done"); k != "" && isFlashKey(k) {
		v.Flash, v.FlashKind = v.T("flash."+k), "ok"
	}
}

func isFlashKey(k string) bool {
	for _, r := range k {
		if !('a' <= r && r <= 'z' || r == '-') {
			return false
		}
	}
	return len(k) < 40
}

func formInt(c *fiber.Ctx, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue(name)), 10, 64)
	return n
}

// adminAction wraps a form handler: on success it redirects to where the
// handler says; a public error shows the form's page again with the
// error on the form and what was typed kept (showFormError).
func (p *pages) adminAction(h func(c *fiber.Ctx, id *core.Identity) (string, error)) fiber.Handler {
	return p.handle(func(c *fiber.Ctx) error {
		to, err := h(c, AccountOf(c))
		if err != nil {
			if shown, _ := p.showFormError(c, err); shown {
				return nil
			}
			return err
		}
		return c.Redirect(to, http.StatusSeeOther)
	})
}

func (p *pages) createFund(c *fiber.Ctx, id *core.Identity) (string, error) {
	req := service.FundRequest{ID: strings.TrimSpace(c.FormValue("id")), Name: strings.TrimSpace(c.FormValue("name")),
		Total: formInt(c, "total"), Formula: c.FormValue("formula"), Base: formInt(c, "base")}
	for _, y := range strings.FieldsFunc(c.FormValue("years"), func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(y)
		if err != nil {
			return "", core.Invalidf("years must be numbers separated by commas")
		}
		req.Years = append(req.Years, n)
	}
	_, err := p.app.svc.CreateFund(c.UserContext(), id, req)
	return "/admin?done=fund", err
}

func (p *pages) createCommunity(c *fiber.Ctx, id *core.Identity) (string, error) {
	_, err := p.app.svc.CreateCommunity(c.UserContext(), id, service.CommunityRequest{ID: strings.TrimSpace(c.FormValue("id")),
		Name: strings.TrimSpace(c.FormValue("name")), Population: formInt(c, "population"), Fund: c.FormValue("fund")})
	return "/admin?done=community", err
}

func (p *pages) createAccount(c *fiber.Ctx, id *core.Identity) (string, error) {
	_, err := p.app.svc.CreateAccount(c.UserContext(), id, service.AccountRequest{Name: strings.TrimSpace(c.FormValue("name")),
		Password: c.FormValue("password"), Role: c.FormValue("role"), Community: c.FormValue("community")})
	return "/admin?done=account", err
}

func (p *pages) createRound(c *fiber.Ctx, id *core.Identity) (string, error) {
	r, err := p.app.svc.CreateRound(c.UserContext(), id, service.RoundRequest{ID: strings.TrimSpace(c.FormValue("id")),
		Community: c.FormValue("community"), Year: int(formInt(c, "year")), Title: strings.TrimSpace(c.FormValue("title")),
		Budget: formInt(c, "budget")})
	return "/admin/rounds/" + r.ID + "?done=round", err
}

// roundPage is GET /admin/rounds/:round.
func (p *pages) roundPage(c *fiber.Ctx) error {
	id := AccountOf(c)
	var d struct {
		Round          core.Round
		Projects       []projectView
		Proposals      []core.Proposal
		Phases         []core.Phase
		Next           core.Phase
		Blockers       []string
		Warnings       []string // things to know before the freeze that do not prevent it
		Fingerprint    string
		DefaultCount   int
		DefaultReserve int
		OpensAt        string
		ClosesAt       string
		Zone           string
		Rules          []ruleOption
		HandedOut      int
		CategoryNames  map[string]string // category id → name in the page's language
		SlipCopy       bool              // a sealed copy of the slips can be downloaded again
		FollowUps      map[int64]core.FollowUp
		MeetingAt      string
		ProjectTitles  map[string]string // project id → title, for proposals merged into one
		Exclusive      string            // the exclusion groups as the settings form takes them
	}
	rd, err := p.app.svc.RoundDetail(c.UserContext(), c.Params("round"))
	if core.KindOf(err) == core.NotFound {
		return core.NotFoundf("no such round")
	}
	d.Round, d.Proposals = rd.Round, rd.Proposals
	ps := rd.Projects
	if err != nil {
		return err
	}
	if !id.CanManage(d.Round.Community) {
		return core.Forbiddenf("you may not manage this round")
	}
	r := d.Round
	lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	d.Projects = projectViews(lang, p.cat, r, ps)
	d.CategoryNames = map[string]string{}
	for _, cat := range r.Categories {
		d.CategoryNames[cat.ID] = categoryName(lang, p.cat, cat)
	}
	for _, pr := range d.Proposals {
		if d.CategoryNames[pr.Category] == "" {
			d.CategoryNames[pr.Category] = pr.Category
		}
	}
	d.Phases = core.Phases()
	d.Next, _ = core.Next(r.Phase)
	v := p.newView(c, "admin.title")
	v.Title = r.Title
	v.Wide = true
	p.flash(c, v)
	if d.Next == core.PhaseFrozen {
		// The blockers of the freeze with codes (the form below), from
		// the one check the freeze itself applies.
		bs, err := p.app.svc.FreezeBlockers(c.UserContext(), r.ID, true)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if b.N > 0 {
				d.Blockers = append(d.Blockers, v.TN("admin.block."+string(b.Reason), b.N, b.N))
			} else {
				d.Blockers = append(d.Blockers, v.T("admin.block."+string(b.Reason)))
			}
		}
		ws, err := p.app.svc.FreezeWarnings(c.UserContext(), r.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			d.Warnings = append(d.Warnings, v.T("admin.warn."+string(w.Reason)))
		}
	}
	if r.Fingerprint != "" {
		d.Fingerprint = ballot.FormatFingerprint(r.Fingerprint)
	}
	d.DefaultCount, d.DefaultReserve = 100, 10
	if r.Phase == core.PhaseFrozen {
		if d.SlipCopy, err = p.app.svc.HasSlipCopy(c.UserContext(), r.ID); err != nil {
			return err
		}
	}
	d.HandedOut = r.TurnoutBase()
	d.OpensAt, d.ClosesAt, d.Zone = formTime(r.OpensAt), formTime(r.ClosesAt), meetingZone().String()
	d.Rules = ruleOptions(v, r.Rule)
	d.Exclusive = core.FormatExclusive(r.Exclusive)
	if d.FollowUps, err = p.app.svc.FollowUps(c.UserContext(), id, r.ID); err != nil {
		return err
	}
	d.MeetingAt = formTime(r.MeetingAt)
	d.ProjectTitles = map[string]string{}
	for _, pv := range d.Projects {
		d.ProjectTitles[pv.ID] = pv.Title
	}
	sort.Slice(d.Proposals, func(i, j int) bool { return d.Proposals[i].ID < d.Proposals[j].ID })
	v.D = d
	return p.render(c, http.StatusOK, "admin_round", v)
}

func (p *pages) setPhase(c *fiber.Ctx, id *core.Identity) (string, error) {
	r, err := p.app.svc.SetPhase(c.UserContext(), id, c.Params("round"), core.Phase(c.FormValue("to")))
	return "/admin/rounds/" + r.ID + "?done=phase", err
}

func (p *pages) roundSettings(c *fiber.Ctx, id *core.Identity) (string, error) {
	title, desc := strings.TrimSpace(c.FormValue("title")), strings.TrimSpace(c.FormValue("description"))
	budget := formInt(c, "budget")
	rules := ballot.BallotSpec{Kind: ballot.Kind(c.FormValue("kind"))}
	switch rules.Kind {
	case "approval":
		rules.Min, rules.Max = int(formInt(c, "min")), int(formInt(c, "max"))
	case "approval-cost":
		rules.Limit = formInt(c, "limit")
	case "cumulative":
		rules.Total, rules.Cap = formInt(c, "total"), formInt(c, "cap")
	}
	rule, tb, revote := strings.TrimSpace(c.FormValue("rule")), c.FormValue("tiebreak"), c.FormValue("revote")
	s := service.RoundSettings{Title: &title, Description: &desc, Budget: &budget, Ballot: &rules, Rule: &rule, Tiebreak: &tb, Revote: &revote}
	minimum := formInt(c, "minimum")
	s.Minimum = &minimum
	groups, err := core.ParseExclusive(c.FormValue("exclusive"))
	if err != nil {
		return "", err
	}
	if groups == nil {
		groups = [][]string{}
	}
	s.Exclusive = &groups
	r, err := p.app.svc.UpdateRound(c.UserContext(), id, c.Params("round"), s)
	return "/admin/rounds/" + r.ID + "?done=settings", err
}

// decideBulk is POST /admin/rounds/:round/decisions: one decision for the
// ticked proposals (ids), or for every pending one (which=all).
func (p *pages) decideBulk(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	b := service.BulkDecision{Accept: c.FormValue("accept") == "true", Reason: strings.TrimSpace(c.FormValue("reason")),
		AllPending: c.FormValue("which") == "all"}
	if c.FormValue("accept") == "merge" {
		b.Merge = c.FormValue("merge")
		if b.Merge == "" {
			return "", core.Invalidf("choose the project to merge into")
		}
	}
	if !b.AllPending {
		args := c.Request().PostArgs()
		for _, v := range args.PeekMulti("ids") {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n < 1 {
				return "", core.Invalidf("no such proposal")
			}
			b.IDs = append(b.IDs, n)
		}
		if len(b.IDs) == 0 {
			return "", core.Invalidf("tick the proposals to decide, or choose all pending ones")
		}
	}
	_, err := p.app.svc.DecideProposals(c.UserContext(), id, round, b)
	return "/admin/rounds/" + round + "?done=decided-bulk#proposals", err
}

func (p *pages) decide(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	pid, err := strconv.ParseInt(c.Params("pid"), 10, 64)
	if err != nil {
		return "", core.NotFoundf("no such proposal")
	}
	d := service.Decision{Accept: c.FormValue("accept") == "true", Reason: strings.TrimSpace(c.FormValue("reason")), Cost: formInt(c, "cost")}
	if c.FormValue("accept") == "merge" {
		d.Accept, d.Merge = true, c.FormValue("merge")
		if d.Merge == "" {
			return "", core.Invalidf("choose the project to merge into")
		}
	}
	_, err = p.app.svc.DecideProposal(c.UserContext(), id, round, pid, d)
	return "/admin/rounds/" + round + "?done=decided", err
}

func (p *pages) putProject(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	_, err := p.app.svc.PutProject(c.UserContext(), id, round, service.ProjectRequest{ID: strings.TrimSpace(c.FormValue("id")),
		Title: strings.TrimSpace(c.FormValue("title")), Description: strings.TrimSpace(c.FormValue("description")),
		Cost: formInt(c, "cost"), Category: c.FormValue("category")})
	return "/admin/rounds/" + round + "?done=project", err
}

// deleteProject is POST /admin/rounds/:round/projects/:pid/delete: a
// coordinator removes a project before the round is frozen. After the
// freeze, or for a project from a proposal, the answer is 409 with a
// message in the page's language.
func (p *pages) deleteProject(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	if c.FormValue("confirm") != "yes" {
		return "", pageText(core.Invalid, p.newView(c, "admin.title").T("admin.project.delete.unconfirmed"))
	}
	err := p.app.svc.DeleteProject(c.UserContext(), id, round, c.Params("pid"))
	switch {
	case errors.Is(err, core.ErrFrozen):
		return "", pageText(core.Conflict, p.newView(c, "admin.title").T("admin.project.delete.frozen"))
	case errors.Is(err, core.ErrFromProposal):
		return "", pageText(core.Conflict, p.newView(c, "admin.title").T("admin.project.delete.proposal"))
	}
	return "/admin/rounds/" + round + "?done=project-deleted", err
}

func (p *pages) uploadRoll(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	fh, err := c.FormFile("roll")
	if err != nil {
		return "", core.Invalidf("choose a roll.txt file")
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUploadBody))
	if err != nil {
		return "", err
	}
	_, err = p.app.svc.UploadRoll(c.UserContext(), id, round, b)
	return "/admin/rounds/" + round + "?done=roll", err
}

// slips is POST /admin/rounds/:round/codes: it freezes the round with
// new codes and answers with the printable slip sheet itself, each slip
// carrying the manifest fingerprint. The codes are never stored in the
// clear and never logged; with a passphrase the server keeps them sealed
// under it until voting opens ([pages.slipsAgain]).
func (p *pages) slips(c *fiber.Ctx) error {
	_, sheet, err := p.app.svc.FreezeWithCodes(c.UserContext(), AccountOf(c), c.Params("round"), service.CodesRequest{
		Count: int(formInt(c, "count")), Reserve: int(formInt(c, "reserve")), Replace: c.FormValue("replace") != "",
		Passphrase: c.FormValue("passphrase")})
	if err != nil {
		return err
	}
	return sendSlips(c, sheet)
}

// slipsAgain is POST /admin/rounds/:round/slips: the slip sheet again,
// from the copy sealed under the passphrase given at freeze, until voting
// opens.
func (p *pages) slipsAgain(c *fiber.Ctx) error {
	_, sheet, err := p.app.svc.SlipSheet(c.UserContext(), AccountOf(c), c.Params("round"), c.FormValue("passphrase"))
	if err != nil {
		return err
	}
	return sendSlips(c, sheet)
}

// sendSlips answers with a slip sheet page.
func sendSlips(c *fiber.Ctx, sheet []byte) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(sheet)
}

// setHandedOut is POST /admin/rounds/:round/handed-out: the number of
// slips handed out at the meeting, the turnout base.
func (p *pages) setHandedOut(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	_, err := p.app.svc.SetHandedOut(c.UserContext(), id, round, int(formInt(c, "handed_out")))
	return "/admin/rounds/" + round + "?done=handed-out", err
}

// void is POST /admin/rounds/:round/void: the council cancels the ballots
// of a stolen slip's code. The code is used only to derive its public key.
func (p *pages) void(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	code, err := ballot.ParseCode(strings.TrimSpace(c.FormValue("code")))
	if err != nil {
		return "", core.ErrBadCode
	}
	key := ballot.PublicKey(ballot.DeriveKey(code, round))
	_, err = p.app.svc.Void(c.UserContext(), id, round, service.VoidRequest{Key: base64.StdEncoding.EncodeToString(key[:]),
		Reason: strings.TrimSpace(c.FormValue("reason"))})
	return "/admin/rounds/" + round + "?done=void", err
}

// meetingZone is the time zone of the schedule form (the municipality's).
func meetingZone() *time.Location {
	if loc, err := time.LoadLocation("Europe/Copenhagen"); err == nil {
		return loc
	}
	return time.UTC
}

// localTime reads a datetime-local form value; empty means no time.
func localTime(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", s, meetingZone())
	if err != nil {
		return time.Time{}, core.Invalidf("times must look like 2026-05-12T19:30")
	}
	return t, nil
}

// formTime writes a time for a datetime-local input.
func formTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(meetingZone()).Format("2006-01-02T15:04")
}

// schedule is POST /admin/rounds/:round/schedule: voting opens and closes
// by itself at the given local times (empty clears).
func (p *pages) schedule(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	opens, err := localTime(c.FormValue("opens_at"))
	if err != nil {
		return "", err
	}
	closes, err := localTime(c.FormValue("closes_at"))
	if err != nil {
		return "", err
	}
	_, err = p.app.svc.Schedule(c.UserContext(), id, round, opens, closes)
	return "/admin/rounds/" + round + "?done=schedule", err
}

// password is POST /admin/password: change one's own password, or (an
// administrator) anyone's.
func (p *pages) password(c *fiber.Ctx, id *core.Identity) (string, error) {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		name = id.Name
	}
	err := p.app.svc.SetPassword(c.UserContext(), id, name, c.FormValue("password"), c.Cookies(SessionCookie))
	return "/admin?done=password", err
}

// ruleOption is one counting rule in the settings form.
type ruleOption struct {
	ID, Name string
	Points   bool // for cumulative ballots
	Selected bool
}

// ruleOptions lists the rules a manifest may name, by ballot kind.
func ruleOptions(v *view, current string) []ruleOption {
	var out []ruleOption
	for _, id := range tally.Rules() {
		approval := tally.ValidRule(id, tally.KindApproval)
		points := tally.ValidRule(id, tally.KindCumulative)
		if !approval && !points {
			continue
		}
		name := id
		if t := v.T("rule." + id); !strings.HasPrefix(t, "[") {
			name = t + " (" + id + ")"
		}
		out = append(out, ruleOption{ID: id, Name: name, Points: points, Selected: id == current})
	}
	return out
}
