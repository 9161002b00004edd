package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hedensted-pb/pb/ui/store"
)

// errIO marks errors reading the data directory (exit status 2, like
// usage errors), as opposed to a check that fails (1).
var errIO = errors.New("i/o")

const checkUsage = `usage: pbserver check DIR

Runs the full consistency check on the data directory DIR of a stopped
server (or a restored backup): the database DIR/pb.db (not empty, not
truncated, bbolt's consistency check over every page) and the key files in
DIR/keys. Exit status: 0 whole, 1 damaged, 2 usage or I/O error.
`

// runCheck is "pbserver check DIR".
func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pbserver check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return fmt.Errorf("%w: help requested", errUsage)
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one data directory", errUsage)
	}
	dir := fs.Arg(0)
	db := filepath.Join(dir, "pb.db")
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("%w: %v", errIO, err)
	}
	if err := store.Check(db); err != nil {
		if errors.Is(err, store.ErrDamaged) {
			return err
		}
		return fmt.Errorf("%w: %v", errIO, err)
	}
	fmt.Fprintf(stdout, "pbserver: %s: database whole\n", db)
	n, err := store.CheckKeyFiles(filepath.Join(dir, "keys"))
	if err != nil {
		if n == 0 {
			return fmt.Errorf("%w: %v", errIO, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "pbserver: %s: %d key files readable\n", filepath.Join(dir, "keys"), n)
	return nil
}

// checkDataDir refuses to start on a data directory that looks like a
// database was lost: no pb.db (or an empty one) beside key files. Open
// and CheckKeys check the rest.
func checkDataDir(data string) error {
	db := filepath.Join(data, "pb.db")
	fi, err := os.Stat(db)
	if err == nil && fi.Size() > 0 {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("database: %w", err)
	}
	keys, _ := filepath.Glob(filepath.Join(data, "keys", "*.key"))
	if len(keys) == 0 {
		return nil // a new data directory (an empty pb.db is refused by store.Open)
	}
	state := "is missing"
	if err == nil {
		state = "is empty (0 bytes)"
	}
	return fmt.Errorf("database %s %s but %s holds %d signing keys: the database was lost; restore pb.db from a backup (docs/operations.md), or move keys/ away to start a new platform",
		db, state, filepath.Join(data, "keys"), len(keys))
}
