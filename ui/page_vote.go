package ui

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// The voting page, the kiosk, the receipt and the public check page.
//
// With JavaScript, /v/ROUND reads the code from the URL fragment (it never
// reaches the server), derives the key and signs in the browser
// (static/js/vote.js), posts the leaf to /v/ROUND/ballot and checks the
// receipt against the manifest's log key. Without JavaScript the same form
// posts the code and choices to /v/ROUND, the server derives the key and
// signs ([App.CastWithCode]), and the page says so.

// kioskSeconds is how long the kiosk shows a receipt before it resets.
const kioskSeconds = 60

// kioskIdle is how long the kiosk waits without input, on any step, before
// it clears a typed code or choices (with a visible countdown first). A
// kiosk URL may shorten it with ?idle=SECONDS (minKioskIdle at least), for
// a busy meeting or a test; it can never be made longer.
const (
	kioskIdle    = 90
	minKioskIdle = 5
)

// idleSeconds reads the kiosk's ?idle= (only shorter values count).
func idleSeconds(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("idle"))
	if err != nil || n < minKioskIdle || n > kioskIdle {
		return kioskIdle
	}
	return n
}

// voteTexts are the texts static/js/vote.js and check.js show, by their
// key in the script (the catalog key is "js." + key).
var voteTexts = []string{"tooFew", "tooMany", "overBudget", "overCap", "overTotal", "badChoice", "meterCost",
	"meterPoints", "meterCount", "codeTypo", "codeLength", "codeChar", "codeFromLinkBad", "pointsFor", "signing", "used", "superseded",
	"revoteLimit", "voided", "wrongCode", "closed", "serverError", "chkSigned", "chkIncluded", "chkLogKey", "verified",
	"chkFailed", "notVerified", "idle", "full", "noRoom", "offline", "retry", "sign", "insecure", "revote"}

var checkTexts = []string{"noRound", "fork", "none", "checking", "notReceipt", "chkSigned", "chkIncluded",
	"chkBallotSig", "round", "choice", "fingerprint", "chkStill", "chkStillFailed", "notVerified", "verified",
	"chkFailed", "notInLog", "badProof", "verifiedHash"}

var projectorTexts = []string{"fork", "checked", "first", "failed", "reconnecting"}

// scriptTexts collects the texts for a script in the view's language.
func scriptTexts(v *view, keys []string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = v.T("js." + k)
		if _, ok := v.cat[v.Lang]["js."+k+".one"]; ok {
			m[k+".one"] = v.T("js." + k + ".one")
		}
	}
	return m
}

// voteScript is the JSON the voting page hands to vote.js.
type voteScript struct {
	Manifest     string            `json:"manifest"` // b64 of leaf 0
	Submit       string            `json:"submit"`
	KeyStatus    string            `json:"keyStatus"` // prefix of GET /v/ROUND/key/KEY
	Check        string            `json:"check"`
	QR           string            `json:"qr"`
	Kiosk        bool              `json:"kiosk"`
	KioskSeconds int               `json:"kioskSeconds"`
	KioskIdle    int               `json:"kioskIdle,omitempty"` // seconds without input before the kiosk clears
	Paper        bool              `json:"paper,omitempty"`     // the kiosk in paper mode: ballots marked "source paper"
	Scan         map[string]string `json:"scan,omitempty"`      // the texts of static/js/kiosk.js
	Lang         string            `json:"lang"`
	Texts        map[string]string `json:"texts"`
}

type hiddenField struct{ Name, Value string }

type reviewData struct {
	Items  []string
	Code   string
	Cast   string // b64 cast nonce of this confirmation (docs/record.md §6.1)
	Hidden []hiddenField
}

type voteData struct {
	Round       core.Round
	Projects    []projectView
	Kind        string
	Cap         int64
	MeterMax    int64
	RuleText    string
	RuleShort   string
	Budget      int64 // the round's budget, shown above the projects
	Fingerprint string
	Action      string
	Kiosk       bool
	Error       string
	Code        string
	Chosen      map[string]bool
	Points      map[string]int64
	Review      *reviewData
	Script      voteScript
}

