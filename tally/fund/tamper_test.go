package fund

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// The fund tamper corpus: ledgers that break one rule each, kept in
// testdata/tamper/CASE/ like the round records' corpus
// (tally/ledger/testdata/tamper):
//
//	funds/demo-pulje/ledger/leaves.txt, checkpoints.txt   the ledger
//	funds/demo-pulje/anchors.txt                          the fund's anchors
//	rounds/ROUND/record/*.txt     the rounds' records (only for the cases
//	                              that need them: verify with --rounds)
//	seen-N.note                   checkpoints seen outside the ledger
//	                              (--checkpoint)
//	want.txt                      the check of docs/record.md §14.4 that
//	                              must fail first
//
// cmd/pbverify runs "pbverify fund" on each; TestFundTamper checks the
// directory is up to date (rewritten with -update).

// tamperCase is one tampered fund.
type tamperCase struct {
	ledger  *Ledger
	anchors Anchors
	rounds  map[string]*ledger.Record // nil: verified without --rounds
	seen    [][]byte
}

// everyLeaf is the cuts of a checkpoint after every leaf of leaves.
func everyLeaf(leaves [][]byte) []int {
	cuts := make([]int, len(leaves))
	for i := range cuts {
		cuts[i] = i + 1
	}
	return cuts
}

// demoForce is a demo fund that appends what the rules refuse.
func demoForce(t *testing.T) *Demo {
	t.Helper()
	d, err := NewDemo(DemoOptions{Seed: 1, Ballots: 4, Count: recount.Count})
	if err != nil {
		t.Fatal(err)
	}
	d.Force = true
	return d
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sealed is the case of d's leaves, checkpointed after every leaf.
func sealed(t *testing.T, d *Demo, leaves [][]byte) tamperCase {
	t.Helper()
	l, err := d.Seal(leaves, everyLeaf(leaves))
	must(t, err)
	return tamperCase{ledger: l, anchors: d.Anchors}
}

// withRounds adds d's round records to c.
func withRounds(c tamperCase, d *Demo) tamperCase {
	c.rounds = map[string]*ledger.Record{}
	for id, rd := range d.Rounds {
		c.rounds[id] = rd.Record
	}
	return c
}

// leafOf returns the index of the first leaf of d whose body starts with
// prefix.
func leafOf(t *testing.T, d *Demo, prefix string) int {
	t.Helper()
	for i, l := range d.Leaves {
		if bytes.HasPrefix(l, []byte(prefix)) {
			return i
		}
	}
	t.Fatalf("no leaf starting %q", prefix)
	return -1
}

// resign replaces the entry at leaf i of leaves by e signed with d's key.
func resign(t *testing.T, d *Demo, leaves [][]byte, i int, e Entry) [][]byte {
	t.Helper()
	leaf, err := d.Sign(e)
	must(t, err)
	out := slices.Clone(leaves)
	out[i] = leaf
	return out
}

// entryAt parses the fund entry at leaf i.
func entryAt(t *testing.T, d *Demo, i int) Entry {
	t.Helper()
	v, err := ledger.NewVerifier(d.Anchors.FundKey)
	must(t, err)
	e, err := OpenEntry(d.Leaves[i], v)
	must(t, err)
	return e
}

// signBody signs body bytes (canonical or not) with the fund key.
func signBody(t *testing.T, d *Demo, body string) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: body}, d.signer)
	must(t, err)
	return msg
}

