package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// The JSON API of co-creation (the proposer's private follow-up, the
// council's messages and contacts), corrections (disabling an account)
// and the meeting shown on the poster. Routes are in routes.go, the table
// in docs/api.md.

// FollowView is what GET /api/rounds/:round/proposals/:proposal/follow
// answers to the proposer: the proposal, what became of it and the
// messages (never a name or contact).
type FollowView struct {
	Proposal ProposalView   `json:"proposal"`
	Outcome  string         `json:"outcome"` // pending, project, merged or rejected
	Project  *core.Project  `json:"project,omitempty"`
	Together []ProposalView `json:"merged_with,omitempty"`
	Messages []MessageView  `json:"messages"`
}

// MessageView is one message of a proposal's conversation.
type MessageView struct {
	From string    `json:"from"` // council or proposer
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

func proposalView(p core.Proposal) ProposalView {
	return ProposalView{ID: p.ID, Title: p.Title, Description: p.Description, TitleEN: p.TitleEN, DescriptionEN: p.DescriptionEN,
		EstimatedCost: p.EstimatedCost, Category: p.Category, Status: p.Status, Reason: p.Reason, Project: p.Project,
		Merged: p.Merged, Submitted: p.Submitted}
}

// outcome names what became of a proposal.
func outcome(p core.Proposal) string {
	switch {
	case p.Status == core.ProposalRejected:
		return "rejected"
	case p.Status == core.ProposalAccepted && p.Merged:
		return "merged"
	case p.Status == core.ProposalAccepted:
		return "project"
	}
	return "pending"
}

func followView(f service.Following) FollowView {
	v := FollowView{Proposal: proposalView(f.Proposal), Outcome: outcome(f.Proposal), Project: f.Project, Messages: []MessageView{}}
	for _, q := range f.Together {
		v.Together = append(v.Together, proposalView(q))
	}
	for _, m := range f.Messages {
		v.Messages = append(v.Messages, MessageView{From: m.From, Text: m.Text, Time: m.Time})
	}
	return v
}

// proposalParam reads the :proposal route parameter.
func proposalParam(c *fiber.Ctx) (int64, error) {
	pid, err := strconv.ParseInt(c.Params("proposal"), 10, 64)
	if err != nil || pid < 1 {
		return 0, core.NotFoundf("no proposal %q", c.Params("proposal"))
	}
	return pid, nil
}

// handleFollow is GET /api/rounds/:round/proposals/:proposal/follow?t=SECRET.
func (a *App) handleFollow(c *fiber.Ctx) error {
	pid, err := proposalParam(c)
	if err != nil {
		return err
	}
	f, err := a.svc.Follow(c.UserContext(), c.Params("round"), pid, c.Query("t"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(followView(f))
}

// FollowMessage is the body of the proposer's message.
type FollowMessage struct {
	Token string `json:"token" form:"t"`
	Text  string `json:"text" form:"text"`
}

// handleFollowMessage is POST /api/rounds/:round/proposals/:proposal/follow:
// the proposer's message, with the link's secret in the body.
func (a *App) handleFollowMessage(c *fiber.Ctx) error {
	pid, err := proposalParam(c)
	if err != nil {
		return err
	}
	var m FollowMessage
	if err := parseBody(c, &m); err != nil {
		return err
	}
	if err := a.svc.ProposerMessage(c.UserContext(), c.Params("round"), pid, m.Token, m.Text); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// CouncilMessageRequest is the body of a coordinator's message.
type CouncilMessageRequest struct {
	Text string `json:"text" form:"text"`
}

// handleCouncilMessage is POST /api/rounds/:round/proposals/:proposal/messages.
func (a *App) handleCouncilMessage(c *fiber.Ctx) error {
	pid, err := proposalParam(c)
	if err != nil {
		return err
	}
	var m CouncilMessageRequest
	if err := parseBody(c, &m); err != nil {
		return err
	}
	if err := a.svc.CouncilMessage(c.UserContext(), AccountOf(c), c.Params("round"), pid, m.Text); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// handleFollowUps is GET /api/rounds/:round/followups: the proposers'
// names, contacts and conversations, for the round's managers.
func (a *App) handleFollowUps(c *fiber.Ctx) error {
	fs, err := a.svc.FollowUps(c.UserContext(), AccountOf(c), c.Params("round"))
	if err != nil {
		return err
	}
	out := make([]core.FollowUp, 0, len(fs))
	for _, f := range fs {
		out = append(out, f)
	}
	sortFollowUps(out)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func sortFollowUps(fs []core.FollowUp) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Proposal < fs[j-1].Proposal; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// handleAccountState is POST /api/accounts/:name/disable and
// /api/accounts/:name/enable.
func (a *App) handleAccountState(disable bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		op := a.svc.EnableAccount
		if disable {
			op = a.svc.DisableAccount
		}
		acct, err := op(c.UserContext(), AccountOf(c), c.Params("name"))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"name": acct.Name, "role": acct.Role, "community": acct.Community, "disabled": !acct.Disabled.IsZero()})
	}
}

// MeetingRequest is the body of POST /api/rounds/:round/meeting.
type MeetingRequest struct {
	At    time.Time `json:"at"`
	Place string    `json:"place"`
}

// handleMeeting is POST /api/rounds/:round/meeting.
func (a *App) handleMeeting(c *fiber.Ctx) error {
	var m MeetingRequest
	if err := parseBody(c, &m); err != nil {
		return err
	}
	r, err := a.svc.SetMeeting(c.UserContext(), AccountOf(c), c.Params("round"), m.At, m.Place)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"meeting_at": r.MeetingAt, "meeting_place": r.MeetingPlace})
}
