package core

import (
	"context"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// Store is the storage the services work on; package store implements it
// over one bbolt file. Read runs fn in a read transaction, Write in the
// one write transaction of the moment, which commits (with fsync) when fn
// returns nil and changes nothing when it returns an error. Values read
// in a transaction are copies the caller may keep.
type Store interface {
	Read(ctx context.Context, fn func(tx Tx) error) error
	Write(ctx context.Context, fn func(tx Tx) error) error
	// RoundLogStorage is a round's log outside any transaction, each
	// call in a read transaction of its own (for proofs).
	RoundLogStorage(round string) ledger.Storage
	// Backup writes a consistent copy of the whole store to w.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	// Generation grows after every committed Write. What was computed
	// from a Read may be kept while Generation, read before that Read
	// began, has not changed.
	Generation() uint64
}

// Tx is one transaction of a [Store]. Lookups of a missing record return
// an error matching [ErrMissing]; creating a record that exists returns
// one matching [ErrExists].
type Tx interface {
	Fund(id string) (Fund, error)
	Funds() ([]Fund, error)
	CreateFund(f Fund) error
	PutFund(f Fund) error

	Community(id string) (Community, error)
	Communities() ([]Community, error)
	CreateCommunity(c Community) error
	PutCommunity(c Community) error

	Round(id string) (Round, error)
	Rounds() ([]Round, error)
	CreateRound(r Round) error
	PutRound(r Round) error

	Proposals(round string) ([]Proposal, error)
	Proposal(round string, id int64) (Proposal, error)
	AddProposal(p Proposal) (Proposal, error)
	PutProposal(p Proposal) error
	// FollowUp and PutFollowUp hold a proposal's private side: the
	// proposer's contact, the hash of the follow-up link and the messages.
	FollowUp(round string, id int64) (FollowUp, error)
	PutFollowUp(f FollowUp) error

	Projects(round string) ([]Project, error)
	Project(round, id string) (Project, error)
	PutProject(p Project) error
	DeleteProject(round, id string) error

	Manifest(round string) ([]byte, error)
	PutManifest(round string, note []byte) error
	Roll(round string) ([]byte, error)
	PutRoll(round string, roll []byte) error

	Account(name string) (Account, error)
	Accounts() ([]Account, error)
	CreateAccount(a Account) error
	PutAccount(a Account) error

	Session(id [32]byte) (Session, error)
	PutSession(id [32]byte, s Session) error
	DeleteSession(id [32]byte) error
	DeleteExpiredSessions(now time.Time) (int, error)

	AppendAudit(e AuditEntry) (AuditEntry, error)
	Audit(limit int) ([]AuditEntry, error)

	DeleteSessionsOf(account string, keep [32]byte) (int, error)

	// Meta and PutMeta hold the store's own small records (versions,
	// upgrade marks).
	Meta(key string) ([]byte, error)
	PutMeta(key string, value []byte) error

	// SealedSlips holds a round's slip codes sealed under the
	// coordinator's passphrase, from freeze until voting opens.
	SealedSlips(round string) ([]byte, error)
	PutSealedSlips(round string, sealed []byte) error
	DeleteSealedSlips(round string) error

	// RoundLog is round's log within this transaction.
	RoundLog(round string) Log
	// FundLog is fund's ledger (docs/record.md §14.5) within this
	// transaction: a log like a round's, kept apart from every round's.
	FundLog(fund string) Log
}

// Log is a round's transparency log within a transaction: the leaves and
// hashes ([ledger.Storage]), what the log knows of each roll key, the
// signed checkpoints and the result notes.
type Log interface {
	ledger.Storage
	Leaf(i int64) ([]byte, error)
	ForEachLeaf(fn func(i int64, leaf []byte) error) error
	Find(h tlog.Hash) (int64, error)
	LeafHashes(n int64) ([]tlog.Hash, error)

	Voter(key [32]byte) (Voter, error)
	PutVoter(key [32]byte, v Voter) error
	// ForEachVoter calls fn for every key the log records something for.
	ForEachVoter(fn func(key [32]byte, v Voter) error) error

	PutCheckpoint(size int64, note []byte) error
	LatestCheckpoint() (int64, []byte, error)
	CheckpointCovering(i int64) (int64, []byte, error)
	Checkpoints() ([][]byte, error)

	AppendResult(note []byte) error
	Results() ([][]byte, error)
}
