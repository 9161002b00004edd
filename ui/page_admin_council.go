package ui

import (
	"net/url"
	"regexp"
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

// auditDetails put the commonest action log details into the page's
// language ("audit.detail.<name>" with the captured values); others stay
// as recorded. The log itself keeps the recorded English.
var auditDetails = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^(\d+) (?:other )?sessions ended$`), "sessions"},
	{regexp.MustCompile(`^project ([a-z0-9-]+), cost (\d+)$`), "project"},
	{regexp.MustCompile(`^cost (\d+)$`), "cost"},
	{regexp.MustCompile(`^into project ([a-z0-9-]+)$`), "into"},
	{regexp.MustCompile(`^community ([a-z0-9-]+), year (\d+), budget (\d+)$`), "round"},
	{regexp.MustCompile(`^(\d+) codes, (\d+) reserve$`), "codes"},
	{regexp.MustCompile(`^(\d+) keys$`), "keys"},
	{regexp.MustCompile(`^budget (\d+) released$`), "released"},
	{regexp.MustCompile(`^population (\d+), fund ([a-z0-9-]+)$`), "community"},
	{regexp.MustCompile(`^manifest ([0-9A-Z-]+)$`), "manifest"},
	{regexp.MustCompile(`^locked for (.+)$`), "locked"},
}

// AuditDetail is an action log entry's detail in the page's language when
// it is one of [auditDetails], or as recorded.
func (v *view) AuditDetail(detail string) string {
	for _, d := range auditDetails {
		if m := d.re.FindStringSubmatch(detail); m != nil {
			if _, ok := v.cat[v.Lang]["audit.detail."+d.key]; !ok {
				break
			}
			args := make([]any, len(m)-1)
			for i, s := range m[1:] {
				args[i] = s
			}
			return v.T("audit.detail."+d.key, args...)
		}
	}
	if t, ok := v.cat[v.Lang]["phase."+detail]; ok {
		return t // "phase" entries record the phase reached
	}
	return detail
}
