package ui

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/ui/core"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// The projector page with its server-sent events, the QR images, and the
// record page.

// projectorScript is the JSON the projector page hands to projector.js.
type projectorScript struct {
	Manifest   string            `json:"manifest"`
	Checkpoint string            `json:"checkpoint"`
	Events     string            `json:"events"`
	Proof      string            `json:"proof"`
	QR         string            `json:"qr"`
	Slips      int               `json:"slips"`           // handed out: the turnout base
	Voters     int64             `json:"voters"`          // slips voted with, as the page was rendered
	Voids      []int64           `json:"voids,omitempty"` // log indexes of void leaves
	Lang       string            `json:"lang"`
	Texts      map[string]string `json:"texts"`
}

// latestCheckpoint returns the size and note of a round's latest checkpoint.
func (p *pages) latestCheckpoint(c *fiber.Ctx, round string) (int64, []byte, error) {
	return p.app.svc.LatestCheckpoint(c.UserContext(), round)
}

// projector is GET /p/:round: the meeting's live view of the log head.
func (p *pages) projector(c *fiber.Ctx) error {
	fr, err := p.app.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	r, _, projects, err := p.roundData(c, fr.ID)
	if err != nil {
		return err
	}
	size, cp, err := p.latestCheckpoint(c, fr.ID)
	if err != nil {
		return err
	}
	ck, err := ledger.OpenCheckpoint(cp, fr.Origin, fr.LogVerifier)
	if err != nil {
		return fmt.Errorf("ui: latest checkpoint of %s: %w", fr.ID, err)
	}
	v := p.newView(c, "projector.title")
	v.Title = r.Title
	v.BodyClass = "projector"
	v.NoFooter = true
	v.Scripts = []string{"js/projector.js"}
	_, rows, err := p.result(c, v, r, projects)
	if err != nil {
		return err
	}
	var winners []resultProject
	for _, row := range rows {
		if row.Funded {
			winners = append(winners, row)
		}
	}
	// The slips voted with: keys with a ballot, not voided (a revote
	// under "last ballot counts" is the same slip).
	ballots, err := p.app.svc.Voters(c.UserContext(), fr.ID)
	if err != nil {
		return err
	}
	slips := r.TurnoutBase()
	turnout := "–"
	if pct, ok := core.Turnout(ballots, slips); ok {
		turnout = strconv.FormatInt(pct, 10) + " %"
	}
	// The hall's QR code leads to the round's page (projects, results),
	// never to a vote: a vote needs a slip's own code.
	roundURL := p.app.svc.BaseURL() + "/r/" + fr.ID
	roundQR, err := qrData(roundURL, 320)
	if err != nil {
		return err
	}
	v.D = struct {
		Round       core.Round
		Ballots     int64
		Slips       int
		Turnout     string
		Size        int64
		Root        string
		Fingerprint string
		QR          string
		RoundURL    string
		RoundQR     template.URL
		Published   bool
		Winners     []resultProject
		Script      projectorScript
	}{r, max(ballots, 0), slips, turnout, size, ballot.FormatFingerprint(canon.Crockford(ck.Root[:10])),
		ballot.FormatFingerprint(ballot.Fingerprint(fr.Leaf0)), "/p/" + fr.ID + "/qr.png?size=" + strconv.FormatInt(size, 10),
		roundURL, roundQR, r.Phase == core.PhasePublished, winners,
		projectorScript{Manifest: base64.StdEncoding.EncodeToString(fr.Leaf0), Checkpoint: base64.StdEncoding.EncodeToString(cp),
			Events: "/p/" + fr.ID + "/events", Proof: "/api/rounds/" + fr.ID + "/consistency",
			QR: "/p/" + fr.ID + "/qr.png", Slips: slips, Voters: max(ballots, 0), Voids: r.VoidLeaves, Lang: v.Lang, Texts: scriptTexts(v, projectorTexts)}}
	return p.render(c, http.StatusOK, "projector", v)
}

// sseHeartbeat is how often the event stream sends a comment, which also
// notices closed connections and a round's publication.
const sseHeartbeat = 5 * time.Second

