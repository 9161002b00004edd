package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// The proposer's follow-up page: GET /r/:round/follow?p=N&t=SECRET shows
// the proposal, the coordinator's answer, the messages and what became of
// it; POST /r/:round/follow adds the proposer's message. The secret
// travels in the query and the form body, never in the path (the access
// log records paths), and the page is never cached.

// followData is the follow-up page's data.
type followData struct {
	Round     core.Round
	F         service.Following
	Outcome   string
	Title     string // in the page's language when given
	Desc      string
	Link      string // the page's own address, to keep
	ID        int64
	Secret    string
	New       bool
	Messages  []followMessage
	Error     string
	Text      string // the message being written, kept after an error
	Together  []string
	Category  string
	ShowOther bool // the proposal was given in both languages
}

type followMessage struct {
	Council bool
	Text    string
	When    string
}

// followPage is GET /r/:round/follow.
func (p *pages) followPage(c *fiber.Ctx) error {
	return p.renderFollow(c, http.StatusOK, "", "")
}

func (p *pages) renderFollow(c *fiber.Ctx, status int, errText, text string) error {
	round := c.Params("round")
	pid, _ := strconv.ParseInt(c.Query("p", c.FormValue("p")), 10, 64)
	secret := c.Query("t", c.FormValue("t"))
	f, err := p.app.svc.Follow(c.UserContext(), round, pid, secret)
	if err != nil {
		return err
	}
	v := p.newView(c, "follow.title")
	c.Set("Referrer-Policy", "no-referrer")
	d := followData{Round: f.Round, F: f, Outcome: outcome(f.Proposal), Title: f.Proposal.Title, Desc: f.Proposal.Description,
		ID: pid, Secret: secret, New: c.Query("new") == "1", Error: errText, Text: text}
	d.Link = p.app.svc.BaseURL() + service.FollowPath(round, pid, url.QueryEscape(secret))
	if v.Lang == "en" && f.Proposal.TitleEN != "" {
		d.Title, d.Desc = f.Proposal.TitleEN, f.Proposal.DescriptionEN
	}
	d.ShowOther = f.Proposal.TitleEN != ""
	for _, cat := range f.Round.Categories {
		if cat.ID == f.Proposal.Category {
			d.Category = categoryName(v.Lang, p.cat, cat)
		}
	}
	for _, m := range f.Messages {
		d.Messages = append(d.Messages, followMessage{Council: m.From == core.MessageFromCouncil, Text: m.Text, When: localDate(v, m.Time)})
	}
	for _, q := range f.Together {
		d.Together = append(d.Together, q.Title)
	}
	if c.Query("sent") == "1" {
		v.Flash, v.FlashKind = v.T("follow.sent"), "ok"
	}
	v.Title = v.T("follow.title") + " · " + f.Proposal.Title
	v.D = d
	return p.render(c, status, "follow", v)
}

// followPost is POST /r/:round/follow: the proposer's message. A refused
// message is shown on the form again, with its text kept.
func (p *pages) followPost(c *fiber.Ctx) error {
	round := c.Params("round")
	pid, _ := strconv.ParseInt(c.FormValue("p"), 10, 64)
	secret, text := c.FormValue("t"), strings.Clone(c.FormValue("text"))
	err := p.app.svc.ProposerMessage(c.UserContext(), round, pid, secret, text)
	if err == nil {
		return c.Redirect(service.FollowPath(round, pid, url.QueryEscape(secret))+"&sent=1#messages", http.StatusSeeOther)
	}
	status, _, reason, public := PublicError(err)
	if !public || reason == core.ErrFollowUp.Reason {
		return err
	}
	v := p.newView(c, "follow.title")
	msg := v.T("follow.error")
	if t, ok := p.cat[v.Lang]["err."+string(reason)]; ok && reason != "" {
		msg = t
	}
	return p.renderFollow(c, status, msg, text)
}
