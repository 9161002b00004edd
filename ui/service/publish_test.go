package service

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally"
)

// TestPublishKeepsExplanations: publishing (with a revote and a voided
// key in the log) keeps the explanations of its count, and after they are
// gone, as after a restart, concurrent first views compute the same ones
// once.
func TestPublishKeepsExplanations(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	v := e.votingRound("barrit-2026", 8, RoundRequest{Revote: ballot.RevoteLast})
	for i := range 6 {
		e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, i, testProjects[i%3].ID), false)
	}
	e.cast("barrit-2026", e.castLeaf("barrit-2026", v, 0, 1, "vaerksted"), false) // a revote
	key := ballot.PublicKey(ballot.DeriveKey(v.codes[1], "barrit-2026"))
	if _, err := e.svc.Void(ctx, coord, "barrit-2026", VoidRequest{Key: canon.EncodeB64(key[:]), Reason: "Stjålet"}); err != nil {
		t.Fatal(err)
	}
	e.closeAndPublish("barrit-2026")
	e.svc.resultMu.Lock()
	kept, ok := e.svc.why["barrit-2026"]
	e.svc.resultMu.Unlock()
	if !ok || len(kept) != len(testProjects) {
		t.Fatalf("explanations kept at publication: %v", kept)
	}
	if rep := verifyRound(t, e, "barrit-2026"); rep.Counts.Counted != 5 {
		t.Errorf("counted %d, want 5", rep.Counts.Counted)
	}
	e.svc.resultMu.Lock()
	delete(e.svc.why, "barrit-2026")
	e.svc.resultMu.Unlock()
	var wg sync.WaitGroup
	got := make([]map[string]tally.Explanation, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			why, err := e.svc.Explanations(ctx, "barrit-2026")
			if err != nil {
				t.Error(err)
			}
			got[i] = why
		}()
	}
	wg.Wait()
	for i, why := range got {
		if !reflect.DeepEqual(why, kept) {
			t.Errorf("view %d: explanations differ from those kept at publication", i)
		}
	}
}
