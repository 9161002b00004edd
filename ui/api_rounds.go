package ui

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"
)

func (a *App) handleCreateRound(c *fiber.Ctx) error {
	var req service.RoundRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	r, err := a.svc.CreateRound(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(r)
}

func (a *App) handleUpdateRound(c *fiber.Ctx) error {
	var s service.RoundSettings
	if err := parseBody(c, &s); err != nil {
		return err
	}
	r, err := a.svc.UpdateRound(c.UserContext(), AccountOf(c), c.Params("round"), s)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// handlePreview is POST /api/rounds/:round/preview {"ballots": [...],
// "rules": [...]}: what each counting rule would fund from sample ballots
// with the round's settings ("what would happen if"); nothing is stored.
func (a *App) handlePreview(c *fiber.Ctx) error {
	var req service.PreviewRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	pv, err := a.svc.PreviewRound(c.UserContext(), AccountOf(c), c.Params("round"), req)
	if err != nil {
		return err
	}
	return c.JSON(pv)
}

func (a *App) handlePhase(c *fiber.Ctx) error {
	var req struct {
		Phase core.Phase `json:"phase" form:"phase"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	r, err := a.svc.SetPhase(c.UserContext(), AccountOf(c), c.Params("round"), req.Phase)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (a *App) handleSubmitProposal(c *fiber.Ctx) error {
	var req service.ProposalRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	p, secret, err := a.svc.Propose(c.UserContext(), c.Params("round"), req)
	if err != nil {
		return err
	}
	// The follow-up link is shown once: only its hash is stored.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusCreated).JSON(struct {
		ProposalView
		FollowURL string `json:"follow_url"`
	}{proposalView(p), a.BaseURL() + service.FollowPath(p.Round, p.ID, secret)})
}

// handleDecideBulk is POST /api/rounds/:round/proposals/decisions: one
// decision for several proposals (service.BulkDecision).
func (a *App) handleDecideBulk(c *fiber.Ctx) error {
	var b service.BulkDecision
	if err := parseBody(c, &b); err != nil {
		return err
	}
	ps, err := a.svc.DecideProposals(c.UserContext(), AccountOf(c), c.Params("round"), b)
	if err != nil {
		return err
	}
	return c.JSON(service.NonNil(ps))
}

func (a *App) handleDecide(c *fiber.Ctx) error {
	pid, err := strconv.ParseInt(c.Params("proposal"), 10, 64)
	if err != nil || pid < 1 {
		return core.NotFoundf("no proposal %q", c.Params("proposal"))
	}
	var d service.Decision
	if err := parseBody(c, &d); err != nil {
		return err
	}
	p, err := a.svc.DecideProposal(c.UserContext(), AccountOf(c), c.Params("round"), pid, d)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a *App) handlePutProject(c *fiber.Ctx) error {
	var req service.ProjectRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	p, err := a.svc.PutProject(c.UserContext(), AccountOf(c), c.Params("round"), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a *App) handleDeleteProject(c *fiber.Ctx) error {
	if err := a.svc.DeleteProject(c.UserContext(), AccountOf(c), c.Params("round"), c.Params("project")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}

// handleHandedOut is PUT /api/rounds/:round/handed-out {"count": N}: the
// slips handed out at the meeting, the turnout base of the projector and
// the results (0 = all but the reserve slips), from freeze until
// publication.
func (a *App) handleHandedOut(c *fiber.Ctx) error {
	var req struct {
		Count *int64 `json:"count"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if req.Count == nil {
		return core.Invalidf("count is required: the number of slips handed out (0 = all but the reserve slips)")
	}
	if *req.Count < 0 || *req.Count > math.MaxInt32 {
		return core.Invalidf("count must be 0 to the number of slips printed")
	}
	r, err := a.svc.SetHandedOut(c.UserContext(), AccountOf(c), c.Params("round"), int(*req.Count))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"round": r.ID, "handed_out": r.HandedOut, "turnout_base": r.TurnoutBase()})
}

// handleUploadRoll is PUT /api/rounds/:round/roll with roll.txt as the body.
func (a *App) handleUploadRoll(c *fiber.Ctx) error {
	r, err := a.svc.UploadRoll(c.UserContext(), AccountOf(c), c.Params("round"), c.Body())
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// handleCodes is POST /api/rounds/:round/codes: freezes the round with
// server-generated codes and answers with the printable slip sheet
// (HTML), once; the manifest fingerprint printed on the slips is also in
// the PB-Manifest-Fingerprint header.
func (a *App) handleCodes(c *fiber.Ctx) error {
	var req service.CodesRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	r, sheet, err := a.svc.FreezeWithCodes(c.UserContext(), AccountOf(c), c.Params("round"), req)
	if err != nil {
		return err
	}
	return sendSheet(c, r, sheet)
}

// handleSlips is POST /api/rounds/:round/slips {"passphrase"}: the slip
// sheet again, from the copy sealed under the passphrase given with the
// codes, until voting opens.
func (a *App) handleSlips(c *fiber.Ctx) error {
	var req struct {
		Passphrase string `json:"passphrase" form:"passphrase"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	r, sheet, err := a.svc.SlipSheet(c.UserContext(), AccountOf(c), c.Params("round"), req.Passphrase)
	if err != nil {
		return err
	}
	return sendSheet(c, r, sheet)
}

// sendSheet answers with a slip sheet as an HTML download.
func sendSheet(c *fiber.Ctx, r core.Round, sheet []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("PB-Manifest-Fingerprint", r.Fingerprint)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+r.ID+`-slips.html"`)
	return c.Send(sheet)
}

func (a *App) handleSchedule(c *fiber.Ctx) error {
	var req struct {
		OpensAt  string `json:"opens_at" form:"opens_at"`
		ClosesAt string `json:"closes_at" form:"closes_at"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	parse := func(name, s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return t, core.Invalidf("%s must be an RFC 3339 time such as 2026-05-01T19:00:00+02:00", name)
		}
		return t, nil
	}
	opens, err := parse("opens_at", req.OpensAt)
	if err != nil {
		return err
	}
	closes, err := parse("closes_at", req.ClosesAt)
	if err != nil {
		return err
	}
	r, err := a.svc.Schedule(c.UserContext(), AccountOf(c), c.Params("round"), opens, closes)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (a *App) handleVoid(c *fiber.Ctx) error {
	var req service.VoidRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	idx, err := a.svc.Void(c.UserContext(), AccountOf(c), c.Params("round"), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"index": idx})
}
