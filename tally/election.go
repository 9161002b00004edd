package tally

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrElection is wrapped by errors about an [Election] that cannot be
// counted: a bad budget or cost, a ballot naming an unknown project or the
// same project twice, negative points.
var ErrElection = errors.New("invalid election")

// An Election is what a counting rule needs: the budget, the projects with
// their costs, and the counted ballots. Build one with [FromManifest] for a
// round, with [PB.Election] for a pabulib file, or by hand.
//
// Amounts are exact: Budget and every Cost are in units of 10^-Scale of the
// currency (Scale 0 for whole kroner). They are at most 10^15 units.
type Election struct {
	Budget   int64
	Scale    int // 0 to 9
	Projects []Project
	Ballots  []Ballot
	// Points says that ballots give points to projects (cumulative ballots).
	// Rules with "points" in their name count points; the others treat every
	// ballot as approving the projects it lists, whatever their points.
	Points bool
	// Threshold is the least number of votes a project needs to be
	// eligible under greedy-threshold (pabulib META
	// min_project_score_threshold); 0 means no threshold.
	Threshold int64
	// Minimum is the least number of votes of the rule
	// (docs/counting.md §1: supporters, or points for a rule counting
	// points) a project needs to be fundable under every rule (a
	// manifest's minimum line, docs/record.md §5); 0 means none. A
	// project with fewer votes is never funded; it stays on the ballots.
	Minimum int64
	// Exclusive lists groups of mutually exclusive projects, as indices
	// into Projects (a manifest's exclusive lines): at most one project of
	// a group is funded, the first one the rule funds; from then on the
	// others of its group are out of the count (docs/counting.md §2.8).
	// Every group has at least two projects and no project is in two
	// groups.
	Exclusive [][]int
}

// A Project is one project of an election. IDs are unique and non-empty.
type Project struct {
	ID   string
	Cost int64 // ≥ 0, in units of 10^-Election.Scale
}

// A Ballot lists the projects one voter supports, as indices into
// Election.Projects, each at most once, in any order. For a Points
// election, Points[i] ≥ 0 is the number of points given to Projects[i]; a
// listed project may have 0 points. An empty ballot is valid and counts as
// a voter (it matters for Equal Shares, which splits the budget among all
// voters).
type Ballot struct {
	Projects []int
	Points   []int64
}

// validate checks e and returns an error wrapping ErrElection.
func (e *Election) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrElection, fmt.Sprintf(format, args...))
	}
	if e.Scale < 0 || e.Scale > maxScale {
		return bad("scale %d out of range 0..%d", e.Scale, maxScale)
	}
	if e.Budget < 0 || e.Budget > maxAmount {
		return bad("budget %d out of range", e.Budget)
	}
	if e.Threshold < 0 {
		return bad("negative threshold")
	}
	if e.Minimum < 0 {
		return bad("negative minimum")
	}
	if len(e.Projects) == 0 {
		return bad("no projects")
	}
	if len(e.Projects) > math.MaxInt32 || len(e.Ballots) > math.MaxInt32 {
		return bad("too many projects or ballots")
	}
	ids := make(map[string]bool, len(e.Projects))
	for _, p := range e.Projects {
		if p.ID == "" {
			return bad("empty project ID")
		}
		if ids[p.ID] {
			return bad("project %q appears twice", p.ID)
		}
		ids[p.ID] = true
		if p.Cost < 0 || p.Cost > maxAmount {
			return bad("project %q: cost %d out of range", p.ID, p.Cost)
		}
	}
	inGroup := make([]bool, len(e.Projects))
	for i, g := range e.Exclusive {
		if len(g) < 2 {
			return bad("exclusion group %d has %d projects, want at least 2", i+1, len(g))
		}
		for _, p := range g {
			if p < 0 || p >= len(e.Projects) {
				return bad("exclusion group %d: project index %d out of range", i+1, p)
			}
			if inGroup[p] {
				return bad("project %q is in two exclusion groups or twice in one", e.Projects[p].ID)
			}
			inGroup[p] = true
		}
	}
	seen := make([]int, len(e.Projects)) // seen[p] == i+1: ballot i lists p
	for i, b := range e.Ballots {
		if e.Points && len(b.Points) != len(b.Projects) {
			return bad("ballot %d: %d points for %d projects", i+1, len(b.Points), len(b.Projects))
		}
		if !e.Points && b.Points != nil {
			return bad("ballot %d: points in an election without points", i+1)
		}
		for j, p := range b.Projects {
			if p < 0 || p >= len(e.Projects) {
				return bad("ballot %d: project index %d out of range", i+1, p)
			}
			if seen[p] == i+1 {
				return bad("ballot %d: project %q listed twice", i+1, e.Projects[p].ID)
			}
			seen[p] = i + 1
			if e.Points && (b.Points[j] < 0 || b.Points[j] > maxPoints) {
				return bad("ballot %d: points %d for %q out of range", i+1, b.Points[j], e.Projects[p].ID)
			}
		}
	}
	return nil
}

