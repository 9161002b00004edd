package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// The administrator's fund page (/admin/funds/:fund): open and close the
// fund's years, change a community's population (from the next year not
// opened), take a community out of the fund, and cancel a round before
// its publication. Every form is an operation of the service, which
// writes it to the fund's ledger.

// adminFundPage is GET /admin/funds/:fund.
func (p *pages) adminFundPage(c *fiber.Ctx) error {
	id := AccountOf(c)
	if !id.IsAdmin() {
		return core.Forbiddenf("only a municipality administrator may manage funds")
	}
	v := p.newView(c, "adminfund.title")
	d, err := p.fundData(c, v, c.Params("fund"))
	if err != nil {
		return err
	}
	view, err := p.app.svc.FundPlan(c.UserContext(), c.Params("fund"))
	if err != nil {
		return err
	}
	// The year an amendment changes: the first not opened.
	next := 0
	for _, t := range view.Allocation {
		if !t.Opened {
			next = t.Year
			break
		}
	}
	v.Title = v.T("adminfund.title") + " · " + view.Name
	v.Wide = true
	p.flash(c, v)
	v.D = struct {
		*fundData
		Plan        service.FundView
		Next        int
		Today       string
		Communities []core.Community
	}{d, view, next, p.app.svc.Clock().Format("2006-01-02"), view.Communities}
	return p.render(c, http.StatusOK, "admin_fund", v)
}

// trancheForm is POST /admin/funds/:fund/tranches/:year/:op (open or
// close).
func (p *pages) trancheForm(c *fiber.Ctx, id *core.Identity) (string, error) {
	fundID := c.Params("fund")
	year, err := strconv.Atoi(c.Params("year"))
	if err != nil {
		return "", core.NotFoundf("no such year")
	}
	switch c.Params("op") {
	case "open":
		_, err = p.app.svc.OpenTranche(c.UserContext(), id, fundID, year)
		return "/admin/funds/" + fundID + "?done=tranche-opened", err
	case "close":
		_, err = p.app.svc.CloseTranche(c.UserContext(), id, fundID, year)
		return "/admin/funds/" + fundID + "?done=tranche-closed", err
	}
	return "", core.NotFoundf("no such action")
}

// communityForm is POST /admin/communities/:community: a new name or
// population (with the date of the figure).
func (p *pages) communityForm(c *fiber.Ctx, id *core.Identity) (string, error) {
	u := service.CommunityUpdate{PopulationDate: strings.TrimSpace(c.FormValue("population_date"))}
	if name := strings.TrimSpace(c.FormValue("name")); name != "" {
		u.Name = &name
	}
	if s := strings.TrimSpace(c.FormValue("population")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", core.Invalidf("the population must be a whole number")
		}
		u.Population = &n
	}
	cm, err := p.app.svc.UpdateCommunity(c.UserContext(), id, c.Params("community"), u)
	return "/admin/funds/" + cm.Fund + "?done=community-changed", err
}

// communityRemoveForm is POST /admin/communities/:community/remove.
func (p *pages) communityRemoveForm(c *fiber.Ctx, id *core.Identity) (string, error) {
	cm, err := p.app.svc.RemoveCommunity(c.UserContext(), id, c.Params("community"))
	return "/admin/funds/" + cm.Fund + "?done=community-removed", err
}

// cancelRoundForm is POST /admin/rounds/:round/cancel.
func (p *pages) cancelRoundForm(c *fiber.Ctx, id *core.Identity) (string, error) {
	r, err := p.app.svc.CancelRound(c.UserContext(), id, c.Params("round"))
	if id.IsAdmin() && r.Fund != "" {
		return "/admin/funds/" + r.Fund + "?done=round-cancelled", err
	}
	return "/admin/rounds/" + r.ID + "?done=round-cancelled", err
}