// fundTamperCases returns the corpus: name → (check that fails first, case).
func fundTamperCases(t *testing.T) map[string]struct {
	want string
	c    tamperCase
} {
	demo := mustDemo(t)
	valid := func() tamperCase {
		c := sealed(t, demo, demo.Leaves)
		c.ledger, _ = demo.Ledger()
		return c
	}
	opening := leafOf(t, demo, "pb-fund/v1 opening")
	out := map[string]struct {
		want string
		c    tamperCase
	}{}
	add := func(name, want string, c tamperCase) {
		out[name] = struct {
			want string
			c    tamperCase
		}{want, c}
	}

	// anchors
	{
		c := valid()
		c.anchors.FundKey = strings.Replace(c.anchors.FundKey, "demo-pulje", "other", 1)
		add("anchors-key-not-named-after-the-fund", CheckAnchors, c)
	}
	// checkpoints
	{
		other, err := NewDemo(DemoOptions{Seed: 2})
		must(t, err)
		c := valid()
		c.anchors = other.Anchors
		add("anchors-of-another-fund", CheckCheckpoints, c)
	}
	{
		// The server forks: a checkpoint of the same size over another
		// last leaf (bakke-2027's reservation with another budget).
		last := len(demo.Leaves) - 1
		e := entryAt(t, demo, last).(ReservationEntry)
		e.Budget = 1000
		alt := resign(t, demo, demo.Leaves, last, e)
		fork, err := demo.Seal(alt, nil)
		must(t, err)
		c := valid()
		c.seen = [][]byte{fork.Checkpoints[len(fork.Checkpoints)-1]}
		add("forked-fund-checkpoint", CheckCheckpoints, c)
	}
	{
		c := valid()
		c.ledger.Leaves = c.ledger.Leaves[:len(c.ledger.Leaves)-1]
		add("dropped-last-leaf", CheckCheckpoints, c)
	}
	{
		// A reservation rewritten (and signed by the fund key) under the
		// checkpoints already signed.
		i := leafOf(t, demo, "pb-fund/v1 reservation")
		e := entryAt(t, demo, i).(ReservationEntry)
		e.Budget--
		c := valid()
		c.ledger.Leaves = resign(t, demo, demo.Leaves, i, e)
		add("entry-rewritten-under-old-checkpoints", CheckCheckpoints, c)
	}
	// entries
	{
		i := leafOf(t, demo, "pb-fund/v1 reservation")
		leaves := slices.Clone(demo.Leaves)
		leaf := bytes.Clone(leaves[i])
		sig := bytes.LastIndex(leaf, []byte(" ")) + 10
		leaf[sig] ^= 'A' ^ 'B'
		if leaf[sig] == '\n' || leaf[sig] == '=' {
			t.Fatal("bad flip")
		}
		leaves[i] = leaf
		add("bad-entry-signature", CheckEntries, sealed(t, demo, leaves))
	}
	{
		i := leafOf(t, demo, "pb-fund/v1 reservation")
		body := strings.Replace(string(entryAt(t, demo, i).Marshal()), "budget 80000\n", "budget 080000\n", 1)
		leaves := slices.Clone(demo.Leaves)
		leaves[i] = signBody(t, demo, body)
		add("non-canonical-entry", CheckEntries, sealed(t, demo, leaves))
	}
	{
		ch := entryAt(t, demo, 0).(CharterEntry)
		ch.Tranches = []Tranche{{2026, MaxAmount}, {2027, MaxAmount}, {2028, 1}}
		add("overflowing-tranche-total", CheckEntries, sealed(t, demo, resign(t, demo, demo.Leaves, 0, ch)))
	}
	{
		leaves := slices.Clone(demo.Leaves)
		body := strings.Replace(string(entryAt(t, demo, opening).Marshal()), "member bakke 1200 84000\n", "member bakke 1200 9223372036854775807\n", 1)
		leaves[opening] = signBody(t, demo, body)
		add("overflowing-allocation", CheckEntries, sealed(t, demo, leaves))
	}
	{
		i := leafOf(t, demo, "pb-fund/v1 cancellation")
		e := entryAt(t, demo, i).(CancellationEntry)
		e.Fund = "other-pulje"
		add("entry-of-another-fund", CheckEntries, sealed(t, demo, resign(t, demo, demo.Leaves, i, e)))
	}
	// rules
	{
		o := entryAt(t, demo, opening).(OpeningEntry)
		o.Shares = slices.Clone(o.Shares)
		o.Shares[0].Amount++
		o.Shares[1].Amount--
		add("allocation-off-by-one-krone", CheckRules, sealed(t, demo, resign(t, demo, demo.Leaves, opening, o)))
	}
	{
		// The opening of 2026 with dal's population changed (and the
		// allocation the formula gives for it).
		o := entryAt(t, demo, opening).(OpeningEntry)
		o.Members = slices.Clone(o.Members)
		o.Members[1].Population = 3000
		shares, err := tally.Allocate(o.Tranche.Amount, DemoCharter().Formula, o.Members)
		must(t, err)
		o.Shares = shares
		add("population-changed-in-an-opened-tranche", CheckRules, sealed(t, demo, resign(t, demo, demo.Leaves, opening, o)))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Add(AmendmentEntry{Fund: "demo-pulje", From: 2026, Change: "population", Community: "dal", Population: 3000, PopulationDate: "2026-06-01"}))
		add("amendment-of-an-opened-tranche", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Reserve("bakke-2026", "bakke", 2026, 84001)) // bakke has 84,000
		add("reservation-above-what-was-left", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		// bakke-2027 counts on all of 2026's money carried over; then
		// bakke-2026 reserves some of the same money.
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2027))
		b := d.Book()
		head, err := b.Headroom("bakke", 2027, "")
		must(t, err)
		must(t, d.Reserve("bakke-2027", "bakke", 2027, head))
		must(t, d.Reserve("bakke-2026", "bakke", 2026, 10000))
		add("same-money-reserved-in-two-tranches", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Reserve("bakke-2027", "bakke", 2027, 1000))
		add("reservation-in-a-tranche-not-opened", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Reserve("bakke-2026", "bakke", 2026, 50000))
		must(t, d.Publish("bakke-2026"))
		must(t, d.Cancel("bakke-2026"))
		add("cancellation-of-a-published-round", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Reserve("bakke-2026", "bakke", 2026, 50000))
		bk := d.Book()
		plan, err := bk.Plan()
		must(t, err)
		var carry []tally.Share
		for _, a := range plan[0].Accounts {
			carry = append(carry, tally.Share{Community: a.Community, Amount: a.Left})
		}
		must(t, d.Add(ClosingEntry{Fund: "demo-pulje", Tranche: 2026, Carry: carry}))
		add("tranche-closed-with-a-round-open", CheckRules, sealed(t, d, d.Leaves))
	}
	{
		i := leafOf(t, demo, "pb-fund/v1 closing")
		e := entryAt(t, demo, i).(ClosingEntry)
		e.Carry = slices.Clone(e.Carry)
		e.Carry[0].Amount += 1000
		add("wrong-carry-over", CheckRules, sealed(t, demo, resign(t, demo, demo.Leaves, i, e)))
	}
	// results
	{
		i := demo.ResultLeaf["bakke-2026"]
		leaves := slices.Delete(slices.Clone(demo.Leaves), i, i+1)
		add("result-missing-from-the-chain", CheckResults, sealed(t, demo, leaves))
	}
	{
		i, j := demo.ResultLeaf["bakke-2026"], demo.ResultLeaf["dal-2026"]
		leaves := slices.Clone(demo.Leaves)
		leaves[i], leaves[j] = leaves[j], leaves[i]
		add("two-results-swapped", CheckResults, sealed(t, demo, leaves))
	}
	{
		// dal-2026's result, signed by bakke-2026's council.
		i := demo.ResultLeaf["dal-2026"]
		body, _, err := canon.SplitNote(demo.Leaves[i])
		must(t, err)
		s, err := note.NewSigner(demo.Rounds["bakke-2026"].CouncilSkey)
		must(t, err)
		msg, err := note.Sign(&note.Note{Text: string(body)}, s)
		must(t, err)
		leaves := slices.Clone(demo.Leaves)
		leaves[i] = msg
		add("result-signed-by-the-wrong-key", CheckResults, sealed(t, demo, leaves))
	}
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.Reserve("bakke-2026", "bakke", 2026, 50000))
		must(t, d.Publish("bakke-2026"))
		must(t, d.Publish("bakke-2026")) // a recount in the ledger
		add("second-result-for-a-round", CheckResults, sealed(t, d, d.Leaves))
	}
	{
		// A result whose prev is 32 zero bytes (a round published outside
		// the fund's chain).
		i := demo.ResultLeaf["bakke-2026"]
		msg, _, err := demo.ResultNote("bakke-2026", [32]byte{})
		must(t, err)
		leaves := slices.Clone(demo.Leaves)
		leaves[i] = msg
		add("result-outside-the-chain", CheckResults, sealed(t, demo, leaves))
	}
	// rounds (with the records)
	{
		d := demoForce(t)
		must(t, d.Charter(DemoCharter()))
		must(t, d.Open(2026))
		must(t, d.ReserveAs("bakke-2026", "bakke", "dal", 2026, 50000))
		must(t, d.Publish("bakke-2026"))
		add("reserved-for-one-community-published-for-another", CheckRounds, withRounds(sealed(t, d, d.Leaves), d))
	}
	{
		// dal-2026's record holds a result note outside the fund's chain
		// (prev zero), not the ledger's.
		d := mustDemo(t)
		msg, _, err := d.ResultNote("dal-2026", [32]byte{})
		must(t, err)
		c := withRounds(sealed(t, d, d.Leaves), d)
		rec := *c.rounds["dal-2026"]
		rec.Results = [][]byte{msg}
		c.rounds["dal-2026"] = &rec
		add("ledger-result-differs-from-the-record", CheckRounds, c)
	}
	{
		// bakke-2027 is reserved and not published in the ledger, but its
		// record holds a result.
		d := mustDemo(t)
		msg, _, err := d.ResultNote("bakke-2027", [32]byte{})
		must(t, err)
		c := withRounds(sealed(t, d, d.Leaves), d)
		rec := *c.rounds["bakke-2027"]
		rec.Results = [][]byte{msg}
		c.rounds["bakke-2027"] = &rec
		add("result-published-outside-the-ledger", CheckRounds, c)
	}
	{
		// The reservation of eng-2027 names bakke-2026's fingerprint: its
		// anchors do not lead to its record.
		d := mustDemo(t)
		i := leafOf(t, d, "pb-fund/v1 reservation\nfund demo-pulje\nround eng-2027")
		e := entryAt(t, d, i).(ReservationEntry)
		e.Fingerprint = entryAt(t, d, leafOf(t, d, "pb-fund/v1 reservation")).(ReservationEntry).Fingerprint
		c := withRounds(sealed(t, d, resign(t, d, d.Leaves, i, e)), d)
		add("reservation-with-another-fingerprint", CheckRounds, c)
	}
	{
		// eng-2027's record with a ballot leaf changed.
		d := mustDemo(t)
		c := withRounds(sealed(t, d, d.Leaves), d)
		rec := *c.rounds["eng-2027"]
		rec.Leaves = slices.Clone(rec.Leaves)
		rec.Leaves[1], rec.Leaves[2] = rec.Leaves[2], rec.Leaves[1]
		c.rounds["eng-2027"] = &rec
		add("round-record-does-not-verify", CheckRounds, c)
	}
	return out
}

