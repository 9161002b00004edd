package ui

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
)

// Administration forms of co-creation and corrections: the council's
// message to a proposer, the meeting's time and place, and disabling or
// enabling an account.

// councilMessage is POST /admin/rounds/:round/proposals/:pid/message.
func (p *pages) councilMessage(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	pid, err := strconv.ParseInt(c.Params("pid"), 10, 64)
	if err != nil {
		return "", core.NotFoundf("no such proposal")
	}
	err = p.app.svc.CouncilMessage(c.UserContext(), id, round, pid, strings.Clone(c.FormValue("text")))
	return "/admin/rounds/" + round + "?done=message#proposal-" + strconv.FormatInt(pid, 10), err
}

// meeting is POST /admin/rounds/:round/meeting: when and where the town
// meeting is, for the poster.
func (p *pages) meeting(c *fiber.Ctx, id *core.Identity) (string, error) {
	round := c.Params("round")
	at, err := localTime(c.FormValue("meeting_at"))
	if err != nil {
		return "", err
	}
	_, err = p.app.svc.SetMeeting(c.UserContext(), id, round, at, strings.Clone(c.FormValue("meeting_place")))
	return "/admin/rounds/" + round + "?done=meeting#meeting", err
}

// accountState is POST /admin/accounts/:name/disable and .../enable.
func (p *pages) accountState(disable bool) func(c *fiber.Ctx, id *core.Identity) (string, error) {
	return func(c *fiber.Ctx, id *core.Identity) (string, error) {
		name, _ := url.PathUnescape(c.Params("name"))
		op, done := p.app.svc.EnableAccount, "enabled"
		if disable {
			op, done = p.app.svc.DisableAccount, "disabled"
		}
		_, err := op(c.UserContext(), id, name)
		return "/admin?done=account-" + done + "#accounts", err
	}
}

// AuditTime writes an action log time in the municipality's zone, to the
// second, with the zone's abbreviation (CET or CEST).
func (v *view) AuditTime(t time.Time) string {
	return t.In(meetingZone()).Format("2006-01-02 15:04:05 MST")
}

// AuditAction is an action log entry's action in the page's language
// ("audit.<action>" with hyphens for spaces), or as recorded.
func (v *view) AuditAction(action string) string {
	key := "audit." + strings.ReplaceAll(action, " ", "-")
	if t, ok := v.cat[v.Lang][key]; ok {
		return t
	}
	return action
}