// events is GET /p/:round/events: server-sent events, one "checkpoint"
// event (data: the b64 checkpoint note) per new signed checkpoint, each
// after a "voters" event (the slips voted with, [service.Service.Voters])
// and, when they changed, a "voids" event; and a "published" event once
// the result is out. The projector checks each
// checkpoint's consistency proof before it shows it.
func (p *pages) events(c *fiber.Ctx) error {
	fr, err := p.app.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	ch, stop := p.app.svc.Subscribe(fr.ID)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	svc := p.app.svc
	id := fr.ID
	// Closed when the server shuts down, so that an open projector does not
	// hold up the shutdown until its timeout.
	shutdown := c.Context().Done()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer stop()
		tick := time.NewTicker(sseHeartbeat)
		defer tick.Stop()
		if _, err := w.WriteString("retry: 2000\n\n"); err != nil || w.Flush() != nil {
			return
		}
		published := false
		voids := -1
		// round reads the round and sends its void leaf indexes when they
		// changed. A void's index is stored in the transaction that appends
		// its leaf, so sending them before a checkpoint that covers the
		// leaf means the projector never counts it as a ballot, not even
		// for a moment.
		round := func() core.Round {
			r, _ := svc.Round(context.Background(), id)
			if len(r.VoidLeaves) != max(voids, 0) {
				j, _ := json.Marshal(r.VoidLeaves)
				fmt.Fprintf(w, "event: voids\ndata: %s\n\n", j)
			}
			voids = len(r.VoidLeaves)
			return r
		}
		for {
			select {
			case <-shutdown:
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				round()
				if n, err := svc.Voters(context.Background(), id); err == nil {
					fmt.Fprintf(w, "event: voters\ndata: %d\n\n", n)
				}
				fmt.Fprintf(w, "event: checkpoint\ndata: %s\n\n", base64.StdEncoding.EncodeToString(ev.Checkpoint))
			case <-tick.C:
				if !published {
					if r := round(); r.Phase == core.PhasePublished {
						published = true
						w.WriteString("event: published\ndata: 1\n\n")
					}
				}
				w.WriteString(": ping\n\n")
			}
			if err := w.Flush(); err != nil {
				return
			}
		}
	})
	return nil
}

// checkpointQR is GET /p/:round/qr.png?size=N: the QR code of the signed
// checkpoint note of that size (the latest when size is absent), for
// photographs of the projector.
func (p *pages) checkpointQR(c *fiber.Ctx) error {
	fr, err := p.app.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	want, _ := strconv.ParseInt(c.Query("size"), 10, 64)
	var note []byte
	cps, err := p.app.svc.Checkpoints(c.UserContext(), fr.ID)
	for _, cp := range cps {
		ck, err := ledger.ParseCheckpointNote(cp)
		if err == nil && (ck.Size == want || want == 0) {
			note = cp
		}
	}
	if err != nil {
		return err
	}
	if note == nil {
		return core.NotFoundf("no checkpoint of that size")
	}
	return sendQR(c, string(note), 512)
}

// receiptQR is GET /r/:round/qr.png?h=HASH: the QR code of the check-page
// URL of a ballot's leaf hash (b64url, 43 characters).
func (p *pages) receiptQR(c *fiber.Ctx) error {
	h := c.Query("h")
	if raw, err := base64.RawURLEncoding.Strict().DecodeString(h); err != nil || len(raw) != 32 {
		return core.Invalidf("h must be a leaf hash in unpadded base64url")
	}
	round := c.Params("round")
	if !ballot.ValidID(round) {
		return core.NotFoundf("no such round")
	}
	return sendQR(c, p.app.svc.BaseURL()+"/check/"+round+"#"+h, 320)
}

func sendQR(c *fiber.Ctx, content string, size int) error {
	png, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(png)
}

// recordFile is one download on the record page.
type recordFile struct{ Name, URL, Desc string }

// recordPage is GET /r/:round/record: downloads, anchors and how to verify.
func (p *pages) recordPage(c *fiber.Ctx) error {
	r, _, _, err := p.roundData(c, c.Params("round"))
	if err != nil {
		return err
	}
	anchors, err := p.app.Anchors(c, r.ID)
	if err != nil {
		return err
	}
	base := "/rounds/" + r.ID
	d := struct {
		Round      core.Round
		Anchors    string
		AnchorsURL string
		Files      []recordFile
		Base       string
		RecordURL  string
		Size       int64
	}{Round: r, Anchors: string(anchors.Bytes()), AnchorsURL: base + "/anchors.txt", Base: p.app.svc.BaseURL(),
		RecordURL: p.app.svc.BaseURL() + base + "/record/"}
	if r.Phase.Frozen() {
		d.Files = append(d.Files, recordFile{"manifest", base + "/manifest", "file.manifest"},
			recordFile{"hashes.txt", base + "/hashes.txt", "file.hashes"}, recordFile{"checkpoint", base + "/checkpoint", "file.checkpoint"})
		if size, _, err := p.latestCheckpoint(c, r.ID); err == nil {
			d.Size = size
		}
	}
	if r.Phase.Order() >= core.PhaseClosed.Order() {
		for _, f := range ledger.RecordFiles() {
			d.Files = append(d.Files, recordFile{f, base + "/record/" + f, "file." + strings.TrimSuffix(f, ".txt")})
		}
		d.Files = append(d.Files, recordFile{"record.tar", base + "/record.tar", "file.archive"},
			recordFile{"round.pb", base + "/round.pb", "file.pb"})
	}
	v := p.newView(c, "record.title")
	v.D = d
	return p.render(c, http.StatusOK, "record", v)
}