// verifyCase verifies a tamper case as pbverify fund does.
func verifyCase(c tamperCase) *Report {
	a := c.anchors
	opts := VerifyOptions{Anchors: &a, Count: recount.Count}
	for i, s := range c.seen {
		opts.Checkpoints = append(opts.Checkpoints, ledger.Source{Name: fmt.Sprintf("seen-%d.note", i+1), Bytes: s})
	}
	if c.rounds != nil {
		opts.Rounds = func(id string) (*ledger.Record, error) {
			r, ok := c.rounds[id]
			if !ok {
				return nil, fmt.Errorf("round %s: %w", id, os.ErrNotExist)
			}
			return r, nil
		}
	}
	return VerifyLedger(c.ledger, opts)
}

func TestFundTamper(t *testing.T) {
	cases := fundTamperCases(t)
	if len(cases) < 15 {
		t.Fatalf("%d cases", len(cases))
	}
	files := map[string][]byte{} // path under testdata/tamper → bytes
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rep := verifyCase(tc.c)
			if got := rep.FirstFailure(); got != tc.want {
				var b strings.Builder
				rep.WriteText(&b)
				t.Fatalf("first failure %q, want %q\n%s", got, tc.want, b.String())
			}
			for _, c := range rep.Checks {
				if c.Name == tc.want {
					break
				}
				// The replay stops at the failing leaf: the replay's other
				// check is skipped.
				if c.Status != ledger.StatusPass && !(c.Name == CheckRules && c.Status == ledger.StatusSkip) {
					t.Errorf("check %s before %s: %s", c.Name, tc.want, c.Status)
				}
			}
		})
		fdir := filepath.Join(name, "funds", "demo-pulje")
		for _, f := range []string{LeavesFile, CheckpointsFile} {
			b, _ := tc.c.ledger.File(f)
			files[filepath.Join(fdir, "ledger", f)] = b
		}
		files[filepath.Join(fdir, "anchors.txt")] = tc.c.anchors.Marshal()
		files[filepath.Join(name, "want.txt")] = []byte(tc.want + "\n")
		for i, s := range tc.c.seen {
			files[filepath.Join(name, fmt.Sprintf("seen-%d.note", i+1))] = s
		}
		for id, rec := range tc.c.rounds {
			for _, f := range ledger.RecordFiles() {
				b, _ := rec.File(f)
				files[filepath.Join(name, "rounds", id, "record", f)] = b
			}
		}
	}
	checkCorpus(t, filepath.Join("testdata", "tamper"), files)
}