// maxPoints bounds the points a ballot gives one project, so that point
// totals cannot overflow.
const maxPoints = 1_000_000_000

// profile is an election compiled for counting: identical ballots are
// merged into weighted groups, and each project knows its supporters.
type profile struct {
	e      *Election
	m      int     // number of projects
	cost   []int64 // per project
	budget int64
	n      int64   // number of ballots (sum of group weights)
	groups []group // distinct ballots
	// supp[p] lists the groups whose ballot lists project p.
	supp [][]int32
	// votes[p] is the number of ballots listing p; points[p] the sum of
	// their points (an approval counts as one point).
	votes, points []int64
	idRank        []int // lexicographic tie-break ranks, computed once
	// excl[p] is the index in e.Exclusive of p's exclusion group, -1 when
	// p is in none.
	excl []int
}

// group is a set of identical ballots.
type group struct {
	projects []int32 // ascending
	points   []int64 // parallel to projects (Points elections)
	weight   int64   // number of ballots
}

// pointsOf returns the points group g gives project p: 0 if unlisted, 1
// if listed on a ballot without points (an approval counts as one point).
func (g *group) pointsOf(p int32) int64 {
	i, ok := slices.BinarySearch(g.projects, p)
	switch {
	case !ok:
		return 0
	case g.points == nil:
		return 1
	}
	return g.points[i]
}

// prepare validates e and compiles it.
func prepare(e *Election) (*profile, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	m := len(e.Projects)
	pr := &profile{e: e, m: m, budget: e.Budget, n: int64(len(e.Ballots))}
	pr.cost = make([]int64, m)
	for i, p := range e.Projects {
		pr.cost[i] = p.Cost
	}
	// Merge identical ballots: key = sorted project indices and points.
	index := make(map[string]int, len(e.Ballots)/4+1)
	var key []byte
	type pp struct {
		p  int32
		pt int64
	}
	var tmp []pp
	for _, b := range e.Ballots {
		tmp = tmp[:0]
		for j, p := range b.Projects {
			var pt int64
			if e.Points {
				pt = b.Points[j]
			}
			tmp = append(tmp, pp{int32(p), pt})
		}
		slices.SortFunc(tmp, func(a, b pp) int { return int(a.p) - int(b.p) })
		key = key[:0]
		for _, x := range tmp {
			key = binary.AppendUvarint(key, uint64(x.p))
			if e.Points {
				key = binary.AppendUvarint(key, uint64(x.pt))
			}
		}
		if gi, ok := index[string(key)]; ok {
			pr.groups[gi].weight++
			continue
		}
		k := string(key)
		g := group{weight: 1, projects: make([]int32, len(tmp))}
		if e.Points {
			g.points = make([]int64, len(tmp))
		}
		for j, x := range tmp {
			g.projects[j] = x.p
			if e.Points {
				g.points[j] = x.pt
			}
		}
		index[k] = len(pr.groups)
		pr.groups = append(pr.groups, g)
	}
	pr.excl = make([]int, m)
	for p := range pr.excl {
		pr.excl[p] = -1
	}
	for gi, g := range e.Exclusive {
		for _, p := range g {
			pr.excl[p] = gi
		}
	}
	pr.supp = make([][]int32, m)
	pr.votes = make([]int64, m)
	pr.points = make([]int64, m)
	for gi, g := range pr.groups {
		for j, p := range g.projects {
			pr.supp[p] = append(pr.supp[p], int32(gi))
			pr.votes[p] += g.weight
			if g.points != nil {
				pr.points[p] += g.weight * g.points[j]
			} else {
				pr.points[p] += g.weight
			}
		}
	}
	return pr, nil
}
