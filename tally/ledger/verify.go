package ledger

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// The names of the checks of docs/record.md §10.3, in the order [Verify]
// runs them.
const (
	CheckAnchors     = "anchors"
	CheckManifest    = "manifest"
	CheckRoll        = "roll"
	CheckLeaves      = "leaves"
	CheckKeys        = "keys"
	CheckSignatures  = "signatures"
	CheckLimits      = "limits"
	CheckOneBallot   = "one-ballot-per-key"
	CheckClose       = "close"
	CheckTree        = "tree"
	CheckCheckpoints = "checkpoints"
	CheckResults     = "results"
	CheckRecount     = "recount"

	// The optional checks, run only when their inputs are given.
	CheckAttendance = "attendance"
	CheckUnused     = "unused-codes"
)

// CheckNames returns the names of the checks of §10.3 in order.
func CheckNames() []string {
	return []string{CheckAnchors, CheckManifest, CheckRoll, CheckLeaves, CheckKeys, CheckSignatures,
		CheckLimits, CheckOneBallot, CheckClose, CheckTree, CheckCheckpoints, CheckResults, CheckRecount}
}

// An Outcome is what a counting rule decides for a round: one entry per
// manifest project in manifest order, and the total spent.
type Outcome struct {
	Projects []ResultProject
	Spent    int64
}

// A CountFunc counts the counted ballots of a round with the manifest's
// rule and tie-break order. seed is the final checkpoint's root (the lot of
// §11). It must be deterministic, and it may read only the choices of each
// ballot (Cumulative, Approve, Points): [Verify] passes ballots that carry
// nothing else, shared between voters who made the same choice.
type CountFunc func(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*Outcome, error)

// A Source is a checkpoint note or receipt given to the verifier from
// outside the record, with a name for the report (a file name, "projector").
type Source struct {
	Name  string
	Bytes []byte
}

// VerifyOptions are the inputs of [Verify] besides the record.
type VerifyOptions struct {
	// Anchors are the trust anchors (from anchors.txt or flags, never from
	// the record). A nil Anchors fails the anchors check.
	Anchors *Anchors
	// AnchorsError, when set, is why the anchors could not be read; the
	// anchors check fails with it.
	AnchorsError error
	// Checkpoints are checkpoint notes seen outside the record (projector,
	// watchers, --checkpoint files).
	Checkpoints []Source
	// Receipts are voters' receipt files (§8).
	Receipts []Source
	// Attendance, when positive, is the number of people who took a slip
	// (the meeting's head count): the attendance check fails when more
	// ballots are counted than that.
	Attendance int64
	// Unused are the voting codes of slips collected unused after the
	// meeting. When non-nil, the unused-codes check requires each code's
	// key (derived for the manifest's round) to be in the roll and to have
	// signed no ballot leaf: a ballot from a slip nobody took was stuffed.
	Unused []ballot.Code
	// Count recounts the counted ballots. When nil, the recount compares
	// only the number of counted ballots and each project's votes (and the
	// arithmetic of amounts and spent, checked by the results check).
	Count CountFunc
}

// leaf statuses, one byte per leaf.
const (
	stNone uint8 = iota
	stCounted
	stSuperseded
	stVoided
	stInvalid
)

var statusWords = [...]string{stNone: "", stCounted: "counted", stSuperseded: "superseded", stVoided: "voided", stInvalid: "invalid"}

// keyState is what the verifier holds for one key: the per-key state that,
// with the roll and the tree, bounds its memory (not the number of leaves).
type keyState struct {
	first   int64          // index of its first ballot leaf; 0 when none
	more    *[]int64       // indexes of its later ballot leaves, if any
	voidAt  int64          // index of its latest valid void; 0 when none
	current int64          // index of its counted ballot so far; 0 when none
	choice  *ballot.Ballot // the choices of that ballot (shared, choices only)
}

// leaves returns the indexes of the key's ballot leaves.
func (k *keyState) leaves() []int64 {
	if k.first == 0 {
		return nil
	}
	out := []int64{k.first}
	if k.more != nil {
		out = append(out, *k.more...)
	}
	return out
}

func (k *keyState) ballots() int {
	if k.first == 0 {
		return 0
	}
	if k.more == nil {
		return 1
	}
	return 1 + len(*k.more)
}

func (k *keyState) last() int64 {
	if k.more != nil {
		return (*k.more)[len(*k.more)-1]
	}
	return k.first
}

// closeLeaf is a close leaf met in the log, for the close check.
type closeLeaf struct {
	index   int64
	ballots int64 // ballot leaves before it
	c       *Close
}

// verifier carries the state of one verification.
type verifier struct {
	opts VerifyOptions
	rep  *Report

	logV, councilV note.Verifier
	origin         string

	m    *ballot.Manifest
	mh   [32]byte
	roll *ballot.Roll

	leaf0  []byte
	n      int64   // leaves seen
	status []uint8 // per leaf
	keys   []keyState
	others map[[32]byte]*keyState // keys not in the roll (or all, without a roll)
	choice map[string]*ballot.Ballot
	closes []closeLeaf

	ballotLeaves, voidLeaves int64 // leaves of these kinds, leaf 0 included

	wanted map[int64][]byte // leaves that receipts name, kept for the receipt check

	tree  *memTree
	root  tlog.Hash // record tree hash at N
	cps   [][]byte  // checkpoints.txt
	res   [][]byte  // results.txt
	final []byte    // the final checkpoint note from checkpoints.txt
	last  *Result   // the last result note, when it opens
}

