package ui

import (
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// handleBallot is POST /api/rounds/:round/ballots: the body is a ballot
// leaf; the answer is its receipt (c2sp.org/tlog-proof@v1), 201 for a new
// ballot and 200 for a repeat.
func (a *App) handleBallot(c *fiber.Ctx) error {
	cast, err := a.svc.CastBallot(c.UserContext(), c.Params("round"), c.Body())
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if cast.Repeat {
		status = http.StatusOK
	}
	c.Set("X-PB-Index", strconv.FormatInt(cast.Receipt.Index, 10))
	c.Set("X-PB-Tracker", cast.Receipt.Tracker())
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(cast.Receipt.Bytes())
}
