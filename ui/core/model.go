package core

import (
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/fund"
)

// Fund is a municipality's pooled budget (pulje), paid out in yearly
// tranches and shared among communities by a formula.
type Fund struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Total    int64     `json:"total"`    // whole DKK over all tranches
	Tranches []Tranche `json:"tranches"` // in year order
	Formula  string    `json:"formula"`  // tally.FormulaEqual, FormulaPerInhabitant, FormulaBasePerInhabitant
	Base     int64     `json:"base"`     // per-community base amount (base+per-inhabitant only)
	// Openings are the tranches opened so far, each with the allocation
	// frozen at its opening; Closings the tranches closed so far, each with
	// what every community carried over (tally/fund).
	Openings []fund.Opening `json:"openings,omitempty"`
	Closings []fund.Closing `json:"closings,omitempty"`
	// ResultHead is the b64 hash of the last result note published in this
	// fund's chain, empty before the first.
	ResultHead string    `json:"result_head,omitempty"`
	Created    time.Time `json:"created"`
	// Origin and FundKey are the fund ledger's log origin and the vkey
	// that signs its entries and checkpoints (docs/record.md §14.5); empty
	// for a fund stored before the ledger existed (upgraded at start).
	Origin  string `json:"origin,omitempty"`
	FundKey string `json:"fund_key,omitempty"`
}

// Tranche is one year's part of a fund.
type Tranche = fund.Tranche

// Community is a local area (lokalområde) taking part in a fund.
type Community struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Population int64  `json:"population"`
	Fund       string `json:"fund"`
	// Removed is set when the community left the fund: it has no share of
	// the tranches opened afterwards.
	Removed bool      `json:"removed,omitempty"`
	Created time.Time `json:"created"`
}

// Round is one community's participatory-budgeting round.
type Round struct {
	ID          string            `json:"id"`
	Community   string            `json:"community"`
	Fund        string            `json:"fund"`
	Year        int               `json:"year"` // the fund tranche the round spends
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Budget      int64             `json:"budget"`
	Phase       Phase             `json:"phase"`
	Ballot      ballot.BallotSpec `json:"ballot"`
	Rule        string            `json:"rule"`
	Tiebreak    string            `json:"tiebreak"`
	Revote      string            `json:"revote"`
	Categories  []Category        `json:"categories"`
	// Minimum and Exclusive are the manifest's counting options
	// (docs/record.md §5, docs/counting.md §2.8): the least number of votes
	// (points on cumulative ballots) a project needs to be funded, 0 for
	// none, and groups of project IDs of which at most one is funded.
	Minimum   int64      `json:"minimum,omitempty"`
	Exclusive [][]string `json:"exclusive,omitempty"`

	LogOrigin  string `json:"log_origin"`
	LogKey     string `json:"log_key"`     // vkey
	CouncilKey string `json:"council_key"` // vkey

	// Set when the roll is attached.
	RollSource string `json:"roll_source,omitempty"` // "generated" or "uploaded"
	RollCount  int    `json:"roll_count,omitempty"`
	// RollReserve is how many of the generated codes are reserve slips
	// (0 for an uploaded roll: the server cannot tell).
	RollReserve int `json:"roll_reserve,omitempty"`
	// HandedOut is how many slips were handed out, set by the coordinator
	// for the turnout; 0 means the non-reserve slips (RollCount-RollReserve).
	HandedOut int `json:"handed_out,omitempty"`
	// VoidLeaves are the log indexes of the council's void leaves, so that
	// the projector counts ballots without them.
	VoidLeaves []int64 `json:"void_leaves,omitempty"`

	// Set at freeze.
	ManifestHash string `json:"manifest_hash,omitempty"` // b64
	Fingerprint  string `json:"fingerprint,omitempty"`   // 16 Crockford digits

	// Optional schedule; zero means the coordinator opens or closes by hand.
	OpensAt  time.Time `json:"opens_at,omitzero"`
	ClosesAt time.Time `json:"closes_at,omitzero"`

	// Cancelled is set when the round was withdrawn before its freeze: its
	// budget is released and every action on it is refused (ErrCancelled).
	Cancelled time.Time `json:"cancelled,omitzero"`

	// MeetingAt and MeetingPlace are when and where the town meeting is
	// held, for the poster; not part of the manifest, so they may change
	// until voting closes.
	MeetingAt    time.Time `json:"meeting_at,omitzero"`
	MeetingPlace string    `json:"meeting_place,omitempty"`

	// Set at publication.
	Spent      int64  `json:"spent,omitempty"`       // the result's total funded amount
	ResultHash string `json:"result_hash,omitempty"` // b64 hash of the last result note

	Created   time.Time `json:"created"`
	Frozen    time.Time `json:"frozen,omitzero"`
	Opened    time.Time `json:"opened,omitzero"`
	Closed    time.Time `json:"closed,omitzero"`
	Published time.Time `json:"published,omitzero"`
}

// Category is a project category of a round.
type Category struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Proposal statuses.
const (
	ProposalPending  = "pending"
	ProposalAccepted = "accepted"
	ProposalRejected = "rejected"
)

// Proposal is a resident's idea for a round. The coordinator accepts it
// (it becomes a [Project]) or rejects it with a public reason.
type Proposal struct {
	Round         string `json:"round"`
	ID            int64  `json:"id"` // 1, 2, ... per round
	Title         string `json:"title"`
	Description   string `json:"description"`
	EstimatedCost int64  `json:"estimated_cost"`
	Category      string `json:"category"`
	Status        string `json:"status"`
	Reason        string `json:"reason,omitempty"`  // public reason of the decision
	Project       string `json:"project,omitempty"` // project ID once accepted
	// Merged is set when the proposal was accepted into a project made
	// from another proposal (or by the coordinator) rather than as a
	// project of its own.
	Merged bool `json:"merged,omitempty"`
	// TitleEN and DescriptionEN are the proposal in English, when the
	// proposer gave it in both languages (optional).
	TitleEN       string    `json:"title_en,omitempty"`
	DescriptionEN string    `json:"description_en,omitempty"`
	Submitted     time.Time `json:"submitted"`
	Decided       time.Time `json:"decided,omitzero"`
}

// Project is an entry on a round's ballot.
type Project struct {
	Round       string `json:"round"`
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Cost        int64  `json:"cost"` // final cost set by the coordinator
	Category    string `json:"category"`
	Proposal    int64  `json:"proposal,omitempty"` // the proposal it came from, if any
}

// Roles of an [Account].
const (
	RoleAdmin       = "admin"       // municipality administrator: everything
	RoleCoordinator = "coordinator" // one community's coordinator
)

// Account is a user of the administration.
type Account struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Community    string    `json:"community,omitempty"` // coordinators only
	PasswordHash string    `json:"password_hash"`       // PHC string, argon2id
	Created      time.Time `json:"created"`
	// Disabled is set when an administrator disabled the account: it
	// cannot sign in and its sessions have ended.
	Disabled time.Time `json:"disabled,omitzero"`
}

// Session is a logged-in browser or client. It is stored under the
// SHA-256 of its token, so the database never holds a usable cookie.
type Session struct {
	Account string    `json:"account"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// AuditEntry is one line of the administration's action log. It never
// holds voting codes, private keys or ballot choices.
type AuditEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Action  string    `json:"action"`
	Target  string    `json:"target,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Voter is what the log knows about one roll key.
type Voter struct {
	Ballots int   // ballot leaves by this key
	Last    int64 // index of its last ballot leaf; meaningful when Ballots > 0
	Voided  bool  // a void leaf for this key is in the log
}