// TestFundDemoVector keeps the valid demo fund (the one every tamper case
// varies) in testdata/demo, laid out as docs/record.md §14.5, with its
// report in testdata/demo-report.golden: a conforming verifier accepts it.
func TestFundDemoVector(t *testing.T) {
	d := mustDemo(t)
	l, err := d.Ledger()
	must(t, err)
	c := withRounds(tamperCase{ledger: l, anchors: d.Anchors}, d)
	rep := verifyCase(c)
	if !rep.OK() {
		t.Fatalf("demo fund: first failure %s", rep.FirstFailure())
	}
	files := map[string][]byte{}
	fdir := filepath.Join("funds", "demo-pulje")
	for _, f := range []string{LeavesFile, CheckpointsFile} {
		b, _ := l.File(f)
		files[filepath.Join(fdir, "ledger", f)] = b
	}
	files[filepath.Join(fdir, "anchors.txt")] = d.Anchors.Marshal()
	for id, rd := range d.Rounds {
		for _, f := range ledger.RecordFiles() {
			b, _ := rd.Record.File(f)
			files[filepath.Join("rounds", id, "record", f)] = b
		}
		files[filepath.Join("rounds", id, "anchors.txt")] = rd.Anchors.Bytes()
	}
	checkCorpus(t, filepath.Join("testdata", "demo"), files)
	var b bytes.Buffer
	must(t, rep.WriteText(&b))
	golden := filepath.Join("testdata", "demo-report.golden")
	if *update {
		must(t, os.WriteFile(golden, b.Bytes(), 0o644))
		return
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(want, b.Bytes()) {
		t.Errorf("the demo fund's report differs from %s (go test ./tally/fund -run TestFundDemoVector -update):\n%s", golden, b.String())
	}
}

// checkCorpus compares files (path under dir → bytes) with dir, or
// rewrites dir under -update.
func checkCorpus(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if *update {
		must(t, os.RemoveAll(dir))
		for p, b := range files {
			must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, p), b, 0o644))
		}
		return
	}
	var have []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			have = append(have, rel)
		}
		return nil
	})
	var want []string
	for p := range files {
		want = append(want, p)
	}
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Fatalf("%s is stale: it has %d files, the test makes %d (go test ./tally/fund -update)", dir, len(have), len(want))
	}
	for p, b := range files {
		if old, err := os.ReadFile(filepath.Join(dir, p)); err != nil || !bytes.Equal(old, b) {
			t.Errorf("%s/%s is stale (go test ./tally/fund -update)", dir, p)
		}
	}
}
