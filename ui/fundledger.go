package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// handleFundAnchors is GET /funds/:fund/anchors.txt: the fund's anchors
// as its poster prints them.
func (a *App) handleFundAnchors(c *fiber.Ctx) error {
	b, err := a.svc.FundAnchors(c.UserContext(), c.Params("fund"))
	if err != nil {
		return err
	}
	return sendText(c, b)
}

// handleFundLedgerIndex lists the ledger's files (GET /funds/:fund/ledger/).
func (a *App) handleFundLedgerIndex(c *fiber.Ctx) error {
	if _, err := a.svc.FundAnchors(c.UserContext(), c.Params("fund")); err != nil {
		return err
	}
	return sendText(c, []byte(ledger.LeavesFile+"\n"+ledger.CheckpointsFile+"\n"))
}

// handleFundLedgerFile is GET /funds/:fund/ledger/leaves.txt or
// checkpoints.txt: one strict-b64 line per leaf (the entry notes and
// result notes) or per signed checkpoint, in order.
func (a *App) handleFundLedgerFile(c *fiber.Ctx) error {
	name := c.Params("file")
	if name != ledger.LeavesFile && name != ledger.CheckpointsFile {
		return core.NotFoundf("a fund ledger has no file %q", name)
	}
	leaves, cps, err := a.svc.FundLedger(c.UserContext(), c.Params("fund"))
	if err != nil {
		return err
	}
	if name == ledger.LeavesFile {
		return sendText(c, ledger.EncodeLines(leaves))
	}
	return sendText(c, ledger.EncodeLines(cps))
}