// A RecordStream is a record read as it arrives (docs/record.md §10.1):
// roll.txt whole, the leaves of leaves.txt one at a time, then
// checkpoints.txt and results.txt.
type RecordStream struct {
	Roll []byte
	// Next returns the next leaf, and io.EOF after the last. A *FileError
	// is a framing error of leaves.txt; any other error ends the
	// verification with that error (an I/O error). The slice must not be
	// modified afterwards.
	Next func() ([]byte, error)
	// Tail returns the items of checkpoints.txt and results.txt; it is
	// called once, after Next has returned io.EOF. Errors are as Next's.
	Tail func() (checkpoints, results [][]byte, err error)
	// LeavesSize is the size of leaves.txt in bytes when the source knows
	// it (for a progress report), else 0.
	LeavesSize int64
}

// Verify runs the checks of docs/record.md §10.3 on rec, in order, and
// returns the report: [VerifyStream] over rec's leaves. It collects every
// failure it can find, continuing past failures where later checks still
// mean something and marking a check skipped when what it needs failed.
// It never panics and never modifies rec.
func Verify(rec *Record, opts VerifyOptions) *Report {
	if rec == nil {
		rec = &Record{}
	}
	rep, _ := VerifyStream(rec.stream(), opts) // a Record has no I/O errors
	return rep
}

// stream returns the record as a RecordStream.
func (r *Record) stream() RecordStream {
	i := 0
	return RecordStream{
		Roll: r.Roll,
		Next: func() ([]byte, error) {
			if i == len(r.Leaves) {
				return nil, io.EOF
			}
			i++
			return r.Leaves[i-1], nil
		},
		Tail: func() ([][]byte, [][]byte, error) { return r.Checkpoints, r.Results, nil },
	}
}

// VerifyStream runs the checks of docs/record.md §10.3 on a record read as
// a stream, the one implementation behind [Verify] and pbverify. Leaves
// are parsed and their signatures verified on every core while the tree is
// hashed and the one-ballot rule applied in log order as they pass; memory
// grows with the roll and the keys that voted (and 64 bytes of tree hashes
// and one status byte per leaf), not with the leaves' bytes. A framing
// error in a record file gives the report of [ReportReadError]; an I/O
// error from s is returned with a nil report.
func VerifyStream(s RecordStream, opts VerifyOptions) (*Report, error) {
	v := newVerifier(opts)
	fe, err := v.run(s)
	if err != nil {
		return nil, err
	}
	if fe != nil {
		return readErrorReport(fe, opts), nil
	}
	return v.rep, nil
}

func newVerifier(opts VerifyOptions) *verifier {
	return &verifier{opts: opts, rep: newReport(opts), tree: &memTree{}, choice: make(map[string]*ballot.Ballot),
		others: make(map[[32]byte]*keyState)}
}

// run verifies s. It returns the framing error of a record file, if any,
// or an I/O error.
func (v *verifier) run(s RecordStream) (*FileError, error) {
	v.checkAnchors()
	anchored := v.passed(CheckAnchors)
	if !anchored {
		v.skipRest(CheckManifest, "the trust anchors are unusable")
	}
	// The roll's bytes are not kept past the roll check (a city's roll is
	// tens of megabytes): only the parsed keys are.
	roll := s.Roll
	s.Roll = nil
	fe, err := v.readLeaves(roll, s.Next, anchored)
	if err != nil || fe != nil {
		return fe, err
	}
	if s.Tail != nil {
		v.cps, v.res, err = s.Tail()
		if fe, ok := asFileError(err); ok {
			return fe, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if !anchored {
		return nil, nil
	}
	v.finish()
	return nil, nil
}

// readLeaves reads every leaf: leaf 0 first (the manifest and roll checks
// need it), then the others through the pipeline.
func (v *verifier) readLeaves(roll []byte, next func() ([]byte, error), anchored bool) (*FileError, error) {
	leaf0, err := next()
	switch fe, ok := asFileError(err); {
	case ok:
		return fe, nil
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		v.leaf0 = leaf0
		v.addTree(0, tlog.RecordHash(leaf0))
		v.n = 1
		v.status = append(v.status, stNone)
		v.countKind(KindOf(leaf0))
	}
	if anchored {
		v.checkManifest()
		v.checkRoll(roll)
		v.wantReceipts()
	}
	roll = nil
	if v.n == 0 {
		return nil, nil
	}
	return v.pipeline(next)
}

// batch is a run of consecutive leaves prepared by one worker.
type batch struct {
	start  int64
	leaves [][]byte
	out    []prepared
	done   chan struct{}
}

// A batch ends at batchSize leaves or batchBytes bytes of leaves, so that
// the leaves in flight (at most 3·GOMAXPROCS+2 batches) stay a few
// megabytes however long the leaves are.
const (
	batchSize  = 256
	batchBytes = 256 << 10
)

// pipeline reads the leaves after leaf 0 on one goroutine, prepares them
// (parsing, keys, signatures, limits) on every core, and commits them in
// log order on this one.
func (v *verifier) pipeline(next func() ([]byte, error)) (*FileError, error) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers)
	order := make(chan *batch, 2*workers+2)
	stop := make(chan struct{})
	var readErr error
	go func() {
		defer close(order)
		defer close(work)
		idx := int64(1)
		for readErr == nil {
			b := &batch{start: idx, leaves: make([][]byte, 0, batchSize), done: make(chan struct{})}
			for size := 0; len(b.leaves) < batchSize && size < batchBytes; {
				leaf, err := next()
				if err != nil {
					readErr = err
					break
				}
				b.leaves = append(b.leaves, leaf)
				size += len(leaf)
			}
			if len(b.leaves) == 0 {
				return
			}
			select {
			case order <- b:
			case <-stop:
				return
			}
			work <- b
			idx += int64(len(b.leaves))
		}
	}()
	for range workers {
		go func() {
			var sigs []ballot.SigCheck
			for b := range work {
				b.out = make([]prepared, len(b.leaves))
				sigs = sigs[:0]
				for j, leaf := range b.leaves {
					v.prepare(&b.out[j], b.start+int64(j), leaf, &sigs)
				}
				v.checkSigs(b, sigs)
				close(b.done)
			}
		}()
	}
	for b := range order {
		<-b.done
		for j := range b.out {
			v.commit(&b.out[j], b.start+int64(j), b.leaves[j])
		}
	}
	close(stop)
	// order is closed: the reader has returned, and readErr is final.
	switch fe, ok := asFileError(readErr); {
	case ok:
		return fe, nil
	case readErr != nil && !errors.Is(readErr, io.EOF):
		return nil, readErr
	}
	return nil, nil
}

