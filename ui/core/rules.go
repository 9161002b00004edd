package core

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
)

// DefaultCategories are Hedensted's four core tasks, the project
// categories a round gets unless it names others.
var DefaultCategories = []Category{
	{ID: "fritid-og-faellesskab", Name: "Fritid og fællesskab"},
	{ID: "laering", Name: "Læring"},
	{ID: "beskaeftigelse", Name: "Beskæftigelse"},
	{ID: "social-omsorg", Name: "Social omsorg"},
}

// Limits on what a round may hold.
const (
	MaxDescription = 4000            // bytes of a description
	MaxProjects    = 200             // projects on one ballot
	MaxCodes       = 20000           // server-made codes at one freeze
	MaxCost        = 999_999_999_999 // kroner of a budget, a cost or an estimate
	MaxCategories  = 50              // categories of a round
	// MaxProposals is how many proposals a round takes in all (residents'
	// ideas; a coordinator decides them in bulk if need be).
	MaxProposals = 500
	// MaxBallotsPerKey is how many ballots one key may cast in a round
	// under revote last; the last of them counts.
	MaxBallotsPerKey = 20
)

// CheckSettings validates the settings of a round that its manifest will
// carry: title, description, budget, ballot kind and limits (with
// [ballot.BallotSpec.Check], the check the manifest applies), rule for the
// ballot kind, tie-break, revote policy, the counting options (a minimum
// of votes, exclusion groups by themselves) and categories.
func CheckSettings(r *Round) error {
	if !ballot.ValidText(r.Title) {
		return Invalidf("title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if len(r.Description) > MaxDescription || !utf8.ValidString(r.Description) {
		return Invalidf("description must be valid UTF-8 of at most %d bytes", MaxDescription)
	}
	if r.Budget < 1 || r.Budget > MaxCost {
		return Invalidf("budget must be at least 1")
	}
	if err := r.Ballot.Check(); err != nil {
		switch r.Ballot.Kind {
		case ballot.KindApproval:
			return Invalidf("approval ballot needs 0 ≤ min ≤ max and max ≥ 1 (and no limit, total or cap)")
		case ballot.KindApprovalCost:
			return Invalidf("approval-cost ballot needs a limit ≥ 1 (and no min, max, total or cap)")
		case ballot.KindCumulative:
			return Invalidf("cumulative ballot needs 1 ≤ cap ≤ total (and no min, max or limit)")
		}
		return Invalidf("ballot kind must be %q, %q or %q", ballot.KindApproval, ballot.KindApprovalCost, ballot.KindCumulative)
	}
	if !tally.ValidRule(r.Rule, string(r.Ballot.Kind)) {
		return Invalidf("rule %q is not a counting rule for %s ballots (see docs/counting.md)", r.Rule, r.Ballot.Kind)
	}
	if r.Tiebreak != ballot.TiebreakDefault && r.Tiebreak != ballot.TiebreakLexicographic {
		return Invalidf("tiebreak must be %q or %q", ballot.TiebreakDefault, ballot.TiebreakLexicographic)
	}
	if r.Revote != ballot.RevoteNone && r.Revote != ballot.RevoteLast {
		return Invalidf("revote must be %q or %q", ballot.RevoteNone, ballot.RevoteLast)
	}
	if r.Minimum < 0 || r.Minimum > ballot.MaxMinimum {
		return Invalidf("the minimum of votes must be a whole number from 0 (none) to %d", ballot.MaxMinimum)
	}
	if err := checkExclusive(r.Exclusive); err != nil {
		return err
	}
	if len(r.Categories) == 0 || len(r.Categories) > MaxCategories {
		return Invalidf("a round needs 1 to %d categories", MaxCategories)
	}
	for i, c := range r.Categories {
		if !ballot.ValidID(c.ID) || !ballot.ValidText(c.Name) {
			return Invalidf("category %d needs an identifier and a name", i+1)
		}
		for _, d := range r.Categories[:i] {
			if d.ID == c.ID {
				return Invalidf("category %s appears twice", c.ID)
			}
		}
	}
	return nil
}

// checkExclusive checks exclusion groups by themselves: each of at least
// two project identifiers, no project twice; whether they are projects of
// the round is checked when they are set and at the freeze.
func checkExclusive(groups [][]string) error {
	if len(groups) > MaxProjects/2 {
		return Invalidf("at most %d exclusion groups", MaxProjects/2)
	}
	seen := map[string]bool{}
	for i, g := range groups {
		if len(g) < 2 {
			return Invalidf("exclusion group %d needs at least two projects", i+1)
		}
		for _, id := range g {
			if !ballot.ValidID(id) {
				return Invalidf("exclusion group %d: %q is not a project id", i+1, id)
			}
			if seen[id] {
				return Invalidf("project %s is in two exclusion groups (or twice in one)", id)
			}
			seen[id] = true
		}
	}
	return nil
}

// CanonExclusive returns groups as the manifest writes them
// (docs/record.md §5): each group's IDs in ascending order, the groups in
// ascending order of their first ID; nil for none.
func CanonExclusive(groups [][]string) [][]string {
	var out [][]string
	for _, g := range groups {
		g = slices.Clone(g)
		slices.Sort(g)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// ParseExclusive reads exclusion groups as the admin form takes them: one
// group per line, its project IDs separated by spaces or commas; blank
// lines are skipped. The groups are checked as [CheckSettings] does and
// returned canonical ([CanonExclusive]); nil for none.
func ParseExclusive(text string) ([][]string, error) {
	var groups [][]string
	for _, line := range strings.Split(text, "\n") {
		ids := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\r' })
		if len(ids) == 0 {
			continue
		}
		groups = append(groups, ids)
	}
	if err := checkExclusive(groups); err != nil {
		return nil, err
	}
	return CanonExclusive(groups), nil
}

// FormatExclusive writes groups as [ParseExclusive] reads them.
func FormatExclusive(groups [][]string) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(strings.Join(g, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// HasCategory reports whether id is one of r's categories.
func (r *Round) HasCategory(id string) bool {
	for _, c := range r.Categories {
		if c.ID == id {
			return true
		}
	}
	return false
}

// CheckProject validates a project on r's ballot by itself (identifier,
// title, cost, category, description); uniqueness and the number of
// projects are the service's to check against the store.
func CheckProject(r *Round, p Project) error {
	if !ballot.ValidID(p.ID) {
		return Invalidf("project id %q is not an identifier (a-z, 0-9, hyphens)", p.ID)
	}
	if !ballot.ValidText(p.Title) {
		return Invalidf("project title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if p.Cost < 1 || p.Cost > MaxCost {
		return Invalidf("project cost must be a positive whole number of kroner")
	}
	if !r.HasCategory(p.Category) {
		return Invalidf("category %q is not one of the round's categories", p.Category)
	}
	if len(p.Description) > MaxDescription || !utf8.ValidString(p.Description) {
		return Invalidf("description must be valid UTF-8 of at most %d bytes", MaxDescription)
	}
	return nil
}

// CheckProposal validates a resident's idea by itself (title, description,
// estimated cost); the category is checked against the round.
func CheckProposal(r *Round, p Proposal) error {
	if !ballot.ValidText(p.Title) {
		return Invalidf("title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if p.Description == "" || len(p.Description) > MaxDescription || !utf8.ValidString(p.Description) {
		return Invalidf("description must be 1 to %d bytes of text", MaxDescription)
	}
	if p.EstimatedCost < 1 || p.EstimatedCost > MaxCost {
		return Invalidf("estimated cost must be a positive whole number of kroner")
	}
	if r != nil && !r.HasCategory(p.Category) {
		return Invalidf("category %q is not one of the round's categories", p.Category)
	}
	return nil
}

// TurnoutBase is the number of slips a round's turnout is measured
// against: the slips handed out as the coordinator recorded them, by
// default every slip but the reserve ones.
func (r *Round) TurnoutBase() int {
	if r.HandedOut > 0 {
		return r.HandedOut
	}
	return r.RollCount - r.RollReserve
}

// Turnout is the one definition of a round's turnout, used by the
// projector, the results page and the minutes: the slips voted with (the
// counted ballots, one per slip) as a whole percentage of the slips handed
// out (base, [Round.TurnoutBase]), rounded down and at most 100. ok is
// false when no slip was handed out.
func Turnout(ballots int64, base int) (pct int64, ok bool) {
	if base <= 0 {
		return 0, false
	}
	return min(max(ballots, 0), int64(base)) * 100 / int64(base), true
}

// Identity is the account acting on the platform (nil for the scheduler
// and for residents).
type Identity struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Community string `json:"community,omitempty"`
}

// IsAdmin reports whether the account is a municipality administrator.
func (id *Identity) IsAdmin() bool { return id != nil && id.Role == RoleAdmin }

// CanManage reports whether the account may manage a community's rounds:
// administrators manage all, coordinators only their own.
func (id *Identity) CanManage(community string) bool {
	return id != nil && (id.Role == RoleAdmin || id.Role == RoleCoordinator && id.Community == community)
}

// ActorName is the name the action log records for id: the account, or
// "scheduler" for nil.
func ActorName(id *Identity) string {
	if id == nil {
		return "scheduler"
	}
	return id.Name
}
