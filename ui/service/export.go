package service

import (
	"bytes"
	"context"
	"strconv"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// roundPB builds the pabulib file of a round with [tally.RoundPB], the one
// .pb exporter: the manifest's projects and counted ballots, the round's
// titles as stored, its dates, and the funded flags once published.
func roundPB(m *ballot.Manifest, r core.Round, cm core.Community, projects []core.Project,
	counted []*ballot.Ballot, result *ledger.Result) (*tally.PB, error) {
	info := tally.PBInfo{Unit: cm.Name, Instance: strconv.Itoa(r.Year), Edition: strconv.Itoa(r.Year),
		DateBegin: r.Opened, DateEnd: r.Closed, Exporter: "pbserver", Titles: map[string]string{}}
	for _, p := range projects {
		info.Titles[p.ID] = p.Title
	}
	if result != nil {
		for _, p := range result.Projects {
			info.Selected = append(info.Selected, p.Funded)
		}
	}
	return tally.RoundPB(m, counted, info)
}

// PabulibFile returns round id's ballots as a Pabulib .pb file (with the
// result once published). It refuses before voting closes.
func (s *Service) PabulibFile(ctx context.Context, id string) ([]byte, error) {
	rec, err := s.Record(ctx, id)
	if err != nil {
		return nil, err
	}
	fr, err := s.FrozenRound(ctx, id)
	if err != nil {
		return nil, err
	}
	d, err := s.RoundDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	counted := ledger.CountedBallots(rec, fr.Anchors)
	var result *ledger.Result
	if len(rec.Results) > 0 {
		if result, _, err = s.Result(ctx, id); err != nil {
			return nil, err
		}
	}
	pb, err := roundPB(fr.Manifest, d.Round, d.Community, d.Projects, counted, result)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := pb.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