// A failure found while preparing a leaf, for the named check.
type failure struct{ check, msg string }

// prepared is what the checks that look at one leaf alone found: the work
// done in parallel.
type prepared struct {
	kind     LeafKind
	hash     tlog.Hash
	bad      bool // failed a per-leaf check; a bad ballot is not counted
	fails    []failure
	isBallot bool // a ballot leaf that parses
	isVoid   bool // a void leaf that parses
	key      [32]byte
	rollAt   int // 1 + the key's position in the roll; 0 when not in it
	close    *Close
	choices  *ballot.Ballot // a good ballot's choices, with the manifest's project IDs
	line     string         // its choice line
	sigAt    int            // 1 + the index of its signature in the batch's checks; 0 for none
}

func (p *prepared) fail(check string, i int64, f string, a ...any) {
	p.bad = true
	p.fails = append(p.fails, failure{check, fmt.Sprintf("leaf %d: ", i) + fmt.Sprintf(f, a...)})
}

// prepare runs the per-leaf parts of checks leaves, keys, signatures and
// limits on leaf i. It reads only what is fixed before the leaves (the
// manifest, roll and keys), so it runs on many leaves at once. The
// signature of a ballot by a roll key is not checked here but appended to
// sigs, for [verifier.checkSigs].
func (v *verifier) prepare(p *prepared, i int64, leaf []byte, sigs *[]ballot.SigCheck) {
	p.kind = KindOf(leaf)
	p.hash = tlog.RecordHash(leaf)
	if v.m == nil {
		p.bad = true
		return
	}
	// inRoll reports whether k is in the roll, failing the keys check when
	// not; without a roll the keys check is skipped and every ballot is bad.
	inRoll := func(k [32]byte) bool {
		if v.roll == nil {
			p.bad = true
			return false
		}
		j, ok := v.rollIndex(k)
		if !ok {
			p.fail(CheckKeys, i, "%s key %s is not in the roll", kindWord(p.kind), canon.EncodeB64(k[:]))
			return false
		}
		p.rollAt = j + 1
		return true
	}
	switch p.kind {
	case LeafBallot:
		b, err := ballot.ParseBallot(leaf)
		if err != nil {
			p.fail(CheckLeaves, i, "%v", err)
			return
		}
		p.isBallot, p.key = true, b.Key
		if b.Round != v.m.Round {
			p.fail(CheckLeaves, i, "ballot for round %q", b.Round)
		} else if b.Manifest != v.mh {
			p.fail(CheckLeaves, i, "ballot names another manifest")
		}
		if inRoll(b.Key) {
			// The roll check has already applied the key checks of §4 to
			// every key of the roll, and decoded its point: only the
			// signature is left, checked with the batch's others.
			*sigs = append(*sigs, ballot.SigCheck{Key: p.rollAt - 1, Msg: signedPart(leaf), Sig: b.Sig[:]})
			p.sigAt = len(*sigs)
		} else if err := b.VerifySignature(); err != nil {
			p.fail(CheckSignatures, i, "%v", err)
		}
		if err := v.m.CheckChoices(b); err != nil {
			p.fail(CheckLimits, i, "%v", err)
		}
		if !p.bad {
			p.choices, p.line = v.choicesOf(b, leaf)
		}
	case LeafVoid, LeafClose:
		body, err := noteBody(leaf)
		var round string
		var mh [32]byte
		if p.kind == LeafVoid {
			var vd *Void
			if err == nil {
				vd, err = ParseVoid(body)
			}
			if err != nil {
				p.fail(CheckLeaves, i, "void: %v", err)
				return
			}
			p.isVoid, p.key, round, mh = true, vd.Key, vd.Round, vd.Manifest
		} else {
			if err == nil {
				p.close, err = ParseClose(body)
			}
			if err != nil {
				p.fail(CheckLeaves, i, "close: %v", err)
				return
			}
			round, mh = p.close.Round, p.close.Manifest
		}
		if round != v.m.Round {
			p.fail(CheckLeaves, i, "%s for round %q", kindWord(p.kind), round)
		} else if mh != v.mh {
			p.fail(CheckLeaves, i, "%s names another manifest", kindWord(p.kind))
		}
		if p.isVoid {
			inRoll(p.key)
		}
		_, signed, err := openNote(leaf, v.councilV, v.logV)
		switch {
		case err != nil:
			p.fail(CheckSignatures, i, "%s: %v", kindWord(p.kind), err)
		case !signed[0]:
			p.fail(CheckSignatures, i, "%s is not signed by the council key", kindWord(p.kind))
		}
	case LeafManifest:
		p.fail(CheckLeaves, i, "a second manifest")
	default:
		p.fail(CheckLeaves, i, "unknown leaf kind")
	}
}

// checkSigs checks the signatures prepare left in sigs for batch b, all at
// once ([ballot.Roll.VerifyMany]), and fails the leaves whose signature
// is bad.
func (v *verifier) checkSigs(b *batch, sigs []ballot.SigCheck) {
	if len(sigs) == 0 {
		return
	}
	v.roll.VerifyMany(sigs)
	for j := range b.out {
		p := &b.out[j]
		if p.sigAt == 0 || sigs[p.sigAt-1].OK {
			continue
		}
		p.fail(CheckSignatures, b.start+int64(j), "ballot: %v", ballot.ErrBadSignature)
		p.choices, p.line = nil, ""
	}
}

