package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hedensted-pb/pb/tally"
)

const countUsage = `usage: pbverify count FILE.pb [-rule RULE] [-tiebreak ORDER] [-seed SEED] [-minimum N] [-exclusive "ID ID ..."]... [-json]

Counts a pabulib .pb file (https://pabulib.org/format) with a counting rule
and prints the funded projects, the amount spent, and why each project was or
was not funded. The rules and tie-breaking orders are defined in
docs/counting.md; on Pabulib's files they reproduce pabutools 1.2.3.

Rules: %s.
Tie-breaking orders: lexicographic (project IDs in byte order, pabutools'
default) and min-cost,max-votes,lot (the platform default; its lot is drawn
from SEED, 32 bytes in hex or base64, zero by default).

-minimum and -exclusive add a round's counting options (docs/counting.md
§2.8), which a .pb file cannot carry: the least votes (points for a points
rule) a project needs to be funded, and a group of project IDs of which at
most one is funded (repeatable), as in the manifest's minimum and exclusive
lines.

With -json it prints one JSON object: "selected" is the array of funded
project IDs in byte order; "spent" and "budget" are exact decimals.

Exit status: 0 counted, 2 usage, I/O or file format error.

flags (one or two dashes):
`

// cmdCount implements "pbverify count".
func cmdCount(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("count", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, countUsage, strings.Join(tally.Rules(), ", "))
		fl.PrintDefaults()
	}
	rule := fl.String("rule", "", "counting `RULE` (default: the file's META rule, if it is one of ours)")
	order := fl.String("tiebreak", tally.TieLexicographic, "tie-breaking `ORDER`")
	seedText := fl.String("seed", "", "lot `SEED` for min-cost,max-votes,lot: 32 bytes, hex or base64")
	asJSON := fl.Bool("json", false, "print one JSON object")
	minimum := fl.Int64("minimum", 0, "the least votes (points for a points rule) a project needs to be funded, `N`")
	var groups listFlag
	fl.Var(&groups, "exclusive", "a group of project IDs, \"`ID ID ...`\", of which at most one is funded; repeatable")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "count", "want exactly one FILE.pb, got %d arguments", len(pos))
	}
	var seed [32]byte
	if *seedText != "" {
		b, err := decodeSeed(*seedText)
		if err != nil {
			return usageError(stderr, "count", "-seed: %v", err)
		}
		seed = b
	}
	tb, err := tally.NewTieBreak(*order, seed)
	if err != nil {
		return usageError(stderr, "count", "-tiebreak: %v", err)
	}

	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	pb, err := tally.ReadPB(f)
	f.Close()
	if err != nil {
		errorf(stderr, "%s: %v", path, err)
		return exitUsage
	}
	e, err := pb.Election()
	if err != nil {
		errorf(stderr, "%s: %v", path, err)
		return exitUsage
	}
	if *minimum < 0 {
		return usageError(stderr, "count", "-minimum must not be negative")
	}
	e.Minimum = *minimum
	index := map[string]int{}
	for i, p := range e.Projects {
		index[p.ID] = i
	}
	for _, g := range groups {
		var ig []int
		for _, id := range strings.FieldsFunc(g, func(r rune) bool { return r == ' ' || r == ',' }) {
			i, ok := index[id]
			if !ok {
				return usageError(stderr, "count", "-exclusive: the file has no project %q", id)
			}
			ig = append(ig, i)
		}
		e.Exclusive = append(e.Exclusive, ig)
	}
	if *rule == "" {
		meta, _ := pb.MetaValue("rule")
		if !slices.Contains(tally.Rules(), meta) {
			errorf(stderr, "no -rule given and the file's rule %q is not one of ours", meta)
			hintf(stderr, "choose one of: %s", strings.Join(tally.Rules(), ", "))
			return exitUsage
		}
		*rule = meta
	}
	if !slices.Contains(tally.Rules(), *rule) {
		errorf(stderr, "unknown rule %q", *rule)
		hintf(stderr, "choose one of: %s", strings.Join(tally.Rules(), ", "))
		return exitUsage
	}
	o, err := tally.Count(e, *rule, tb)
	if err != nil {
		errorf(stderr, "%s: %v", path, err)
		return exitUsage
	}
	if *asJSON {
		return printCountJSON(stdout, stderr, path, e, o, *seedText != "", seed)
	}
	printCountText(stdout, path, e, o)
	return exitOK
}

// decodeSeed reads 32 bytes given as hex or standard base64.
func decodeSeed(s string) ([32]byte, error) {
	var seed [32]byte
	b, err := hex.DecodeString(s)
	if err != nil {
		b, err = base64.StdEncoding.Strict().DecodeString(s)
	}
	if err != nil || len(b) != 32 {
		return seed, errors.New("want 32 bytes as 64 hex digits or 44 base64 characters")
	}
	copy(seed[:], b)
	return seed, nil
}

