package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Status is the outcome of one check.
type Status string

// Check statuses. A check is skipped only when something it needs failed
// in an earlier check.
const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// maxMessages bounds the failure messages kept per check; the rest are
// counted in Check.Omitted.
const maxMessages = 20

// A Check is the outcome of one named check of docs/record.md §10.3.
type Check struct {
	Name     string   `json:"name"`
	Status   Status   `json:"status"`
	Messages []string `json:"messages,omitempty"` // failures, or why it was skipped
	Omitted  int      `json:"omitted,omitempty"`  // failure messages left out
	Notes    []string `json:"notes,omitempty"`    // remarks that are not failures
}

func (c *Check) fail(msg string) {
	c.Status = StatusFail
	if len(c.Messages) < maxMessages {
		c.Messages = append(c.Messages, msg)
	} else {
		c.Omitted++
	}
}

func (c *Check) skip(why string) {
	if c.Status == "" {
		c.Status = StatusSkip
		c.Messages = []string{why}
	}
}

func (c *Check) pass() {
	if c.Status == "" {
		c.Status = StatusPass
	}
}

func (c *Check) passUnlessFailed() { c.pass() }

func (c *Check) addNote(msg string) { c.Notes = append(c.Notes, msg) }

// Counts are the numbers of a verified record.
type Counts struct {
	Leaves     int64 `json:"leaves"`     // all leaves, manifest and close included
	Ballots    int64 `json:"ballots"`    // ballot leaves
	Counted    int64 `json:"counted"`    // ballots counted
	Superseded int64 `json:"superseded"` // replaced by a later ballot of the same key (revote last)
	Voided     int64 `json:"voided"`     // cancelled by a void leaf
	Invalid    int64 `json:"invalid"`    // failing a check
	Voids      int64 `json:"voids"`      // void leaves
	Roll       int64 `json:"roll"`       // keys in the roll
}

// OfRoll returns the counted ballots as a percentage of the roll (every
// slip printed, reserve slips included), or 0 for an empty roll. It is not
// the turnout the platform's pages state, which is of the slips handed
// out at the meeting (core.Turnout): the record does not hold that number.
func (c Counts) OfRoll() float64 {
	if c.Roll == 0 {
		return 0
	}
	return 100 * float64(c.Counted) / float64(c.Roll)
}

// A ProjectTally is one project's recount: votes from the counted ballots,
// funding as stated by the last result note.
type ProjectTally struct {
	ID     string `json:"id"`
	Title  string `json:"title,omitempty"` // the manifest's title
	Cost   int64  `json:"cost"`
	Votes  int64  `json:"votes"`
	Funded bool   `json:"funded"`
	Amount int64  `json:"amount"`
}

// A ForkProof shows that the log signed a checkpoint the record does not
// extend: the checkpoint note, the record's final checkpoint note, and the
// consistency proof from the record's tree of size RecordSize to Size
// (when 1 ≤ Size ≤ RecordSize), under which the record's tree hash at Size
// is RecordRoot, not the checkpoint's root.
type ForkProof struct {
	Source     string      `json:"source"`
	Checkpoint string      `json:"checkpoint"`
	Final      string      `json:"final"`
	Size       int64       `json:"size"`
	RecordSize int64       `json:"record_size"`
	RecordRoot tlog.Hash   `json:"record_root"`
	Proof      []tlog.Hash `json:"proof"`
}

// A ReceiptReport is the outcome for one receipt given to [Verify].
type ReceiptReport struct {
	Source     string `json:"source"`
	Index      int64  `json:"index"`
	Tracker    string `json:"tracker,omitempty"`
	Checkpoint int64  `json:"checkpoint_size"`
	Included   bool   `json:"included"`         // the record holds the receipt's ballot at Index
	Status     string `json:"status,omitempty"` // counted, superseded, voided or invalid
	Problem    string `json:"problem,omitempty"`
}