// signedPart returns the bytes a canonical ballot leaf's signature covers:
// everything before its last line, the sig line.
func signedPart(leaf []byte) []byte {
	return leaf[:bytes.LastIndex(leaf, []byte("\nsig "))+1]
}

// choicesOf returns a valid ballot's choices as a ballot holding nothing
// else, with the manifest's own project ID strings (so that it keeps no
// part of the leaf alive), and its choice line.
func (v *verifier) choicesOf(b *ballot.Ballot, leaf []byte) (*ballot.Ballot, string) {
	c := &ballot.Ballot{Cumulative: b.Cumulative}
	for _, id := range b.Approve {
		p, _ := v.m.Project(id)
		c.Approve = append(c.Approve, p.ID)
	}
	for _, pt := range b.Points {
		p, _ := v.m.Project(pt.Project)
		c.Points = append(c.Points, ballot.Points{Project: p.ID, N: pt.N})
	}
	// The choice line is the fifth line of a canonical ballot leaf.
	line := leaf
	for range 4 {
		line = line[bytes.IndexByte(line, '\n')+1:]
	}
	return c, string(line[:bytes.IndexByte(line, '\n')])
}

// commit applies leaf i, prepared, in log order: its failures, the tree,
// and the one-ballot-per-key rule.
func (v *verifier) commit(p *prepared, i int64, leaf []byte) {
	v.addTree(i, p.hash)
	v.n = i + 1
	v.countKind(p.kind)
	v.status = append(v.status, stNone)
	for _, f := range p.fails {
		v.fail(f.check, "%s", f.msg)
	}
	if _, ok := v.wanted[i]; ok {
		v.wanted[i] = leaf
	}
	if v.m == nil {
		return
	}
	switch {
	case p.isVoid && !p.bad:
		ks := v.stateAt(p.key, p.rollAt)
		ks.voidAt = i
		if ks.current != 0 {
			v.status[ks.current] = stVoided
			ks.current, ks.choice = 0, nil
		}
	case p.isBallot:
		v.admit(p, i)
	case p.close != nil || p.kind == LeafClose:
		v.closes = append(v.closes, closeLeaf{index: i, ballots: v.ballotLeaves, c: p.close})
	}
}

// admit applies the one-ballot-per-key rule ([AdmitBallot]) to ballot
// leaf i.
func (v *verifier) admit(p *prepared, i int64) {
	const name = CheckOneBallot
	ks := v.stateAt(p.key, p.rollAt)
	same := int64(-1)
	for _, j := range ks.leaves() {
		if v.tree.leafHash(j) == p.hash {
			same = j
			break
		}
	}
	state := KeyState{Ballots: ks.ballots(), Last: ks.last(), Voided: ks.voidAt != 0}
	adm, err := AdmitBallot(v.m.Revote, state, same)
	switch {
	case adm == Append:
	case adm == Repeat:
		v.fail(name, "leaf %d: repeats leaf %d byte for byte (a repeated ballot gets the receipt of its leaf and is not logged again)", i, same)
	case errors.Is(err, ErrKeyVoided):
		v.fail(name, "leaf %d: ballot after the void of its key (leaf %d)", i, ks.voidAt)
	case errors.Is(err, ErrSupersededRepeat):
		v.fail(name, "leaf %d: repeats leaf %d byte for byte, a ballot of its key superseded by leaf %d", i, same, state.Last)
	case errors.Is(err, ErrKeyUsed):
		v.fail(name, "leaf %d: second ballot of a key (first at leaf %d) under revote none", i, ks.first)
	default:
		v.fail(name, "leaf %d: %v", i, err)
	}
	bad := p.bad || adm != Append
	switch {
	case ks.first == 0:
		ks.first = i
	case ks.more == nil:
		ks.more = &[]int64{i}
	default:
		*ks.more = append(*ks.more, i)
	}
	if bad {
		v.status[i] = stInvalid
		return
	}
	if ks.current != 0 {
		// Only reachable under revote last.
		v.status[ks.current] = stSuperseded
	}
	ks.current = i
	v.status[i] = stCounted
	c, ok := v.choice[p.line]
	if !ok {
		c = p.choices
		v.choice[strings.Clone(p.line)] = c
	}
	ks.choice = c
}

// rollIndex returns k's position in the roll.
func (v *verifier) rollIndex(k [32]byte) (int, bool) {
	return v.roll.Index(k)
}

// state returns the state of key k: its slot by roll position, or one of
// the others.
func (v *verifier) state(k [32]byte) *keyState {
	if v.roll != nil {
		if j, ok := v.rollIndex(k); ok {
			return v.stateAt(k, j+1)
		}
	}
	return v.stateAt(k, 0)
}

// stateAt is state for a key whose roll position prepare found (rollAt
// is 1 + the position, or 0 for a key not in the roll).
func (v *verifier) stateAt(k [32]byte, rollAt int) *keyState {
	if rollAt > 0 {
		if v.keys == nil {
			v.keys = make([]keyState, len(v.roll.Keys))
		}
		return &v.keys[rollAt-1]
	}
	ks, ok := v.others[k]
	if !ok {
		ks = &keyState{}
		v.others[k] = ks
	}
	return ks
}

func (v *verifier) addTree(i int64, h tlog.Hash) {
	if err := v.tree.add(h); err != nil || v.tree.n != i+1 {
		// Unreachable: leaves are added in order.
		panic(fmt.Sprintf("ledger: tree: leaf %d: %v", i, err))
	}
}

func (v *verifier) countKind(k LeafKind) {
	switch k {
	case LeafBallot:
		v.ballotLeaves++
	case LeafVoid:
		v.voidLeaves++
	}
}

