// Package store keeps the platform's state in one bbolt file: funds,
// communities, rounds, proposals, projects, manifests, rolls, each round's
// log (leaves, stored hashes, checkpoints, result notes), accounts,
// sessions and the action log. It is the only package that imports bbolt.
//
// Every value a method returns is a copy that outlives the transaction.
// Work happens inside [Store.View] and [Store.Update], which hand out a
// [Tx]; an Update is one bbolt transaction, committed with fsync before it
// returns, so whatever a caller acknowledges after Update returns is on
// disk.
//
// The bucket and key layout is documented in docs/operations.md.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/hedensted-pb/pb/ui/core"

	bolt "go.etcd.io/bbolt"
)

// Sentinel errors; test with [errors.Is].
var (
	// ErrNotFound reports a record that does not exist. It is
	// [core.ErrMissing], so a lookup that fails is a NotFound error of the
	// domain wherever it surfaces.
	ErrNotFound = core.ErrMissing
	// ErrExists reports a create of a record that already exists
	// ([core.ErrExists]).
	ErrExists = core.ErrExists
)

// schemaVersion is written to the meta bucket; Open refuses newer files
// and upgrades older ones. Schema 2 (this one) keeps each log's leaf
// index and voter states in memory and appends the voter journal
// (voter_log) instead of the buckets leaf_index and voters of schema 1
// (logmem.go).
const schemaVersion = 2

// Bucket names. The layout is described in docs/operations.md.
var (
	bMeta        = []byte("meta")
	bFunds       = []byte("funds")
	bCommunities = []byte("communities")
	bRounds      = []byte("rounds")
	bProposals   = []byte("proposals")
	bProjects    = []byte("projects")
	bManifests   = []byte("manifests")
	bRolls       = []byte("rolls")
	bSlips       = []byte("slips")
	bLogSize     = []byte("log_size")
	bLeaves      = []byte("leaves")
	bHashes      = []byte("hashes")
	bVoterLog    = []byte("voter_log")
	// Schema 1's buckets, removed by the upgrade to schema 2.
	bLeafIndex   = []byte("leaf_index")
	bVoters      = []byte("voters")
	bCheckpoints = []byte("checkpoints")
	bResults     = []byte("results")
	bAccounts    = []byte("accounts")
	bSessions    = []byte("sessions")
	bAudit       = []byte("audit")
	bFollowUps   = []byte("followups")

	allBuckets = [][]byte{bMeta, bFunds, bCommunities, bRounds, bProposals, bProjects, bManifests,
		bRolls, bLogSize, bLeaves, bHashes, bVoterLog, bCheckpoints, bResults, bAccounts,
		bSessions, bAudit, bSlips, bFollowUps}
)

// Store is an open database. Its methods are safe for concurrent use;
// bbolt allows many readers and one writer at a time.
type Store struct {
	db   *bolt.DB
	gen  atomic.Uint64 // write transactions committed since Open
	mems logMems       // the logs' leaf index and voter states (logmem.go)
}

// Open opens (creating if needed) the database file at path and its
// buckets. It waits at most a second for the file lock, so a second server
// on the same file fails instead of hanging. An existing file must pass
// [Check] first: an empty, truncated or inconsistent file is refused with
// an error wrapping [ErrDamaged] rather than served (or silently
// replaced by an empty database).
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	if err := preflight(path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: time.Second,
		// A large initial map keeps long read transactions (backups)
		// from blocking writers when the file grows.
		InitialMmapSize: 128 << 20,
		FreelistType:    bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get([]byte("schema")); v != nil {
			if len(v) != 8 {
				return errors.New("corrupt schema version")
			}
			got := binary.BigEndian.Uint64(v)
			if got > schemaVersion {
				return fmt.Errorf("database schema %d is newer than this server (%d)", got, schemaVersion)
			}
			if got == schemaVersion {
				return nil
			}
		}
		// A new file, or one of schema 1: its voters move into the
		// journal, its leaf index is dropped (both are kept in memory).
		if err := upgradeV2(tx); err != nil {
			return err
		}
		return meta.Put([]byte("schema"), u64(schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database; it waits for running transactions.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// View runs fn in a read-only transaction. Values fn obtains from tx are
// copies and may be kept.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer recoverTx(&err)
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx, s: s}) })
}

