package core

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the class of an [Error]: what the caller did wrong, in terms a
// transport can map to a status (the web layer does so in one place).
type Kind uint8

// The kinds of error. Do not reorder: values may be logged.
const (
	Internal     Kind = iota // a fault of the server; the detail is logged, never shown
	Invalid                  // the request is malformed or breaks a rule
	Unauthorized             // not signed in, or wrong credentials
	Forbidden                // signed in, but not allowed
	NotFound                 // no such thing
	Conflict                 // not possible in the current state (phase, used code, ...)
	TooLarge                 // the request is larger than allowed
	Unavailable              // try again later (busy, shutting down)
	TooMany                  // too many attempts; try again later
	Unsupported              // the request's media type is not accepted
)

var kindNames = [...]string{"internal", "invalid", "unauthorized", "forbidden", "not found", "conflict", "too large", "unavailable", "too many", "unsupported"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Reason is a stable, machine-readable name of a specific condition
// ("code_used", "voided", ...). The web layer sends it to clients as the
// error's "code", and pages choose their translated message by it.
type Reason string

// Error is an error with a public face: Kind and Msg may be shown to the
// client, Err (if any) only goes to the server log. Operations return
// *Error for every condition a user can cause; any other error is
// internal.
type Error struct {
	Kind   Kind
	Reason Reason // "" for a generic error of its kind
	Msg    string // public message: lower-case, no trailing period, no secrets
	Err    error  // detail for the log; never sent to the client
	// RetryAfter, when positive, tells the client when to try again (the
	// web layer sends it as Retry-After, rounded up to whole seconds).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := e.Kind.String() + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCodeUsed) and the like true for any *Error
// with the sentinel's reason, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason != "" && t.Reason == e.Reason
}

// Errorf returns an *Error of kind k with a formatted public message.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Invalidf, Forbiddenf, NotFoundf and Conflictf are [Errorf] of their kind.
func Invalidf(format string, args ...any) *Error   { return Errorf(Invalid, format, args...) }
func Forbiddenf(format string, args ...any) *Error { return Errorf(Forbidden, format, args...) }
func NotFoundf(format string, args ...any) *Error  { return Errorf(NotFound, format, args...) }
func Conflictf(format string, args ...any) *Error  { return Errorf(Conflict, format, args...) }

// With returns a copy of the sentinel e with a more specific public
// message; errors.Is still matches the sentinel.
func (e *Error) With(format string, args ...any) *Error {
	c := *e
	c.Msg = fmt.Sprintf(format, args...)
	return &c
}

// Sentinels for conditions the pages explain in their own words. Compare
// with errors.Is; the returned errors may carry a more specific message.
var (
	// ErrCodeUsed: the code's key has a ballot and the round allows no revote.
	ErrCodeUsed = &Error{Kind: Conflict, Reason: "code_used", Msg: "this voting code has already been used: under this round's rules only the first ballot counts"}
	// ErrSuperseded: under revote last, the ballot is byte-identical to an
	// earlier ballot of its code that a later one replaced (a replayed old
	// cast). A leaf is logged once, so it cannot count again; the later
	// ballot keeps counting. Casting the same choice anew (a new cast
	// nonce) is a new ballot, which counts.
	ErrSuperseded = &Error{Kind: Conflict, Reason: "superseded", Msg: "this exact ballot was sent before and a later ballot with the same code replaced it, which is the one that counts; to choose it again, vote again"}
	// ErrVoided: the council voided the code's key.
	ErrVoided = &Error{Kind: Conflict, Reason: "voided", Msg: "this voting code was voided by the council: ask for a reserve slip"}
	// ErrNotOnRoll: the code's key is not on the round's roll.
	ErrNotOnRoll = &Error{Kind: Forbidden, Reason: "not_on_roll", Msg: "this voting code is not on the round's roll"}
	// ErrBadCode: the text is not a well-formed voting code (a typo).
	ErrBadCode = &Error{Kind: Invalid, Reason: "bad_code", Msg: "the voting code is not valid: check it for typing mistakes"}
	// ErrNotOpen: the round does not take ballots now (not yet open, or closed).
	ErrNotOpen = &Error{Kind: Conflict, Reason: "not_open", Msg: "voting in this round is not open"}
	// ErrClosed: voting in the round has ended (a special case of not open).
	ErrClosed = &Error{Kind: Conflict, Reason: "closed", Msg: "voting in this round has closed"}
	// ErrFrozen: the round's manifest is signed; its settings cannot change.
	ErrFrozen = &Error{Kind: Conflict, Reason: "frozen", Msg: "the round is frozen: its manifest is signed and cannot change"}
	// ErrSlipsMade: codes asked for a round that is frozen: its slips were
	// made at its freeze, and a frozen round never gets new codes.
	ErrSlipsMade = &Error{Kind: Conflict, Reason: "slips_made", Msg: "the round is frozen: its slips were made at freeze and no new codes can be made"}
	// ErrSlipsGone: the sealed copy of a round's slips was destroyed when
	// voting opened.
	ErrSlipsGone = &Error{Kind: Conflict, Reason: "slips_gone", Msg: "voting has opened, so the copy of the slips has been destroyed: hand out reserve slips instead"}
	// ErrNoSlipCopy: no sealed copy of the round's slips was kept (codes
	// made without a passphrase, or a roll uploaded).
	ErrNoSlipCopy = &Error{Kind: Conflict, Reason: "no_slip_copy", Msg: "no copy of this round's slips was kept: they were made without a passphrase, or the codes were made elsewhere"}
	// ErrSlipPassphrase: the passphrase does not open the sealed copy.
	ErrSlipPassphrase = &Error{Kind: Invalid, Reason: "slip_passphrase", Msg: "the passphrase does not open the copy of the slips"}
	// ErrWrongPhase: the action is not allowed in the round's phase.
	ErrWrongPhase = &Error{Kind: Conflict, Reason: "wrong_phase", Msg: "not possible in the round's current phase"}
	// ErrFromProposal: the project comes from a resident's proposal; it
	// changes only by deciding the proposal again.
	ErrFromProposal = &Error{Kind: Conflict, Reason: "from_proposal", Msg: "the project comes from a proposal: decide the proposal again instead"}
	// ErrBallotInvalid: the ballot breaks the round's rules or is malformed.
	ErrBallotInvalid = &Error{Kind: Invalid, Reason: "ballot_invalid", Msg: "the ballot is not valid"}
	// ErrHandedOut: the slips handed out are more than the slips printed.
	ErrHandedOut = &Error{Kind: Invalid, Reason: "handed_out", Msg: "slips handed out must be at most the slips printed"}
	// ErrMissing: a record that does not exist (the store's not-found).
	ErrMissing = &Error{Kind: NotFound, Reason: "not_found", Msg: "not found"}
	// ErrExists: a record to be created exists already (the store's).
	ErrExists = &Error{Kind: Conflict, Reason: "exists", Msg: "already exists"}
	// ErrLoginLocked: too many failed sign-ins for the account; it is
	// locked for a while (known devices of the account are not).
	ErrLoginLocked = &Error{Kind: TooMany, Reason: "login_locked", Msg: "too many failed sign-ins for this account: try again later"}
	// ErrTooManyLogins: too many failed sign-ins from this client.
	ErrTooManyLogins = &Error{Kind: TooMany, Reason: "too_many_logins", Msg: "too many failed sign-ins from this device: try again later"}
	// ErrLoginBusy: too many sign-ins are being checked at once.
	ErrLoginBusy = &Error{Kind: Unavailable, Reason: "login_busy", Msg: "the server is checking too many sign-ins: try again in a moment"}
	// ErrTooManyProposals: this client sent too many proposals too fast.
	ErrTooManyProposals = &Error{Kind: TooMany, Reason: "too_many_proposals", Msg: "too many proposals sent from this device: try again later"}
	// ErrProposalsFull: the round holds MaxProposals proposals.
	ErrProposalsFull = &Error{Kind: Conflict, Reason: "proposals_full", Msg: "the round cannot take more proposals"}
	// ErrTooManyBallots: the key has cast MaxBallotsPerKey ballots (revote
	// last); its last ballot keeps counting.
	ErrTooManyBallots = &Error{Kind: TooMany, Reason: "too_many_ballots", Msg: "this voting code has changed its vote too many times: its last ballot counts"}
	// ErrDiskFull: the server's disk is full; nothing was stored.
	ErrDiskFull = &Error{Kind: Unavailable, Reason: "disk_full", Msg: "the server cannot store anything right now (its disk is full); try again later"}
	// ErrShuttingDown: the server is stopping; the request may be retried.
	ErrShuttingDown = &Error{Kind: Unavailable, Reason: "shutting_down", Msg: "the server is shutting down; try again in a moment"}
)

// KindOf returns the kind of err: that of the first *Error in its chain,
// or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// ReasonOf returns the reason of the first *Error in err's chain, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
