package core

import "fmt"

// Phase is where a round is in its lifecycle. Phases only move forward, in
// the order of the constants below; [Next] gives the one move allowed from
// each, and [Allows] says which actions each phase permits.
type Phase string

// The phases of a round.
const (
	PhaseDraft     Phase = "draft"     // being set up by the coordinator
	PhaseProposals Phase = "proposals" // residents submit ideas
	PhaseReview    Phase = "review"    // the coordinator accepts, rejects and prices ideas
	PhaseFrozen    Phase = "frozen"    // manifest signed, roll attached, leaf 0 logged
	PhaseVoting    Phase = "voting"    // ballots are accepted
	PhaseClosed    Phase = "closed"    // close leaf and co-signed final checkpoint logged
	PhasePublished Phase = "published" // result note signed and published
)

var phases = [...]Phase{PhaseDraft, PhaseProposals, PhaseReview, PhaseFrozen, PhaseVoting, PhaseClosed, PhasePublished}

// Phases returns every phase in lifecycle order.
func Phases() []Phase { return append([]Phase(nil), phases[:]...) }

// Order is the position of p in the lifecycle (0 for draft), or -1 for an
// unknown phase.
func (p Phase) Order() int {
	for i, q := range phases {
		if p == q {
			return i
		}
	}
	return -1
}

// Valid reports whether p is one of the phases.
func (p Phase) Valid() bool { return p.Order() >= 0 }

// Frozen reports whether the round's manifest is fixed (frozen or later).
func (p Phase) Frozen() bool { return p.Order() >= PhaseFrozen.Order() }

// Closed reports whether voting has ended (closed or published): the
// record is public from then on.
func (p Phase) Closed() bool { return p.Order() >= PhaseClosed.Order() }

// Next returns the phase after p and true, or "" and false for the last
// phase and for unknown phases.
func Next(p Phase) (Phase, bool) {
	i := p.Order()
	if i < 0 || i+1 >= len(phases) {
		return "", false
	}
	return phases[i+1], true
}

// Action is something done to a round. [Allows] decides by the round's
// phase whether it may be done; the services check nothing else about
// phases.
type Action string

// The actions on a round.
const (
	ActEdit          Action = "edit"           // change settings (title, budget, ballot, rule, ...)
	ActPropose       Action = "propose"        // a resident submits an idea
	ActReview        Action = "review"         // accept or reject a proposal
	ActEditProjects  Action = "edit-projects"  // add, change or delete a project directly
	ActUploadRoll    Action = "upload-roll"    // attach a roll made offline
	ActAdvance       Action = "advance"        // move by hand to the next phase (draft→proposals→review)
	ActFreeze        Action = "freeze"         // sign the manifest (with server-made codes or an uploaded roll)
	ActScheduleOpen  Action = "schedule-open"  // set or clear when voting opens by itself
	ActScheduleClose Action = "schedule-close" // set or clear when voting closes by itself
	ActOpen          Action = "open"           // start voting
	ActVote          Action = "vote"           // append a ballot
	ActVoid          Action = "void"           // cancel a key's ballots (a stolen slip)
	ActClose         Action = "close"          // end voting
	ActHandedOut     Action = "handed-out"     // record how many slips were handed out
	ActPublish       Action = "publish"        // count, sign and publish the result
	ActReadRecord    Action = "read-record"    // download the full record
	ActReadResult    Action = "read-result"    // read the signed result
	ActCancel        Action = "cancel"         // withdraw a round before publication (not while voting), releasing its budget
)

// phaseSet is a set of phases, bit i for the phase of order i.
type phaseSet uint8

func in(ps ...Phase) phaseSet {
	var s phaseSet
	for _, p := range ps {
		s |= 1 << p.Order()
	}
	return s
}

func (s phaseSet) has(p Phase) bool { return p.Valid() && s&(1<<p.Order()) != 0 }

