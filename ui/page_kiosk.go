package ui

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
)

// The kiosk's tools and paper ballots (docs/record.md §6.4).
//
// GET /k/ROUND is the voting page as a kiosk, with static/js/kiosk.js on
// top of vote.js: a helper scans the resident's slip with the tablet's
// camera. GET /k/ROUND/paper is the kiosk in paper mode: two helpers enter
// a paper ballot from the box (scan its QR code, tick the same boxes,
// helper 1 confirms, helper 2 compares and signs), and the ballot leaf is
// marked "source paper". Paper mode needs JavaScript: its form without it
// (POST /k/ROUND/paper) only says so. The paper ballots themselves are
// printed from the admin page (POST /admin/rounds/ROUND/paper).

// kioskTexts are the texts of static/js/kiosk.js, by their key in the
// script (the catalog key is "kiosk.js." + key).
var kioskTexts = []string{"scan", "stop", "hold", "video", "scanned", "noCamera", "otherRound", "notSlip",
	"paperBanner", "helper1", "helper1Button", "helper2", "helper2Button", "paperDone", "autoRetry"}

// kiosk is GET /k/:round and, with paper, GET /k/:round/paper.
func (p *pages) kiosk(paper bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, d, _, err := p.voteView(c, true)
		if err != nil {
			return err
		}
		if d == nil {
			return p.render(c, http.StatusOK, "notice", v)
		}
		d.Script.Paper = paper
		d.Script.Scan = make(map[string]string, len(kioskTexts))
		for _, k := range kioskTexts {
			d.Script.Scan[k] = v.T("kiosk.js." + k)
		}
		v.Scripts = append(v.Scripts, "js/kiosk.js")
		if paper {
			d.Action = "/k/" + d.Round.ID + "/paper"
		}
		return p.render(c, http.StatusOK, "vote", v)
	}
}

// paperNoJS is POST /k/:round/paper: paper mode's form without
// JavaScript, which cannot mark a ballot as entered from paper.
func (p *pages) paperNoJS(c *fiber.Ctx) error {
	v := p.newView(c, "kiosk.paper.title")
	link := "/"
	if r := c.Params("round"); ballot.ValidID(r) {
		link = "/k/" + r + "/paper"
	}
	v.D = noticeData{Title: v.T("kiosk.paper.title"), Message: v.T("kiosk.paper.nojs"), Link: link, LinkText: v.T("kiosk.paper.title")}
	return p.render(c, http.StatusBadRequest, "notice", v)
}

// paperBallots is POST /admin/rounds/:round/paper: the printable paper
// ballots, one per slip, from the copy of the slips sealed under the
// passphrase given at freeze, until voting opens.
func (p *pages) paperBallots(c *fiber.Ctx) error {
	_, paper, err := p.app.svc.PaperBallots(c.UserContext(), AccountOf(c), c.Params("round"), c.FormValue("passphrase"))
	if err != nil {
		return err
	}
	return sendSlips(c, paper)
}