// wantReceipts notes the leaves the receipts name, to keep their bytes.
func (v *verifier) wantReceipts() {
	v.wanted = make(map[int64][]byte)
	for _, s := range v.opts.Receipts {
		if r, err := ParseReceipt(s.Bytes); err == nil {
			v.wanted[r.Index] = nil
		}
	}
}

// finish runs the checks that need the whole log.
func (v *verifier) finish() {
	if v.m == nil {
		v.skip(CheckLeaves, "no trusted manifest")
	}
	v.check(CheckLeaves).passUnlessFailed()
	for _, name := range []string{CheckKeys} {
		if v.m == nil || v.roll == nil {
			v.skip(name, "no trusted manifest and roll")
		}
		v.check(name).passUnlessFailed()
	}
	for _, name := range []string{CheckSignatures, CheckLimits, CheckOneBallot} {
		if v.m == nil {
			v.skip(name, "no trusted manifest")
		}
		v.check(name).passUnlessFailed()
	}
	v.checkClose()
	v.checkTree()
	v.checkCheckpoints()
	v.checkResults()
	// The tree's hashes (64 bytes a leaf) are not needed to count.
	v.tree.chunks = nil
	v.checkRecount()
	if v.opts.Attendance > 0 {
		v.checkAttendance()
	}
	if v.opts.Unused != nil {
		v.checkUnused()
	}
	v.fillCounts()
}

// checkAttendance compares the counted ballots with the head count.
func (v *verifier) checkAttendance() {
	const name = CheckAttendance
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	if n := int64(len(v.counted())); n > v.opts.Attendance {
		v.fail(name, "%d ballots counted, but only %d people took a slip", n, v.opts.Attendance)
	}
	v.check(name).passUnlessFailed()
}

// checkUnused checks the codes of slips that were never handed out: each
// is on the roll, and none signed a ballot. Messages name slips by their
// position in the list and their key, never by their code.
func (v *verifier) checkUnused() {
	const name = CheckUnused
	if v.m == nil || v.roll == nil {
		v.skip(name, "no trusted manifest and roll")
		return
	}
	seen := make(map[[32]byte]int)
	for i, c := range v.opts.Unused {
		k := ballot.PublicKey(ballot.DeriveKey(c, v.m.Round))
		kb := canon.EncodeB64(k[:])
		if j, dup := seen[k]; dup {
			v.fail(name, "unused slip %d is the same code as slip %d", i+1, j+1)
			continue
		}
		seen[k] = i
		if !v.roll.Contains(k) {
			v.fail(name, "unused slip %d (key %s) is not on the roll: a slip of another round?", i+1, kb)
			continue
		}
		for _, leaf := range v.state(k).leaves() {
			v.fail(name, "unused slip %d (key %s) signed ballot leaf %d, though nobody took it", i+1, kb, leaf)
		}
	}
	v.note(name, "%d unused slips checked", len(v.opts.Unused))
	v.check(name).passUnlessFailed()
}

func (v *verifier) check(name string) *Check      { return v.rep.Check(name) }
func (v *verifier) passed(name string) bool       { return v.check(name).Status == StatusPass }
func (v *verifier) fail(name, f string, a ...any) { v.check(name).fail(fmt.Sprintf(f, a...)) }
func (v *verifier) note(name, f string, a ...any) { v.check(name).addNote(fmt.Sprintf(f, a...)) }
func (v *verifier) skip(name, why string)         { v.check(name).skip(why) }

// skipRest marks every check from name onward as skipped.
func (v *verifier) skipRest(from, why string) {
	checks := v.rep.Checks
	i := slices.IndexFunc(checks, func(c Check) bool { return c.Name == from })
	for ; i >= 0 && i < len(checks); i++ {
		checks[i].skip(why)
	}
}

func (v *verifier) checkAnchors() {
	a := v.opts.Anchors
	switch {
	case v.opts.AnchorsError != nil:
		v.fail(CheckAnchors, "%v", v.opts.AnchorsError)
		return
	case a == nil:
		v.fail(CheckAnchors, "no trust anchors given")
		return
	}
	if err := a.Check(); err != nil {
		v.fail(CheckAnchors, "%v", err)
		return
	}
	var err error
	if v.logV, err = NewVerifier(a.LogKey); err != nil {
		v.fail(CheckAnchors, "log-key: %v", err)
		return
	}
	if v.councilV, err = NewVerifier(a.CouncilKey); err != nil {
		v.fail(CheckAnchors, "council-key: %v", err)
		return
	}
	if v.logV.Name() == v.councilV.Name() && v.logV.KeyHash() == v.councilV.KeyHash() {
		v.fail(CheckAnchors, "log-key and council-key are the same key")
		return
	}
	v.origin = v.logV.Name()
	v.rep.Round = a.Round
	if a.Manifest == "" {
		v.note(CheckAnchors, "no manifest fingerprint given: compare the one below with the poster")
	}
	v.check(CheckAnchors).pass()
}