func printCountText(w io.Writer, path string, e *tally.Election, o *tally.Outcome) {
	amount := func(v int64) string { return tally.FormatAmount(v, e.Scale) }
	fmt.Fprintf(w, "file:      %s\n", path)
	fmt.Fprintf(w, "rule:      %s (tie-break %s)\n", o.Rule, o.TieBreak)
	if o.Minimum > 0 {
		fmt.Fprintf(w, "minimum:   %d\n", o.Minimum)
	}
	for _, g := range o.Exclusive {
		fmt.Fprintf(w, "exclusive: %s\n", strings.Join(g, " "))
	}
	fmt.Fprintf(w, "ballots:   %d, projects: %d\n", len(e.Ballots), len(e.Projects))
	fmt.Fprintf(w, "budget:    %s\n", amount(e.Budget))
	fmt.Fprintf(w, "spent:     %s\n", amount(o.Spent))
	fmt.Fprintf(w, "selected:  %s\n", strings.Join(o.Selected, " "))
	if o.Note != "" {
		fmt.Fprintf(w, "note:      %s\n", o.Note)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "project\tcost\tvotes\tfunded\twhy")
	for i, x := range o.Explanations {
		funded := "no"
		if x.Funded {
			funded = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", x.Project, amount(e.Projects[i].Cost), o.Votes[i], funded, x.Text)
	}
	tw.Flush()
}

// countJSON is the -json output of "pbverify count".
type countJSON struct {
	File     string        `json:"file"`
	Rule     string        `json:"rule"`
	TieBreak string        `json:"tiebreak"`
	Seed     string        `json:"seed,omitempty"`
	Budget   string        `json:"budget"`
	Spent    string        `json:"spent"`
	Ballots  int           `json:"ballots"`
	Selected []string      `json:"selected"`
	Order    []string      `json:"order"`
	PerVoter string        `json:"per_voter,omitempty"`
	Note     string        `json:"note,omitempty"`
	Projects []projectJSON `json:"projects"`
}

type projectJSON struct {
	ID          string      `json:"id"`
	Cost        string      `json:"cost"`
	Votes       int64       `json:"votes"`
	Funded      bool        `json:"funded"`
	Reason      string      `json:"reason"`
	Step        int         `json:"step,omitempty"`
	Explanation string      `json:"explanation"`
	Shares      *sharesJSON `json:"equal_shares,omitempty"`
}

// sharesJSON holds exact rationals as "a/b" strings ("a" when whole).
type sharesJSON struct {
	Supporters     int64  `json:"supporters"`
	Money          string `json:"money,omitempty"` // supporters' money left (not-funded projects)
	Price          string `json:"price,omitempty"`
	FullShare      string `json:"full_share,omitempty"`
	EffectiveVotes string `json:"effective_votes,omitempty"`
	Capped         int64  `json:"capped,omitempty"`
	CappedPaid     string `json:"capped_paid,omitempty"`
}

func ratString(r *big.Rat) string {
	if r == nil {
		return ""
	}
	return r.RatString()
}

func printCountJSON(stdout, stderr io.Writer, path string, e *tally.Election, o *tally.Outcome, withSeed bool, seed [32]byte) int {
	out := countJSON{
		File: path, Rule: o.Rule, TieBreak: o.TieBreak,
		Budget: tally.FormatAmount(e.Budget, e.Scale), Spent: tally.FormatAmount(o.Spent, e.Scale),
		Ballots: len(e.Ballots), Selected: o.Selected, Order: o.Order,
		PerVoter: ratString(o.PerVoter), Note: o.Note,
		Projects: make([]projectJSON, len(e.Projects)),
	}
	if withSeed {
		out.Seed = hex.EncodeToString(seed[:])
	}
	if out.Selected == nil {
		out.Selected = []string{}
		out.Order = []string{}
	}
	for i, x := range o.Explanations {
		p := projectJSON{ID: x.Project, Cost: tally.FormatAmount(e.Projects[i].Cost, e.Scale), Votes: o.Votes[i],
			Funded: x.Funded, Reason: string(x.Reason), Step: x.Step, Explanation: x.Text}
		if d := x.Shares; d != nil {
			p.Shares = &sharesJSON{Supporters: d.Supporters, Money: ratString(d.Money), Price: ratString(d.Price),
				FullShare: ratString(d.FullShare), EffectiveVotes: ratString(d.EffectiveVotes),
				Capped: d.Capped}
			if d.Capped > 0 {
				p.Shares.CappedPaid = ratString(d.CappedPaid)
			}
		}
		out.Projects[i] = p
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	return exitOK
}