// A Report is the outcome of [Verify].
type Report struct {
	Round        string          `json:"round,omitempty"`
	Fingerprint  string          `json:"fingerprint,omitempty"`   // of leaf 0, XXXX-XXXX-XXXX-XXXX
	ManifestHash string          `json:"manifest_hash,omitempty"` // b64
	Tree         Checkpoint      `json:"-"`
	Checks       []Check         `json:"checks"`
	Counts       Counts          `json:"counts"`
	Projects     []ProjectTally  `json:"projects,omitempty"`
	Budget       int64           `json:"budget,omitempty"`
	Spent        int64           `json:"spent,omitempty"`
	ForkProofs   []ForkProof     `json:"fork_proofs,omitempty"`
	Receipts     []ReceiptReport `json:"receipts,omitempty"`
}

// newReport returns an empty report with the checks that opts call for:
// those of [CheckNames], then the optional ones whose inputs are given.
func newReport(opts VerifyOptions) *Report {
	names := CheckNames()
	if opts.Attendance > 0 {
		names = append(names, CheckAttendance)
	}
	if opts.Unused != nil {
		names = append(names, CheckUnused)
	}
	r := &Report{}
	for _, n := range names {
		r.Checks = append(r.Checks, Check{Name: n})
	}
	return r
}

// Check returns the check with the given name, or nil.
func (r *Report) Check(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status != StatusPass {
			return false
		}
	}
	return len(r.Checks) > 0
}

// FirstFailure returns the name of the first check that failed (or, if
// none failed, the first that did not pass), or "" when all passed.
func (r *Report) FirstFailure() string {
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			return c.Name
		}
	}
	for _, c := range r.Checks {
		if c.Status != StatusPass {
			return c.Name
		}
	}
	return ""
}

// jsonReport adds the verdict and tree to the JSON form.
type jsonReport struct {
	OK           bool    `json:"ok"`
	FirstFailure string  `json:"first_failure,omitempty"`
	TreeSize     int64   `json:"tree_size"`
	TreeRoot     string  `json:"tree_root"`
	OfRoll       float64 `json:"counted_of_roll_percent"`
	*Report
}

