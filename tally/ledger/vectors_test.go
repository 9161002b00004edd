package ledger_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// The spec vectors of docs/record.md §13 (testdata/vectors/CASE/): records
// for the decisions of §5, §9, §10.1, §10.3 and §11 that the tamper corpus
// does not cover, verified with the platform's counting rule. Each holds
// the record files, anchors.txt, want.txt (VERIFIED, or the check that must
// fail first) and report.txt (every check's status, so that what is
// skipped after a failure is pinned too). TestSpecVectors checks the
// directory is up to date (rewritten under -update) and that Verify gives
// each report; cmd/pbverify runs "pbverify record" on each.

type vector struct {
	rec     *ledger.Record
	anchors *ledger.Anchors
	raw     map[string][]byte // record files written as given instead of from rec
}

func specDemo(t *testing.T, kind ballot.Kind, rule string) *ledger.Demo {
	t.Helper()
	d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 13, Ballots: 12, Kind: kind, Rule: rule,
		Tiebreak: ballot.TiebreakDefault, Count: recount.Count, Receipts: -1})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// withManifest returns d's record with leaf 0 replaced by d's manifest body
// edited by edit (old → new), signed by d's council key as the server
// would never sign it, and anchors naming the new manifest.
func withManifest(t *testing.T, d *ledger.Demo, old, new string) vector {
	t.Helper()
	body, err := d.Manifest.Body()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(old)) {
		t.Fatalf("manifest has no %q", old)
	}
	body = bytes.Replace(body, []byte(old), []byte(new), 1)
	s, err := note.NewSigner(d.CouncilSkey)
	if err != nil {
		t.Fatal(err)
	}
	leaf0, err := note.Sign(&note.Note{Text: string(body)}, s)
	if err != nil {
		t.Fatal(err)
	}
	rec := *d.Record
	rec.Leaves = slices.Clone(rec.Leaves)
	rec.Leaves[0] = leaf0
	a := *d.Anchors
	a.Manifest = ballot.Fingerprint(leaf0)
	return vector{rec: &rec, anchors: &a}
}

// optionsVector is a round counted by equalshares/add1u with both counting
// options of §5 (docs/counting.md §2.8): minimum 3 votes and the group
// boldbane lektiecafe. Equal Shares funds spisefaellesskab (7 votes),
// praktik (6) and lektiecafe (5); boldbane (3 votes, funded without the
// group) is then out of the count; cykelsti and legeplads (2 votes each;
// add1 would fund legeplads without the minimum) are below it. Spent
// 45000 of 100000.
func optionsVector(t *testing.T) vector {
	t.Helper()
	d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 13, Ballots: 12, Kind: ballot.KindApproval, Rule: "equalshares/add1u",
		Tiebreak: ballot.TiebreakDefault, Count: recount.Count, Receipts: -1,
		Minimum: 3, Exclusive: [][]string{{"boldbane", "lektiecafe"}}})
	if err != nil {
		t.Fatal(err)
	}
	return vector{rec: d.Record, anchors: d.Anchors}
}

func specVectors(t *testing.T) map[string]vector {
	approval := specDemo(t, ballot.KindApproval, "")
	cumulative := specDemo(t, ballot.KindCumulative, "")
	v := map[string]vector{}
	for _, rule := range []string{"equalshares/add1", "equalshares/add1u", "equalshares/add1-comparison"} {
		d := specDemo(t, ballot.KindApproval, rule)
		v["rule-"+strings.ReplaceAll(rule, "/", "-")+"-verifies"] = vector{rec: d.Record, anchors: d.Anchors}
	}
	v["cumulative-points-verifies"] = vector{rec: cumulative.Record, anchors: cumulative.Anchors}
	v["counting-options-verifies"] = optionsVector(t)
	v["rule-points-on-approval"] = withManifest(t, approval, "\nrule greedy\n", "\nrule greedy-points\n")
	v["rule-unknown"] = withManifest(t, approval, "\nrule greedy\n", "\nrule borda\n")
	v["rule-greedy-threshold"] = withManifest(t, approval, "\nrule greedy\n", "\nrule greedy-threshold\n")
	v["rule-greedy-on-cumulative"] = withManifest(t, cumulative, "\nrule greedy-points\n", "\nrule greedy\n")
	v["budget-over-amount-limit"] = withManifest(t, approval, "\nbudget 100000\n", "\nbudget 1000000000000000\n")
	v["cost-over-amount-limit"] = withManifest(t, approval, "\nproject boldbane 40000 ", "\nproject boldbane 1000000000000000 ")
	v["points-total-over-limit"] = withManifest(t, cumulative, "\nballot cumulative 10 5\n", "\nballot cumulative 1000001 5\n")
	// The manifest fails: which checks still run.
	wrongFP := *approval.Anchors
	wrongFP.Manifest = strings.Repeat("0", 16)
	v["manifest-fails-skips"] = vector{rec: approval.Record, anchors: &wrongFP}
	// Framing of leaf 0's line: leaves fails, manifest is skipped.
	leaves, _ := approval.Record.File(ledger.LeavesFile)
	v["leaf0-line-malformed"] = vector{rec: approval.Record, anchors: approval.Anchors,
		raw: map[string][]byte{ledger.LeavesFile: append([]byte("cGItbWFuaWZlc3QvdjE=\r\n"), leaves[bytes.IndexByte(leaves, '\n')+1:]...)}}
	// No final checkpoint, or one that does not parse: tree fails.
	none := *approval.Record
	none.Checkpoints = nil
	v["final-checkpoint-missing"] = vector{rec: &none, anchors: approval.Anchors}
	bad := *approval.Record
	bad.Checkpoints = append(slices.Clone(bad.Checkpoints[:len(bad.Checkpoints)-1]), []byte("pb.example/demo-2026\n9\nnot a root\n"))
	v["final-checkpoint-malformed"] = vector{rec: &bad, anchors: approval.Anchors}
	return v
}

func TestSpecVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors")
	update := flag.Lookup("update").Value.(flag.Getter).Get().(bool)
	vs := specVectors(t)
	if update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for name, vec := range vs {
		names = append(names, name)
		files := map[string][]byte{"anchors.txt": vec.anchors.Bytes()}
		for _, f := range ledger.RecordFiles() {
			b, err := vec.rec.File(f)
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := vec.raw[f]; ok {
				b = r
			}
			files[f] = b
		}
		// The report comes from the files, as a verifier reads them.
		s, closeFn, err := ledger.StreamDir(mapFS(files))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ledger.VerifyStream(s, ledger.VerifyOptions{Anchors: vec.anchors, Count: recount.Count})
		closeFn()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := "VERIFIED"
		if !rep.OK() {
			want = rep.FirstFailure()
		}
		files["want.txt"] = []byte(want + "\n")
		var report strings.Builder
		for _, c := range rep.Checks {
			fmt.Fprintf(&report, "%s %s\n", c.Name, c.Status)
		}
		files["report.txt"] = []byte(report.String())
		for f, b := range files {
			p := filepath.Join(dir, name, f)
			if update {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if old, err := os.ReadFile(p); err != nil || !bytes.Equal(old, b) {
				t.Errorf("testdata/vectors/%s/%s is stale (go test -run TestSpecVectors -update)", name, f)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(have, names) {
		t.Errorf("testdata/vectors has %v, want %v", have, names)
	}
	// The decisions themselves.
	for name, want := range map[string]string{
		"rule-equalshares-add1u-verifies": "VERIFIED", "cumulative-points-verifies": "VERIFIED", "counting-options-verifies": "VERIFIED",
		"rule-points-on-approval": ledger.CheckManifest, "rule-unknown": ledger.CheckManifest,
		"rule-greedy-on-cumulative": ledger.CheckManifest, "budget-over-amount-limit": ledger.CheckManifest,
		"points-total-over-limit": ledger.CheckManifest, "leaf0-line-malformed": ledger.CheckLeaves,
		"final-checkpoint-missing": ledger.CheckTree, "final-checkpoint-malformed": ledger.CheckTree,
	} {
		b, _ := os.ReadFile(filepath.Join(dir, name, "want.txt"))
		if got := strings.TrimSpace(string(b)); got != want {
			t.Errorf("%s: want.txt %q, the spec says %q", name, got, want)
		}
	}
	// The counting options: the manifest's lines and the result they give.
	opt := filepath.Join(dir, "counting-options-verifies")
	leaves, _ := os.ReadFile(filepath.Join(opt, ledger.LeavesFile))
	leaf0, _ := base64.StdEncoding.DecodeString(string(leaves[:bytes.IndexByte(leaves, '\n')]))
	for _, l := range []string{"\nrule equalshares/add1u\n", "\ntiebreak min-cost,max-votes,lot\nminimum 3\nrevote none\n", "\nexclusive boldbane lektiecafe\n"} {
		if !bytes.Contains(leaf0, []byte(l)) {
			t.Errorf("counting-options-verifies: manifest lacks %q", l)
		}
	}
	results, _ := os.ReadFile(filepath.Join(opt, ledger.ResultsFile))
	note, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(results)))
	for _, l := range []string{"\nspent 45000\n", "\nproject boldbane 3 not-funded 0\n", "\nproject cykelsti 2 not-funded 0\n",
		"\nproject legeplads 2 not-funded 0\n", "\nproject lektiecafe 5 funded 15000\n", "\nproject praktik 6 funded 20000\n",
		"\nproject spisefaellesskab 7 funded 10000\n"} {
		if !bytes.Contains(note, []byte(l)) {
			t.Errorf("counting-options-verifies: result note lacks %q:\n%s", l, note)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest-fails-skips", "report.txt"))
	wantReport := "anchors pass\nmanifest fail\nroll skip\nleaves skip\nkeys skip\nsignatures skip\nlimits skip\n" +
		"one-ballot-per-key skip\nclose skip\ntree pass\ncheckpoints pass\nresults skip\nrecount skip\n"
	if string(b) != wantReport {
		t.Errorf("after a failed manifest the report is\n%s\nthe spec says\n%s", b, wantReport)
	}
}

// mapFS is a record directory in memory.
func mapFS(files map[string][]byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, b := range files {
		fsys[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return fsys
}
