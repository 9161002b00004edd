package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged reports a database file that is not a whole, consistent
// bbolt database: empty, truncated, or failing bbolt's own consistency
// check. [Open] and [Check] return errors wrapping it; test with
// [errors.Is].
var ErrDamaged = errors.New("database damaged")

// maxProblems is how many problems a damaged file's error lists.
const maxProblems = 10

// Check runs the full consistency check on the database file at path
// without changing it: the file is not empty, is as long as its meta page
// says (a shorter file would crash the process with SIGBUS on the first
// read of a missing page), and passes bbolt's consistency check
// ([bolt.Tx.Check]: every page reachable or free exactly once, keys in
// order, no page bbolt would panic on). It opens the file read-only, so it
// waits (at most a second) while a server holds the file. It returns nil,
// an error wrapping [ErrDamaged] that names the problems, or another error
// when the file cannot be read at all (missing, locked).
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return check(path, fi)
}

// check is Check after the stat.
func check(path string, fi os.FileInfo) (err error) {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("store: %s is not a regular file", path)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("store: %s is empty (0 bytes), not a database: %w", path, ErrDamaged)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return fmt.Errorf("store: %s is in use by another process", path)
		}
		// bbolt refuses files whose meta pages are both invalid.
		return fmt.Errorf("store: %s: %w: %v", path, ErrDamaged, err)
	}
	defer db.Close()
	// A panic while checking (bbolt asserts on impossible pages) is a
	// damaged file too.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: %s: %w: %v", path, ErrDamaged, r)
		}
	}()
	tx, err := db.Begin(false)
	if err != nil {
		return fmt.Errorf("store: %s: %w: %v", path, ErrDamaged, err)
	}
	defer tx.Rollback()
	// The meta page's high-water mark needs this many bytes; a shorter
	// file was truncated (and mapping past its end raises SIGBUS).
	if need := tx.Size(); need > fi.Size() {
		return fmt.Errorf("store: %s is truncated: %d bytes, its pages need %d: %w", path, fi.Size(), need, ErrDamaged)
	}
	var problems []string
	n := 0
	for cerr := range tx.Check() {
		n++
		if len(problems) < maxProblems {
			problems = append(problems, cerr.Error())
		}
	}
	if n > 0 {
		msg := fmt.Sprintf("store: %s fails the consistency check (%d problems)", path, n)
		for _, p := range problems {
			msg += "\n  " + p
		}
		return fmt.Errorf("%s: %w", msg, ErrDamaged)
	}
	if problems := checkLogs(tx); len(problems) > 0 {
		msg := fmt.Sprintf("store: %s: the logs' records contradict each other (%d problems)", path, len(problems))
		for i, p := range problems {
			if i == maxProblems {
				break
			}
			msg += "\n  " + p
		}
		return fmt.Errorf("%s: %w", msg, ErrDamaged)
	}
	return nil
}

// checkLogs checks what [Open] relies on to build a log's memory
// (logmem.go) in the schema the file has: in schema 2 the voter journal
// (every entry well formed, at a size the log has reached, pointing back
// to an earlier entry of the same key that exists), and a level-0 stored
// hash for every leaf (the leaf index is built from them); a file of
// schema 1 is upgraded by Open and is checked as before.
func checkLogs(tx *bolt.Tx) []string {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return nil // a file from before the buckets (Open creates them)
	}
	v := meta.Get([]byte("schema"))
	if len(v) != 8 || binary.BigEndian.Uint64(v) < 2 {
		return nil
	}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for _, old := range [][]byte{bLeafIndex, bVoters} {
		if tx.Bucket(old) != nil {
			add("bucket %s of schema 1 in a file of schema 2", old)
		}
	}
	sizes, journal, hashes := tx.Bucket(bLogSize), tx.Bucket(bVoterLog), tx.Bucket(bHashes)
	if sizes == nil || journal == nil || hashes == nil {
		add("bucket log_size, voter_log or hashes missing")
		return problems
	}
	size := func(round string) int64 {
		sv := sizes.Get([]byte(round))
		if len(sv) != 8 {
			return 0
		}
		return int64(binary.BigEndian.Uint64(sv))
	}
	_ = journal.ForEach(func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			add("voter journal key %x without a log name", k)
			return nil
		}
		round := string(k[:i])
		at, key, _, prev, err := parseJournal(round, k, v)
		if err != nil {
			add("log %s: voter journal entry %x: %v", round, k, err)
			return nil
		}
		if n := size(round); at > n {
			add("log %s: voter journal entry at size %d, the log has %d leaves", round, at, n)
		}
		if prev > 0 && journal.Get(rkey(round, u64(uint64(prev)), key[:])) == nil {
			add("log %s: voter journal entry at size %d points back to a missing entry at %d", round, at, prev)
		}
		return nil
	})
	_ = sizes.ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			add("log %s: size of %d bytes", k, len(v))
			return nil
		}
		n := int64(binary.BigEndian.Uint64(v))
		if n == 0 {
			return nil
		}
		// Every leaf's stored hash (the leaf index is built from
		// them), in one pass over the log's stored hashes.
		prefix := rkey(string(k))
		c := hashes.Cursor()
		next := int64(0)
		for hk, hv := c.Seek(prefix); hk != nil && hasPrefix(hk, prefix) && next < n; hk, hv = c.Next() {
			if len(hk) != len(prefix)+8 || len(hv) != len(tlog.Hash{}) {
				add("log %s: stored hash %x malformed", k, hk)
				return nil
			}
			switch x := int64(binary.BigEndian.Uint64(hk[len(prefix):])); {
			case x == tlog.StoredHashIndex(0, next):
				next++
			case x > tlog.StoredHashIndex(0, next):
				add("log %s: the stored hash of leaf %d is missing", k, next)
				return nil
			}
		}
		if next < n {
			add("log %s: stored hashes for %d of its %d leaves", k, next, n)
		}
		return nil
	})
	return problems
}

// recoverTx turns a panic inside a transaction (bbolt asserting on a
// page damaged after the start, or a bug in the caller's function) into
// an error, so that it fails one request or one batch rather than the
// process. bbolt has rolled the transaction back by then (its View and
// Update roll back in a deferred call), so the store stays usable.
func recoverTx(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("store: transaction panicked (a damaged page, or a bug): %v\n%s", r, debug.Stack())
	}
}

// preflight is the check Open runs before opening a file for writing: a
// missing file is fine (Open creates it); an existing one must pass
// [Check].
func preflight(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := check(path, fi); err != nil {
		if errors.Is(err, ErrDamaged) {
			return fmt.Errorf("%w\nrefusing to start on it: restore pb.db from a backup (docs/operations.md), or move it away to start a new database", err)
		}
		return err
	}
	return nil
}

// CheckKeyFiles checks that dir is a key directory whose every "*.key"
// file holds a note private key as [Keyring] writes it. It returns the
// number of key files, or an error naming the files that do not parse.
func CheckKeyFiles(dir string) (int, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("store: key directory: %w", err)
	}
	if !fi.IsDir() {
		return 0, fmt.Errorf("store: key directory %s is not a directory", dir)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil {
		return 0, fmt.Errorf("store: key directory: %w", err)
	}
	var bad []string
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err == nil {
			skey := strings.TrimSuffix(string(data), "\n")
			if _, err = note.NewSigner(skey); err == nil {
				_, err = verifierKey(skey)
			}
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", filepath.Base(name), err))
		}
	}
	if len(bad) > 0 {
		return len(names), fmt.Errorf("store: damaged key files in %s:\n  %s", dir, strings.Join(bad, "\n  "))
	}
	return len(names), nil
}
