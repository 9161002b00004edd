package ui

import (
	"github.com/gofiber/fiber/v2"
)

// handlePB is GET /rounds/:round/round.pb: the round's counted ballots as
// a pabulib .pb file (https://pabulib.org/format), for the research tools
// and "pbverify count". It is available from close; the selected column is
// added once the result is published. Voters are numbered in log order;
// no key or other identifier is exported.
func (a *App) handlePB(c *fiber.Ctx) error {
	id := c.Params("round")
	b, err := a.svc.PabulibFile(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+id+`.pb"`)
	return c.Send(b)
}
