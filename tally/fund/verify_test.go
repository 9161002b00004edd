package fund

import (
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// mustDemo builds the demo fund (seed 1, 4 ballots a round).
func mustDemo(tb testing.TB) *Demo {
	tb.Helper()
	d, err := BuildDemo(DemoOptions{Seed: 1, Ballots: 4, Count: recount.Count})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// roundsOf reads rounds from d's records.
func roundsOf(d *Demo) func(string) (*ledger.Record, error) {
	return func(id string) (*ledger.Record, error) {
		rd, ok := d.Rounds[id]
		if !ok {
			return nil, fmt.Errorf("round %s: %w", id, fs.ErrNotExist)
		}
		return rd.Record, nil
	}
}

func TestVerifyDemo(t *testing.T) {
	d := mustDemo(t)
	l, err := d.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	a := d.Anchors
	rep := VerifyLedger(l, VerifyOptions{Anchors: &a, Rounds: roundsOf(d), Count: recount.Count})
	if testing.Verbose() {
		rep.WriteText(os.Stdout)
	}
	if !rep.OK() {
		t.Fatalf("demo fund: first failure %s: %+v", rep.FirstFailure(), rep.Checks)
	}
}

// errNotExist is a round record that is not published.
var errNotExist = fmt.Errorf("no record: %w", fs.ErrNotExist)