// JSON returns the machine-readable report, indented, ending in LF.
func (r *Report) JSON() ([]byte, error) {
	j := jsonReport{OK: r.OK(), FirstFailure: r.FirstFailure(), TreeSize: r.Tree.Size,
		TreeRoot: canon.EncodeB64(r.Tree.Root[:]), OfRoll: float64(int64(r.Counts.OfRoll()*10+0.5)) / 10, Report: r}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteChecks writes the "checks:" section of a text report: each check's
// name and status (ok, FAIL, skipped), its messages, how many more were
// left out, and its notes. The fund ledger's report uses it too.
func WriteChecks(b *strings.Builder, checks []Check) {
	b.WriteString("\nchecks:\n")
	for _, c := range checks {
		status := map[Status]string{StatusPass: "ok", StatusFail: "FAIL", StatusSkip: "skipped"}[c.Status]
		fmt.Fprintf(b, "  %-20s %s\n", c.Name, status)
		for _, m := range c.Messages {
			fmt.Fprintf(b, "      %s\n", m)
		}
		if c.Omitted > 0 {
			fmt.Fprintf(b, "      ... and %d more\n", c.Omitted)
		}
		for _, m := range c.Notes {
			fmt.Fprintf(b, "      note: %s\n", m)
		}
	}
}

// WriteText writes the human-readable report: each check with its
// failures, the counts, the per-project tally, fork proofs, receipts and
// the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	round := r.Round
	if round == "" {
		round = "(unknown)"
	}
	fmt.Fprintf(&b, "round %s\n", round)
	if r.Fingerprint != "" {
		fmt.Fprintf(&b, "manifest fingerprint %s\n", r.Fingerprint)
	}
	if r.Tree.Size > 0 {
		fmt.Fprintf(&b, "tree %d %s\n", r.Tree.Size, canon.EncodeB64(r.Tree.Root[:]))
	}
	WriteChecks(&b, r.Checks)
	n := r.Counts
	fmt.Fprintf(&b, "\ncounts: leaves %d, ballots %d, counted %d, superseded %d, voided %d, invalid %d, voids %d, roll %d (counted: %.1f%% of the roll)\n",
		n.Leaves, n.Ballots, n.Counted, n.Superseded, n.Voided, n.Invalid, n.Voids, n.Roll, n.OfRoll())
	b.WriteString("  (the turnout the pages state is of the slips handed out, which the record does not hold; --attendance N checks the count against a head count)\n")
	if len(r.Projects) > 0 {
		b.WriteString("\nprojects:\n")
		fmt.Fprintf(&b, "  %-24s %12s %12s  %-10s %12s  %s\n", "project", "cost", "votes", "funded", "amount", "title")
		for _, p := range r.Projects {
			fmt.Fprintf(&b, "  %-24s %12d %12d  %-10s %12d  %s\n", p.ID, p.Cost, p.Votes, fundedWord(p.Funded), p.Amount, p.Title)
		}
		fmt.Fprintf(&b, "  spent %d of %d\n", r.Spent, r.Budget)
	}
	for _, f := range r.ForkProofs {
		fmt.Fprintf(&b, "\nFORK PROOF (%s): the log signed this checkpoint:\n%s", f.Source, indent(f.Checkpoint))
		fmt.Fprintf(&b, "but the record's final checkpoint is:\n%s", indent(f.Final))
		if len(f.Proof) > 0 {
			fmt.Fprintf(&b, "consistency proof from size %d to %d (the record's tree hash at %d is %s):\n", f.Size, f.RecordSize, f.Size, canon.EncodeB64(f.RecordRoot[:]))
			for _, h := range f.Proof {
				fmt.Fprintf(&b, "    %s\n", canon.EncodeB64(h[:]))
			}
		}
	}
	for _, rc := range r.Receipts {
		if rc.Problem != "" {
			fmt.Fprintf(&b, "\nreceipt %s: FAIL: %s\n", rc.Source, rc.Problem)
			continue
		}
		fmt.Fprintf(&b, "\nreceipt %s: ok: tracker %s, leaf %d, ballot %s\n", rc.Source, rc.Tracker, rc.Index, rc.Status)
	}
	if r.OK() {
		b.WriteString("\nVERIFIED\n")
	} else {
		fmt.Fprintf(&b, "\nNOT VERIFIED: first failing check: %s\n", r.FirstFailure())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indent prefixes every line of s with four spaces.
func indent(s string) string {
	if s == "" {
		return "    (none)\n"
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// ReportReadError returns the report for a record whose files could not be
// parsed (err wraps a [*FileError]): the anchors check runs, the check
// owning the file fails with err, and the others are skipped. It returns
// nil when err is not a FileError, which callers treat as an I/O error.
func ReportReadError(err error, opts VerifyOptions) *Report {
	fe, ok := asFileError(err)
	if !ok {
		return nil
	}
	return readErrorReport(fe, opts)
}

// readErrorReport is the report of a record with a framing error: the
// anchors check, the check owning the file failed, every other skipped.
func readErrorReport(fe *FileError, opts VerifyOptions) *Report {
	v := newVerifier(opts)
	v.checkAnchors()
	owner := map[string]string{RollFile: CheckRoll, LeavesFile: CheckLeaves, CheckpointsFile: CheckCheckpoints, ResultsFile: CheckResults}[fe.Name]
	if owner == "" {
		owner = CheckLeaves
	}
	v.fail(owner, "%v", fe)
	for _, n := range CheckNames() {
		v.skip(n, "the record could not be read")
	}
	return v.rep
}

func asFileError(err error) (*FileError, bool) {
	var fe *FileError
	ok := errors.As(err, &fe)
	return fe, ok
}
