package ui

import (
	"html/template"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
)

// The fund page (/f/:fund) and the fund poster (/f/:fund/poster): the
// fund's money tranche by tranche, every round with its record, and how
// to check the whole fund with one command from the poster's anchors.

// fundRound is one round of a fund on its page.
type fundRound struct {
	Round     core.Round
	Community string // name
	Record    bool   // its record is public (closed or published)
}

// fundData is what the fund page and its poster show.
type fundData struct {
	Fund      homeFund
	Rounds    []fundRound
	Anchors   string
	FundURL   string
	LedgerURL string
	Verify    string
	Entries   int
}

// fundData reads fund id for its page in v's language, or NotFound.
func (p *pages) fundData(c *fiber.Ctx, v *view, id string) (*fundData, error) {
	o, err := p.app.svc.Overview(c.UserContext())
	if err != nil {
		return nil, err
	}
	anchors, err := p.app.svc.FundAnchors(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	leaves, _, err := p.app.svc.FundLedger(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	base := p.app.svc.BaseURL()
	d := &fundData{Anchors: string(anchors), FundURL: base + "/f/" + id, LedgerURL: base + "/funds/" + id + "/ledger/",
		Entries: len(leaves)}
	d.Verify = "pbverify fund " + d.LedgerURL + " --anchors anchors.txt --rounds"
	names := map[string]string{}
	for _, cm := range o.Communities {
		names[cm.ID] = cm.Name
	}
	for _, hf := range homeFunds(v, o, p.app.svc.Clock().Year()) {
		if hf.Fund.ID == id {
			d.Fund = hf
		}
	}
	for _, r := range o.Rounds {
		if r.Fund == id {
			d.Rounds = append(d.Rounds, fundRound{Round: r, Community: names[r.Community],
				Record: r.Cancelled.IsZero() && (r.Phase == core.PhaseClosed || r.Phase == core.PhasePublished)})
		}
	}
	return d, nil
}

// fundPage is GET /f/:fund.
func (p *pages) fundPage(c *fiber.Ctx) error {
	v := p.newView(c, "fund.title")
	d, err := p.fundData(c, v, c.Params("fund"))
	if err != nil {
		return err
	}
	v.Title = d.Fund.Fund.Name
	v.Wide = true
	v.D = d
	return p.render(c, http.StatusOK, "fund", v)
}

// fundPoster is GET /f/:fund/poster: an A4 poster with the fund's anchors
// and a QR code to its page.
func (p *pages) fundPoster(c *fiber.Ctx) error {
	v := p.newView(c, "fundposter.title")
	d, err := p.fundData(c, v, c.Params("fund"))
	if err != nil {
		return err
	}
	qr, err := qrData(d.FundURL, 320)
	if err != nil {
		return err
	}
	anchorsQR, err := qrData(d.Anchors, 420)
	if err != nil {
		return err
	}
	v.Title = v.T("fundposter.title") + " · " + d.Fund.Fund.Name
	v.BodyClass, v.NoFooter = "print-page", true
	v.D = struct {
		*fundData
		QR, AnchorsQR template.URL
	}{d, qr, anchorsQR}
	return p.render(c, http.StatusOK, "fund_poster", v)
}