// ruleTexts explains the ballot kind and its limits.
func ruleTexts(v *view, m *ballot.Manifest) (long, short string, meterMax int64) {
	b := m.Ballot
	switch b.Kind {
	case ballot.KindApprovalCost:
		return v.T("rule.approvalcost", v.Amount(b.Limit)), v.T("rule.approvalcost.short", v.Amount(b.Limit)), b.Limit
	case ballot.KindCumulative:
		return v.plural("rule.cumulative", b.Total, b.Total, b.Cap), v.plural("rule.cumulative.short", b.Total, b.Total), b.Total
	}
	n := int64(b.Max)
	if b.Min == b.Max {
		return v.plural("rule.approval.exact", n, b.Max), v.plural("rule.approval.short", n, b.Max), n
	}
	if b.Min == 0 {
		return v.plural("rule.approval.upto", n, b.Max), v.plural("rule.approval.short", n, b.Max), n
	}
	return v.T("rule.approval", b.Min, b.Max), v.plural("rule.approval.short", n, b.Max), n
}

// voteView builds the voting page's view for a round in voting.
func (p *pages) voteView(c *fiber.Ctx, kiosk bool) (*view, *voteData, *service.FrozenRound, error) {
	round := c.Params("round")
	r, _, projects, err := p.roundData(c, round)
	if err != nil {
		return nil, nil, nil, err
	}
	v := p.newView(c, "vote.title")
	v.Title = r.Title
	v.NoFooter = true
	if r.Phase != core.PhaseVoting {
		v.D = noticeData{Title: r.Title, Message: v.T("vote.notopen." + string(r.Phase)), Link: "/r/" + r.ID, LinkText: v.T("vote.roundpage")}
		return v, nil, nil, nil
	}
	fr, err := p.app.svc.FrozenRound(c.UserContext(), round)
	if err != nil {
		return nil, nil, nil, err
	}
	// The ballot lists exactly the manifest's projects, with the store's
	// descriptions and category names.
	byID := map[string]projectView{}
	for _, pv := range projects {
		byID[pv.ID] = pv
	}
	var list []projectView
	for _, mp := range fr.Manifest.Projects {
		pv, ok := byID[mp.ID]
		if !ok {
			pv = projectView{ID: mp.ID, Category: mp.Category}
		}
		pv.Title, pv.Cost = mp.Title, mp.Cost
		list = append(list, pv)
	}
	d := &voteData{Round: r, Projects: list, Kind: string(fr.Manifest.Ballot.Kind), Cap: fr.Manifest.Ballot.Cap,
		Fingerprint: ballot.FormatFingerprint(ballot.Fingerprint(fr.Leaf0)), Action: "/v/" + r.ID, Kiosk: kiosk,
		Chosen: map[string]bool{}, Points: map[string]int64{}}
	d.RuleText, d.RuleShort, d.MeterMax = ruleTexts(v, fr.Manifest)
	d.Budget = fr.Manifest.Budget
	d.Script = voteScript{Manifest: base64.StdEncoding.EncodeToString(fr.Leaf0), Submit: "/v/" + r.ID + "/ballot", KeyStatus: "/v/" + r.ID + "/key/",
		Check: p.app.svc.BaseURL() + "/check/" + r.ID, QR: "/r/" + r.ID + "/qr.png", Kiosk: kiosk, KioskSeconds: kioskSeconds,
		Lang: v.Lang, Texts: scriptTexts(v, voteTexts)}
	v.Scripts = []string{"js/vote.js"}
	if kiosk {
		d.Script.KioskIdle = idleSeconds(c)
		v.BodyClass = "kiosk"
		// The kiosk is the council's tablet, not the resident's phone.
		d.Script.Texts["offline"] = v.T("js.offline.kiosk")
		d.Action = "/k/" + r.ID
	}
	v.D = d
	return v, d, fr, nil
}

// noticeData is a short message page (a round that is not open, …).
type noticeData struct {
	Title, Message, Link, LinkText string
}