// lifecycle is the one table of phases × actions: for each action, the
// phases that allow it and the error for the others. Every phase check of
// the platform reads it.
var lifecycle = map[Action]struct {
	allowed phaseSet
	refuse  func(p Phase) *Error
}{
	ActEdit:          {in(PhaseDraft, PhaseProposals, PhaseReview), frozenOr("settings")},
	ActPropose:       {in(PhaseProposals), wrong("the round is not collecting proposals")},
	ActReview:        {in(PhaseReview), frozenOrWrong("proposals are reviewed in the review phase")},
	ActEditProjects:  {in(PhaseDraft, PhaseProposals, PhaseReview), frozenOr("projects")},
	ActUploadRoll:    {in(PhaseDraft, PhaseProposals, PhaseReview), frozenOr("roll")},
	ActAdvance:       {in(PhaseDraft, PhaseProposals), wrong("only draft and proposals move on by hand")},
	ActFreeze:        {in(PhaseReview), frozenOrWrong("a round is frozen from the review phase")},
	ActScheduleOpen:  {in(PhaseDraft, PhaseProposals, PhaseReview, PhaseFrozen), wrong("voting has already opened")},
	ActScheduleClose: {in(PhaseDraft, PhaseProposals, PhaseReview, PhaseFrozen, PhaseVoting), wrong("voting has already closed")},
	ActOpen:          {in(PhaseFrozen), wrong("voting opens only on a frozen round")},
	ActVote:          {in(PhaseVoting), notOpen},
	ActVoid:          {in(PhaseVoting), notOpen},
	ActClose:         {in(PhaseVoting), wrong("only a round in voting can be closed")},
	ActHandedOut:     {in(PhaseFrozen, PhaseVoting, PhaseClosed), wrong("the slips handed out are counted from freeze until publication")},
	ActPublish:       {in(PhaseClosed), wrong("only a closed round can be published")},
	ActReadRecord:    {in(PhaseClosed, PhasePublished), wrong("the record is published when voting closes")},
	ActReadResult:    {in(PhasePublished), wrong("the round has no published result yet")},
	ActCancel:        {in(PhaseDraft, PhaseProposals, PhaseReview, PhaseFrozen, PhaseClosed), wrong("a round is cancelled before voting opens or after it closes, and never once published")},
}

func wrong(why string) func(Phase) *Error {
	return func(p Phase) *Error { return ErrWrongPhase.With("%s (the round is in phase %s)", why, p) }
}

func frozenOr(what string) func(Phase) *Error {
	return func(p Phase) *Error {
		return ErrFrozen.With("the round is frozen (phase %s): its manifest is signed, so its %s cannot change", p, what)
	}
}

func frozenOrWrong(why string) func(Phase) *Error {
	return func(p Phase) *Error {
		if p.Frozen() {
			return ErrFrozen.With("the round is frozen (phase %s): its manifest is signed and cannot change", p)
		}
		return wrong(why)(p)
	}
}

func notOpen(p Phase) *Error {
	if p.Closed() {
		return ErrClosed.With("voting in this round has closed (phase %s)", p)
	}
	return ErrNotOpen.With("voting in this round is not open (phase %s)", p)
}

// Allows returns nil if a round in phase p permits action a, and
// otherwise an *Error of kind Conflict whose reason says why
// ([ErrFrozen], [ErrNotOpen], [ErrClosed] or [ErrWrongPhase]). An unknown
// action is an internal error.
func Allows(p Phase, a Action) error {
	row, ok := lifecycle[a]
	if !ok {
		return fmt.Errorf("core: unknown action %q", a)
	}
	if !p.Valid() {
		return fmt.Errorf("core: unknown phase %q", p)
	}
	if row.allowed.has(p) {
		return nil
	}
	return row.refuse(p)
}

// Actions returns every action, in the order of the constants.
func Actions() []Action {
	return []Action{ActEdit, ActPropose, ActReview, ActEditProjects, ActUploadRoll, ActAdvance, ActFreeze,
		ActScheduleOpen, ActScheduleClose, ActOpen, ActVote, ActVoid, ActClose, ActHandedOut, ActPublish,
		ActReadRecord, ActReadResult, ActCancel}
}

