package fund

import (
	"bytes"
	"testing"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// FuzzParseLedger: ParseLedger never panics, and a ledger it accepts
// writes back its files byte for byte (one framing, one byte form).
func FuzzParseLedger(f *testing.F) {
	d := mustDemo(f)
	l, err := d.Ledger()
	if err != nil {
		f.Fatal(err)
	}
	leaves, _ := l.File(LeavesFile)
	cps, _ := l.File(CheckpointsFile)
	f.Add(leaves, cps)
	f.Add([]byte{}, []byte{})
	f.Add([]byte("AA==\n"), []byte("AA==\r\n"))
	f.Add([]byte("\n"), []byte("AA=\n"))
	f.Fuzz(func(t *testing.T, leaves, cps []byte) {
		files := map[string][]byte{LeavesFile: leaves, CheckpointsFile: cps}
		l, err := ParseLedger(func(name string) ([]byte, error) { return files[name], nil })
		if err != nil {
			return
		}
		for name, want := range files {
			got, err := l.File(name)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: parsed and written back differs", name)
			}
		}
	})
}

// FuzzParseAnchors: ParseAnchors never panics, and anchors it accepts
// marshal back to the same bytes.
func FuzzParseAnchors(f *testing.F) {
	d := mustDemo(f)
	f.Add(d.Anchors.Marshal())
	f.Add([]byte("pb-fund-anchors/v1\nfund x\nfund-key x\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnchors(b)
		if err != nil {
			return
		}
		if !bytes.Equal(a.Marshal(), b) {
			t.Fatalf("ParseAnchors(%q).Marshal() = %q", b, a.Marshal())
		}
	})
}

// FuzzVerifyLedger: any leaf in place of the demo's leaf i, sealed with
// valid checkpoints or not, gives a report without a panic, and a leaf
// other than the demo's never verifies (the ledger is sealed over the
// original leaves).
func FuzzVerifyLedger(f *testing.F) {
	d := mustDemo(f)
	for i, l := range d.Leaves {
		f.Add(uint8(i), l, false)
	}
	f.Add(uint8(3), []byte("pb-fund/v1 charter\n\n— x AAAA\n"), true)
	f.Fuzz(func(t *testing.T, i uint8, leaf []byte, reseal bool) {
		if len(leaf) == 0 {
			return
		}
		n := int(i) % len(d.Leaves)
		leaves := append([][]byte(nil), d.Leaves...)
		leaves[n] = leaf
		l, err := d.Seal(d.Leaves, d.Cuts)
		if reseal {
			l, err = d.Seal(leaves, d.Cuts)
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Leaves = leaves
		a := d.Anchors
		rep := VerifyLedger(l, VerifyOptions{Anchors: &a, Rounds: roundsOf(d)})
		if rep.OK() && !bytes.Equal(leaf, d.Leaves[n]) && !reseal {
			t.Fatalf("leaf %d replaced, and the ledger verifies", n)
		}
		var w bytes.Buffer
		if err := rep.WriteText(&w); err != nil {
			t.Fatal(err)
		}
		if _, err := rep.JSON(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyLedgerEdges(t *testing.T) {
	d := mustDemo(t)
	l, err := d.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	a := d.Anchors
	for _, tc := range []struct {
		name  string
		l     *Ledger
		opts  VerifyOptions
		first string
	}{
		{"valid", l, VerifyOptions{Anchors: &a}, ""},
		{"nil ledger", nil, VerifyOptions{Anchors: &a}, CheckCheckpoints},
		{"empty ledger", &Ledger{}, VerifyOptions{Anchors: &a}, CheckCheckpoints},
		{"no anchors", l, VerifyOptions{}, CheckAnchors},
		{"bad anchors", l, VerifyOptions{Anchors: &Anchors{Fund: "demo-pulje", FundKey: "x"}}, CheckAnchors},
		{"leaves only", &Ledger{Leaves: l.Leaves}, VerifyOptions{Anchors: &a}, CheckCheckpoints},
		{"checkpoints only", &Ledger{Checkpoints: l.Checkpoints}, VerifyOptions{Anchors: &a}, CheckCheckpoints},
		{"checkpoints out of order", &Ledger{Leaves: l.Leaves, Checkpoints: [][]byte{l.Checkpoints[3], l.Checkpoints[2], l.Checkpoints[len(l.Checkpoints)-1]}},
			VerifyOptions{Anchors: &a}, CheckCheckpoints},
		{"head not the last checkpoint", &Ledger{Leaves: l.Leaves, Checkpoints: l.Checkpoints[:3]}, VerifyOptions{Anchors: &a}, CheckTree},
		{"a round's record missing", l, VerifyOptions{Anchors: &a, Rounds: func(string) (*ledger.Record, error) { return nil, errNotExist }}, CheckRounds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := VerifyLedger(tc.l, tc.opts)
			if got := rep.FirstFailure(); got != tc.first {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Errorf("first failure %q, want %q\n%s", got, tc.first, b.String())
			}
		})
	}
}