// vote is GET /v/:round (and GET /k/:round for the kiosk).
func (p *pages) vote(kiosk bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, d, _, err := p.voteView(c, kiosk)
		if err != nil {
			return err
		}
		if d == nil {
			return p.render(c, http.StatusOK, "notice", v)
		}
		return p.render(c, http.StatusOK, "vote", v)
	}
}

// formChoices reads the choices of the no-JS form.
func formChoices(c *fiber.Ctx, fr *service.FrozenRound) service.Choices {
	var ch service.Choices
	if fr.Manifest.Ballot.Kind == ballot.KindCumulative {
		ch.Points = map[string]int64{}
		for _, mp := range fr.Manifest.Projects {
			if s := strings.TrimSpace(c.FormValue("pt-" + mp.ID)); s != "" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || n < 0 {
					n = -1 // rejected by CheckChoices
				}
				ch.Points[mp.ID] = n
			}
		}
		return ch
	}
	args := c.Request().PostArgs()
	for _, b := range args.PeekMulti("p") {
		ch.Approve = append(ch.Approve, string(b))
	}
	if len(ch.Approve) == 0 {
		if f, err := c.MultipartForm(); err == nil {
			ch.Approve = append(ch.Approve, f.Value["p"]...)
		}
	}
	return ch
}

// voteForm is POST /v/:round and /k/:round: the form without JavaScript.
// step=review shows the choices for confirmation, step=change goes back to
// the form, step=submit derives the key on the server, signs and casts.
func (p *pages) voteForm(kiosk bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, d, fr, err := p.voteView(c, kiosk)
		if err != nil {
			return err
		}
		if d == nil {
			return p.render(c, http.StatusConflict, "notice", v)
		}
		code := strings.TrimSpace(c.FormValue("code"))
		ch := formChoices(c, fr)
		for _, id := range ch.Approve {
			d.Chosen[id] = true
		}
		for id, n := range ch.Points {
			d.Points[id] = n
		}
		again := func(status int, msg string) error {
			d.Error, d.Code = msg, code
			return p.render(c, status, "vote", v)
		}
		if _, err := ballot.ParseCode(code); err != nil {
			return again(http.StatusBadRequest, v.T("js.codeTypo"))
		}
		b := &ballot.Ballot{Round: fr.ID, Manifest: fr.Hash, Approve: ch.Approve, Cumulative: ch.Points != nil}
		for _, mp := range fr.Manifest.Projects {
			if n := ch.Points[mp.ID]; n != 0 {
				b.Points = append(b.Points, ballot.Points{Project: mp.ID, N: n})
			}
		}
		if err := fr.Manifest.CheckChoices(sortedBallot(b)); err != nil {
			return again(http.StatusBadRequest, v.T("vote.badchoice"))
		}
		switch c.FormValue("step") {
		case "change":
			d.Code = code
			return p.render(c, http.StatusOK, "vote", v)
		case "submit":
		default:
			// The confirmation is one cast: its nonce goes into the form,
			// so that sending it again resends the same leaf.
			n, err := p.app.svc.NewCast()
			if err != nil {
				return err
			}
			rv := &reviewData{Code: code, Cast: canon.EncodeB64(n[:])}
			for _, pv := range d.Projects {
				if d.Chosen[pv.ID] {
					rv.Items = append(rv.Items, pv.Title)
					rv.Hidden = append(rv.Hidden, hiddenField{"p", pv.ID})
				}
				if n := d.Points[pv.ID]; n > 0 {
					rv.Items = append(rv.Items, v.plural("js.pointsFor", n, pv.Title, n))
					rv.Hidden = append(rv.Hidden, hiddenField{"pt-" + pv.ID, strconv.FormatInt(n, 10)})
				}
			}
			d.Review = rv
			return p.render(c, http.StatusOK, "vote", v)
		}
		if n, ok := canon.DecodeB64(c.FormValue("cast")); ok && len(n) == ballot.CastSize {
			ch.Cast = n
		}
		cast, err := p.app.svc.CastWithCode(c.UserContext(), fr.ID, code, ch)
		if err != nil {
			status, _, _, public := PublicError(err)
			if !public {
				return err
			}
			return again(status, v.T(castErrorKey(err)))
		}
		return p.receiptPage(c, v, fr, cast.Receipt)
	}
}

