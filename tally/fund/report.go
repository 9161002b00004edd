package fund

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// jsonReport adds the verdict and the tree to the JSON form.
type jsonReport struct {
	OK           bool   `json:"ok"`
	FirstFailure string `json:"first_failure,omitempty"`
	TreeSize     int64  `json:"tree_size"`
	TreeRoot     string `json:"tree_root"`
	*Report
	Rounds []jsonRound `json:"rounds"`
}

// jsonRound is a round with its record's first failing check.
type jsonRound struct {
	RoundReport
	RecordFirstFailure string `json:"record_first_failure,omitempty"`
}

// JSON returns the machine-readable report, indented, ending in LF: the
// fields of [Report] with "ok", "first_failure", "tree_size" and
// "tree_root"; each round with "record_first_failure" when its record was
// verified and failed.
func (r *Report) JSON() ([]byte, error) {
	j := jsonReport{OK: r.OK(), FirstFailure: r.FirstFailure(), TreeSize: r.Tree.Size,
		TreeRoot: canon.EncodeB64(r.Tree.Root[:]), Report: r, Rounds: []jsonRound{}}
	for _, rr := range r.Rounds {
		jr := jsonRound{RoundReport: rr}
		if rr.Record != nil {
			jr.RecordFirstFailure = rr.Record.FirstFailure()
		}
		j.Rounds = append(j.Rounds, jr)
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteText writes the human-readable report: the fund, each check with
// its failures, the tranches (per community: carry-in, allocated,
// reserved, spent and what is left, carried over; projections marked
// "*"), the rounds, fork proofs and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fund := r.Fund
	if fund == "" {
		fund = "(unknown)"
	}
	fmt.Fprintf(&b, "fund %s", fund)
	if r.Name != "" {
		fmt.Fprintf(&b, " (%s)", r.Name)
	}
	b.WriteString("\n")
	if r.Unit != "" {
		fmt.Fprintf(&b, "unit %s, formula %s\n", r.Unit, r.Formula)
	}
	fmt.Fprintf(&b, "ledger %d leaves, tree %s\n", r.Tree.Size, canon.EncodeB64(r.Tree.Root[:]))
	if r.ChainHead != "" {
		fmt.Fprintf(&b, "result chain head %s\n", r.ChainHead)
	}
	ledger.WriteChecks(&b, r.Checks)
	if len(r.Tranches) > 0 {
		b.WriteString("\ntranches (* a projection, not fixed yet):\n")
	}
	for _, t := range r.Tranches {
		state := "open"
		switch {
		case t.Closed:
			state = "closed"
		case !t.Opened:
			state = "not opened"
		}
		fmt.Fprintf(&b, "  tranche %d: %d, %s\n", t.Year, t.Amount, state)
		fmt.Fprintf(&b, "    %-24s %13s %13s %13s %13s %13s\n", "community", "carry-in", "allocated", "reserved", "spent", "carried over")
		for _, a := range t.Accounts {
			fmt.Fprintf(&b, "    %-24s %13s %13s %13s %13s %13s\n", a.Community,
				mark(a.CarryIn, !t.CarryInFixed), mark(a.Allocated, !t.Opened), mark(a.Reserved, false),
				mark(a.Spent, false), mark(a.Left, !t.Closed))
		}
		if t.Returned != 0 {
			fmt.Fprintf(&b, "    returned to the municipality (carry-in of former members): %s\n", mark(t.Returned, !t.CarryInFixed))
		}
	}
	if len(r.Rounds) > 0 {
		b.WriteString("\nrounds:\n")
		fmt.Fprintf(&b, "  %-24s %-20s %7s %13s %13s  %-10s %s\n", "round", "community", "tranche", "budget", "spent", "status", "verdict")
	}
	for _, rr := range r.Rounds {
		spent := "-"
		if rr.Status == RoundPublished {
			spent = fmt.Sprint(rr.Spent)
		}
		verdict := rr.Verdict
		if verdict == "" {
			verdict = "-"
		}
		fmt.Fprintf(&b, "  %-24s %-20s %7d %13d %13s  %-10s %s\n", rr.Round, rr.Community, rr.Tranche, rr.Budget, spent, rr.Status, verdict)
	}
	for _, f := range r.Forks {
		fmt.Fprintf(&b, "\nFORK PROOF (%s): the fund key signed this checkpoint:\n%s", f.Source, indent(f.Checkpoint))
		fmt.Fprintf(&b, "but the ledger's head is:\n%s", indent(f.Final))
		if len(f.Proof) > 0 {
			fmt.Fprintf(&b, "consistency proof from size %d to %d (the ledger's tree hash at %d is %s):\n", f.Size, f.RecordSize, f.Size, canon.EncodeB64(f.RecordRoot[:]))
			for _, h := range f.Proof {
				fmt.Fprintf(&b, "    %s\n", canon.EncodeB64(h[:]))
			}
		}
	}
	if r.OK() {
		b.WriteString("\nVERIFIED\n")
	} else {
		fmt.Fprintf(&b, "\nNOT VERIFIED: first failing check: %s\n", r.FirstFailure())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mark formats an amount, with "*" when it is a projection.
func mark(n int64, projection bool) string {
	if projection {
		return fmt.Sprintf("%d*", n)
	}
	return fmt.Sprintf("%d ", n)
}

// indent prefixes every line of s with four spaces.
func indent(s string) string {
	if s == "" {
		return "    (none)\n"
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
