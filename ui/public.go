package ui

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// RoundSummary is one entry of GET /api/rounds.
type RoundSummary struct {
	ID        string     `json:"id"`
	Community string     `json:"community"`
	Title     string     `json:"title"`
	Phase     core.Phase `json:"phase"`
	Year      int        `json:"year"`
	Budget    int64      `json:"budget"`
	RecordURL string     `json:"record_url,omitempty"` // once published
}

// RoundView is the public description of a round (GET /api/rounds/:round).
type RoundView struct {
	core.Round
	Projects []core.Project    `json:"projects"`
	LogSize  int64             `json:"log_size"`
	URLs     map[string]string `json:"urls"`
	Result   *ResultView       `json:"result,omitempty"`
}

// ResultView is a published result with project titles.
type ResultView struct {
	Ballots  int64               `json:"ballots"`
	Spent    int64               `json:"spent"`
	Budget   int64               `json:"budget"`
	Projects []ResultProjectView `json:"projects"`
	Note     string              `json:"note"` // the signed result note
}

// ResultProjectView is one project of a result.
type ResultProjectView struct {
	ledger.ResultProject
	Title string `json:"title"`
	Cost  int64  `json:"cost"`
}

// roundURLs are the public files of a round.
func (a *App) roundURLs(r core.Round) map[string]string {
	base := a.BaseURL() + "/rounds/" + r.ID
	u := map[string]string{"anchors": base + "/anchors.txt"}
	if r.Phase.Frozen() {
		u["manifest"] = base + "/manifest"
		u["checkpoint"] = base + "/checkpoint"
		u["hashes"] = base + "/hashes.txt"
		u["roll"] = base + "/record/roll.txt"
		u["ballots"] = a.BaseURL() + "/api/rounds/" + r.ID + "/ballots"
	}
	if r.Phase.Order() >= core.PhaseClosed.Order() {
		u["record"] = base + "/record/"
		u["archive"] = base + "/record.tar"
		u["pb"] = base + "/round.pb"
	}
	return u
}

func (a *App) handleRounds(c *fiber.Ctx) error {
	rounds, err := a.svc.Rounds(c.UserContext())
	if err != nil {
		return err
	}
	var out []RoundSummary
	for _, r := range rounds {
		s := RoundSummary{ID: r.ID, Community: r.Community, Title: r.Title, Phase: r.Phase, Year: r.Year, Budget: r.Budget}
		if r.Phase == core.PhasePublished {
			s.RecordURL = a.BaseURL() + "/rounds/" + r.ID + "/record/"
		}
		out = append(out, s)
	}
	return c.JSON(service.NonNil(out))
}

// RoundView returns the public view of a round.
func (a *App) RoundView(c *fiber.Ctx, id string) (RoundView, error) {
	var v RoundView
	d, err := a.svc.RoundDetail(c.UserContext(), id)
	if err != nil {
		return v, err
	}
	v.Round, v.Projects, v.LogSize = d.Round, service.NonNil(d.Projects), d.LogSize
	v.URLs = a.roundURLs(v.Round)
	if len(d.Results) > 0 {
		res, note, err := a.svc.Result(c.UserContext(), id)
		if err != nil {
			return v, err
		}
		rv := &ResultView{Ballots: res.Ballots, Spent: res.Spent, Budget: res.Budget, Note: string(note)}
		for _, p := range res.Projects {
			pv := ResultProjectView{ResultProject: p}
			for _, q := range v.Projects {
				if q.ID == p.ID {
					pv.Title, pv.Cost = q.Title, q.Cost
				}
			}
			rv.Projects = append(rv.Projects, pv)
		}
		v.Result = rv
	}
	return v, nil
}