// sortedBallot returns b with its approvals sorted and deduplicated, as
// CastWithCode will sign them.
func sortedBallot(b *ballot.Ballot) *ballot.Ballot {
	out := *b
	out.Approve = slices.Compact(slices.Sorted(slices.Values(b.Approve)))
	return &out
}

// castErrorKey maps a refused ballot to the text key a resident sees, by
// the domain error's reason (never by its HTTP status).
func castErrorKey(err error) string {
	switch {
	case errors.Is(err, core.ErrCodeUsed):
		return "js.used"
	case errors.Is(err, core.ErrVoided):
		return "js.voided"
	case errors.Is(err, core.ErrSuperseded):
		return "js.superseded"
	case errors.Is(err, core.ErrTooManyBallots):
		return "js.revoteLimit"
	case errors.Is(err, core.ErrNotOnRoll):
		return "js.wrongCode"
	case errors.Is(err, core.ErrClosed), errors.Is(err, core.ErrNotOpen):
		return "js.closed"
	}
	return "vote.badchoice"
}

// castCode is the machine-readable reason vote.js branches on.
func castCode(err error) string {
	switch castErrorKey(err) {
	case "js.used":
		return "used"
	case "js.voided":
		return "voided"
	case "js.superseded":
		return "superseded"
	case "js.revoteLimit":
		return "too-many-ballots"
	case "js.wrongCode":
		return "not-in-roll"
	case "js.closed":
		return "closed"
	}
	return "invalid"
}

