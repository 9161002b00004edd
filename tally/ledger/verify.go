package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

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
// §11). It must be deterministic.
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

// leaf statuses.
const (
	statusCounted    = "counted"
	statusSuperseded = "superseded"
	statusVoided     = "voided"
	statusInvalid    = "invalid"
)

// leafInfo is what the verifier learned about one leaf.
type leafInfo struct {
	kind   LeafKind
	ballot *ballot.Ballot
	void   *Void
	close  *Close
	bad    bool   // failed a per-leaf check; a bad ballot is not counted
	status string // for ballots: counted, superseded, voided or invalid
}

// verifier carries the state of one Verify run.
type verifier struct {
	rec  *Record
	opts VerifyOptions
	rep  *Report

	logV, councilV note.Verifier
	origin         string

	m     *ballot.Manifest
	mh    [32]byte
	roll  *ballot.Roll
	infos []leafInfo
	tree  *memTree
	root  tlog.Hash // record tree hash at N
	final []byte    // the final checkpoint note from checkpoints.txt
	last  *Result   // the last result note, when it opens
}

// Verify runs the checks of docs/record.md §10.3 on rec, in order, and
// returns the report. It collects every failure it can find, continuing
// past failures where later checks still mean something and marking a
// check skipped when what it needs failed. It never panics and never
// modifies rec.
func Verify(rec *Record, opts VerifyOptions) *Report {
	v := &verifier{rec: rec, opts: opts, rep: newReport(opts)}
	if rec == nil {
		v.rec = &Record{}
	}
	v.checkAnchors()
	if !v.passed(CheckAnchors) {
		v.skipRest(CheckManifest, "the trust anchors are unusable")
		return v.rep
	}
	v.checkManifest()
	v.checkRoll()
	v.parseLeaves()
	v.checkKeys()
	v.checkSignatures()
	v.checkLimits()
	v.checkOneBallot()
	v.checkClose()
	v.checkTree()
	v.checkCheckpoints()
	v.checkResults()
	v.checkRecount()
	if opts.Attendance > 0 {
		v.checkAttendance()
	}
	if opts.Unused != nil {
		v.checkUnused()
	}
	v.fillCounts()
	return v.rep
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
	ballotsBy := make(map[[32]byte][]int)
	for i, info := range v.infos {
		if info.ballot != nil {
			ballotsBy[info.ballot.Key] = append(ballotsBy[info.ballot.Key], i)
		}
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
		for _, leaf := range ballotsBy[k] {
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
	if len(v.rec.Leaves) == 0 {
		v.fail(name, "the log has no leaves (leaf 0 must be the manifest)")
		return
	}
	leaf := v.rec.Leaves[0]
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

func (v *verifier) checkRoll() {
	const name = CheckRoll
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	r, err := ballot.ParseRoll(v.rec.Roll)
	if err != nil {
		v.fail(name, "%s: %v", RollFile, err)
		return
	}
	ok := true
	if r.Round != v.m.Round {
		v.fail(name, "roll is for round %q, manifest for %q", r.Round, v.m.Round)
		ok = false
	}
	if h := r.Hash(); h != v.m.RollHash {
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

// parseLeaves runs the leaves check: every leaf after 0 parses canonically
// as a ballot, void or close leaf of this round and manifest.
func (v *verifier) parseLeaves() {
	const name = CheckLeaves
	v.infos = make([]leafInfo, len(v.rec.Leaves))
	if len(v.infos) > 0 {
		v.infos[0].kind = KindOf(v.rec.Leaves[0])
	}
	if v.m == nil {
		for i := 1; i < len(v.infos); i++ {
			v.infos[i].kind = KindOf(v.rec.Leaves[i])
			v.infos[i].bad = true
		}
		v.skip(name, "no trusted manifest")
		return
	}
	for i := 1; i < len(v.rec.Leaves); i++ {
		leaf := v.rec.Leaves[i]
		info := &v.infos[i]
		info.kind = KindOf(leaf)
		bad := func(f string, a ...any) {
			info.bad = true
			v.fail(name, "leaf %d: %s", i, fmt.Sprintf(f, a...))
		}
		switch info.kind {
		case LeafBallot:
			b, err := ballot.ParseBallot(leaf)
			if err != nil {
				bad("%v", err)
				continue
			}
			info.ballot = b
			if b.Round != v.m.Round {
				bad("ballot for round %q", b.Round)
			} else if b.Manifest != v.mh {
				bad("ballot names another manifest")
			}
		case LeafVoid:
			body, err := noteBody(leaf)
			if err == nil {
				info.void, err = ParseVoid(body)
			}
			if err != nil {
				bad("void: %v", err)
				continue
			}
			if info.void.Round != v.m.Round {
				bad("void for round %q", info.void.Round)
			} else if info.void.Manifest != v.mh {
				bad("void names another manifest")
			}
		case LeafClose:
			body, err := noteBody(leaf)
			if err == nil {
				info.close, err = ParseClose(body)
			}
			if err != nil {
				bad("close: %v", err)
				continue
			}
			if info.close.Round != v.m.Round {
				bad("close for round %q", info.close.Round)
			} else if info.close.Manifest != v.mh {
				bad("close names another manifest")
			}
		case LeafManifest:
			bad("a second manifest")
		default:
			bad("unknown leaf kind")
		}
	}
	v.check(name).passUnlessFailed()
}

func (v *verifier) checkKeys() {
	const name = CheckKeys
	if v.m == nil || v.roll == nil {
		v.skip(name, "no trusted manifest and roll")
		v.markAllBallotsBad()
		return
	}
	for i := range v.infos {
		info := &v.infos[i]
		var k [32]byte
		switch {
		case info.ballot != nil:
			k = info.ballot.Key
		case info.void != nil:
			k = info.void.Key
		default:
			continue
		}
		if !v.roll.Contains(k) {
			info.bad = true
			v.fail(name, "leaf %d: %s key %s is not in the roll", i, kindWord(info.kind), canon.EncodeB64(k[:]))
		}
	}
	v.check(name).passUnlessFailed()
}

// markAllBallotsBad excludes every ballot from counting when a check that
// needs the roll or manifest could not run.
func (v *verifier) markAllBallotsBad() {
	for i := range v.infos {
		v.infos[i].bad = true
	}
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

func (v *verifier) checkSignatures() {
	const name = CheckSignatures
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	for i := range v.infos {
		info := &v.infos[i]
		leaf := v.rec.Leaves[i]
		switch {
		case info.ballot != nil:
			if err := info.ballot.VerifySignature(); err != nil {
				info.bad = true
				v.fail(name, "leaf %d: %v", i, err)
			}
		case info.void != nil || info.close != nil:
			_, signed, err := openNote(leaf, v.councilV, v.logV)
			switch {
			case err != nil:
				info.bad = true
				v.fail(name, "leaf %d: %s: %v", i, kindWord(info.kind), err)
			case !signed[0]:
				info.bad = true
				v.fail(name, "leaf %d: %s is not signed by the council key", i, kindWord(info.kind))
			}
		}
	}
	v.check(name).passUnlessFailed()
}

func (v *verifier) checkLimits() {
	const name = CheckLimits
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	for i := range v.infos {
		info := &v.infos[i]
		if info.ballot == nil {
			continue
		}
		if err := v.m.CheckChoices(info.ballot); err != nil {
			info.bad = true
			v.fail(name, "leaf %d: %v", i, err)
		}
	}
	v.check(name).passUnlessFailed()
}

// checkOneBallot applies the revote policy and voids with [AdmitBallot],
// the rule the server applies before appending, and sets each ballot's
// status.
func (v *verifier) checkOneBallot() {
	const name = CheckOneBallot
	if v.m == nil {
		v.skip(name, "no trusted manifest")
		return
	}
	keys := make(map[[32]byte]KeyState) // what the log holds for each key before leaf i
	voidedAt := make(map[[32]byte]int)  // key → index of its latest valid void
	current := make(map[[32]byte]int)   // key → index of its counted ballot so far
	firstSeen := make(map[[32]byte]int) // key → index of its first ballot leaf
	logged := make(map[tlog.Hash]int64) // ballot leaf hash → index of its first copy
	for i := range v.infos {
		info := &v.infos[i]
		switch {
		case info.void != nil && !info.bad:
			k := info.void.Key
			voidedAt[k] = i
			ks := keys[k]
			ks.Voided = true
			keys[k] = ks
			if j, ok := current[k]; ok {
				v.infos[j].status = statusVoided
				delete(current, k)
			}
		case info.ballot != nil:
			k := info.ballot.Key
			ks := keys[k]
			h := tlog.RecordHash(v.rec.Leaves[i])
			same, dup := logged[h]
			if !dup {
				same = -1
				logged[h] = int64(i)
			}
			adm, err := AdmitBallot(v.m.Revote, ks, same)
			switch {
			case adm == Append:
			case adm == Repeat:
				v.fail(name, "leaf %d: repeats leaf %d byte for byte (a repeated ballot gets the receipt of its leaf and is not logged again)", i, same)
			case errors.Is(err, ErrKeyVoided):
				v.fail(name, "leaf %d: ballot after the void of its key (leaf %d)", i, voidedAt[k])
			case errors.Is(err, ErrSupersededRepeat):
				v.fail(name, "leaf %d: repeats leaf %d byte for byte, a ballot of its key superseded by leaf %d", i, same, ks.Last)
			case errors.Is(err, ErrKeyUsed):
				v.fail(name, "leaf %d: second ballot of a key (first at leaf %d) under revote none", i, firstSeen[k])
			default:
				v.fail(name, "leaf %d: %v", i, err)
			}
			if adm != Append {
				info.bad = true
			}
			if ks.Ballots == 0 {
				firstSeen[k] = i
			}
			ks.Ballots++
			ks.Last = int64(i)
			keys[k] = ks
			if info.bad {
				info.status = statusInvalid
				continue
			}
			if j, ok := current[k]; ok {
				// Only reachable under revote last.
				v.infos[j].status = statusSuperseded
			}
			current[k] = i
			info.status = statusCounted
		}
	}
	v.check(name).passUnlessFailed()
}

func (v *verifier) checkClose() {
	const name = CheckClose
	n := len(v.infos)
	closes := 0
	ballots := int64(0)
	for i := range v.infos {
		info := &v.infos[i]
		switch info.kind {
		case LeafBallot:
			ballots++
		case LeafClose:
			if i == 0 {
				continue
			}
			closes++
			if i != n-1 {
				v.fail(name, "close leaf %d is not the last leaf: %d leaves follow it", i, n-1-i)
			}
			if closes > 1 {
				v.fail(name, "leaf %d: a second close leaf", i)
			}
			if c := info.close; c != nil {
				if c.Size != int64(i) {
					v.fail(name, "leaf %d: close says size %d, want %d", i, c.Size, i)
				}
				if c.Ballots != ballots {
					v.fail(name, "leaf %d: close says %d ballots, the log has %d before it", i, c.Ballots, ballots)
				}
			} else {
				v.fail(name, "leaf %d: close leaf does not parse", i)
			}
		}
	}
	if closes == 0 {
		v.fail(name, "no close leaf: the round is not closed")
	}
	v.check(name).passUnlessFailed()
}

func (v *verifier) checkTree() {
	const name = CheckTree
	t, err := buildTree(v.rec.Leaves)
	if err != nil {
		v.fail(name, "%v", err)
		return
	}
	v.tree = t
	v.root, _ = t.root(t.n)
	v.rep.Tree = Checkpoint{Origin: v.origin, Size: t.n, Root: v.root}
	if len(v.rec.Checkpoints) == 0 {
		v.fail(name, "%s is empty: no final checkpoint", CheckpointsFile)
		return
	}
	v.final = v.rec.Checkpoints[len(v.rec.Checkpoints)-1]
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
	prev := int64(-1)
	for i, msg := range v.rec.Checkpoints {
		src := fmt.Sprintf("%s line %d", CheckpointsFile, i+1)
		final := i == len(v.rec.Checkpoints)-1
		c, err := v.openCheckpoint(msg, final)
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
	if len(v.rec.Checkpoints) == 0 {
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
	if r.Index >= int64(len(v.rec.Leaves)) || !bytes.Equal(v.rec.Leaves[r.Index], r.Extra) {
		bad("leaf %d of the record is not the receipt's ballot", r.Index)
		return
	}
	rr.Included = true
	if int(r.Index) < len(v.infos) {
		rr.Status = v.infos[r.Index].status
		if rr.Status == "" {
			rr.Status = statusInvalid
		}
	}
}

func (v *verifier) checkResults() {
	const name = CheckResults
	if v.m == nil || v.tree == nil {
		v.skip(name, "no trusted manifest or tree")
		return
	}
	if len(v.rec.Results) == 0 {
		v.fail(name, "%s is empty: no result published", ResultsFile)
		return
	}
	for i, msg := range v.rec.Results {
		src := fmt.Sprintf("%s line %d", ResultsFile, i+1)
		final := i == len(v.rec.Results)-1
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
		if i > 0 && r.Prev != NoteHash(v.rec.Results[i-1]) {
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

// counted returns the counted ballots in log order.
func (v *verifier) counted() []*ballot.Ballot {
	var out []*ballot.Ballot
	for i := range v.infos {
		if v.infos[i].ballot != nil && v.infos[i].status == statusCounted {
			out = append(out, v.infos[i].ballot)
		}
	}
	return out
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
		v.rep.Projects[i] = ProjectTally{ID: p.ID, Cost: p.Cost, Votes: votes[i]}
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
	c.Leaves = int64(len(v.rec.Leaves))
	for i := range v.infos {
		info := &v.infos[i]
		switch info.kind {
		case LeafBallot:
			c.Ballots++
			switch info.status {
			case statusCounted:
				c.Counted++
			case statusSuperseded:
				c.Superseded++
			case statusVoided:
				c.Voided++
			default:
				c.Invalid++
			}
		case LeafVoid:
			c.Voids++
		}
	}
	if v.roll != nil {
		c.Roll = int64(len(v.roll.Keys))
	} else if v.m != nil {
		c.Roll = int64(v.m.RollCount)
	}
}
