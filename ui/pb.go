package ui

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// handlePB is GET /rounds/:round/round.pb: the round's counted ballots as
// a pabulib .pb file (https://pabulib.org/format), for the research tools
// and "pbverify count". It is available from close; the selected column is
// added once the result is published. Voters are numbered in log order;
// no key or other identifier is exported.
func (a *App) handlePB(c *fiber.Ctx) error {
	id := c.Params("round")
	rec, err := a.closedRecord(c, id)
	if err != nil {
		return err
	}
	fr, err := a.frozenRound(c.UserContext(), id)
	if err != nil {
		return err
	}
	var r store.Round
	var cm store.Community
	var projects []store.Project
	err = a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if r, err = tx.Round(id); err != nil {
			return err
		}
		if cm, err = tx.Community(r.Community); err != nil {
			return err
		}
		projects, err = tx.Projects(id)
		return err
	})
	if err != nil {
		return err
	}
	counted := ledger.CountedBallots(rec, fr.anchors)
	var result *ledger.Result
	if n := len(rec.Results); n > 0 {
		body, _, _ := bytes.Cut(rec.Results[n-1], []byte("\n\n"))
		if result, err = ledger.ParseResult(append(body, '\n')); err != nil {
			return err
		}
	}
	pb := roundPB(fr.manifest, r, cm, projects, counted, result)
	var buf bytes.Buffer
	if _, err := pb.WriteTo(&buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+id+`.pb"`)
	return c.Send(buf.Bytes())
}

// roundPB builds the pabulib file of a round.
func roundPB(m *ballot.Manifest, r store.Round, cm store.Community, projects []store.Project,
	counted []*ballot.Ballot, result *ledger.Result) *tally.PB {
	pb := &tally.PB{}
	meta := func(k, v string) { pb.Meta = append(pb.Meta, tally.MetaEntry{Key: k, Value: v}) }
	cumulative := m.Ballot.Kind == ballot.KindCumulative
	meta("description", m.Title)
	meta("country", "Denmark")
	meta("unit", cm.Name)
	meta("instance", strconv.Itoa(r.Year))
	meta("num_projects", strconv.Itoa(len(m.Projects)))
	meta("num_votes", strconv.Itoa(len(counted)))
	meta("budget", strconv.FormatInt(m.Budget, 10))
	if cumulative {
		meta("vote_type", tally.VoteCumulative)
	} else {
		meta("vote_type", tally.VoteApproval)
	}
	meta("rule", m.Rule)
	meta("date_begin", r.Opened.Format("02.01.2006"))
	meta("date_end", r.Closed.Format("02.01.2006"))
	meta("language", "da")
	meta("currency", "DKK")
	meta("edition", strconv.Itoa(r.Year))
	switch m.Ballot.Kind {
	case ballot.KindApproval:
		meta("min_length", strconv.Itoa(m.Ballot.Min))
		meta("max_length", strconv.Itoa(m.Ballot.Max))
	case ballot.KindApprovalCost:
		meta("max_sum_cost", strconv.FormatInt(m.Ballot.Limit, 10))
	case ballot.KindCumulative:
		meta("max_points", strconv.FormatInt(m.Ballot.Cap, 10))
		meta("max_sum_points", strconv.FormatInt(m.Ballot.Total, 10))
	}
	meta("comment", "#1: exported by pbserver from the verifiable record of round "+m.Round+"; tie-break "+m.Tiebreak)

	votes := ledger.Votes(m, counted)
	pb.ProjectColumns = []string{"project_id", "cost", "votes", "name", "category"}
	if cumulative {
		pb.ProjectColumns = []string{"project_id", "cost", "score", "name", "category"}
	}
	if result != nil {
		pb.ProjectColumns = append(pb.ProjectColumns, "selected")
	}
	for i, p := range m.Projects {
		name := p.Title
		for _, q := range projects {
			if q.ID == p.ID {
				name = q.Title
			}
		}
		row := []string{p.ID, strconv.FormatInt(p.Cost, 10), strconv.FormatInt(votes[i], 10), name, p.Category}
		if result != nil {
			sel := "0"
			if i < len(result.Projects) && result.Projects[i].Funded {
				sel = "1"
			}
			row = append(row, sel)
		}
		pb.Projects = append(pb.Projects, tally.PBRow{Fields: row})
	}

	pb.VoteColumns = []string{"voter_id", "vote"}
	if cumulative {
		pb.VoteColumns = append(pb.VoteColumns, "points")
	}
	for i, b := range counted {
		id := strconv.Itoa(i + 1)
		if !cumulative {
			pb.Votes = append(pb.Votes, tally.PBRow{Fields: []string{id, strings.Join(b.Approve, ",")}})
			continue
		}
		// Pabulib lists cumulative votes by decreasing points.
		pts := slices.Clone(b.Points)
		slices.SortStableFunc(pts, func(x, y ballot.Points) int { return cmp.Compare(y.N, x.N) })
		ids := make([]string, len(pts))
		ns := make([]string, len(pts))
		for j, p := range pts {
			ids[j], ns[j] = p.Project, strconv.FormatInt(p.N, 10)
		}
		pb.Votes = append(pb.Votes, tally.PBRow{Fields: []string{id, strings.Join(ids, ","), strings.Join(ns, ",")}})
	}
	return pb
}
