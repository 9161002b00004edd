package fund

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// Verifying a fund ledger
//
// A fund's ledger is published like a round's record (docs/record.md
// §14.5): leaves.txt (one leaf per entry: the whole signed note) and
// checkpoints.txt (the checkpoints the fund key signed, the last one the
// head). [VerifyLedger] runs the checks of §14.4 on it, in order, with
// the fund's anchors from the poster, and optionally every round's record
// (the rounds check). It does no I/O: the caller reads the files and
// passes a function that reads a round's record.

// The files of a fund ledger (docs/record.md §14.5), framed as a round
// record's (§10.1).
const (
	LeavesFile      = "leaves.txt"
	CheckpointsFile = "checkpoints.txt"
)

// Ledger is a fund's published ledger: every leaf (a signed fund entry or
// a round's result note) and every checkpoint note, as exact bytes.
type Ledger struct {
	Leaves      [][]byte // leaf i is the note of entry i
	Checkpoints [][]byte // checkpoint notes, sizes increasing; the last is the head
}

// ParseLedger builds a ledger from its files' contents; read returns the
// bytes of a named file ([LeavesFile], [CheckpointsFile]). I/O errors from
// read are returned wrapped; a file whose framing is malformed gives a
// [*ledger.FileError]. Only the framing is checked here; [VerifyLedger]
// checks the content.
func ParseLedger(read func(name string) ([]byte, error)) (*Ledger, error) {
	l := &Ledger{}
	for _, f := range []struct {
		name string
		dst  *[][]byte
	}{{LeavesFile, &l.Leaves}, {CheckpointsFile, &l.Checkpoints}} {
		b, err := read(f.name)
		if err != nil {
			return nil, fmt.Errorf("fund ledger: %w", err)
		}
		if *f.dst, err = ledger.ParseLines(f.name, b); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// File returns the bytes of one ledger file by name.
func (l *Ledger) File(name string) ([]byte, error) {
	switch name {
	case LeavesFile:
		return ledger.EncodeLines(l.Leaves), nil
	case CheckpointsFile:
		return ledger.EncodeLines(l.Checkpoints), nil
	}
	return nil, fmt.Errorf("fund ledger: no file %q", name)
}

// The names of the checks of a fund ledger (docs/record.md §14.4), in the
// order [VerifyLedger] runs them. The rounds check runs only when the
// rounds' records are given.
const (
	CheckAnchors     = "anchors"
	CheckCheckpoints = "checkpoints"
	CheckTree        = "tree"
	CheckEntries     = "entries"
	CheckRules       = "rules"
	CheckResults     = "results"
	CheckRounds      = "rounds"
)

// LedgerCheckNames returns the names of the checks that always run, in
// order.
func LedgerCheckNames() []string {
	return []string{CheckAnchors, CheckCheckpoints, CheckTree, CheckEntries, CheckRules, CheckResults}
}

// VerifyOptions are the inputs of [VerifyLedger] besides the ledger.
type VerifyOptions struct {
	// Anchors are the fund's trust anchors (the fund poster's
	// anchors.txt, never the ledger's directory). Nil fails the anchors
	// check, with AnchorsError when set.
	Anchors      *Anchors
	AnchorsError error
	// Checkpoints are fund checkpoint notes seen outside the ledger (a
	// watcher's copy, an earlier download); each must be consistent with
	// the ledger.
	Checkpoints []ledger.Source
	// Rounds, when non-nil, reads the record of a round the ledger
	// reserved, and the rounds check runs. It returns an error wrapping
	// fs.ErrNotExist when the round has no record published, a
	// [*ledger.FileError] for a malformed one (the round fails), or any
	// other error when the record could not be read. For a round with a
	// result in the ledger a missing record fails and another error is
	// also kept in [Report.ReadErrors]; for a round without one, any error
	// but a FileError means it has no public record yet (still voting).
	Rounds func(round string) (*ledger.Record, error)
	// Count recounts each round's record (ledger.VerifyOptions.Count).
	Count ledger.CountFunc
}

// Round states in a [RoundReport].
const (
	RoundReserved  = "reserved"  // frozen, no result in the ledger
	RoundPublished = "published" // its result is in the ledger
	RoundCancelled = "cancelled" // reserved, then released
)

// RoundReport is one round of the fund as the ledger has it and, with the
// rounds check, as its record verified.
type RoundReport struct {
	Round       string `json:"round"`
	Community   string `json:"community"`
	Tranche     int    `json:"tranche"`
	Budget      int64  `json:"budget"`
	Status      string `json:"status"`           // reserved, published or cancelled
	Spent       int64  `json:"spent"`            // when published
	Reservation int64  `json:"reservation_leaf"` // leaf index of its reservation
	ResultLeaf  int64  `json:"result_leaf"`      // leaf index of its result, or -1
	// Verdict is the rounds check's word on the round: "verified",
	// "not published", "cancelled" or "FAIL"; empty without the check.
	Verdict  string   `json:"verdict,omitempty"`
	Problems []string `json:"problems,omitempty"`
	// Record is the round record's own report (ledger.Verify), when it
	// was read and verified.
	Record *ledger.Report `json:"-"`
}

// AccountReport is one community's money in one tranche.
type AccountReport struct {
	Account
	Name string `json:"name,omitempty"`
}

// TrancheReport is one tranche of the fund as the ledger leaves it.
// Projections: the allocation until the tranche opens, the carry-in until
// the previous tranche closes, what is left (carried over) until it closes.
type TrancheReport struct {
	Year         int             `json:"year"`
	Amount       int64           `json:"amount"`
	Opened       bool            `json:"opened"`
	Closed       bool            `json:"closed"`
	CarryInFixed bool            `json:"carry_in_fixed"`
	Accounts     []AccountReport `json:"accounts"`
	Returned     int64           `json:"returned"` // carry-ins of former members, back to the municipality
}

// Report is the outcome of [VerifyLedger]: the checks, and the fund as
// far as the ledger could be replayed.
type Report struct {
	Fund      string             `json:"fund"`
	Name      string             `json:"name,omitempty"`
	Unit      string             `json:"unit,omitempty"`
	Formula   string             `json:"formula,omitempty"`
	Tree      ledger.Checkpoint  `json:"-"`
	Checks    []ledger.Check     `json:"checks"`
	Tranches  []TrancheReport    `json:"tranches,omitempty"`
	Rounds    []RoundReport      `json:"rounds,omitempty"`
	ChainHead string             `json:"chain_head,omitempty"` // b64 hash of the last result (or the first opening)
	Forks     []ledger.ForkProof `json:"fork_proofs,omitempty"`
	// ReadErrors are round records that could not be read (not missing,
	// not malformed): the verdict is incomplete.
	ReadErrors []string `json:"read_errors,omitempty"`
}

// Check returns the check with the given name, or nil.
func (r *Report) Check(name string) *ledger.Check {
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
		if c.Status != ledger.StatusPass {
			return false
		}
	}
	return len(r.Checks) > 0
}

// FirstFailure returns the name of the first check that failed (or, when
// none failed, the first that did not pass), or "" when all passed.
func (r *Report) FirstFailure() string {
	for _, c := range r.Checks {
		if c.Status == ledger.StatusFail {
			return c.Name
		}
	}
	for _, c := range r.Checks {
		if c.Status != ledger.StatusPass {
			return c.Name
		}
	}
	return ""
}

// maxMessages bounds the messages kept per check (as ledger's report).
const maxMessages = 20

// leafInfo is what the entries check learned about one leaf.
type leafInfo struct {
	entry  Entry          // a fund entry
	result *ledger.Result // a result note, parsed (its signature is checked by results)
	bad    bool           // failed the entries check
}

type verifier struct {
	l    *Ledger
	opts VerifyOptions
	rep  *Report

	fundV  note.Verifier
	origin string
	log    *ledger.Log
	n      int64
	head   []byte // the head checkpoint note
	infos  []leafInfo

	replay   Replay
	complete bool              // the replay reached the end without a failure
	rounds   map[string]int    // round → index in rep.Rounds (not cancelled)
	results  map[string][]byte // round → its result leaf
}

// VerifyLedger runs the checks of docs/record.md §14.4 on a fund ledger,
// in order, and returns the report:
//
//  1. anchors: the fund's anchors parse (a vkey named after the ledger);
//  2. checkpoints: every checkpoint of the ledger and every one given has
//     the fund's origin, the fund key's signature, a size at most the
//     ledger's and the ledger's tree hash at that size (otherwise a fork
//     proof); sizes in the ledger increase strictly;
//  3. tree: the tree of the leaves has the head's size and root;
//  4. entries: every leaf is a fund entry in canonical form signed by the
//     fund key, or a round's result note in canonical form, each of this
//     fund;
//  5. rules: the fund entries, replayed in order with [Replay.Apply], keep
//     the rules (allocations, headroom, cancellations, closings);
//  6. results: each result is signed by the council key of its round's
//     reservation, its prev is the hash of the previous result leaf (for
//     the first, of the fund's first opening), and [Replay.ApplyResult]
//     accepts it;
//  7. rounds (only with opts.Rounds): each reserved round with a result
//     has a record that verifies (ledger.Verify) under the anchors of its
//     reservation, whose manifest has the reservation's community, fund
//     and hash, and whose only result note is byte for byte the ledger's;
//     a reserved round without result has no result in its record.
//
// The replay (checks 5 and 6) stops at the first leaf that fails checks
// 4, 5 or 6: the checks that found nothing until then are reported as
// skipped. It never panics and never modifies l.
func VerifyLedger(l *Ledger, opts VerifyOptions) *Report {
	if l == nil {
		l = &Ledger{}
	}
	v := &verifier{l: l, opts: opts, rep: &Report{}, rounds: map[string]int{}, results: map[string][]byte{}}
	names := LedgerCheckNames()
	if opts.Rounds != nil {
		names = append(names, CheckRounds)
	}
	for _, n := range names {
		v.rep.Checks = append(v.rep.Checks, ledger.Check{Name: n})
	}
	v.checkAnchors()
	if v.fundV == nil {
		v.skipRest("the fund's anchors are unusable")
		return v.rep
	}
	v.buildTree()
	v.checkCheckpoints()
	v.checkTree()
	v.checkEntries()
	v.replayLedger()
	if opts.Rounds != nil {
		v.checkRounds()
	}
	v.fillTranches()
	return v.rep
}

func (v *verifier) check(name string) *ledger.Check { return v.rep.Check(name) }

func (v *verifier) fail(name, f string, a ...any) {
	c := v.check(name)
	c.Status = ledger.StatusFail
	if len(c.Messages) < maxMessages {
		c.Messages = append(c.Messages, fmt.Sprintf(f, a...))
	} else {
		c.Omitted++
	}
}

func (v *verifier) note(name, f string, a ...any) {
	c := v.check(name)
	c.Notes = append(c.Notes, fmt.Sprintf(f, a...))
}

func (v *verifier) skip(name, why string) {
	if c := v.check(name); c.Status == "" {
		c.Status, c.Messages = ledger.StatusSkip, []string{why}
	}
}

func (v *verifier) pass(name string) {
	if c := v.check(name); c.Status == "" {
		c.Status = ledger.StatusPass
	}
}

func (v *verifier) skipRest(why string) {
	for i := range v.rep.Checks {
		if v.rep.Checks[i].Status == "" {
			v.rep.Checks[i].Status, v.rep.Checks[i].Messages = ledger.StatusSkip, []string{why}
		}
	}
}

func (v *verifier) checkAnchors() {
	a := v.opts.Anchors
	switch {
	case v.opts.AnchorsError != nil:
		v.fail(CheckAnchors, "%v", v.opts.AnchorsError)
		return
	case a == nil:
		v.fail(CheckAnchors, "no fund anchors given")
		return
	}
	// The same rules as ParseAnchors, for anchors not read from a file.
	if _, err := ParseAnchors(a.Marshal()); err != nil {
		v.fail(CheckAnchors, "%v", err)
		return
	}
	fv, err := ledger.NewVerifier(a.FundKey)
	if err != nil {
		v.fail(CheckAnchors, "fund-key: %v", err)
		return
	}
	v.fundV, v.origin = fv, fv.Name()
	v.rep.Fund = a.Fund
	v.pass(CheckAnchors)
}

// buildTree appends the leaves to an in-memory log.
func (v *verifier) buildTree() {
	v.log = ledger.NewLog(&ledger.MemStorage{})
	if _, err := v.log.Append(v.l.Leaves); err != nil {
		// Only an empty leaf, which ParseLedger never gives.
		v.fail(CheckTree, "%v", err)
		v.log = nil
		return
	}
	v.n = int64(len(v.l.Leaves))
	root, _ := v.log.TreeHash(v.n)
	v.rep.Tree = ledger.Checkpoint{Origin: v.origin, Size: v.n, Root: root}
	if len(v.l.Checkpoints) > 0 {
		v.head = v.l.Checkpoints[len(v.l.Checkpoints)-1]
	}
}

// consistent checks an opened checkpoint against the ledger's tree, adding
// a fork proof when it disagrees.
func (v *verifier) consistent(source string, msg []byte, c ledger.Checkpoint) {
	if v.log == nil {
		return
	}
	if c.Size > v.n {
		v.fail(CheckCheckpoints, "%s: the fund key signed a tree of size %d, the ledger has only %d leaves", source, c.Size, v.n)
		v.addFork(source, msg, c)
		return
	}
	root, err := v.log.TreeHash(c.Size)
	if err != nil {
		v.fail(CheckCheckpoints, "%s: %v", source, err)
		return
	}
	if root != c.Root {
		v.fail(CheckCheckpoints, "%s: root at size %d is %s, the ledger's tree hash there is %s (fork)", source, c.Size, canon.EncodeB64(c.Root[:]), canon.EncodeB64(root[:]))
		v.addFork(source, msg, c)
	}
}

func (v *verifier) addFork(source string, msg []byte, c ledger.Checkpoint) {
	fp := ledger.ForkProof{Source: source, Checkpoint: string(msg), Final: string(v.head), Size: c.Size, RecordSize: v.n}
	if c.Size <= v.n {
		fp.RecordRoot, _ = v.log.TreeHash(c.Size)
		if c.Size >= 1 {
			if p, err := v.log.ProveConsistency(v.n, c.Size); err == nil {
				fp.Proof = p
			}
		}
	}
	v.rep.Forks = append(v.rep.Forks, fp)
}

func (v *verifier) checkCheckpoints() {
	const name = CheckCheckpoints
	if len(v.l.Checkpoints) == 0 {
		v.fail(name, "%s is empty: the ledger has no signed head", CheckpointsFile)
	}
	prev := int64(-1)
	for i, msg := range v.l.Checkpoints {
		src := fmt.Sprintf("%s line %d", CheckpointsFile, i+1)
		c, err := ledger.OpenCheckpoint(msg, v.origin, v.fundV)
		if err != nil {
			v.fail(name, "%s: %v", src, err)
			continue
		}
		if c.Size <= prev {
			v.fail(name, "%s: size %d does not increase (previous %d)", src, c.Size, prev)
		}
		prev = c.Size
		v.consistent(src, msg, c)
	}
	for _, s := range v.opts.Checkpoints {
		c, err := ledger.OpenCheckpoint(s.Bytes, v.origin, v.fundV)
		if err != nil {
			v.fail(name, "%s: %v", s.Name, err)
			continue
		}
		v.consistent(s.Name, s.Bytes, c)
	}
	v.pass(name)
}

func (v *verifier) checkTree() {
	const name = CheckTree
	if v.log == nil {
		return
	}
	if v.head == nil {
		v.fail(name, "no head checkpoint (%s is empty)", CheckpointsFile)
		return
	}
	c, err := ledger.ParseCheckpointNote(v.head)
	switch {
	case err != nil:
		v.fail(name, "head checkpoint: %v", err)
	case c.Size != v.n:
		v.fail(name, "the head checkpoint has size %d, the ledger has %d leaves", c.Size, v.n)
	case c.Root != v.rep.Tree.Root:
		v.fail(name, "the head checkpoint's root %s differs from the ledger's tree hash %s", canon.EncodeB64(c.Root[:]), canon.EncodeB64(v.rep.Tree.Root[:]))
	}
	v.pass(name)
}

// entryFund is the fund an entry names.
func entryFund(e Entry) string {
	switch e := e.(type) {
	case CharterEntry:
		return e.Fund
	case AmendmentEntry:
		return e.Fund
	case OpeningEntry:
		return e.Fund
	case ReservationEntry:
		return e.Fund
	case CancellationEntry:
		return e.Fund
	case ClosingEntry:
		return e.Fund
	}
	return ""
}

func (v *verifier) checkEntries() {
	const name = CheckEntries
	v.infos = make([]leafInfo, len(v.l.Leaves))
	if len(v.l.Leaves) == 0 {
		v.fail(name, "the ledger has no leaves (leaf 0 must be the charter)")
	}
	for i, leaf := range v.l.Leaves {
		info := &v.infos[i]
		bad := func(f string, a ...any) {
			info.bad = true
			v.fail(name, "leaf %d: %s", i, fmt.Sprintf(f, a...))
		}
		if IsEntry(leaf) {
			e, err := OpenEntry(leaf, v.fundV)
			if err != nil {
				bad("%v", err)
				continue
			}
			if f := entryFund(e); f != v.rep.Fund {
				bad("%s of fund %s, not %s", e.Kind(), f, v.rep.Fund)
				continue
			}
			info.entry = e
			continue
		}
		body, _, err := canon.SplitNote(leaf)
		if err != nil {
			bad("neither a fund entry nor a result note: %v", err)
			continue
		}
		if !bytes.HasPrefix(body, []byte("pb-result/v1\n")) {
			bad("neither a fund entry (%s) nor a result note (pb-result/v1)", EntryHeader)
			continue
		}
		r, err := ledger.ParseResult(body)
		if err != nil {
			bad("result note: %v", err)
			continue
		}
		if r.Fund != v.rep.Fund {
			bad("result of round %s of fund %s, not %s", r.Round, r.Fund, v.rep.Fund)
			continue
		}
		info.result = r
	}
	v.pass(name)
}

// replayLedger runs the rules and results checks: the leaves in order,
// each entry with Replay.Apply and each result with its signature, its
// place in the chain and Replay.ApplyResult, stopping at the first leaf
// that fails.
func (v *verifier) replayLedger() {
	var chain [32]byte // the hash the next result's prev must be
	started := false
	stop := func(i int, failed string) {
		why := fmt.Sprintf("the replay stopped at leaf %d, which failed %s", i, failed)
		v.skip(CheckRules, why)
		v.skip(CheckResults, why)
	}
	for i, leaf := range v.l.Leaves {
		info := v.infos[i]
		if info.bad {
			stop(i, CheckEntries)
			return
		}
		if info.entry != nil {
			if err := v.replay.Apply(info.entry); err != nil {
				v.fail(CheckRules, "leaf %d: %v", i, err)
				stop(i, CheckRules)
				return
			}
			switch e := info.entry.(type) {
			case CharterEntry:
				v.rep.Name, v.rep.Unit = e.Name, e.Unit
				v.rep.Formula = e.Formula.Kind
				if e.Formula.Kind == "base+per-inhabitant" {
					v.rep.Formula += " " + canon.FormatDecimal(e.Formula.Base)
				}
			case OpeningEntry:
				if !started {
					chain, started = ledger.NoteHash(leaf), true
				}
			case ReservationEntry:
				v.rounds[e.Round] = len(v.rep.Rounds)
				v.rep.Rounds = append(v.rep.Rounds, RoundReport{Round: e.Round, Community: e.Community, Tranche: e.Tranche,
					Budget: e.Budget, Status: RoundReserved, Reservation: int64(i), ResultLeaf: -1})
			case CancellationEntry:
				if j, ok := v.rounds[e.Round]; ok {
					v.rep.Rounds[j].Status = RoundCancelled
					delete(v.rounds, e.Round)
				}
			}
			continue
		}
		r := info.result
		if err := v.applyResult(i, leaf, r, chain, started); err != nil {
			v.fail(CheckResults, "leaf %d: %v", i, err)
			stop(i, CheckResults)
			return
		}
		chain = ledger.NoteHash(leaf)
		v.results[r.Round] = leaf
		j := v.rounds[r.Round]
		v.rep.Rounds[j].Status, v.rep.Rounds[j].Spent, v.rep.Rounds[j].ResultLeaf = RoundPublished, r.Spent, int64(i)
	}
	if started {
		v.rep.ChainHead = canon.EncodeB64(chain[:])
	}
	v.complete = len(v.l.Leaves) > 0
	if !v.complete {
		v.skip(CheckRules, "no leaves")
		v.skip(CheckResults, "no leaves")
	}
	v.pass(CheckRules)
	v.pass(CheckResults)
}

// applyResult checks the result leaf i against its reservation and the
// chain, and applies it.
func (v *verifier) applyResult(i int, leaf []byte, r *ledger.Result, chain [32]byte, started bool) error {
	e, ok := v.replay.Reserved[r.Round]
	if !ok {
		return fmt.Errorf("a result of round %s, which has no reservation (or was cancelled)", r.Round)
	}
	cv, err := ledger.NewVerifier(e.CouncilKey)
	if err != nil {
		return fmt.Errorf("round %s's council key: %v", r.Round, err)
	}
	if _, err := ledger.OpenResult(leaf, cv); err != nil {
		return fmt.Errorf("the result of round %s does not open under the council key of its reservation (leaf %d): %v", r.Round, v.rep.Rounds[v.rounds[r.Round]].Reservation, err)
	}
	switch {
	case !started:
		return fmt.Errorf("the result of round %s comes before the fund's first opening", r.Round)
	case r.Prev != chain:
		return fmt.Errorf("the result of round %s: prev %s is not %s, the hash of the previous result (or of the first opening)", r.Round, canon.EncodeB64(r.Prev[:]), canon.EncodeB64(chain[:]))
	}
	return v.replay.ApplyResult(Result{Round: r.Round, Fund: r.Fund, Manifest: r.Manifest, Budget: r.Budget, Spent: r.Spent})
}

// checkRounds verifies every round's record against the anchors of its
// reservation.
func (v *verifier) checkRounds() {
	const name = CheckRounds
	if !v.complete || v.check(CheckRules).Status != ledger.StatusPass || v.check(CheckResults).Status != ledger.StatusPass {
		v.skip(name, "the ledger did not replay to its end")
		return
	}
	for j := range v.rep.Rounds {
		rr := &v.rep.Rounds[j]
		if rr.Status == RoundCancelled {
			rr.Verdict = "cancelled"
			continue
		}
		problems := v.checkRound(rr)
		rr.Problems = problems
		for _, p := range problems {
			v.fail(name, "round %s: %s", rr.Round, p)
		}
		switch {
		case len(problems) > 0:
			rr.Verdict = "FAIL"
		case rr.Status == RoundReserved:
			rr.Verdict = "not published"
		default:
			rr.Verdict = "verified"
		}
	}
	v.pass(name)
}

// checkRound returns what is wrong with round rr's record, if anything.
func (v *verifier) checkRound(rr *RoundReport) []string {
	e := v.replay.Reserved[rr.Round]
	rec, err := v.opts.Rounds(rr.Round)
	var fe *ledger.FileError
	switch {
	case err != nil && rr.Status == RoundReserved && !errors.As(err, &fe):
		// A round still voting: its record is not public yet (a server
		// answers that it is not closed), or not there at all.
		v.note(CheckRounds, "round %s: no record to read yet (%v)", rr.Round, err)
		return nil
	case errors.Is(err, fs.ErrNotExist):
		if rr.Status == RoundPublished {
			return []string{fmt.Sprintf("its result is in the ledger (leaf %d), but it has no record: %v", rr.ResultLeaf, err)}
		}
		return nil
	case errors.As(err, &fe):
		return []string{fmt.Sprintf("the record is malformed: %v", err)}
	case err != nil:
		v.rep.ReadErrors = append(v.rep.ReadErrors, fmt.Sprintf("round %s: %v", rr.Round, err))
		return []string{fmt.Sprintf("the record could not be read: %v", err)}
	case rec == nil:
		return []string{"no record"}
	}
	if rr.Status == RoundReserved {
		if len(rec.Results) > 0 {
			return []string{"its record holds a result note, the ledger none"}
		}
		return nil
	}
	a := &ledger.Anchors{Round: e.Round, LogKey: e.LogKey, CouncilKey: e.CouncilKey, Manifest: e.Fingerprint}
	rep := ledger.Verify(rec, ledger.VerifyOptions{Anchors: a, Count: v.opts.Count})
	rr.Record = rep
	var out []string
	if !rep.OK() {
		out = append(out, fmt.Sprintf("the record does not verify under the anchors of its reservation (leaf %d): first failing check %s", rr.Reservation, rep.FirstFailure()))
		if c := rep.Check(rep.FirstFailure()); c != nil && len(c.Messages) > 0 {
			out = append(out, c.Name+": "+c.Messages[0])
		}
	}
	if len(rec.Leaves) > 0 {
		if cv, err := ledger.NewVerifier(e.CouncilKey); err == nil {
			if m, err := ballot.OpenManifest(rec.Leaves[0], cv); err == nil {
				if m.Community != e.Community {
					out = append(out, fmt.Sprintf("reserved for community %s, but its manifest is for %s", e.Community, m.Community))
				}
				if m.Fund != e.Fund {
					out = append(out, fmt.Sprintf("reserved in fund %s, but its manifest is of fund %s", e.Fund, m.Fund))
				}
			}
		}
		if ballot.ManifestHash(rec.Leaves[0]) != e.Manifest {
			out = append(out, "its manifest is not the one its reservation names")
		}
	}
	switch {
	case len(rec.Results) != 1:
		out = append(out, fmt.Sprintf("its record has %d result notes; a round of a fund has exactly one", len(rec.Results)))
	case !bytes.Equal(rec.Results[0], v.results[rr.Round]):
		out = append(out, fmt.Sprintf("the result note of its record differs from the ledger's (leaf %d)", rr.ResultLeaf))
	}
	return out
}

// fillTranches reports the fund's tranches as the replay left them.
func (v *verifier) fillTranches() {
	if v.replay.Fund == "" {
		return
	}
	plan, err := v.replay.Book.Plan()
	if err != nil {
		return
	}
	for _, ts := range plan {
		tr := TrancheReport{Year: ts.Year, Amount: ts.Amount, Opened: ts.Opened, Closed: ts.Closed,
			CarryInFixed: ts.CarryInFixed, Returned: ts.Returned, Accounts: []AccountReport{}}
		for _, a := range ts.Accounts {
			tr.Accounts = append(tr.Accounts, AccountReport{Account: a, Name: v.replay.Names[a.Community]})
		}
		v.rep.Tranches = append(v.rep.Tranches, tr)
	}
	slices.SortStableFunc(v.rep.Rounds, func(a, b RoundReport) int { return a.Tranche - b.Tranche })
}

// ReportReadError returns the report for a ledger whose files could not be
// parsed (err wraps a [*ledger.FileError]): the anchors check runs, the
// check owning the file fails with err (leaves.txt: entries;
// checkpoints.txt: checkpoints) and the others are skipped. It returns
// nil when err is not a FileError, which callers treat as an I/O error.
func ReportReadError(err error, opts VerifyOptions) *Report {
	var fe *ledger.FileError
	if !errors.As(err, &fe) {
		return nil
	}
	v := &verifier{l: &Ledger{}, opts: opts, rep: &Report{}}
	names := LedgerCheckNames()
	if opts.Rounds != nil {
		names = append(names, CheckRounds)
	}
	for _, n := range names {
		v.rep.Checks = append(v.rep.Checks, ledger.Check{Name: n})
	}
	v.checkAnchors()
	owner := CheckEntries
	if fe.Name == CheckpointsFile {
		owner = CheckCheckpoints
	}
	v.fail(owner, "%v", fe)
	v.skipRest("the ledger could not be read")
	return v.rep
}
