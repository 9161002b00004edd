package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

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
	return nil
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
