package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Result is the body of a result note (docs/record.md §9), signed by the
// council. A recount is a new Result whose Prev is the hash of the note it
// supersedes.
type Result struct {
	Round      string
	Fund       string
	Prev       [32]byte   // hash of the previous note in the fund's chain; zero for the first
	Manifest   [32]byte   // the manifest hash
	Checkpoint Checkpoint // the final checkpoint's size and root (Origin is not part of the note)
	Rule       string
	Tiebreak   string
	Budget     int64
	Ballots    int64 // counted ballots
	Spent      int64
	Projects   []ResultProject // one per manifest project, in manifest order
}

// A ResultProject is one project line of a result note.
type ResultProject struct {
	ID     string `json:"id"`
	Votes  int64  `json:"votes"` // approvals, or total points for cumulative ballots
	Funded bool   `json:"funded"`
	Amount int64  `json:"amount"` // the cost when funded, else 0
}

// Body returns the canonical body of the result note.
func (r *Result) Body() []byte {
	var b bytes.Buffer
	b.WriteString(resultHeader + "\n")
	b.WriteString("round " + r.Round + "\n")
	b.WriteString("fund " + r.Fund + "\n")
	b.WriteString("prev " + canon.EncodeB64(r.Prev[:]) + "\n")
	b.WriteString("manifest " + canon.EncodeB64(r.Manifest[:]) + "\n")
	b.WriteString("checkpoint " + canon.FormatDecimal(r.Checkpoint.Size) + " " + canon.EncodeB64(r.Checkpoint.Root[:]) + "\n")
	b.WriteString("rule " + r.Rule + "\n")
	b.WriteString("tiebreak " + r.Tiebreak + "\n")
	b.WriteString("budget " + canon.FormatDecimal(r.Budget) + "\n")
	b.WriteString("ballots " + canon.FormatDecimal(r.Ballots) + "\n")
	b.WriteString("spent " + canon.FormatDecimal(r.Spent) + "\n")
	for _, p := range r.Projects {
		funded := "not-funded"
		if p.Funded {
			funded = "funded"
		}
		b.WriteString("project " + p.ID + " " + canon.FormatDecimal(p.Votes) + " " + funded + " " + canon.FormatDecimal(p.Amount) + "\n")
	}
	return b.Bytes()
}

// validate checks what the format requires of r on its own: identifiers,
// names and decimals in range, at least one project. Whether the values
// agree with the manifest is checked by Verify.
func (r *Result) validate() error {
	ok := ballot.ValidID(r.Round) && ballot.ValidID(r.Fund) && validToken(r.Rule) && validToken(r.Tiebreak) &&
		canon.ValidDecimal(r.Checkpoint.Size) && canon.ValidDecimal(r.Budget) && canon.ValidDecimal(r.Ballots) && canon.ValidDecimal(r.Spent) &&
		len(r.Projects) > 0
	for _, p := range r.Projects {
		ok = ok && ballot.ValidID(p.ID) && canon.ValidDecimal(p.Votes) && canon.ValidDecimal(p.Amount)
	}
	if !ok {
		return fmt.Errorf("result: invalid field")
	}
	return nil
}

// ParseResult parses a result note body strictly (re-encoding gives body).
// It checks the syntax only; [Verify] checks the values against the
// manifest and the record. Errors are [*ParseError] values.
func ParseResult(body []byte) (*Result, error) {
	p := newLineParser("result", body)
	r := &Result{}
	p.exact(resultHeader)
	r.Round = p.id(p.line()+1, p.fields("round", 1)[0], "round")
	r.Fund = p.id(p.line()+1, p.fields("fund", 1)[0], "fund")
	r.Prev = p.hash(p.line()+1, p.fields("prev", 1)[0], "prev")
	r.Manifest = p.hash(p.line()+1, p.fields("manifest", 1)[0], "manifest")
	cp := p.fields("checkpoint", 2)
	r.Checkpoint.Size = p.decimal(p.line(), cp[0], "checkpoint size")
	r.Checkpoint.Root = p.hash(p.line(), cp[1], "checkpoint root")
	r.Rule = p.fields("rule", 1)[0]
	if p.err == nil && !validToken(r.Rule) {
		p.fail(p.line(), "rule: invalid name")
	}
	r.Tiebreak = p.fields("tiebreak", 1)[0]
	if p.err == nil && !validToken(r.Tiebreak) {
		p.fail(p.line(), "tiebreak: invalid name")
	}
	r.Budget = p.decimal(p.line()+1, p.fields("budget", 1)[0], "budget")
	r.Ballots = p.decimal(p.line()+1, p.fields("ballots", 1)[0], "ballots")
	r.Spent = p.decimal(p.line()+1, p.fields("spent", 1)[0], "spent")
	for p.more() {
		f := p.fields("project", 4)
		if p.err != nil {
			break
		}
		line := p.line()
		var rp ResultProject
		rp.ID = p.id(line, f[0], "project id")
		rp.Votes = p.decimal(line, f[1], "votes")
		switch f[2] {
		case "funded":
			rp.Funded = true
		case "not-funded":
		default:
			p.fail(line, "want funded or not-funded")
		}
		rp.Amount = p.decimal(line, f[3], "amount")
		r.Projects = append(r.Projects, rp)
	}
	if p.err == nil && len(r.Projects) == 0 {
		p.fail(0, "no project lines")
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	return r, nil
}

// SignResult returns the result note signed by the council.
func SignResult(r *Result, council note.Signer) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	msg, err := signNote(r.Body(), council)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return msg, nil
}