// Update runs fn in a read-write transaction and commits it (with fsync)
// when fn returns nil; when fn returns an error nothing is written and the
// error is returned unchanged. A commit that fails because the file
// cannot grow (a full disk) returns [core.ErrDiskFull].
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer recoverTx(&err)
	return s.update(fn)
}

// update is Update without the checks: one write transaction, then,
// after the commit, the logs' memory (logmem.go) is extended with what it
// appended and the generation grows.
func (s *Store) update(fn func(tx *Tx) error) error {
	w := &txWrites{}
	err := noSpace(s.db.Update(func(btx *bolt.Tx) error {
		clear(w.logs) // bbolt does not run fn twice, but be exact
		return fn(&Tx{tx: btx, s: s, w: w})
	}))
	if err == nil {
		s.applied(w)
		s.gen.Add(1)
	}
	return err
}

// Generation is a number that grows after every committed [Store.Update]
// (it is read after the commit has returned). A value computed from
// what a read transaction saw may be kept as long as Generation, read
// before that transaction began, has not changed since.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Backup writes a consistent copy of the whole database to w, from one
// read transaction, so writers keep going while it streams. It returns the
// number of bytes written. BackupSize tells the size beforehand only
// approximately (the file may grow), so callers stream without a length.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.View(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// Digest returns a SHA-256 hash of everything the store holds: every
// bucket, nested bucket, key and value, in bbolt's order. Two stores hold
// the same data exactly when their digests are equal, whatever their page
// layout; tests use it to show that a refused request changed nothing.
func (tx *Tx) Digest() [32]byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		_ = b.ForEach(func(k, v []byte) error {
			field(k)
			if v == nil { // a nested bucket
				h.Write([]byte{'B'})
				walk(b.Bucket(k))
				h.Write([]byte{'E'})
				return nil
			}
			h.Write([]byte{'V'})
			field(v)
			return nil
		})
	}
	_ = tx.tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		field(name)
		walk(b)
		h.Write([]byte{'E'})
		return nil
	})
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Tx is a transaction handed to the functions given to [Store.View] and
// [Store.Update]. It must not be used after that function returns.
type Tx struct {
	tx *bolt.Tx
	s  *Store
	w  *txWrites // what a write transaction wrote to logs (nil in reads)
}

func (tx *Tx) b(name []byte) *bolt.Bucket { return tx.tx.Bucket(name) }

// getJSON decodes the JSON value at key into v, or returns ErrNotFound.
func (tx *Tx) getJSON(bucket, key []byte, v any) error {
	data := tx.b(bucket).Get(key)
	if data == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: decode %s/%q: %w", bucket, key, err)
	}
	return nil
}

func (tx *Tx) putJSON(bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%q: %w", bucket, key, err)
	}
	return tx.b(bucket).Put(key, data)
}

