package ui

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// handleUpdateCommunity is PUT /api/communities/:community: a new name or
// population (an amendment for the tranches not opened yet).
func (a *App) handleUpdateCommunity(c *fiber.Ctx) error {
	var u service.CommunityUpdate
	if err := parseBody(c, &u); err != nil {
		return err
	}
	cm, err := a.svc.UpdateCommunity(c.UserContext(), AccountOf(c), c.Params("community"), u)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

// handleRemoveCommunity is DELETE /api/communities/:community: the
// community leaves its fund from the next tranche to open.
func (a *App) handleRemoveCommunity(c *fiber.Ctx) error {
	cm, err := a.svc.RemoveCommunity(c.UserContext(), AccountOf(c), c.Params("community"))
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

// handleTranche is POST /api/funds/:fund/tranches/:year/open and …/close.
func (a *App) handleTranche(c *fiber.Ctx) error {
	year, err := strconv.Atoi(c.Params("year"))
	if err != nil {
		return core.Invalidf("year %q is not a number", c.Params("year"))
	}
	var view service.FundView
	switch c.Params("op") {
	case "open":
		view, err = a.svc.OpenTranche(c.UserContext(), AccountOf(c), c.Params("fund"), year)
	case "close":
		view, err = a.svc.CloseTranche(c.UserContext(), AccountOf(c), c.Params("fund"), year)
	default:
		return core.NotFoundf("no such operation %q", c.Params("op"))
	}
	if err != nil {
		return err
	}
	view.Communities = service.NonNil(view.Communities)
	view.Allocation = service.NonNil(view.Allocation)
	return c.JSON(view)
}

// handleCancelRound is POST /api/rounds/:round/cancel: the round is
// withdrawn before its freeze and its reservation released.
func (a *App) handleCancelRound(c *fiber.Ctx) error {
	r, err := a.svc.CancelRound(c.UserContext(), AccountOf(c), c.Params("round"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}
