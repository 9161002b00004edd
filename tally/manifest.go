package tally

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ballot"
)

// FromManifest returns the election of a round: the manifest's budget and
// projects (in manifest order), its minimum and exclusion groups, and the
// counted ballots (docs/record.md §11). Approval ballots list their approved projects; cumulative ballots
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
	e.Minimum = m.Minimum
	for _, g := range m.Exclusive {
		ig := make([]int, len(g))
		for j, id := range g {
			i, ok := index[id]
			if !ok {
				return nil, fmt.Errorf("%w: exclusion group names unknown project %q", ErrElection, id)
			}
			ig[j] = i
		}
		e.Exclusive = append(e.Exclusive, ig)
	}
	// Ballots passed more than once (ledger.Verify passes one shared value
	// per distinct choice) share their lists; the cache stays small when
	// every ballot is its own.
	seen := make(map[*ballot.Ballot]Ballot)
	for n, b := range counted {
		if eb, ok := seen[b]; ok {
			e.Ballots[n] = eb
			continue
		}
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
		if len(seen) < 4096 {
			seen[b] = eb
		}
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// PBInfo is what a round's .pb export says beyond the manifest and the
// counted ballots: what the server knows about the round. Empty fields take
// the defaults noted or are left out.
type PBInfo struct {
	Description string    // META description; default: the manifest's title
	Country     string    // META country; default: "Denmark"
	Unit        string    // META unit (the community's name); default: the manifest's community
	Subunit     string    // META subunit; left out when empty
	Instance    string    // META instance (the year); default: the manifest's round
	DateBegin   time.Time // META date_begin, the day voting opened, in its location; left out when zero
	DateEnd     time.Time // META date_end, the day voting closed; left out when zero
	Language    string    // META language; default: "da"
	Currency    string    // META currency; default: "DKK"
	Edition     string    // META edition; left out when empty
	Exporter    string    // the program named in the META comment ("pbserver"); may be empty
	// Titles maps project IDs to the titles to print; default: the
	// manifest's titles.
	Titles map[string]string
	// Categories maps category IDs to the names to print; default: the ID.
	Categories map[string]string
	// Selected are the funded flags of the round's published result, one
	// per manifest project in manifest order; nil before publication, when
	// the file has no selected column.
	Selected []bool
}

// RoundPB returns the pabulib file of a round (https://pabulib.org/format):
// the ".pb export of the round". Its sections are
//
//   - META: description, country, unit, subunit, instance, num_projects,
//     num_votes, budget, vote_type, rule, date_begin, date_end, language,
//     currency, edition, the ballot limits as pabulib keys (min_length and
//     max_length, max_sum_cost, or max_points and max_sum_points), and a
//     comment naming the round and its tie-break order, in this order,
//     leaving out the empty optional ones (see [PBInfo]);
//   - PROJECTS: project_id;cost;votes;name;category, with score instead of
//     votes for cumulative ballots (the result note's votes: approvals, or
//     total points), and selected (1 funded, 0 not) once info.Selected is
//     set, in manifest order;
//   - VOTES: voter_id;vote, plus points for cumulative ballots, with voters
//     numbered 1 to n in the order given (log order) and no key. Approval
//     ballots list their projects in ID order; cumulative ballots by
//     decreasing points, then ID, as pabulib asks; an empty cumulative
//     ballot is "None;None", which pabutools reads as empty.
//
// It returns the errors of [FromManifest] (wrapping [ErrElection]), and
// one wrapping ErrElection when info.Selected has the wrong length.
func RoundPB(m *ballot.Manifest, counted []*ballot.Ballot, info PBInfo) (*PB, error) {
	e, err := FromManifest(m, counted)
	if err != nil {
		return nil, err
	}
	if info.Selected != nil && len(info.Selected) != len(m.Projects) {
		return nil, fmt.Errorf("%w: %d selected flags for %d projects", ErrElection, len(info.Selected), len(m.Projects))
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	pb := &PB{}
	meta := func(k, v string) { pb.Meta = append(pb.Meta, MetaEntry{Key: k, Value: v}) }
	optional := func(k, v string) {
		if v != "" {
			meta(k, v)
		}
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("02.01.2006")
	}
	cumulative := m.Ballot.Kind == ballot.KindCumulative
	meta("description", def(info.Description, m.Title))
	meta("country", def(info.Country, "Denmark"))
	meta("unit", def(info.Unit, m.Community))
	optional("subunit", info.Subunit)
	meta("instance", def(info.Instance, m.Round))
	meta("num_projects", strconv.Itoa(len(m.Projects)))
	meta("num_votes", strconv.Itoa(len(counted)))
	meta("budget", strconv.FormatInt(m.Budget, 10))
	if cumulative {
		meta("vote_type", VoteCumulative)
	} else {
		meta("vote_type", VoteApproval)
	}
	meta("rule", m.Rule)
	optional("date_begin", date(info.DateBegin))
	optional("date_end", date(info.DateEnd))
	meta("language", def(info.Language, "da"))
	meta("currency", def(info.Currency, "DKK"))
	optional("edition", info.Edition)
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
	by := ""
	if info.Exporter != "" {
		by = " by " + info.Exporter
	}
	meta("comment", "#1: exported"+by+" from the verifiable record of round "+m.Round+"; tie-break "+m.Tiebreak)

	// The result note's votes: approvals, or total points.
	votes := make([]int64, len(m.Projects))
	for _, b := range e.Ballots {
		for j, p := range b.Projects {
			if cumulative {
				votes[p] += b.Points[j]
			} else {
				votes[p]++
			}
		}
	}
	pb.ProjectColumns = []string{"project_id", "cost", "votes", "name", "category"}
	if cumulative {
		pb.ProjectColumns[2] = "score"
	}
	if info.Selected != nil {
		pb.ProjectColumns = append(pb.ProjectColumns, "selected")
	}
	for i, p := range m.Projects {
		name := p.Title
		if t, ok := info.Titles[p.ID]; ok && t != "" {
			name = t
		}
		cat := p.Category
		if n, ok := info.Categories[cat]; ok && n != "" {
			cat = n
		}
		row := []string{p.ID, strconv.FormatInt(p.Cost, 10), strconv.FormatInt(votes[i], 10), name, cat}
		if info.Selected != nil {
			sel := "0"
			if info.Selected[i] {
				sel = "1"
			}
			row = append(row, sel)
		}
		pb.Projects = append(pb.Projects, PBRow{Fields: row})
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

// WritePB writes the pabulib file of a round ([RoundPB]) to w.
func WritePB(w io.Writer, m *ballot.Manifest, counted []*ballot.Ballot, info PBInfo) error {
	pb, err := RoundPB(m, counted, info)
	if err != nil {
		return err
	}
	_, err = pb.WriteTo(w)
	return err
}