func (v *verifier) checkManifest() {
	const name = CheckManifest
	if v.n == 0 {
		v.fail(name, "the log has no leaves (leaf 0 must be the manifest)")
		return
	}
	leaf := v.leaf0
	v.rep.Fingerprint = ballot.FormatFingerprint(ballot.Fingerprint(leaf))
	if KindOf(leaf) != LeafManifest {
		v.fail(name, "leaf 0 is not a manifest")
		return
	}
	// Strict note form, and no failing signature line from either anchor
	// key (ballot.OpenManifest knows only the council key).
	if _, _, err := openNote(leaf, v.councilV, v.logV); err != nil {
		v.fail(name, "leaf 0: %v", err)
		return
	}
	m, err := ballot.OpenManifest(leaf, v.councilV)
	if err != nil {
		v.fail(name, "leaf 0: %v", err)
		return
	}
	a := v.opts.Anchors
	ok := true
	if a.Round != "" && m.Round != a.Round {
		v.fail(name, "manifest round %q, anchors say %q", m.Round, a.Round)
		ok = false
	}
	if m.LogKey != a.LogKey {
		v.fail(name, "manifest log-key differs from the anchors' log-key")
		ok = false
	}
	if m.CouncilKey != a.CouncilKey {
		v.fail(name, "manifest council-key differs from the anchors' council-key")
		ok = false
	}
	if fp := ballot.Fingerprint(leaf); a.Manifest != "" && fp != a.Manifest {
		v.fail(name, "manifest fingerprint %s, anchors say %s", ballot.FormatFingerprint(fp), ballot.FormatFingerprint(a.Manifest))
		ok = false
	}
	if !ok {
		return
	}
	v.m = m
	v.mh = ballot.ManifestHash(leaf)
	v.origin = m.LogOrigin
	v.rep.Round = m.Round
	v.rep.ManifestHash = canon.EncodeB64(v.mh[:])
	v.check(name).pass()
}

func (v *verifier) checkRoll(roll []byte) {
	const name = CheckRoll
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	r, err := ballot.ParseRoll(roll)
	if err != nil {
		v.fail(name, "%s: %v", RollFile, err)
		return
	}
	ok := true
	if r.Round != v.m.Round {
		v.fail(name, "roll is for round %q, manifest for %q", r.Round, v.m.Round)
		ok = false
	}
	// A roll that parses is canonical: its bytes are r.Bytes().
	if h := sha256.Sum256(roll); h != v.m.RollHash {
		v.fail(name, "roll hash %s differs from the manifest's %s", canon.EncodeB64(h[:]), canon.EncodeB64(v.m.RollHash[:]))
		ok = false
	}
	if len(r.Keys) != v.m.RollCount {
		v.fail(name, "roll has %d keys, manifest says %d", len(r.Keys), v.m.RollCount)
		ok = false
	}
	if !ok {
		return
	}
	v.roll = r
	v.check(name).pass()
}

func kindWord(k LeafKind) string {
	switch k {
	case LeafBallot:
		return "ballot"
	case LeafVoid:
		return "void"
	case LeafClose:
		return "close"
	case LeafManifest:
		return "manifest"
	}
	return "leaf"
}

// checkClose: exactly one close leaf, the last, with the right size and
// ballot count.
func (v *verifier) checkClose() {
	const name = CheckClose
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	for k, c := range v.closes {
		i := c.index
		if i != v.n-1 {
			v.fail(name, "close leaf %d is not the last leaf: %d leaves follow it", i, v.n-1-i)
		}
		if k > 0 {
			v.fail(name, "leaf %d: a second close leaf", i)
		}
		if c.c == nil {
			v.fail(name, "leaf %d: close leaf does not parse", i)
			continue
		}
		if c.c.Size != i {
			v.fail(name, "leaf %d: close says size %d, want %d", i, c.c.Size, i)
		}
		if c.c.Ballots != c.ballots {
			v.fail(name, "leaf %d: close says %d ballots, the log has %d before it", i, c.c.Ballots, c.ballots)
		}
	}
	if len(v.closes) == 0 {
		v.fail(name, "no close leaf: the round is not closed")
	}
	v.check(name).passUnlessFailed()
}

// checkTree compares the tree hashed as the leaves passed with the final
// checkpoint. A missing or malformed final checkpoint fails it (and the
// checkpoints check), since the tree has nothing to equal.
func (v *verifier) checkTree() {
	const name = CheckTree
	t := v.tree
	v.root, _ = t.root(t.n)
	v.rep.Tree = Checkpoint{Origin: v.origin, Size: t.n, Root: v.root}
	if len(v.cps) == 0 {
		v.fail(name, "%s is empty: no final checkpoint", CheckpointsFile)
		return
	}
	v.final = v.cps[len(v.cps)-1]
	c, err := ParseCheckpointNote(v.final)
	if err != nil {
		v.fail(name, "final checkpoint: %v", err)
		return
	}
	if c.Size != t.n {
		v.fail(name, "final checkpoint has size %d, the record has %d leaves", c.Size, t.n)
		return
	}
	if c.Root != v.root {
		v.fail(name, "final checkpoint root %s differs from the record's tree hash %s", canon.EncodeB64(c.Root[:]), canon.EncodeB64(v.root[:]))
		return
	}
	v.check(name).pass()
}

// openCheckpoint opens a checkpoint with both anchor keys known, requiring
// the log key (and the council key when final).
func (v *verifier) openCheckpoint(msg []byte, final bool) (Checkpoint, error) {
	body, signed, err := openNote(msg, v.logV, v.councilV)
	if err != nil {
		return Checkpoint{}, err
	}
	if !signed[0] {
		return Checkpoint{}, fmt.Errorf("%w: not signed by the log key", ErrNotSigned)
	}
	if final && !signed[1] {
		return Checkpoint{}, fmt.Errorf("%w: final checkpoint not signed by the council key", ErrNotSigned)
	}
	c, err := ParseCheckpoint(body)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.origin {
		return Checkpoint{}, fmt.Errorf("%w: %q, want %q", ErrWrongOrigin, c.Origin, v.origin)
	}
	return c, nil
}

// consistent checks a verified checkpoint against the record's tree and
// adds a fork proof when it disagrees. It reports whether it agrees.
func (v *verifier) consistent(source string, msg []byte, c Checkpoint) bool {
	if v.tree == nil {
		return false
	}
	n := v.tree.n
	if c.Size > n {
		v.fail(CheckCheckpoints, "%s: the log signed a tree of size %d, the record has only %d leaves", source, c.Size, n)
		v.addFork(source, msg, c)
		return false
	}
	root, err := v.tree.root(c.Size)
	if err != nil {
		v.fail(CheckCheckpoints, "%s: %v", source, err)
		return false
	}
	if root != c.Root {
		v.fail(CheckCheckpoints, "%s: root at size %d is %s, the record's tree hash there is %s (fork)", source, c.Size, canon.EncodeB64(c.Root[:]), canon.EncodeB64(root[:]))
		v.addFork(source, msg, c)
		return false
	}
	return true
}

