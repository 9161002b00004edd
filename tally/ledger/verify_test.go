package ledger

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
)

// tamperDemo is the round the tamper suite starts from.
func tamperDemo(tb testing.TB, opts DemoOptions) *Demo {
	tb.Helper()
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	if opts.Ballots == 0 {
		opts.Ballots = 30
	}
	if opts.Batch == 0 {
		opts.Batch = 8
	}
	d, err := BuildDemo(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// body returns the demo's leaves between the manifest and the close leaf.
func body(d *Demo) [][]byte {
	l := d.Record.Leaves
	return slices.Clone(l[1 : len(l)-1])
}

func reseal(tb testing.TB, d *Demo, b [][]byte) *Record {
	tb.Helper()
	rec, err := d.Reseal(b, []int{0, len(b) / 2})
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func verify(d *Demo, rec *Record, extra ...func(*VerifyOptions)) *Report {
	o := VerifyOptions{Anchors: d.Anchors}
	for _, f := range extra {
		f(&o)
	}
	rep := Verify(rec, o)
	noteVerified(rep, rec, o)
	return rep
}

// signBallot returns a ballot leaf for the demo round signed with code.
func signBallot(d *Demo, code ballot.Code, approve ...string) []byte {
	b := &ballot.Ballot{Round: d.Manifest.Round, Manifest: ballot.ManifestHash(d.Record.Leaves[0]), Approve: approve}
	b.Sign(ballot.DeriveKey(code, d.Manifest.Round))
	return b.Bytes()
}

func cloneRecord(r *Record) *Record {
	c := func(x [][]byte) [][]byte {
		out := make([][]byte, len(x))
		for i := range x {
			out[i] = bytes.Clone(x[i])
		}
		return out
	}
	return &Record{Roll: bytes.Clone(r.Roll), Leaves: c(r.Leaves), Checkpoints: c(r.Checkpoints), Results: c(r.Results)}
}

func signer(tb testing.TB, skey string) note.Signer {
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func wantFirst(t *testing.T, rep *Report, check string) {
	t.Helper()
	if rep.OK() {
		t.Fatalf("record verified, want check %s to fail", check)
	}
	if got := rep.FirstFailure(); got != check {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("first failing check %q, want %q\n%s", got, check, b.String())
	}
	collectTamperCase(t, rep, check)
}

func TestVerifyDemo(t *testing.T) {
	for _, opts := range []DemoOptions{
		{Ballots: 0},
		{Ballots: 1},
		{Ballots: 30},
		{Ballots: 30, Kind: ballot.KindApprovalCost},
		{Ballots: 30, Kind: ballot.KindCumulative},
		{Ballots: 30, Revote: ballot.RevoteLast, Revotes: 5},
		{Ballots: 30, Voids: 2},
		{Ballots: 30, Revote: ballot.RevoteLast, Revotes: 3, Voids: 2},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			d := tamperDemo(t, opts)
			rep := verify(d, d.Record)
			if !rep.OK() {
				var b strings.Builder
				rep.WriteText(&b)
				t.Fatalf("demo does not verify:\n%s", b.String())
			}
			c := rep.Counts
			n := int64(opts.Ballots)
			if opts.Ballots == 0 && opts.Seed == 0 {
				n = 30 // tamperDemo's default
			}
			wantBallots := n + int64(opts.Revotes+opts.Voids)
			if c.Ballots != wantBallots || c.Counted != n || c.Superseded != int64(opts.Revotes) || c.Voided != int64(opts.Voids) || c.Voids != int64(opts.Voids) || c.Invalid != 0 {
				t.Errorf("counts %+v", c)
			}
			if c.Leaves != wantBallots+int64(opts.Voids)+2 {
				t.Errorf("leaves %d", c.Leaves)
			}
			var votes int64
			for _, p := range rep.Projects {
				votes += p.Votes
			}
			if votes == 0 {
				t.Error("no votes in the tally")
			}
		})
	}
}

func TestVerifyDeterministic(t *testing.T) {
	a := tamperDemo(t, DemoOptions{Seed: 9})
	b := tamperDemo(t, DemoOptions{Seed: 9})
	c := tamperDemo(t, DemoOptions{Seed: 10})
	if !recordsEqual(a.Record, b.Record) {
		t.Fatal("same seed, different records")
	}
	if recordsEqual(a.Record, c.Record) {
		t.Fatal("different seeds, same record")
	}
	ra, _ := verify(a, a.Record).JSON()
	rb, _ := verify(b, b.Record).JSON()
	if !bytes.Equal(ra, rb) {
		t.Fatal("reports differ for the same record")
	}
}

// TestTamper is the tamper suite: each change must fail with the named
// check first.
func TestTamper(t *testing.T) {
	corpus = &tamperCorpus{cases: map[string]map[string][]byte{}, seen: map[string]int{}}
	defer func() { corpus = nil }()
	d := tamperDemo(t, DemoOptions{})
	council := signer(t, d.CouncilSkey)
	logS := signer(t, d.LogSkey)
	origin := d.Manifest.LogOrigin

	t.Run("flipped byte in any leaf", func(t *testing.T) {
		for i, leaf := range d.Record.Leaves {
			for _, pos := range []int{0, len(leaf) / 3, len(leaf) / 2, len(leaf) - 2, len(leaf) - 1} {
				rec := cloneRecord(d.Record)
				rec.Leaves[i][pos] ^= 1
				rep := verify(d, rec)
				if rep.OK() || rep.Check(CheckTree).Status != StatusFail {
					t.Errorf("leaf %d byte %d: ok=%v tree=%s", i, pos, rep.OK(), rep.Check(CheckTree).Status)
				}
				first := rep.FirstFailure()
				allowed := []string{CheckLeaves, CheckKeys, CheckSignatures, CheckClose}
				if i == 0 {
					allowed = []string{CheckManifest}
				}
				if !slices.Contains(allowed, first) {
					t.Errorf("leaf %d byte %d: first failure %s, want one of %v", i, pos, first, allowed)
				}
			}
		}
	})
	t.Run("dropped leaf", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves = slices.Delete(rec.Leaves, 5, 6)
		rep := verify(d, rec)
		wantFirst(t, rep, CheckClose)
		if rep.Check(CheckTree).Status != StatusFail {
			t.Error("tree check passed")
		}
	})
	t.Run("two leaves swapped", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves[3], rec.Leaves[7] = rec.Leaves[7], rec.Leaves[3]
		wantFirst(t, verify(d, rec), CheckTree)
	})
	t.Run("duplicated leaf", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves = slices.Insert(rec.Leaves, 9, rec.Leaves[4])
		wantFirst(t, verify(d, rec), CheckOneBallot)
	})
	t.Run("duplicated leaf resealed", func(t *testing.T) {
		b := body(d)
		b = append(b, b[2])
		rep := verify(d, reseal(t, d, b))
		wantFirst(t, rep, CheckOneBallot)
		if !rep.Check(CheckTree).passed() || !rep.Check(CheckCheckpoints).passed() {
			t.Error("a resealed record should pass tree and checkpoints")
		}
	})
	t.Run("key outside the roll", func(t *testing.T) {
		var code ballot.Code
		code[0] = 0xAA
		b := append(body(d), signBallot(d, code, "boldbane"))
		wantFirst(t, verify(d, reseal(t, d, b)), CheckKeys)
	})
	t.Run("roll changed after freeze", func(t *testing.T) {
		for _, change := range []func(r *ballot.Roll){
			func(r *ballot.Roll) { r.Keys = r.Keys[1:] },
			func(r *ballot.Roll) { r.Keys[3][0] ^= 1 },
			func(r *ballot.Roll) {
				var c ballot.Code
				c[1] = 7
				r.Keys = append(r.Keys, ballot.PublicKey(ballot.DeriveKey(c, r.Round)))
			},
		} {
			r, _ := ballot.ParseRoll(d.Record.Roll)
			change(r)
			nr, err := ballot.NewRoll(r.Round, r.Keys)
			rec := cloneRecord(d.Record)
			if err != nil {
				rec.Roll = r.Bytes() // a non-canonical roll
			} else {
				rec.Roll = nr.Bytes()
			}
			wantFirst(t, verify(d, rec), CheckRoll)
		}
	})
	t.Run("changed project cost", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves[0] = bytes.Replace(rec.Leaves[0], []byte(" 40000 "), []byte(" 45000 "), 1)
		wantFirst(t, verify(d, rec), CheckManifest)
		// Re-signed by the council: the fingerprint differs from the anchors.
		m := *d.Manifest
		m.Projects = slices.Clone(m.Projects)
		m.Projects[0].Cost = 45000
		leaf, err := ballot.SignManifest(&m, council)
		if err != nil {
			t.Fatal(err)
		}
		rec = cloneRecord(d.Record)
		rec.Leaves[0] = leaf
		wantFirst(t, verify(d, rec), CheckManifest)
	})
	t.Run("changed result count", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Results[0] = bytes.Replace(rec.Results[0], []byte("\nballots 30\n"), []byte("\nballots 31\n"), 1)
		wantFirst(t, verify(d, rec), CheckResults) // council signature fails
		r, _ := ParseResult(mustBody(t, d.Record.Results[0]))
		r.Projects[1].Votes++
		msg, err := SignResult(r, council)
		if err != nil {
			t.Fatal(err)
		}
		rec.Results[0] = msg
		wantFirst(t, verify(d, rec), CheckRecount)
		r, _ = ParseResult(mustBody(t, d.Record.Results[0]))
		r.Ballots--
		rec.Results[0], _ = SignResult(r, council)
		wantFirst(t, verify(d, rec), CheckRecount)
	})
	t.Run("changed funding with a rule", func(t *testing.T) {
		r, _ := ParseResult(mustBody(t, d.Record.Results[0]))
		// Swap which of two projects is funded, keeping the arithmetic:
		// unfund a funded project and fund an unfunded one that fits in
		// the money freed (the demo funds boldbane 40000, legeplads 30000,
		// lektiecafe 15000 and spisefaellesskab 10000 of 100000, so
		// praktik 20000 fits in place of boldbane). The note then adds up
		// and stays within the budget; only the recount tells.
		fi, ni := -1, -1
		for i, f := range r.Projects {
			for j, n := range r.Projects {
				if fi < 0 && f.Funded && !n.Funded && r.Spent-f.Amount+d.Manifest.Projects[j].Cost <= r.Budget {
					fi, ni = i, j
				}
			}
		}
		if fi < 0 {
			t.Fatalf("no funded project can be swapped for an unfunded one within the budget: %+v", r.Projects)
		}
		r.Projects[fi].Funded, r.Projects[fi].Amount = false, 0
		r.Projects[ni].Funded, r.Projects[ni].Amount = true, d.Manifest.Projects[ni].Cost
		r.Spent = 0
		for _, p := range r.Projects {
			r.Spent += p.Amount
		}
		if r.Spent > r.Budget {
			t.Fatalf("swap overspends: %d of %d", r.Spent, r.Budget)
		}
		rec := cloneRecord(d.Record)
		rec.Results[0], _ = SignResult(r, council)
		greedy := func(m *ballot.Manifest, counted []*ballot.Ballot, _ tlog.Hash) (*Outcome, error) {
			return greedyByVotes(m, Votes(m, counted)), nil
		}
		wantFirst(t, verify(d, rec, func(o *VerifyOptions) { o.Count = greedy }), CheckRecount)
		if rep := verify(d, d.Record, func(o *VerifyOptions) { o.Count = greedy }); !rep.OK() {
			t.Fatalf("original fails with the rule: %s", rep.FirstFailure())
		}
		// A rule that panics fails the recount, it does not crash.
		rep := verify(d, d.Record, func(o *VerifyOptions) {
			o.Count = func(*ballot.Manifest, []*ballot.Ballot, tlog.Hash) (*Outcome, error) { panic("boom") }
		})
		wantFirst(t, rep, CheckRecount)
	})
	t.Run("result at a stale checkpoint", func(t *testing.T) {
		r, _ := ParseResult(mustBody(t, d.Record.Results[0]))
		stale, err := ParseCheckpointNote(d.Record.Checkpoints[len(d.Record.Checkpoints)-2])
		if err != nil {
			t.Fatal(err)
		}
		r.Checkpoint = Checkpoint{Size: stale.Size, Root: stale.Root}
		rec := cloneRecord(d.Record)
		rec.Results[0], _ = SignResult(r, council)
		wantFirst(t, verify(d, rec), CheckResults)
	})
	t.Run("result chain", func(t *testing.T) {
		r, _ := ParseResult(mustBody(t, d.Record.Results[0]))
		r.Prev = NoteHash(d.Record.Results[0])
		recount, _ := SignResult(r, council)
		rec := cloneRecord(d.Record)
		rec.Results = append(rec.Results, recount)
		if rep := verify(d, rec); !rep.OK() {
			t.Fatalf("a chained recount fails: %s", rep.FirstFailure())
		}
		r.Prev[0] ^= 1
		rec.Results[1], _ = SignResult(r, council)
		wantFirst(t, verify(d, rec), CheckResults)
		rec.Results = nil
		wantFirst(t, verify(d, rec), CheckResults)
	})
	t.Run("fork after a receipt", func(t *testing.T) {
		rcpt := d.Receipts[0]
		b := body(d)
		b = slices.Delete(b, 0, 1) // rewrite history before the receipt's leaf
		forked := reseal(t, d, b)
		rep := verify(d, forked, func(o *VerifyOptions) {
			o.Receipts = []Source{{Name: "voter.tlog-proof", Bytes: rcpt.Bytes()}}
		})
		wantFirst(t, rep, CheckCheckpoints)
		if len(rep.ForkProofs) != 1 {
			t.Fatalf("%d fork proofs, want 1", len(rep.ForkProofs))
		}
		fp := rep.ForkProofs[0]
		if fp.Checkpoint != string(rcpt.Checkpoint) || fp.Final != string(forked.Checkpoints[len(forked.Checkpoints)-1]) {
			t.Error("fork proof does not hold both notes")
		}
		// The proof proves the record's root at the receipt's size, which
		// differs from the receipt's checkpoint root.
		fc, _ := ParseCheckpointNote([]byte(fp.Final))
		rc, _ := ParseCheckpointNote([]byte(fp.Checkpoint))
		if err := tlog.CheckTree(fp.Proof, fc.Size, fc.Root, rc.Size, fp.RecordRoot); err != nil {
			t.Errorf("fork proof does not verify: %v", err)
		}
		if err := tlog.CheckTree(fp.Proof, fc.Size, fc.Root, rc.Size, rc.Root); err == nil {
			t.Error("fork proof also proves the receipt's root")
		}
		var text strings.Builder
		rep.WriteText(&text)
		if !strings.Contains(text.String(), "FORK PROOF") || !strings.Contains(text.String(), string(rcpt.Checkpoint)[:20]) {
			t.Errorf("text report lacks the fork proof:\n%s", text.String())
		}
		// The same receipt against the honest record is fine and counted.
		rep = verify(d, d.Record, func(o *VerifyOptions) {
			o.Receipts = []Source{{Name: "voter.tlog-proof", Bytes: rcpt.Bytes()}}
		})
		if !rep.OK() || len(rep.Receipts) != 1 || rep.Receipts[0].Status != "counted" || !rep.Receipts[0].Included {
			t.Fatalf("honest receipt: ok=%v %+v", rep.OK(), rep.Receipts)
		}
		// A projector checkpoint that the record does not extend.
		rep = verify(d, forked, func(o *VerifyOptions) {
			o.Checkpoints = []Source{{Name: "projector", Bytes: d.Record.Checkpoints[1]}}
		})
		wantFirst(t, rep, CheckCheckpoints)
		if len(rep.ForkProofs) != 1 || rep.ForkProofs[0].Source != "projector" {
			t.Fatalf("fork proofs %+v", rep.ForkProofs)
		}
	})
	t.Run("log signed a larger tree", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		big := Checkpoint{Origin: origin, Size: int64(len(rec.Leaves) + 5), Root: tlog.RecordHash([]byte("x"))}
		msg, _ := SignCheckpoint(big, logS)
		rep := verify(d, rec, func(o *VerifyOptions) { o.Checkpoints = []Source{{Name: "watcher", Bytes: msg}} })
		wantFirst(t, rep, CheckCheckpoints)
		if len(rep.ForkProofs) != 1 {
			t.Fatal("no fork proof")
		}
	})
	t.Run("checkpoint wrong origin or not canonical", func(t *testing.T) {
		c, _ := ParseCheckpointNote(d.Record.Checkpoints[1])
		wrong := c
		wrong.Origin = "pb.example/other-round"
		wmsg, _ := SignCheckpoint(wrong, logS)
		bodies := map[string][]byte{
			"wrong origin":   wmsg,
			"007":            mustSign(t, []byte(strings.Replace(string(c.Body()), "\n", "\n00", 1)), logS),
			"extension line": mustSign(t, append(c.Body(), "extension\n"...), logS),
			"council only":   mustSign(t, c.Body(), council),
		}
		for _, name := range slices.Sorted(maps.Keys(bodies)) { // sorted: corpus names are stable
			msg := bodies[name]
			rec := cloneRecord(d.Record)
			rec.Checkpoints[1] = msg
			rep := verify(d, rec)
			wantFirst(t, rep, CheckCheckpoints)
			// And as an extra checkpoint.
			rep = verify(d, d.Record, func(o *VerifyOptions) { o.Checkpoints = []Source{{Name: name, Bytes: msg}} })
			wantFirst(t, rep, CheckCheckpoints)
		}
		// The final checkpoint without the council's co-signature.
		rec := cloneRecord(d.Record)
		fc, _ := ParseCheckpointNote(rec.Checkpoints[len(rec.Checkpoints)-1])
		rec.Checkpoints[len(rec.Checkpoints)-1], _ = SignCheckpoint(fc, logS)
		wantFirst(t, verify(d, rec), CheckCheckpoints)
		// Sizes that do not increase.
		rec = cloneRecord(d.Record)
		rec.Checkpoints[1], rec.Checkpoints[2] = rec.Checkpoints[2], rec.Checkpoints[1]
		wantFirst(t, verify(d, rec), CheckCheckpoints)
	})
	t.Run("leaf after close", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves = append(rec.Leaves, signBallot(d, d.Codes[len(d.Codes)-1], "boldbane"))
		wantFirst(t, verify(d, rec), CheckClose)
	})
	t.Run("missing close", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		rec.Leaves = rec.Leaves[:len(rec.Leaves)-1]
		wantFirst(t, verify(d, rec), CheckClose)
		// Even with re-signed checkpoints the record is not closed.
		l := NewLog(&MemStorage{})
		l.Append(rec.Leaves)
		head, _ := l.Head(origin)
		rec.Checkpoints = [][]byte{mustSignCP(t, head, logS, council)}
		wantFirst(t, verify(d, rec), CheckClose)
	})
	t.Run("close with wrong count", func(t *testing.T) {
		rec := cloneRecord(d.Record)
		n := len(rec.Leaves) - 1
		c, _ := ParseClose(mustBody(t, rec.Leaves[n]))
		c.Ballots++
		rec.Leaves[n], _ = SignClose(c, council)
		wantFirst(t, verify(d, rec), CheckClose)
	})
	t.Run("ballot over its limits", func(t *testing.T) {
		b := append(body(d), signBallot(d, d.Codes[len(d.Codes)-1], "boldbane", "cykelsti", "legeplads", "lektiecafe"))
		wantFirst(t, verify(d, reseal(t, d, b)), CheckLimits)
		b = append(body(d), signBallot(d, d.Codes[len(d.Codes)-1], "nope"))
		wantFirst(t, verify(d, reseal(t, d, b)), CheckLimits)
	})
	t.Run("ballot for another round", func(t *testing.T) {
		bb := &ballot.Ballot{Round: "rehearsal", Manifest: ballot.ManifestHash(d.Record.Leaves[0]), Approve: []string{"boldbane"}}
		bb.Sign(ballot.DeriveKey(d.Codes[len(d.Codes)-1], "rehearsal"))
		wantFirst(t, verify(d, reseal(t, d, append(body(d), bb.Bytes()))), CheckLeaves)
	})
	t.Run("bad ballot signature", func(t *testing.T) {
		b := body(d)
		bb, _ := ballot.ParseBallot(b[3])
		bb.Sig[0] ^= 1
		b[3] = bb.Bytes()
		wantFirst(t, verify(d, reseal(t, d, b)), CheckSignatures)
	})
	t.Run("forged void", func(t *testing.T) {
		key := ballot.PublicKey(ballot.DeriveKey(d.Codes[0], d.Manifest.Round))
		v := &Void{Round: d.Manifest.Round, Manifest: ballot.ManifestHash(d.Record.Leaves[0]), Key: key, Reason: "forged"}
		leaf, _ := SignVoid(v, logS)
		wantFirst(t, verify(d, reseal(t, d, append(body(d), leaf))), CheckSignatures)
	})
	t.Run("wrong anchors", func(t *testing.T) {
		other := tamperDemo(t, DemoOptions{Seed: 43})
		rep := Verify(d.Record, VerifyOptions{Anchors: other.Anchors})
		wantFirst(t, rep, CheckManifest)
		a := *d.Anchors
		a.Manifest = other.Anchors.Manifest
		wantFirst(t, Verify(d.Record, VerifyOptions{Anchors: &a}), CheckManifest)
		a = *d.Anchors
		a.LogKey = other.Anchors.LogKey
		wantFirst(t, Verify(d.Record, VerifyOptions{Anchors: &a}), CheckManifest)
		a = *d.Anchors
		a.Round = "other"
		wantFirst(t, Verify(d.Record, VerifyOptions{Anchors: &a}), CheckManifest)
		wantFirst(t, Verify(d.Record, VerifyOptions{}), CheckAnchors)
		a = *d.Anchors
		a.LogKey = "garbage"
		wantFirst(t, Verify(d.Record, VerifyOptions{Anchors: &a}), CheckAnchors)
		a = *d.Anchors
		a.CouncilKey = a.LogKey
		wantFirst(t, Verify(d.Record, VerifyOptions{Anchors: &a}), CheckAnchors)
	})
	// The corpus is whole only when every case ran and passed.
	if f := flag.Lookup("test.run"); !t.Failed() && (f == nil || !strings.Contains(f.Value.String(), "/")) {
		checkTamperCorpus(t)
	}
}