// ballotPost is POST /v/:round/ballot: the body is a ballot leaf signed in
// the browser; the answer is its receipt, or {"error", "code"}.
func (p *pages) ballotPost(c *fiber.Ctx) error {
	cast, err := p.app.svc.CastBallot(c.UserContext(), c.Params("round"), c.Body())
	if err != nil {
		status, msg, _, public := PublicError(err)
		if !public {
			return err
		}
		return c.Status(status).JSON(fiber.Map{"error": msg, "code": castCode(err)})
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	status := http.StatusCreated
	if cast.Repeat {
		status = http.StatusOK
	}
	return c.Status(status).Send(cast.Receipt.Bytes())
}

// keyStatus is GET /v/:round/key/:key?sig=SIG (the public key and its
// Ed25519 signature of service.KeyStatusMessage, both in unpadded
// base64url; without a valid signature 400 key_status_sig, so that only
// the code's holder learns the key's state): {"state": "ok"} when a ballot of the key would be taken
// now, else the reason vote.js shows (castCode's: used, voided,
// not-in-roll, closed, too-many-ballots), and "voted" when the key has a
// ballot already (under revote last). The voting page asks it as soon as
// it has derived the key, before the resident chooses.
func (p *pages) keyStatus(c *fiber.Ctx) error {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c.Params("key"))
	if err != nil || len(raw) != 32 {
		return core.Invalidf("key must be a public key in unpadded base64url")
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(c.Query("sig"))
	if err != nil || !service.KeyStatusSigned(c.Params("round"), [32]byte(raw), sig) {
		return core.ErrKeyStatusSig
	}
	st, err := p.app.svc.KeyStatus(c.UserContext(), c.Params("round"), [32]byte(raw))
	if err != nil {
		return err
	}
	state := "ok"
	if st.Err != nil {
		state = castCode(st.Err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"state": state, "voted": st.Voted})
}

// receiptData is the no-JS receipt page.
type receiptData struct {
	Tracker  string
	Index    int64
	Size     int64
	Download template.URL // a data: URL built here from the receipt bytes
	Check    string
	QR       template.URL // a data: URL of a PNG encoded here
}

// receiptPage shows a receipt the server verified (the browser ran no
// script). The download and the QR code are data: URLs, so the receipt
// is never fetched again by hash.
func (p *pages) receiptPage(c *fiber.Ctx, v *view, fr *service.FrozenRound, rc *ledger.Receipt) error {
	cp, err := rc.Verify(fr.Origin, fr.LogVerifier)
	if err != nil {
		return fmt.Errorf("ui: own receipt does not verify: %w", err)
	}
	h := tlog.RecordHash(rc.Extra)
	check := p.app.svc.BaseURL() + "/check/" + fr.ID + "#" + base64.RawURLEncoding.EncodeToString(h[:])
	png, err := qrcode.Encode(check, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	v.Scripts = nil
	v.Title = v.T("receipt.title")
	v.D = receiptData{Tracker: rc.Tracker(), Index: rc.Index, Size: cp.Size,
		Download: template.URL("data:text/plain;base64," + base64.StdEncoding.EncodeToString(rc.Bytes())),
		Check:    check, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}
	return p.render(c, http.StatusOK, "receipt", v)
}

// checkData is the check page.
type checkData struct {
	Result *checkResult
	Script struct {
		Round string            `json:"round"`
		Lang  string            `json:"lang"`
		Texts map[string]string `json:"texts"`
	}
}

type checkResult struct {
	OK                     bool
	Message                string
	Tracker, Round, Choice string
	Index, Size            int64
}

// check is GET /check and GET /check/:round (from a receipt's QR code).
func (p *pages) check(c *fiber.Ctx) error {
	v := p.newView(c, "check.title")
	d := &checkData{}
	d.Script.Round, d.Script.Lang, d.Script.Texts = c.Params("round"), v.Lang, scriptTexts(v, checkTexts)
	v.Scripts = []string{"js/check.js"}
	v.D = d
	return p.render(c, http.StatusOK, "check", v)
}

// checkPost is POST /check: the server checks a pasted or uploaded
// receipt for visitors without JavaScript.
func (p *pages) checkPost(c *fiber.Ctx) error {
	v := p.newView(c, "check.title")
	d := &checkData{}
	d.Script.Lang, d.Script.Texts = v.Lang, scriptTexts(v, checkTexts)
	v.Scripts = []string{"js/check.js"}
	v.D = d
	raw := []byte(strings.ReplaceAll(c.FormValue("receipt"), "\r\n", "\n"))
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		raw, err = io.ReadAll(io.LimitReader(f, 1<<20))
		f.Close()
		if err != nil {
			return err
		}
	}
	d.Result = p.checkReceipt(c, v, raw)
	return p.render(c, http.StatusOK, "check", v)
}

func (p *pages) checkReceipt(c *fiber.Ctx, v *view, raw []byte) *checkResult {
	bad := func(key string) *checkResult { return &checkResult{Message: v.T(key)} }
	rc, err := ledger.ParseReceipt(raw)
	if err != nil {
		return bad("check.bad.format")
	}
	b, err := ballot.ParseBallot(rc.Extra)
	if err != nil {
		return bad("check.bad.format")
	}
	fr, err := p.app.svc.FrozenRound(c.UserContext(), b.Round)
	if err != nil {
		return bad("check.bad.round")
	}
	cp, err := rc.Verify(fr.Origin, fr.LogVerifier)
	if err != nil {
		return bad("check.bad.proof")
	}
	if b.Manifest != fr.Hash {
		return bad("check.bad.round")
	}
	if err := fr.Manifest.CheckBallot(b, fr.Hash, fr.Roll); err != nil {
		return bad("check.bad.ballot")
	}
	// The receipt's tree must be a prefix of the log as it is now.
	leaf, err := p.app.svc.Leaf(c.UserContext(), fr.ID, rc.Index)
	if err != nil || string(leaf) != string(rc.Extra) {
		return bad("check.bad.missing")
	}
	titles := map[string]string{}
	for _, mp := range fr.Manifest.Projects {
		titles[mp.ID] = mp.Title
	}
	var choice []string
	for _, id := range b.Approve {
		choice = append(choice, titles[id])
	}
	for _, pt := range b.Points {
		choice = append(choice, fmt.Sprintf("%s: %d", titles[pt.Project], pt.N))
	}
	if len(choice) == 0 {
		choice = []string{v.T("js.none")}
	}
	return &checkResult{OK: true, Message: v.T("check.ok"), Tracker: rc.Tracker(), Round: fr.Manifest.Title,
		Choice: strings.Join(choice, ", "), Index: rc.Index, Size: cp.Size}
}