func (a *App) handleRound(c *fiber.Ctx) error {
	v, err := a.RoundView(c, c.Params("round"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// ProposalView is the public face of a proposal.
type ProposalView struct {
	ID            int64     `json:"id"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	TitleEN       string    `json:"title_en,omitempty"`
	DescriptionEN string    `json:"description_en,omitempty"`
	EstimatedCost int64     `json:"estimated_cost"`
	Category      string    `json:"category"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	Project       string    `json:"project,omitempty"`
	Merged        bool      `json:"merged,omitempty"` // accepted into another proposal's project
	Submitted     time.Time `json:"submitted"`
}

// handleProposals is GET /api/rounds/:round/proposals[?after=N][&limit=M]
// [&status=S]: a page of the round's proposals (100 unless limit says
// otherwise), with a Link header (rel="next") to the next page when there
// is one.
func (a *App) handleProposals(c *fiber.Ctx) error {
	var after, limit int64
	var err error
	if c.Query("after") != "" {
		if after, err = queryInt64(c, "after"); err != nil {
			return err
		}
	}
	if c.Query("limit") != "" {
		if limit, err = queryInt64(c, "limit"); err != nil || limit < 1 || limit > core.MaxProposals {
			return core.Invalidf("limit must be 1 to %d", core.MaxProposals)
		}
	}
	round, status := c.Params("round"), c.Query("status")
	page, err := a.svc.Proposals(c.UserContext(), round, after, int(limit), status)
	if err != nil {
		return err
	}
	if page.Next > 0 {
		q := url.Values{"after": {strconv.FormatInt(page.Next, 10)}}
		if limit > 0 {
			q.Set("limit", strconv.FormatInt(limit, 10))
		}
		if status != "" {
			q.Set("status", status)
		}
		c.Set("Link", "</api/rounds/"+url.PathEscape(round)+"/proposals?"+q.Encode()+`>; rel="next"`)
	}
	var out []ProposalView
	for _, p := range page.Proposals {
		out = append(out, proposalView(p))
	}
	return c.JSON(service.NonNil(out))
}

// sendText answers with text/plain bytes.
func sendText(c *fiber.Ctx, b []byte) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.Send(b)
}

// Anchors returns the trust anchors of a round as printed on its posters
// and slips: the log and council keys, and once frozen the manifest
// fingerprint.
func (a *App) Anchors(c *fiber.Ctx, id string) (*ledger.Anchors, error) {
	r, err := a.svc.Round(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	return &ledger.Anchors{Round: r.ID, LogKey: r.LogKey, CouncilKey: r.CouncilKey, Manifest: r.Fingerprint}, nil
}

func (a *App) handleAnchors(c *fiber.Ctx) error {
	an, err := a.Anchors(c, c.Params("round"))
	if err != nil {
		return err
	}
	return sendText(c, an.Bytes())
}

func (a *App) handleManifest(c *fiber.Ctx) error {
	fr, err := a.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	return sendText(c, fr.Leaf0)
}

func (a *App) handleCheckpoint(c *fiber.Ctx) error {
	fr, err := a.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	_, cp, err := a.svc.LatestCheckpoint(c.UserContext(), fr.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return sendText(c, cp)
}

// handleHashes is GET /rounds/:round/hashes.txt: the record hash
// (RFC 6962 leaf hash) of every leaf, one b64 per line, in index order.
// During voting this is all that is public about the leaves.
func (a *App) handleHashes(c *fiber.Ctx) error {
	fr, err := a.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	hs, err := a.svc.LeafHashes(c.UserContext(), fr.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, h := range hs {
		buf.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		buf.WriteByte('\n')
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return sendText(c, buf.Bytes())
}

// ProofView is an inclusion or consistency proof.
type ProofView struct {
	Index int64    `json:"index,omitempty"`
	Old   int64    `json:"old,omitempty"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"` // b64 hashes
}

func proofStrings(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// queryInt64 reads a required non-negative integer query parameter.
func queryInt64(c *fiber.Ctx, name string) (int64, error) {
	s := c.Query(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, core.Invalidf("query parameter %s must be a non-negative integer", name)
	}
	return n, nil
}

// handleConsistency is GET /api/rounds/:round/consistency?old=N&size=M.
func (a *App) handleConsistency(c *fiber.Ctx) error {
	fr, err := a.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	old, err := queryInt64(c, "old")
	if err != nil {
		return err
	}
	size, err := queryInt64(c, "size")
	if err != nil {
		return err
	}
	p, err := a.svc.ProveConsistency(c.UserContext(), fr.ID, size, old)
	if err != nil {
		return err
	}
	return c.JSON(ProofView{Old: old, Size: size, Proof: proofStrings(p)})
}

// handleInclusion is GET /api/rounds/:round/inclusion?hash=B64[&size=N]:
// the index and inclusion proof of the leaf with that record hash in the
// tree of size N (default: the latest checkpoint's size).
func (a *App) handleInclusion(c *fiber.Ctx) error {
	fr, err := a.svc.FrozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	raw, ok := canon.Decode32(c.Query("hash"))
	if !ok {
		return core.Invalidf("query parameter hash must be the base64 of a 32-byte leaf hash")
	}
	h := tlog.Hash(raw)
	idx, size, err := a.svc.FindLeaf(c.UserContext(), fr.ID, h)
	if err != nil {
		return err
	}
	if c.Query("size") != "" {
		if size, err = queryInt64(c, "size"); err != nil {
			return err
		}
	}
	p, err := a.svc.ProveInclusion(c.UserContext(), fr.ID, size, idx)
	if err != nil {
		return err
	}
	return c.JSON(ProofView{Index: idx, Size: size, Proof: proofStrings(p)})
}

// closedRecord returns a round's record, or 409 before the round closed
// (leaf contents are public only after close).
func (a *App) closedRecord(c *fiber.Ctx, id string) (*ledger.Record, error) {
	return a.svc.Record(c.UserContext(), id)
}

// handleRecordFile is GET /rounds/:round/record/:file, the record's
// directory layout (docs/record.md §10.1) under one URL prefix. roll.txt is
// public from freeze; the other files from close.
func (a *App) handleRecordFile(c *fiber.Ctx) error {
	id, name := c.Params("round"), c.Params("file")
	known := false
	for _, f := range ledger.RecordFiles() {
		known = known || f == name
	}
	if !known {
		return core.NotFoundf("a record has no file %q", name)
	}
	if name == ledger.RollFile {
		fr, err := a.svc.FrozenRound(c.UserContext(), id)
		if err != nil {
			return err
		}
		return sendText(c, fr.Roll.Bytes())
	}
	rec, err := a.closedRecord(c, id)
	if err != nil {
		return err
	}
	b, err := rec.File(name)
	if err != nil {
		return err
	}
	return sendText(c, b)
}

// handleRecordIndex lists the record's files (GET /rounds/:round/record/).
func (a *App) handleRecordIndex(c *fiber.Ctx) error {
	if _, err := a.closedRecord(c, c.Params("round")); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, f := range ledger.RecordFiles() {
		b.WriteString(f + "\n")
	}
	return sendText(c, b.Bytes())
}

// handleArchive is GET /rounds/:round/record.tar.
func (a *App) handleArchive(c *fiber.Ctx) error {
	id := c.Params("round")
	rec, err := a.closedRecord(c, id)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := rec.WriteArchive(&b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/x-tar")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+id+`.tar"`)
	return c.Send(b.Bytes())
}

// handleResult is GET /api/rounds/:round/result.
func (a *App) handleResult(c *fiber.Ctx) error {
	v, err := a.RoundView(c, c.Params("round"))
	if err != nil {
		return err
	}
	if v.Result == nil {
		return core.NotFoundf("round %s has no published result yet (phase %s)", v.ID, v.Phase)
	}
	return c.JSON(v.Result)
}