// OpenResult parses a result note strictly and verifies the council's
// signature. Errors wrap [ErrNotCanonical], [ErrBadSignature] or
// [ErrNotSigned].
func OpenResult(msg []byte, council note.Verifier) (*Result, error) {
	body, err := openNoteBy(msg, council)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return ParseResult(body)
}

// ReadResult reads a result note of a round as a verifier does: it
// verifies the council's signature, parses the body strictly and checks
// that the note belongs to the round (docs/record.md §9): round, fund and
// manifest hash (mh) are the manifest's, so are rule, tie-break and budget;
// one project line per manifest project in manifest order, each amount the
// project's cost when funded and 0 otherwise, spent their sum and at most
// the budget. It does not check prev or that the checkpoint line names the
// round's final checkpoint: those need the record ([Verify], check
// results). Errors wrap [ErrNotCanonical], [ErrBadSignature] or
// [ErrNotSigned] for a note that does not open, and [ErrMismatch] for one
// that disagrees with the manifest.
func ReadResult(msg []byte, council note.Verifier, m *ballot.Manifest, mh [32]byte) (*Result, error) {
	r, err := OpenResult(msg, council)
	if err != nil {
		return nil, err
	}
	if ps := r.problems(m, mh); len(ps) > 0 {
		return nil, fmt.Errorf("result: %w: %s", ErrMismatch, strings.Join(ps, "; "))
	}
	return r, nil
}

// problems returns what is wrong with r as the result of the round of
// manifest m with hash mh (all of ReadResult's checks), one message each.
func (r *Result) problems(m *ballot.Manifest, mh [32]byte) []string {
	var out []string
	bad := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }
	if r.Round != m.Round {
		bad("round %q, want %q", r.Round, m.Round)
	}
	if r.Fund != m.Fund {
		bad("fund %q, want %q", r.Fund, m.Fund)
	}
	if r.Manifest != mh {
		bad("names another manifest")
	}
	if r.Rule != m.Rule {
		bad("rule %q, manifest says %q", r.Rule, m.Rule)
	}
	if r.Tiebreak != m.Tiebreak {
		bad("tiebreak %q, manifest says %q", r.Tiebreak, m.Tiebreak)
	}
	if r.Budget != m.Budget {
		bad("budget %d, manifest says %d", r.Budget, m.Budget)
	}
	if len(r.Projects) != len(m.Projects) {
		bad("%d project lines, manifest has %d projects", len(r.Projects), len(m.Projects))
		return out
	}
	var sum int64
	for j, p := range r.Projects {
		mp := m.Projects[j]
		if p.ID != mp.ID {
			bad("project line %d is %q, manifest has %q", j+1, p.ID, mp.ID)
			continue
		}
		want := int64(0)
		if p.Funded {
			want = mp.Cost
		}
		if p.Amount != want {
			bad("project %s: amount %d, want %d", p.ID, p.Amount, want)
		}
		sum += p.Amount // at most 18 digits each, and at most len(projects) lines
	}
	if sum != r.Spent {
		bad("spent %d, the amounts add up to %d", r.Spent, sum)
	}
	if r.Spent > r.Budget {
		bad("spent %d is more than the budget %d", r.Spent, r.Budget)
	}
	return out
}

// NoteHash returns the hash of a note as used by a result's prev field:
// SHA-256 of all the note's bytes.
func NoteHash(msg []byte) [32]byte { return sha256.Sum256(msg) }