// listJSON decodes every value under prefix, in key order.
func listJSON[T any](tx *Tx, bucket, prefix []byte) ([]T, error) {
	var out []T
	c := tx.b(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("store: decode %s/%q: %w", bucket, k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// rkey is the key prefix of a round's records in shared buckets: the round
// ID and a zero byte (IDs never contain one).
func rkey(round string, suffix ...[]byte) []byte {
	k := append([]byte(round), 0)
	for _, s := range suffix {
		k = append(k, s...)
	}
	return k
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Meta returns the value of a metadata key, or ErrNotFound.
func (tx *Tx) Meta(key string) ([]byte, error) {
	v := tx.b(bMeta).Get([]byte("x:" + key))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

// PutMeta sets a metadata key.
func (tx *Tx) PutMeta(key string, value []byte) error {
	return tx.b(bMeta).Put([]byte("x:"+key), value)
}

// Fund returns the fund with the given ID, or ErrNotFound.
func (tx *Tx) Fund(id string) (core.Fund, error) {
	var f core.Fund
	return f, tx.getJSON(bFunds, []byte(id), &f)
}

// Funds returns every fund in ID order.
func (tx *Tx) Funds() ([]core.Fund, error) { return listJSON[core.Fund](tx, bFunds, nil) }

// CreateFund stores a new fund, or returns ErrExists.
func (tx *Tx) CreateFund(f core.Fund) error {
	if tx.b(bFunds).Get([]byte(f.ID)) != nil {
		return fmt.Errorf("fund %s: %w", f.ID, ErrExists)
	}
	return tx.putJSON(bFunds, []byte(f.ID), f)
}

// PutFund stores a fund, replacing any with the same ID.
func (tx *Tx) PutFund(f core.Fund) error { return tx.putJSON(bFunds, []byte(f.ID), f) }

// Community returns the community with the given ID, or ErrNotFound.
func (tx *Tx) Community(id string) (core.Community, error) {
	var c core.Community
	return c, tx.getJSON(bCommunities, []byte(id), &c)
}

// Communities returns every community in ID order.
func (tx *Tx) Communities() ([]core.Community, error) {
	return listJSON[core.Community](tx, bCommunities, nil)
}

// CreateCommunity stores a new community, or returns ErrExists.
func (tx *Tx) CreateCommunity(c core.Community) error {
	if tx.b(bCommunities).Get([]byte(c.ID)) != nil {
		return fmt.Errorf("community %s: %w", c.ID, ErrExists)
	}
	return tx.putJSON(bCommunities, []byte(c.ID), c)
}

// PutCommunity stores a community, replacing any with the same ID.
func (tx *Tx) PutCommunity(c core.Community) error {
	return tx.putJSON(bCommunities, []byte(c.ID), c)
}

// Round returns the round with the given ID, or ErrNotFound.
func (tx *Tx) Round(id string) (core.Round, error) {
	var r core.Round
	return r, tx.getJSON(bRounds, []byte(id), &r)
}

// Rounds returns every round in ID order.
func (tx *Tx) Rounds() ([]core.Round, error) { return listJSON[core.Round](tx, bRounds, nil) }

// CreateRound stores a new round, or returns ErrExists.
func (tx *Tx) CreateRound(r core.Round) error {
	if tx.b(bRounds).Get([]byte(r.ID)) != nil {
		return fmt.Errorf("round %s: %w", r.ID, ErrExists)
	}
	return tx.putJSON(bRounds, []byte(r.ID), r)
}

// PutRound stores a round, replacing any with the same ID.
func (tx *Tx) PutRound(r core.Round) error { return tx.putJSON(bRounds, []byte(r.ID), r) }

// Proposals returns a round's proposals in submission order.
func (tx *Tx) Proposals(round string) ([]core.Proposal, error) {
	return listJSON[core.Proposal](tx, bProposals, rkey(round))
}

// Proposal returns one proposal, or ErrNotFound.
func (tx *Tx) Proposal(round string, id int64) (core.Proposal, error) {
	var p core.Proposal
	if id < 1 {
		return p, ErrNotFound
	}
	return p, tx.getJSON(bProposals, rkey(round, u64(uint64(id))), &p)
}

// AddProposal stores a new proposal, numbering it after the round's last
// one, and returns it with its ID set.
func (tx *Tx) AddProposal(p core.Proposal) (core.Proposal, error) {
	c := tx.b(bProposals).Cursor()
	prefix := rkey(p.Round)
	next := prefixEnd(prefix)
	var last uint64
	k, _ := c.Seek(next)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k != nil && hasPrefix(k, prefix) && len(k) == len(prefix)+8 {
		last = binary.BigEndian.Uint64(k[len(prefix):])
	}
	p.ID = int64(last + 1)
	return p, tx.putJSON(bProposals, rkey(p.Round, u64(last+1)), p)
}

// PutProposal replaces an existing proposal, or returns ErrNotFound.
func (tx *Tx) PutProposal(p core.Proposal) error {
	k := rkey(p.Round, u64(uint64(p.ID)))
	if p.ID < 1 || tx.b(bProposals).Get(k) == nil {
		return fmt.Errorf("proposal %s/%d: %w", p.Round, p.ID, ErrNotFound)
	}
	return tx.putJSON(bProposals, k, p)
}

// prefixEnd returns the smallest key greater than every key with prefix
// (prefix ends in a zero byte, so incrementing the last byte is enough).
func prefixEnd(prefix []byte) []byte {
	e := clone(prefix)
	e[len(e)-1]++
	return e
}

// Projects returns a round's projects in ID order.
func (tx *Tx) Projects(round string) ([]core.Project, error) {
	return listJSON[core.Project](tx, bProjects, rkey(round))
}

// Project returns one project, or ErrNotFound.
func (tx *Tx) Project(round, id string) (core.Project, error) {
	var p core.Project
	return p, tx.getJSON(bProjects, rkey(round, []byte(id)), &p)
}

// PutProject stores a project, replacing any with the same round and ID.
func (tx *Tx) PutProject(p core.Project) error {
	return tx.putJSON(bProjects, rkey(p.Round, []byte(p.ID)), p)
}

// DeleteProject removes a project; removing a missing one is not an error.
func (tx *Tx) DeleteProject(round, id string) error {
	return tx.b(bProjects).Delete(rkey(round, []byte(id)))
}

// Manifest returns a round's signed manifest note, or ErrNotFound before
// freeze.
func (tx *Tx) Manifest(round string) ([]byte, error) {
	v := tx.b(bManifests).Get([]byte(round))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

// PutManifest stores a round's manifest note. A manifest, once stored,
// never changes: a second call returns ErrExists.
func (tx *Tx) PutManifest(round string, note []byte) error {
	if tx.b(bManifests).Get([]byte(round)) != nil {
		return fmt.Errorf("manifest of %s: %w", round, ErrExists)
	}
	return tx.b(bManifests).Put([]byte(round), note)
}

// Roll returns a round's roll.txt, or ErrNotFound.
func (tx *Tx) Roll(round string) ([]byte, error) {
	v := tx.b(bRolls).Get([]byte(round))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

// PutRoll stores a round's roll.txt, replacing any earlier one. (The
// server refuses to replace it once the round is frozen.)
func (tx *Tx) PutRoll(round string, roll []byte) error {
	return tx.b(bRolls).Put([]byte(round), roll)
}

// Account returns an account, or ErrNotFound.
func (tx *Tx) Account(name string) (core.Account, error) {
	var a core.Account
	return a, tx.getJSON(bAccounts, []byte(name), &a)
}

// Accounts returns every account in name order.
func (tx *Tx) Accounts() ([]core.Account, error) { return listJSON[core.Account](tx, bAccounts, nil) }

// CreateAccount stores a new account, or returns ErrExists.
func (tx *Tx) CreateAccount(a core.Account) error {
	if tx.b(bAccounts).Get([]byte(a.Name)) != nil {
		return fmt.Errorf("account %s: %w", a.Name, ErrExists)
	}
	return tx.putJSON(bAccounts, []byte(a.Name), a)
}

// PutAccount stores an account, replacing any with the same name.
func (tx *Tx) PutAccount(a core.Account) error { return tx.putJSON(bAccounts, []byte(a.Name), a) }

// Session returns the session stored under id (the SHA-256 of the
// session token), or ErrNotFound.
func (tx *Tx) Session(id [32]byte) (core.Session, error) {
	var s core.Session
	return s, tx.getJSON(bSessions, id[:], &s)
}

// PutSession stores a session under id.
func (tx *Tx) PutSession(id [32]byte, s core.Session) error { return tx.putJSON(bSessions, id[:], s) }

// DeleteSession removes a session; removing a missing one is not an error.
func (tx *Tx) DeleteSession(id [32]byte) error { return tx.b(bSessions).Delete(id[:]) }

// DeleteSessionsOf removes every session of account except the one
// stored under keep, and returns how many it removed.
func (tx *Tx) DeleteSessionsOf(account string, keep [32]byte) (int, error) {
	var dead [][]byte
	err := tx.b(bSessions).ForEach(func(k, v []byte) error {
		var s core.Session
		if json.Unmarshal(v, &s) == nil && s.Account == account && string(k) != string(keep[:]) {
			dead = append(dead, clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range dead {
		if err := tx.b(bSessions).Delete(k); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}

// DeleteExpiredSessions removes sessions that expired before now and
// returns how many it removed.
func (tx *Tx) DeleteExpiredSessions(now time.Time) (int, error) {
	var dead [][]byte
	err := tx.b(bSessions).ForEach(func(k, v []byte) error {
		var s core.Session
		if json.Unmarshal(v, &s) != nil || s.Expires.Before(now) {
			dead = append(dead, clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range dead {
		if err := tx.b(bSessions).Delete(k); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}

// AppendAudit adds an entry to the action log, setting its Seq.
func (tx *Tx) AppendAudit(e core.AuditEntry) (core.AuditEntry, error) {
	seq, err := tx.b(bAudit).NextSequence()
	if err != nil {
		return e, err
	}
	e.Seq = seq
	return e, tx.putJSON(bAudit, u64(seq), e)
}

// Audit returns the newest entries of the action log, newest first, at
// most limit of them (all when limit ≤ 0).
func (tx *Tx) Audit(limit int) ([]core.AuditEntry, error) {
	var out []core.AuditEntry
	c := tx.b(bAudit).Cursor()
	for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
		var e core.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("store: decode audit entry: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