// addFork records a fork proof: the inconsistent checkpoint, the record's
// final checkpoint and, when the sizes allow, the consistency proof from
// the record's tree.
func (v *verifier) addFork(source string, msg []byte, c Checkpoint) {
	fp := ForkProof{Source: source, Checkpoint: string(msg), Final: string(v.final), Size: c.Size, RecordSize: v.tree.n}
	if c.Size <= v.tree.n {
		fp.RecordRoot, _ = v.tree.root(c.Size)
		if c.Size >= 1 {
			p, err := tlog.ProveTree(v.tree.n, c.Size, v.tree)
			if err == nil {
				fp.Proof = p
			}
		}
	}
	v.rep.ForkProofs = append(v.rep.ForkProofs, fp)
}

func (v *verifier) checkCheckpoints() {
	const name = CheckCheckpoints
	// A city's record has tens of thousands of checkpoints: their
	// signatures are checked on every core, the rest in order.
	type opened struct {
		c   Checkpoint
		err error
	}
	all := make([]opened, len(v.cps))
	forEach(len(v.cps), func(i int) {
		all[i].c, all[i].err = v.openCheckpoint(v.cps[i], i == len(v.cps)-1)
	})
	prev := int64(-1)
	for i, msg := range v.cps {
		src := fmt.Sprintf("%s line %d", CheckpointsFile, i+1)
		c, err := all[i].c, all[i].err
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
	if len(v.cps) == 0 {
		v.fail(name, "%s is empty", CheckpointsFile)
	}
	for _, s := range v.opts.Checkpoints {
		c, err := v.openCheckpoint(s.Bytes, false)
		if err != nil {
			v.fail(name, "%s: %v", s.Name, err)
			continue
		}
		v.consistent(s.Name, s.Bytes, c)
	}
	for _, s := range v.opts.Receipts {
		v.checkReceipt(s)
	}
	v.check(name).passUnlessFailed()
}

// checkReceipt verifies one receipt and its place in the record.
func (v *verifier) checkReceipt(s Source) {
	const name = CheckCheckpoints
	rr := ReceiptReport{Source: s.Name, Index: -1}
	defer func() { v.rep.Receipts = append(v.rep.Receipts, rr) }()
	bad := func(f string, a ...any) {
		rr.Problem = fmt.Sprintf(f, a...)
		v.fail(name, "receipt %s: %s", s.Name, rr.Problem)
	}
	r, err := ParseReceipt(s.Bytes)
	if err != nil {
		bad("%v", err)
		return
	}
	rr.Index = r.Index
	rr.Tracker = r.Tracker()
	c, err := r.Verify(v.origin, v.logV)
	if err != nil {
		bad("%v", err)
		return
	}
	rr.Checkpoint = c.Size
	if !v.consistent("receipt "+s.Name, r.Checkpoint, c) {
		rr.Problem = "its checkpoint is not consistent with the record"
		return
	}
	if r.Index >= v.n || !bytes.Equal(v.wanted[r.Index], r.Extra) {
		bad("leaf %d of the record is not the receipt's ballot", r.Index)
		return
	}
	rr.Included = true
	rr.Status = statusWords[v.status[r.Index]]
	if rr.Status == "" {
		rr.Status = statusWords[stInvalid]
	}
}

func (v *verifier) checkResults() {
	const name = CheckResults
	if v.m == nil || v.tree == nil {
		v.skip(name, "no trusted manifest or tree")
		return
	}
	if len(v.res) == 0 {
		v.fail(name, "%s is empty: no result published", ResultsFile)
		return
	}
	for i, msg := range v.res {
		src := fmt.Sprintf("%s line %d", ResultsFile, i+1)
		final := i == len(v.res)-1
		body, signed, err := openNote(msg, v.councilV, v.logV)
		if err == nil && !signed[0] {
			err = fmt.Errorf("%w: not signed by the council key", ErrNotSigned)
		}
		var r *Result
		if err == nil {
			r, err = ParseResult(body)
		}
		if err != nil {
			v.fail(name, "%s: %v", src, err)
			continue
		}
		if final {
			v.last = r
		}
		bad := func(f string, a ...any) { v.fail(name, "%s: %s", src, fmt.Sprintf(f, a...)) }
		if i == 0 {
			v.note(name, "the first result note links into fund %s's ledger with prev %s, the hash of the fund's previous result or first opening (docs/record.md §14.5); pbverify fund checks that link", r.Fund, canon.EncodeB64(r.Prev[:]))
		}
		if i > 0 && r.Prev != NoteHash(v.res[i-1]) {
			bad("prev is not the hash of the previous result note")
		}
		if r.Checkpoint.Size != v.tree.n || r.Checkpoint.Root != v.root {
			bad("names checkpoint %d %s, the final tree is %d %s", r.Checkpoint.Size, canon.EncodeB64(r.Checkpoint.Root[:]), v.tree.n, canon.EncodeB64(v.root[:]))
		}
		for _, p := range r.problems(v.m, v.mh) {
			bad("%s", p)
		}
	}
	v.check(name).passUnlessFailed()
}

// counted returns the choices of the counted ballots in log order.
func (v *verifier) counted() []*ballot.Ballot {
	type c struct {
		i int64
		b *ballot.Ballot
	}
	var cs []c
	for j := range v.keys {
		if ks := &v.keys[j]; ks.current != 0 {
			cs = append(cs, c{ks.current, ks.choice})
		}
	}
	slices.SortFunc(cs, func(a, b c) int { return cmp.Compare(a.i, b.i) })
	out := make([]*ballot.Ballot, len(cs))
	for k := range cs {
		out[k] = cs[k].b
	}
	return out
}

// countedIndexes returns the indexes of the counted ballot leaves in log
// order.
func (v *verifier) countedIndexes() []int64 {
	var idx []int64
	for i, st := range v.status {
		if st == stCounted {
			idx = append(idx, int64(i))
		}
	}
	return idx
}

// Votes returns each manifest project's votes from the counted ballots:
// approvals, or total points for cumulative ballots, in manifest order.
// Choices naming unknown projects are ignored (they never pass
// [ballot.Manifest.CheckChoices]).
func Votes(m *ballot.Manifest, counted []*ballot.Ballot) []int64 {
	idx := make(map[string]int, len(m.Projects))
	for i, p := range m.Projects {
		idx[p.ID] = i
	}
	votes := make([]int64, len(m.Projects))
	for _, b := range counted {
		for _, id := range b.Approve {
			if i, ok := idx[id]; ok {
				votes[i]++
			}
		}
		for _, p := range b.Points {
			if i, ok := idx[p.Project]; ok {
				votes[i] += p.N
			}
		}
	}
	return votes
}

func (v *verifier) checkRecount() {
	const name = CheckRecount
	if v.m == nil || v.roll == nil || v.tree == nil {
		v.skip(name, "no trusted manifest, roll or tree")
		return
	}
	counted := v.counted()
	votes := Votes(v.m, counted)
	v.rep.Projects = make([]ProjectTally, len(v.m.Projects))
	for i, p := range v.m.Projects {
		v.rep.Projects[i] = ProjectTally{ID: p.ID, Title: p.Title, Cost: p.Cost, Votes: votes[i]}
	}
	r := v.last
	if r == nil {
		v.skip(name, "no valid last result note to compare with")
		return
	}
	for i := range v.rep.Projects {
		if i < len(r.Projects) && r.Projects[i].ID == v.rep.Projects[i].ID {
			v.rep.Projects[i].Funded = r.Projects[i].Funded
			v.rep.Projects[i].Amount = r.Projects[i].Amount
		}
	}
	v.rep.Spent = r.Spent
	v.rep.Budget = r.Budget
	if r.Ballots != int64(len(counted)) {
		v.fail(name, "result says %d ballots, %d are counted", r.Ballots, len(counted))
	}
	if len(r.Projects) != len(votes) {
		v.fail(name, "result has %d projects, manifest %d", len(r.Projects), len(votes))
		return
	}
	for i, p := range r.Projects {
		if p.Votes != votes[i] {
			v.fail(name, "project %s: result says %d votes, recount gives %d", p.ID, p.Votes, votes[i])
		}
	}
	if v.opts.Count != nil {
		v.recountWithRule(r, counted)
	} else {
		v.note(name, "funded projects not recounted: no counting rule given")
	}
	v.check(name).passUnlessFailed()
}

func (v *verifier) recountWithRule(r *Result, counted []*ballot.Ballot) {
	const name = CheckRecount
	out, err := safeCount(v.opts.Count, v.m, counted, v.root)
	if err != nil {
		v.fail(name, "rule %s: %v", v.m.Rule, err)
		return
	}
	if len(out.Projects) != len(r.Projects) {
		v.fail(name, "rule %s gives %d projects, the result has %d", v.m.Rule, len(out.Projects), len(r.Projects))
		return
	}
	for i, p := range out.Projects {
		q := r.Projects[i]
		if p.ID != q.ID {
			v.fail(name, "rule %s: project %d is %q, the result has %q", v.m.Rule, i+1, p.ID, q.ID)
			continue
		}
		if p.Votes != q.Votes {
			v.fail(name, "project %s: rule %s gives %d votes, the result says %d", p.ID, v.m.Rule, p.Votes, q.Votes)
		}
		if p.Funded != q.Funded || p.Amount != q.Amount {
			v.fail(name, "project %s: rule %s gives %s %d, the result says %s %d", p.ID, v.m.Rule,
				fundedWord(p.Funded), p.Amount, fundedWord(q.Funded), q.Amount)
		}
	}
	if out.Spent != r.Spent {
		v.fail(name, "rule %s spends %d, the result says %d", v.m.Rule, out.Spent, r.Spent)
	}
	v.note(name, "counted again with rule %s, tie-break %s", v.m.Rule, v.m.Tiebreak)
}

// safeCount calls a CountFunc, turning a panic into an error so that a bug
// in a counting rule cannot crash the verifier.
func safeCount(f CountFunc, m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (out *Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("counting rule panicked: %v", p)
		}
	}()
	out, err = f(m, counted, seed)
	if err == nil && out == nil {
		err = fmt.Errorf("counting rule returned no outcome")
	}
	return out, err
}

func fundedWord(f bool) string {
	if f {
		return "funded"
	}
	return "not-funded"
}

func (v *verifier) fillCounts() {
	c := &v.rep.Counts
	c.Leaves = v.n
	c.Ballots = v.ballotLeaves
	c.Voids = v.voidLeaves
	for _, st := range v.status {
		switch st {
		case stCounted:
			c.Counted++
		case stSuperseded:
			c.Superseded++
		case stVoided:
			c.Voided++
		}
	}
	c.Invalid = c.Ballots - c.Counted - c.Superseded - c.Voided
	if v.roll != nil {
		c.Roll = int64(len(v.roll.Keys))
	} else if v.m != nil {
		c.Roll = int64(v.m.RollCount)
	}
}

// forEach calls f(0) … f(n−1) on every core, in chunks, and returns when all
// calls have returned. f must be safe to call concurrently.
func forEach(n int, f func(i int)) {
	const chunk = 64
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1)-1) * chunk
				if c >= n {
					return
				}
				for i := c; i < min(c+chunk, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}
