package tally

import (
	"strconv"
	"strings"
)

// Pabulib vote types.
const (
	VoteApproval   = "approval"
	VoteChoose1    = "choose-1"
	VoteOrdinal    = "ordinal"
	VoteCumulative = "cumulative"
	VoteScoring    = "scoring"
)

// Election interprets pb for counting, as pabutools 1.2.3 does:
//
//   - the budget is META budget, an exact decimal (a comma counts as the
//     decimal point); costs likewise; Scale is the largest number of
//     decimals among them;
//   - vote_type approval and choose-1 ballots are sets: a project listed
//     twice counts once; ordinal ballots count as the set of ranked
//     projects (the first position is kept); cumulative and scoring ballots
//     give points (the points column, a whole number ≥ 0 per listed
//     project, parallel to the vote column); a project listed twice keeps
//     its last points value; a ballot without points is empty;
//   - a cell holding "None" (any case) is missing; empty entries in a vote
//     list are skipped;
//   - META min_project_score_threshold becomes Threshold.
//
// Election returns a [*PabulibError] with the line number when a value does
// not parse, a vote names an unknown project, project IDs repeat, or META
// num_projects or num_votes disagree with the sections.
func (pb *PB) Election() (*Election, error) {
	vt, ok := pb.MetaValue("vote_type")
	if !ok {
		return nil, pbErr(0, "META has no vote_type")
	}
	vtLine := pb.metaLine("vote_type")
	switch vt {
	case VoteApproval, VoteChoose1, VoteOrdinal, VoteCumulative, VoteScoring:
	default:
		return nil, pbErr(vtLine, "unknown vote_type %q", vt)
	}
	e := &Election{Points: vt == VoteCumulative || vt == VoteScoring}
	if vt == VoteScoring {
		if ds, ok := pb.MetaValue("default_score"); ok && !isNone(ds) && ds != "0" {
			return nil, pbErr(pb.metaLine("default_score"), "default_score %q is not supported (only 0)", ds)
		}
	}

	bs, ok := pb.MetaValue("budget")
	if !ok {
		return nil, pbErr(0, "META has no budget")
	}
	budget, err := parseDecimal(bs)
	if err != nil {
		return nil, pbErr(pb.metaLine("budget"), "budget: %v", err)
	}
	costCol := column(pb.ProjectColumns, "cost")
	costs := make([]decimal, len(pb.Projects))
	scale := budget.scale
	index := make(map[string]int, len(pb.Projects))
	e.Projects = make([]Project, len(pb.Projects))
	for i, r := range pb.Projects {
		id := r.Fields[0]
		if id == "" || isNone(id) {
			return nil, pbErr(r.Line, "empty project_id")
		}
		if _, dup := index[id]; dup {
			return nil, pbErr(r.Line, "project %q appears twice", id)
		}
		index[id] = i
		if costs[i], err = parseDecimal(r.Fields[costCol]); err != nil {
			return nil, pbErr(r.Line, "project %q: cost: %v", id, err)
		}
		scale = max(scale, costs[i].scale)
		e.Projects[i].ID = id
	}
	if scale > maxScale {
		return nil, pbErr(0, "amounts have more than %d decimals", maxScale)
	}
	e.Scale = scale
	if e.Budget, err = budget.units(scale); err != nil {
		return nil, pbErr(pb.metaLine("budget"), "budget: %v", err)
	}
	for i := range e.Projects {
		if e.Projects[i].Cost, err = costs[i].units(scale); err != nil {
			return nil, pbErr(pb.Projects[i].Line, "project %q: cost: %v", e.Projects[i].ID, err)
		}
	}
	if s, ok := pb.MetaValue("min_project_score_threshold"); ok && !isNone(s) {
		t, err := parseDecimal(s)
		if err != nil || t.scale > 0 {
			return nil, pbErr(pb.metaLine("min_project_score_threshold"), "min_project_score_threshold %q is not a whole number", s)
		}
		if e.Threshold, err = t.units(0); err != nil {
			return nil, pbErr(pb.metaLine("min_project_score_threshold"), "min_project_score_threshold: %v", err)
		}
	}
	if err := pb.checkCount("num_projects", len(pb.Projects)); err != nil {
		return nil, err
	}
	if err := pb.checkCount("num_votes", len(pb.Votes)); err != nil {
		return nil, err
	}

	voteCol := column(pb.VoteColumns, "vote")
	pointsCol := column(pb.VoteColumns, "points")
	if e.Points && pointsCol < 0 {
		return nil, pbErr(0, "vote_type %s needs a points column in VOTES", vt)
	}
	e.Ballots = make([]Ballot, len(pb.Votes))
	pos := make([]int, len(e.Projects)) // pos[p] = index+1 of p in the current ballot
	var ids []string
	for i, r := range pb.Votes {
		vote := r.Fields[voteCol]
		if isNone(vote) {
			vote = ""
		}
		ids = splitList(ids[:0], vote)
		b := &e.Ballots[i]
		var pts []string
		if e.Points {
			ps := r.Fields[pointsCol]
			if isNone(ps) || ps == "" {
				if len(ids) > 0 {
					return nil, pbErr(r.Line, "voter %q lists projects but gives no points", r.Fields[0])
				}
				continue
			}
			pts = strings.Split(ps, ",")
			if len(pts) != len(ids) {
				return nil, pbErr(r.Line, "voter %q: %d projects but %d points", r.Fields[0], len(ids), len(pts))
			}
			b.Points = make([]int64, 0, len(ids))
		}
		b.Projects = make([]int, 0, len(ids))
		for j, id := range ids {
			p, ok := index[id]
			if !ok {
				return nil, pbErr(r.Line, "voter %q votes for unknown project %q", r.Fields[0], id)
			}
			var pt int64
			if e.Points {
				v, err := strconv.ParseInt(strings.TrimSpace(pts[j]), 10, 64)
				if err != nil || v < 0 || v > maxPoints {
					return nil, pbErr(r.Line, "voter %q: points %q for %q are not a whole number from 0 to %d", r.Fields[0], pts[j], id, maxPoints)
				}
				pt = v
			}
			if k := pos[p]; k > 0 && k <= len(b.Projects) && b.Projects[k-1] == p {
				// Listed twice: sets keep one, points keep the last value.
				if e.Points {
					b.Points[k-1] = pt
				}
				continue
			}
			pos[p] = len(b.Projects) + 1
			b.Projects = append(b.Projects, p)
			if e.Points {
				b.Points = append(b.Points, pt)
			}
		}
	}
	return e, nil
}

func (pb *PB) checkCount(key string, n int) error {
	s, ok := pb.MetaValue(key)
	if !ok || isNone(s) {
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return pbErr(pb.metaLine(key), "%s %q is not a number", key, s)
	}
	if v != n {
		return pbErr(pb.metaLine(key), "%s is %d but the file has %d", key, v, n)
	}
	return nil
}

// isNone reports a cell pabutools treats as missing.
func isNone(s string) bool { return strings.EqualFold(s, "none") }

// splitList splits a comma list of project IDs, trimming white space and
// skipping empty entries.
func splitList(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			dst = append(dst, part)
		}
	}
	return dst
}