func TestRevoteAndVoid(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Revote: ballot.RevoteLast, Revotes: 2, Voids: 1})
	rep := verify(d, d.Record)
	if !rep.OK() {
		t.Fatalf("first failure %s", rep.FirstFailure())
	}
	// The superseded ballots are the first two voters' first ballots.
	counted := CountedBallots(d.Record, d.Anchors)
	k0 := ballot.PublicKey(ballot.DeriveKey(d.Codes[0], d.Manifest.Round))
	seen := 0
	for _, b := range counted {
		if b.Key == k0 {
			seen++
			// Leaves 1-30 are first ballots, 31 and 32 the revotes of
			// voters 0 and 1.
			if !bytes.Equal(b.Bytes(), d.Record.Leaves[31]) {
				t.Error("voter 0's counted ballot is not its last")
			}
		}
	}
	if seen != 1 {
		t.Fatalf("voter 0 counted %d times", seen)
	}
	// Under revote none the same leaves fail one-ballot-per-key.
	dn := tamperDemo(t, DemoOptions{Voids: 1})
	b := append(body(dn), body(dn)[0])
	wantFirst(t, verify(dn, reseal(t, dn, b)), CheckOneBallot)
	// A ballot after the void of its key.
	voided := dn.Codes[dn.opts.Ballots-1]
	b = append(body(dn), signBallot(dn, voided, "boldbane"))
	wantFirst(t, verify(dn, reseal(t, dn, b)), CheckOneBallot)
	// Under revote last too.
	b = append(body(d), signBallot(d, d.Codes[d.opts.Ballots-1], "boldbane"))
	wantFirst(t, verify(d, reseal(t, d, b)), CheckOneBallot)
	// A void of a key outside the roll.
	var c ballot.Code
	c[5] = 1
	v := &Void{Round: dn.Manifest.Round, Manifest: ballot.ManifestHash(dn.Record.Leaves[0]),
		Key: ballot.PublicKey(ballot.DeriveKey(c, dn.Manifest.Round)), Reason: "test"}
	leaf, _ := SignVoid(v, signer(t, dn.CouncilSkey))
	wantFirst(t, verify(dn, reseal(t, dn, append(body(dn), leaf))), CheckKeys)
}