// ErrCancelled refuses every action on a cancelled round ([Round.Cancelled]).
var ErrCancelled = &Error{Kind: Conflict, Reason: "cancelled", Msg: "the round was cancelled"}

// Blocker is one reason a round cannot be frozen yet; the admin page shows
// them all and the freeze refuses with the first.
type Blocker struct {
	Reason Reason // "phase", "pending", "no_projects", "nothing_fits", "over_budget", "no_roll"
	N      int    // the count it is about (pending proposals), else 0
}

// BlockerReasons lists every reason [FreezeBlockers] can give, so that
// pages can be checked to explain each.
func BlockerReasons() []Reason {
	return []Reason{"phase", "pending", "no_projects", "nothing_fits", "over_budget", "no_roll", "groups"}
}

// FreezeState is what the freeze checks about a round.
type FreezeState struct {
	Phase    Phase
	Pending  int   // proposals still awaiting a decision
	Projects int   // projects on the ballot
	Roll     bool  // a roll is attached (uploaded), or codes will be made now
	Budget   int64 // the round's budget
	Left     int64 // the most the budget may be: what the community has left (tally/fund Headroom)
	Cheapest int64 // the cost of the cheapest project (0 without projects)
	Cost     int64 // the cost of all projects together
	// Ungrouped is a project an exclusion group names that the round no
	// longer has (deleted since the group was set); empty when none.
	Ungrouped string
}

// FreezeBlockers lists every reason a round in state s cannot be frozen,
// in the order the freeze reports them; none means it can.
func FreezeBlockers(s FreezeState) []Blocker {
	var bs []Blocker
	if Allows(s.Phase, ActFreeze) != nil {
		bs = append(bs, Blocker{Reason: "phase"})
	}
	if s.Pending > 0 {
		bs = append(bs, Blocker{Reason: "pending", N: s.Pending})
	}
	if s.Projects == 0 {
		bs = append(bs, Blocker{Reason: "no_projects"})
	} else if s.Cheapest > s.Budget {
		bs = append(bs, Blocker{Reason: "nothing_fits"})
	}
	if s.Budget > s.Left {
		bs = append(bs, Blocker{Reason: "over_budget"})
	}
	if !s.Roll {
		bs = append(bs, Blocker{Reason: "no_roll"})
	}
	if s.Ungrouped != "" {
		bs = append(bs, Blocker{Reason: "groups"})
	}
	return bs
}

// WarningReasons lists every reason [FreezeWarnings] can give.
func WarningReasons() []Reason { return []Reason{"over_cost"} }

// FreezeWarnings lists what the coordinator should know before freezing a
// round in state s, without preventing it: "over_cost" when the projects
// together cost more than the budget (not all can be funded).
func FreezeWarnings(s FreezeState) []Blocker {
	if s.Projects > 0 && s.Cost > s.Budget {
		return []Blocker{{Reason: "over_cost"}}
	}
	return nil
}

// BlockerError is the error the freeze returns for b.
func BlockerError(round string, p Phase, b Blocker) *Error {
	switch b.Reason {
	case "phase":
		if e, ok := Allows(p, ActFreeze).(*Error); ok {
			return e
		}
	case "pending":
		return Conflictf("cannot freeze round %s: %d proposals still await a decision", round, b.N)
	case "no_projects":
		return Conflictf("cannot freeze round %s: it has no projects", round)
	case "nothing_fits":
		return Conflictf("cannot freeze round %s: no project fits the budget, so the result would fund nothing", round)
	case "over_budget":
		return Conflictf("cannot freeze round %s: its budget is more than its community has left in the fund after every other round's reservation", round)
	case "no_roll":
		return Conflictf("cannot freeze round %s: attach a roll first (freeze with codes, or upload roll.txt)", round)
	case "groups":
		return Conflictf("cannot freeze round %s: an exclusion group names a project that is no longer on the ballot; change the exclusion groups", round)
	}
	return Conflictf("cannot freeze round %s", round)
}
