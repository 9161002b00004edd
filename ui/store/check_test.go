package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// filledDB writes a closed database with enough leaves that the leaves
// bucket has pages of its own, and returns its path.
func filledDB(t *testing.T) string {
	t.Helper()
	s := MustOpen(t)
	err := s.Update(context.Background(), func(tx *Tx) error {
		for i := range 400 {
			k := rkey("r", u64(uint64(i)))
			if err := tx.b(bLeaves).Put(k, []byte(strings.Repeat(fmt.Sprint(i%10), 100))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// boltInfo returns the page size, the size the meta page needs and the
// root page of the leaves bucket of the database at path.
func boltInfo(t *testing.T, path string) (pageSize int, need int64, leavesRoot uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		need = tx.Size()
		leavesRoot = uint64(tx.Bucket(bLeaves).Root())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db.Info().PageSize, need, leavesRoot
}

// TestCheckAndOpenRefuseDamage: an empty, truncated, garbage or damaged
// file is refused by Check and by Open with ErrDamaged (and neither
// panics nor crashes); a whole file passes and opens.
func TestCheckAndOpenRefuseDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, path string)
		damaged bool
		want    string // in the error
	}{
		{"whole", func(t *testing.T, path string) {}, false, ""},
		{"empty", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, true, "empty (0 bytes)"},
		{"truncated", func(t *testing.T, path string) {
			ps, need, _ := boltInfo(t, path)
			if err := os.Truncate(path, need-int64(ps)); err != nil {
				t.Fatal(err)
			}
		}, true, "truncated"},
		{"garbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 2000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, true, "damaged"},
		{"damaged-page", func(t *testing.T, path string) {
			ps, _, root := boltInfo(t, path)
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			junk := []byte(strings.Repeat("\xab", ps))
			if _, err := f.WriteAt(junk, int64(root)*int64(ps)); err != nil {
				t.Fatal(err)
			}
		}, true, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filledDB(t)
			tt.damage(t, path)
			cerr := Check(path)
			s, oerr := Open(path)
			if s != nil {
				defer s.Close()
			}
			if !tt.damaged {
				if cerr != nil || oerr != nil {
					t.Fatalf("Check = %v, Open = %v; want nil, nil", cerr, oerr)
				}
				return
			}
			for name, err := range map[string]error{"Check": cerr, "Open": oerr} {
				if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s = %v, want ErrDamaged mentioning %q", name, err, tt.want)
				}
			}
			if oerr != nil && !strings.Contains(oerr.Error(), "refusing to start") {
				t.Errorf("Open = %v, want the advice", oerr)
			}
			// Nothing was changed or created by the refusal.
			if tt.name == "empty" {
				if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
					t.Errorf("empty file after Open: %v, %v", fi, err)
				}
			}
		})
	}
}

// TestCheckMissing: a missing file is an I/O error, not damage; Open
// creates it.
func TestCheckMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pb.db")
	if err := Check(path); err == nil || errors.Is(err, ErrDamaged) {
		t.Errorf("Check(missing) = %v, want a non-damage error", err)
	}
}

// TestPanicInTransaction: a panic inside a transaction becomes an error;
// nothing of the transaction is written and the store goes on working.
func TestPanicInTransaction(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	before := digest(t, s)
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutMeta("k", []byte("v")); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Update = %v, want the panic as an error", err)
	}
	if err := s.View(ctx, func(tx *Tx) error { panic("boom") }); err == nil {
		t.Fatal("View: a panic was not an error")
	}
	if got := digest(t, s); got != before {
		t.Errorf("the panicking transaction wrote something")
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.PutMeta("k", []byte("v")) }); err != nil {
		t.Fatalf("Update after a panic: %v", err)
	}
}

func digest(t *testing.T, s *Store) [32]byte {
	t.Helper()
	var d [32]byte
	if err := s.View(context.Background(), func(tx *Tx) error { d = tx.Digest(); return nil }); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCheckJournal: Check refuses a schema-2 file whose voter journal
// contradicts its logs (an entry beyond its log, one pointing back to a
// missing entry, a malformed value) or whose leaves lack their stored
// hashes, and the upgrade's leftovers; a whole one passes.
func TestCheckJournal(t *testing.T) {
	damage := map[string]func(tx *bolt.Tx) error{
		"beyond the log": func(tx *bolt.Tx) error {
			return tx.Bucket(bVoterLog).Put(rkey("r", u64(9), make([]byte, 32)), journalValue(core.Voter{Ballots: 1}, 0))
		},
		"missing previous entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bVoterLog).Put(rkey("r", u64(2), make([]byte, 32)), journalValue(core.Voter{Ballots: 1}, 1))
		},
		"malformed value": func(tx *bolt.Tx) error {
			return tx.Bucket(bVoterLog).Put(rkey("r", u64(2), make([]byte, 32)), []byte("short"))
		},
		"stored hash missing": func(tx *bolt.Tx) error {
			return tx.Bucket(bHashes).Delete(rkey("r", u64(uint64(tlog.StoredHashIndex(0, 1)))))
		},
		"schema 1 bucket": func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket(bVoters)
			return err
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			s := MustOpen(t)
			update(t, s, func(tx *Tx) error {
				if _, err := appendLeaves(tx, "r", []byte("a"), []byte("b"), []byte("c")); err != nil {
					return err
				}
				return tx.Log("r").PutVoter([32]byte{1}, core.Voter{Ballots: 1, Last: 1})
			})
			path := s.Path()
			s.Close()
			if err := Check(path); err != nil {
				t.Fatalf("whole file: %v", err)
			}
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(fn); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if err := Check(path); !errors.Is(err, ErrDamaged) {
				t.Errorf("Check = %v, want ErrDamaged", err)
			}
		})
	}
}