func TestReportJSON(t *testing.T) {
	d := tamperDemo(t, DemoOptions{})
	rep := verify(d, d.Record)
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name, Status string
		} `json:"checks"`
		Counts   Counts         `json:"counts"`
		Projects []ProjectTally `json:"projects"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if !j.OK || len(j.Checks) != 13 || j.Checks[12].Name != CheckRecount || j.Counts.Ballots != 30 || len(j.Projects) != 6 {
		t.Fatalf("JSON report %s", b)
	}
	for i, n := range CheckNames() {
		if j.Checks[i].Name != n || j.Checks[i].Status != "pass" {
			t.Errorf("check %d = %+v", i, j.Checks[i])
		}
	}
}

// TestVerifyNeverPanics feeds Verify records with garbage in every place.
func TestVerifyNeverPanics(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Ballots: 3})
	garbage := [][]byte{nil, {}, []byte("pb-ballot/v1\n"), []byte("pb-close/v1\n\n— x AAAAAAA=\n"), []byte("pb-manifest/v1\n"), d.Record.Leaves[0]}
	for _, g := range garbage {
		for _, rec := range []*Record{
			nil,
			{},
			{Leaves: [][]byte{g}},
			{Roll: g, Leaves: append([][]byte{d.Record.Leaves[0]}, g), Checkpoints: [][]byte{g}, Results: [][]byte{g}},
			{Roll: d.Record.Roll, Leaves: d.Record.Leaves, Checkpoints: [][]byte{g}, Results: [][]byte{g}},
		} {
			rep := Verify(rec, VerifyOptions{Anchors: d.Anchors, Checkpoints: []Source{{"g", g}}, Receipts: []Source{{"g", g}}})
			if rep.OK() {
				t.Errorf("garbage record verified")
			}
			var b strings.Builder
			if err := rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if _, err := rep.JSON(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustBody(tb testing.TB, msg []byte) []byte {
	tb.Helper()
	b, err := noteBody(msg)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustSign(tb testing.TB, body []byte, s ...note.Signer) []byte {
	tb.Helper()
	msg, err := note.Sign(&note.Note{Text: string(body)}, s...)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

func mustSignCP(tb testing.TB, c Checkpoint, s ...note.Signer) []byte {
	tb.Helper()
	msg, err := SignCheckpoint(c, s...)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

func (c *Check) passed() bool { return c.Status == StatusPass }
