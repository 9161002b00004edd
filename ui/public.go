package ui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// RoundSummary is one entry of GET /api/rounds.
type RoundSummary struct {
	ID        string      `json:"id"`
	Community string      `json:"community"`
	Title     string      `json:"title"`
	Phase     store.Phase `json:"phase"`
	Year      int         `json:"year"`
	Budget    int64       `json:"budget"`
	RecordURL string      `json:"record_url,omitempty"` // once published
}

// RoundView is the public description of a round (GET /api/rounds/:round).
type RoundView struct {
	store.Round
	Projects []store.Project   `json:"projects"`
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
func (a *App) roundURLs(r store.Round) map[string]string {
	base := a.cfg.BaseURL + "/rounds/" + r.ID
	u := map[string]string{"anchors": base + "/anchors.txt"}
	if r.Phase.Frozen() {
		u["manifest"] = base + "/manifest"
		u["checkpoint"] = base + "/checkpoint"
		u["hashes"] = base + "/hashes.txt"
		u["roll"] = base + "/record/roll.txt"
		u["ballots"] = a.cfg.BaseURL + "/api/rounds/" + r.ID + "/ballots"
	}
	if r.Phase.Order() >= store.PhaseClosed.Order() {
		u["record"] = base + "/record/"
		u["archive"] = base + "/record.tar"
		u["pb"] = base + "/round.pb"
	}
	return u
}

func (a *App) handleRounds(c *fiber.Ctx) error {
	var out []RoundSummary
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		rounds, err := tx.Rounds()
		for _, r := range rounds {
			s := RoundSummary{ID: r.ID, Community: r.Community, Title: r.Title, Phase: r.Phase, Year: r.Year, Budget: r.Budget}
			if r.Phase == store.PhasePublished {
				s.RecordURL = a.cfg.BaseURL + "/rounds/" + r.ID + "/record/"
			}
			out = append(out, s)
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
}

// RoundView returns the public view of a round.
func (a *App) RoundView(c *fiber.Ctx, id string) (RoundView, error) {
	var v RoundView
	var results [][]byte
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if v.Round, err = tx.Round(id); err != nil {
			return err
		}
		if v.Projects, err = tx.Projects(id); err != nil {
			return err
		}
		if v.LogSize, err = tx.Log(id).Size(); err != nil {
			return err
		}
		results, err = tx.Log(id).Results()
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return v, notFound("no round %s", id)
	}
	if err != nil {
		return v, err
	}
	v.Projects = nonNil(v.Projects)
	v.URLs = a.roundURLs(v.Round)
	if len(results) > 0 {
		last := results[len(results)-1]
		body, _, _ := bytes.Cut(last, []byte("\n\n"))
		res, err := ledger.ParseResult(append(body, '\n'))
		if err != nil {
			return v, fmt.Errorf("ui: result of %s: %w", id, err)
		}
		rv := &ResultView{Ballots: res.Ballots, Spent: res.Spent, Budget: res.Budget, Note: string(last)}
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
	EstimatedCost int64     `json:"estimated_cost"`
	Category      string    `json:"category"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	Project       string    `json:"project,omitempty"`
	Submitted     time.Time `json:"submitted"`
}

func (a *App) handleProposals(c *fiber.Ctx) error {
	id := c.Params("round")
	var out []ProposalView
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		if _, err := tx.Round(id); err != nil {
			return err
		}
		ps, err := tx.Proposals(id)
		for _, p := range ps {
			out = append(out, ProposalView{ID: p.ID, Title: p.Title, Description: p.Description,
				EstimatedCost: p.EstimatedCost, Category: p.Category, Status: p.Status, Reason: p.Reason,
				Project: p.Project, Submitted: p.Submitted})
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no round %s", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
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
	var r store.Round
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		r, err = tx.Round(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no round %s", id)
	}
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
	fr, err := a.frozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	return sendText(c, fr.leaf0)
}

func (a *App) handleCheckpoint(c *fiber.Ctx) error {
	fr, err := a.frozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	var cp []byte
	err = a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		_, cp, err = tx.Log(fr.id).LatestCheckpoint()
		return err
	})
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
	fr, err := a.frozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = a.store.View(c.UserContext(), func(tx *store.Tx) error {
		l := tx.Log(fr.id)
		n, err := l.Size()
		if err != nil {
			return err
		}
		hs, err := l.LeafHashes(n)
		for _, h := range hs {
			buf.WriteString(base64.StdEncoding.EncodeToString(h[:]))
			buf.WriteByte('\n')
		}
		return err
	})
	if err != nil {
		return err
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
		return 0, badRequest("query parameter %s must be a non-negative integer", name)
	}
	return n, nil
}

// handleConsistency is GET /api/rounds/:round/consistency?old=N&size=M.
func (a *App) handleConsistency(c *fiber.Ctx) error {
	fr, err := a.frozenRound(c.UserContext(), c.Params("round"))
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
	p, err := ledger.NewLog(a.store.LogStorage(fr.id)).ProveConsistency(size, old)
	if errors.Is(err, ledger.ErrBadProof) {
		return badRequest("need 1 ≤ old ≤ size ≤ the log's size")
	}
	if err != nil {
		return err
	}
	return c.JSON(ProofView{Old: old, Size: size, Proof: proofStrings(p)})
}

// handleInclusion is GET /api/rounds/:round/inclusion?hash=B64[&size=N]:
// the index and inclusion proof of the leaf with that record hash in the
// tree of size N (default: the latest checkpoint's size).
func (a *App) handleInclusion(c *fiber.Ctx) error {
	fr, err := a.frozenRound(c.UserContext(), c.Params("round"))
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(c.Query("hash"))
	if err != nil || len(raw) != 32 {
		return badRequest("query parameter hash must be the base64 of a 32-byte leaf hash")
	}
	h := tlog.Hash(raw)
	var size, idx int64
	err = a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if size, _, err = tx.Log(fr.id).LatestCheckpoint(); err != nil {
			return err
		}
		idx, err = tx.Log(fr.id).Find(h)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no leaf with that hash in round %s", fr.id)
	}
	if err != nil {
		return err
	}
	if c.Query("size") != "" {
		if size, err = queryInt64(c, "size"); err != nil {
			return err
		}
	}
	p, err := ledger.NewLog(a.store.LogStorage(fr.id)).ProveInclusion(size, idx)
	if errors.Is(err, ledger.ErrBadProof) {
		return badRequest("the leaf is not in the tree of size %d", size)
	}
	if err != nil {
		return err
	}
	return c.JSON(ProofView{Index: idx, Size: size, Proof: proofStrings(p)})
}

// closedRecord returns a round's record, or 409 before the round closed
// (leaf contents are public only after close).
func (a *App) closedRecord(c *fiber.Ctx, id string) (*ledger.Record, error) {
	var r store.Round
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		r, err = tx.Round(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no round %s", id)
	}
	if err != nil {
		return nil, err
	}
	if r.Phase.Order() < store.PhaseClosed.Order() {
		return nil, conflict("the record of round %s is published when voting closes (phase %s); during voting see hashes.txt and checkpoint", id, r.Phase)
	}
	return a.record(c.UserContext(), id)
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
		return notFound("a record has no file %q", name)
	}
	if name == ledger.RollFile {
		fr, err := a.frozenRound(c.UserContext(), id)
		if err != nil {
			return err
		}
		return sendText(c, fr.roll.Bytes())
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
		return notFound("round %s has no published result yet (phase %s)", v.ID, v.Phase)
	}
	return c.JSON(v.Result)
}
