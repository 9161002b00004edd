package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hedensted-pb/pb/ui/core"
)

// TestFollowUpsUpgrade: a data directory from before follow-ups (no
// followups bucket) opens, gets the bucket, and keeps its proposals;
// follow-ups need their proposal.
func TestFollowUpsUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pb.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		_, err := tx.AddProposal(core.Proposal{Round: "r", Title: "Idé", Status: core.ProposalPending})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The file as an older server left it: no followups bucket.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bFollowUps) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.FollowUp("r", 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("follow-up of an old proposal: %v, want not found", err)
		}
		if err := tx.PutFollowUp(core.FollowUp{Round: "r", Proposal: 2, Token: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("follow-up of a missing proposal: %v", err)
		}
		return tx.PutFollowUp(core.FollowUp{Round: "r", Proposal: 1, Contact: "a@b.dk", Token: "x"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx *Tx) error {
		f, err := tx.FollowUp("r", 1)
		if err != nil || f.Contact != "a@b.dk" {
			t.Errorf("FollowUp = %+v, %v", f, err)
		}
		ps, err := tx.Proposals("r")
		if err != nil || len(ps) != 1 {
			t.Errorf("proposals after the upgrade: %v, %v", ps, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
