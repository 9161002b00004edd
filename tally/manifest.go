package tally

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
)

// FromManifest returns the election of a round: the manifest's budget and
// projects (in manifest order) and the counted ballots (docs/record.md
// §11). Approval ballots list their approved projects; cumulative ballots
// list the projects they give points to, with their points. It returns an
// error wrapping [ErrElection] if a ballot names a project the manifest
// does not have or does not match the manifest's ballot kind.
func FromManifest(m *ballot.Manifest, counted []*ballot.Ballot) (*Election, error) {
	cumulative := m.Ballot.Kind == ballot.KindCumulative
	e := &Election{Budget: m.Budget, Points: cumulative, Projects: make([]Project, len(m.Projects)), Ballots: make([]Ballot, len(counted))}
	index := make(map[string]int, len(m.Projects))
	for i, p := range m.Projects {
		e.Projects[i] = Project{ID: p.ID, Cost: p.Cost}
		index[p.ID] = i
	}
	for n, b := range counted {
		if b.Cumulative != cumulative {
			return nil, fmt.Errorf("%w: ballot %d is not a %s ballot", ErrElection, n+1, m.Ballot.Kind)
		}
		var eb Ballot
		if cumulative {
			eb.Projects = make([]int, 0, len(b.Points))
			eb.Points = make([]int64, 0, len(b.Points))
			for _, pt := range b.Points {
				i, ok := index[pt.Project]
				if !ok {
					return nil, fmt.Errorf("%w: ballot %d gives points to unknown project %q", ErrElection, n+1, pt.Project)
				}
				eb.Projects = append(eb.Projects, i)
				eb.Points = append(eb.Points, pt.N)
			}
		} else {
			eb.Projects = make([]int, 0, len(b.Approve))
			for _, id := range b.Approve {
				i, ok := index[id]
				if !ok {
					return nil, fmt.Errorf("%w: ballot %d approves unknown project %q", ErrElection, n+1, id)
				}
				eb.Projects = append(eb.Projects, i)
			}
		}
		e.Ballots[n] = eb
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// PBInfo is what a round's .pb export says about the round beyond the
// manifest. Empty fields take the defaults noted.
type PBInfo struct {
	Description string            // default: the manifest's title
	Country     string            // default: "Denmark"
	Unit        string            // the municipality; default: the manifest's community
	Subunit     string            // the community's name; default: the manifest's community
	Instance    string            // default: the manifest's round
	Currency    string            // default: "DKK"
	Language    string            // default: "da"
	Categories  map[string]string // category ID → name; default: the ID
}

// RoundPB returns the pabulib file of a round: META (description, country,
// unit, subunit, instance, num_projects, num_votes, budget, vote_type, rule,
// the ballot limits as pabulib keys, currency, language, and the
// non-standard keys tiebreak and round), PROJECTS (project_id;cost;name;
// category) in manifest order, and VOTES (voter_id;vote, plus points for
// cumulative ballots) with voters numbered 1 to n in the order given.
// Approval ballots list their projects in ID order; cumulative ballots
// list them by decreasing points, then ID, as pabulib asks (an empty
// cumulative ballot is "None;None", which pabutools reads as empty).
func RoundPB(m *ballot.Manifest, counted []*ballot.Ballot, info PBInfo) (*PB, error) {
	if _, err := FromManifest(m, counted); err != nil {
		return nil, err
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	pb := &PB{}
	meta := func(k, v string) { pb.Meta = append(pb.Meta, MetaEntry{Key: k, Value: v}) }
	meta("description", def(info.Description, m.Title))
	meta("country", def(info.Country, "Denmark"))
	meta("unit", def(info.Unit, m.Community))
	meta("subunit", def(info.Subunit, m.Community))
	meta("instance", def(info.Instance, m.Round))
	meta("num_projects", strconv.Itoa(len(m.Projects)))
	meta("num_votes", strconv.Itoa(len(counted)))
	meta("budget", strconv.FormatInt(m.Budget, 10))
	cumulative := m.Ballot.Kind == ballot.KindCumulative
	if cumulative {
		meta("vote_type", VoteCumulative)
	} else {
		meta("vote_type", VoteApproval)
	}
	meta("rule", m.Rule)
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
	meta("currency", def(info.Currency, "DKK"))
	meta("language", def(info.Language, "da"))
	meta("tiebreak", m.Tiebreak)
	meta("round", m.Round)
	pb.ProjectColumns = []string{"project_id", "cost", "name", "category"}
	for _, p := range m.Projects {
		cat := p.Category
		if name, ok := info.Categories[cat]; ok && name != "" {
			cat = name
		}
		pb.Projects = append(pb.Projects, PBRow{Fields: []string{p.ID, strconv.FormatInt(p.Cost, 10), p.Title, cat}})
	}
	pb.VoteColumns = []string{"voter_id", "vote"}
	if cumulative {
		pb.VoteColumns = append(pb.VoteColumns, "points")
	}
	for n, b := range counted {
		row := []string{strconv.Itoa(n + 1)}
		if cumulative {
			pts := slices.Clone(b.Points)
			slices.SortFunc(pts, func(a, b ballot.Points) int {
				if c := cmp.Compare(b.N, a.N); c != 0 {
					return c
				}
				return cmp.Compare(a.Project, b.Project)
			})
			ids := make([]string, len(pts))
			ns := make([]string, len(pts))
			for i, pt := range pts {
				ids[i], ns[i] = pt.Project, strconv.FormatInt(pt.N, 10)
			}
			if len(pts) == 0 {
				// pabutools reads an empty points cell as one empty ID.
				row = append(row, "None", "None")
			} else {
				row = append(row, strings.Join(ids, ","), strings.Join(ns, ","))
			}
		} else {
			ids := slices.Clone(b.Approve)
			slices.Sort(ids)
			row = append(row, strings.Join(ids, ","))
		}
		pb.Votes = append(pb.Votes, PBRow{Fields: row})
	}
	return pb, nil
}

// WritePB writes the pabulib file of a round ([RoundPB]) to w: the ".pb
// export of the round".
func WritePB(w io.Writer, m *ballot.Manifest, counted []*ballot.Ballot, info PBInfo) error {
	pb, err := RoundPB(m, counted, info)
	if err != nil {
		return err
	}
	_, err = pb.WriteTo(w)
	return err
}
