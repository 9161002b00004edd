package ballot

import "slices"

// The numeric limits of a manifest (docs/record.md §5, "Limits"). They keep
// every number a verifier forms from a round (sums of costs, a project's
// total points, spent) a Decimal (§1) and within what package tally counts
// exactly. The manifest check enforces them, so the server cannot sign a
// manifest outside them and a verifier refuses one.
const (
	// MaxAmount bounds a budget, a project's cost and an approval-cost
	// limit: 10^15 − 1, the amount limit of a fund (§14.1).
	MaxAmount int64 = 999_999_999_999_999
	// MaxProjects bounds the projects of a manifest, so that the sum of all
	// costs stays below 10^18.
	MaxProjects = 1000
	// MaxPoints bounds a cumulative ballot's total (and so its cap).
	MaxPoints int64 = 1_000_000
	// MaxRollKeys bounds the keys of a roll, so that a project's total
	// points over all counted ballots (at most MaxRollKeys × MaxPoints =
	// 10^13) stays a Decimal.
	MaxRollKeys = 10_000_000
	// MaxMinimum bounds a manifest's minimum of votes: the most votes a
	// project can have (MaxRollKeys × MaxPoints = 10^13).
	MaxMinimum int64 = MaxRollKeys * MaxPoints
)

// The counting rules a manifest may name, by ballot kind (docs/record.md
// §11, docs/counting.md §5): every rule that counts supporters for both
// approval kinds, every rule that counts points for cumulative ballots.
// greedy-threshold is not among them: a manifest carries no threshold.
var manifestRules = map[Kind][]string{
	KindApproval: {"greedy", "greedy-no-skip", "greedy-per-cost", "equalshares", "equalshares-unit",
		"equalshares/add1", "equalshares/add1u", "equalshares/add1-comparison", "phragmen"},
	KindCumulative: {"greedy-points", "greedy-points-per-cost", "equalshares-points"},
}

func init() { manifestRules[KindApprovalCost] = manifestRules[KindApproval] }

// ManifestRules returns the counting rules a manifest with ballots of kind
// may name (docs/record.md §11), in the order of the table there; nil for
// an unknown kind.
func ManifestRules(kind Kind) []string { return slices.Clone(manifestRules[kind]) }

// RuleFits reports whether a manifest whose ballots are of kind may name
// rule: the table of docs/record.md §11. It is the one place that table
// lives; the manifest check applies it, the server's settings check and
// package tally ask it.
func RuleFits(rule string, kind Kind) bool { return slices.Contains(manifestRules[kind], rule) }

// ValidRuleName reports whether s has the syntax of a rule name (§5): 1 to
// 64 bytes of lower-case ASCII letters, digits, '-' and '/', starting with
// a letter or digit and not ending with '-' or '/'. Only the names of
// [ManifestRules] are valid in a manifest.
func ValidRuleName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '/') && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}
