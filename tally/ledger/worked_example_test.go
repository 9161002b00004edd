package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// The worked example of docs/record.md §12: 3 projects, 4 ballots and one
// reserve code, every value derived from fixed seeds, built with the public
// API the way the server builds a round.

// exampleSeed returns SHA-256 of a label: the seeds of the example's keys
// and codes.
func exampleSeed(label string) []byte {
	h := sha256.Sum256([]byte(label))
	return h[:]
}

// buildExample returns the files of testdata/example.
func buildExample(tb testing.TB) map[string][]byte {
	tb.Helper()
	files := make(map[string][]byte)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	const round = "eksempel-2026"
	origin := "pb.example/" + round
	logSkey, logVkey, err := ballot.NoteKeyFromSeed(origin, exampleSeed("pb example log key"))
	must(err)
	councilSkey, councilVkey, err := ballot.NoteKeyFromSeed("council.example/"+round, exampleSeed("pb example council key"))
	must(err)
	logS, err := note.NewSigner(logSkey)
	must(err)
	councilS, err := note.NewSigner(councilSkey)
	must(err)

	// Five codes: four voters and one reserve.
	var codes []ballot.Code
	var keys [][32]byte
	var codesTxt bytes.Buffer
	for i := range 5 {
		c, err := ballot.NewCode(bytes.NewReader(exampleSeed(fmt.Sprintf("pb example code %d", i+1))))
		must(err)
		codes = append(codes, c)
		pub := ballot.PublicKey(ballot.DeriveKey(c, round))
		keys = append(keys, pub)
		fmt.Fprintf(&codesTxt, "code %d %s key %s\n", i+1, c, canon.EncodeB64(pub[:]))
	}
	files["keys.txt"] = []byte(fmt.Sprintf("log-skey %s\nlog-vkey %s\ncouncil-skey %s\ncouncil-vkey %s\n", logSkey, logVkey, councilSkey, councilVkey))
	files["codes.txt"] = codesTxt.Bytes()
	roll, err := ballot.NewRoll(round, keys)
	must(err)

	m := &ballot.Manifest{
		Round: round, Community: "eksempelby", Fund: "eksempel-pulje", Title: "Eksempel: hvad skal Eksempelby have?",
		Budget: 50000, Ballot: ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2},
		Rule: "greedy", Tiebreak: ballot.TiebreakLexicographic, Revote: ballot.RevoteNone,
		LogOrigin: origin, LogKey: logVkey, CouncilKey: councilVkey,
		RollHash: roll.Hash(), RollCount: len(roll.Keys),
		Projects: []ballot.Project{
			{ID: "boldbane", Cost: 40000, Category: "fritid-og-faellesskab", Title: "Ny kunstgræsbane ved hallen"},
			{ID: "lektiecafe", Cost: 15000, Category: "laering", Title: "Lektiecafé i biblioteket"},
			{ID: "spisefaellesskab", Cost: 10000, Category: "social-omsorg", Title: "Spisefællesskab for ældre"},
		},
	}
	manifest, err := ballot.SignManifest(m, councilS)
	must(err)
	mh := ballot.ManifestHash(manifest)

	l := NewLog(&MemStorage{})
	rec := &Record{Roll: roll.Bytes()}
	checkpoint := func(signers ...note.Signer) []byte {
		c, err := l.Head(origin)
		must(err)
		msg, err := SignCheckpoint(c, signers...)
		must(err)
		rec.Checkpoints = append(rec.Checkpoints, msg)
		return msg
	}
	_, err = l.Append([][]byte{manifest})
	must(err)
	checkpoint(logS)

	choices := [][]string{{"boldbane", "lektiecafe"}, {"boldbane"}, {"lektiecafe", "spisefaellesskab"}, {"boldbane", "spisefaellesskab"}}
	var ballots [][]byte
	for i, ch := range choices {
		cast := sha256.Sum256(fmt.Appendf(nil, "pb example cast %d", i+1))
		b := &ballot.Ballot{Round: round, Manifest: mh, Approve: ch, Cast: [ballot.CastSize]byte(cast[:ballot.CastSize])}
		b.Sign(ballot.DeriveKey(codes[i], round))
		ballots = append(ballots, b.Bytes())
	}
	_, err = l.Append(ballots)
	must(err)
	cp5 := checkpoint(logS)
	rc, err := l.Receipt(cp5, 2)
	must(err)

	closeLeaf, err := SignClose(&Close{Round: round, Manifest: mh, Size: 5, Ballots: 4}, councilS)
	must(err)
	_, err = l.Append([][]byte{closeLeaf})
	must(err)
	final, err := l.Head(origin)
	must(err)
	checkpoint(logS, councilS)
	rec.Leaves, err = l.Leaves(0, final.Size)
	must(err)

	anchors := &Anchors{Round: round, LogKey: logVkey, CouncilKey: councilVkey, Manifest: ballot.Fingerprint(manifest)}
	counted := CountedBallots(rec, anchors)
	out := greedyByVotes(m, Votes(m, counted))
	res := &Result{Round: round, Fund: m.Fund, Manifest: mh, Checkpoint: Checkpoint{Size: final.Size, Root: final.Root},
		Rule: m.Rule, Tiebreak: m.Tiebreak, Budget: m.Budget, Ballots: int64(len(counted)), Spent: out.Spent, Projects: out.Projects}
	resNote, err := SignResult(res, councilS)
	must(err)
	rec.Results = [][]byte{resNote}

	// The record and anchors.
	must(rec.WriteFiles(func(name string, b []byte) error { files[name] = b; return nil }))
	files["anchors.txt"] = anchors.Bytes()
	// Each leaf, checkpoint and the result as text.
	for i, leaf := range rec.Leaves {
		files[fmt.Sprintf("leaf-%d.txt", i)] = leaf
	}
	for _, cp := range rec.Checkpoints {
		c, err := ParseCheckpointNote(cp)
		must(err)
		files[fmt.Sprintf("checkpoint-%d.txt", c.Size)] = cp
	}
	files["result.txt"] = resNote
	files["receipt.tlog-proof"] = rc.Bytes()

	// Hashes: leaf hashes and the tree hash at every size.
	var hashes bytes.Buffer
	for i, leaf := range rec.Leaves {
		fmt.Fprintf(&hashes, "leaf %d %s\n", i, tlog.RecordHash(leaf))
	}
	for n := int64(0); n <= final.Size; n++ {
		h, err := l.TreeHash(n)
		must(err)
		fmt.Fprintf(&hashes, "tree %d %s\n", n, h)
	}
	fmt.Fprintf(&hashes, "manifest-hash %s\nfingerprint %s\nroll-hash %s\nresult-hash %s\n",
		canon.EncodeB64(mh[:]), ballot.FormatFingerprint(ballot.Fingerprint(manifest)), canon.EncodeB64(m.RollHash[:]), canon.EncodeB64(sliceOf(NoteHash(resNote))))
	files["hashes.txt"] = hashes.Bytes()

	// Proofs: inclusion of leaf 2 in the trees of size 5 and 6, and the
	// consistency proofs 1 → 6 and 5 → 6.
	var proofs bytes.Buffer
	for _, n := range []int64{5, 6} {
		p, err := l.ProveInclusion(n, 2)
		must(err)
		fmt.Fprintf(&proofs, "inclusion leaf 2 size %d\n", n)
		for _, h := range p {
			fmt.Fprintf(&proofs, "%s\n", h)
		}
	}
	for _, old := range []int64{1, 5} {
		p, err := l.ProveConsistency(6, old)
		must(err)
		fmt.Fprintf(&proofs, "consistency %d to 6\n", old)
		for _, h := range p {
			fmt.Fprintf(&proofs, "%s\n", h)
		}
	}
	files["proofs.txt"] = proofs.Bytes()
	return files
}

func sliceOf(h [32]byte) []byte { return h[:] }

// TestWorkedExample regenerates testdata/example under -update and
// otherwise requires its files to be exactly what the code produces, and
// the record to verify.
func TestWorkedExample(t *testing.T) {
	files := buildExample(t)
	dir := filepath.Join("testdata", "example")
	if *update {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		golden(t, filepath.Join("example", n), files[n])
	}
	if !*update {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(files) {
			t.Errorf("testdata/example has %d files, the example %d", len(entries), len(files))
		}
	}
	rec, err := ReadRecord(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAnchors(files["anchors.txt"])
	if err != nil {
		t.Fatal(err)
	}
	greedy := func(m *ballot.Manifest, counted []*ballot.Ballot, _ tlog.Hash) (*Outcome, error) {
		return greedyByVotes(m, Votes(m, counted)), nil
	}
	rep := Verify(rec, VerifyOptions{Anchors: a, Count: greedy,
		Receipts: []Source{{Name: "receipt.tlog-proof", Bytes: files["receipt.tlog-proof"]}}})
	if !rep.OK() {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("worked example does not verify:\n%s", b.String())
	}
	if rep.Counts.Counted != 4 || rep.Spent != 50000 {
		t.Fatalf("counts %+v spent %d", rep.Counts, rep.Spent)
	}
}

// docBlock matches a quoted example file in docs/record.md: an HTML
// comment naming the file, then a fenced block with its exact content.
var docBlock = regexp.MustCompile("(?s)<!-- example: ([a-z0-9.-]+) -->\n```[a-z]*\n(.*?)```\n")

// TestWorkedExampleInDocs checks that the bytes quoted in docs/record.md §12
// equal the files of testdata/example.
func TestWorkedExampleInDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "record.md"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := make(map[string]bool)
	for _, m := range docBlock.FindAllSubmatch(doc, -1) {
		name, text := string(m[1]), m[2]
		quoted[name] = true
		want, err := os.ReadFile(filepath.Join("testdata", "example", name))
		if err != nil {
			t.Errorf("docs/record.md quotes %s: %v", name, err)
			continue
		}
		if !bytes.Equal(text, want) {
			t.Errorf("docs/record.md quotes %s with different bytes:\ndoc:\n%s\nfile:\n%s", name, text, want)
		}
	}
	for _, name := range []string{"keys.txt", "codes.txt", "roll.txt", "leaf-0.txt", "leaf-1.txt", "leaf-2.txt", "leaf-3.txt",
		"leaf-4.txt", "leaf-5.txt", "checkpoint-1.txt", "checkpoint-5.txt", "checkpoint-6.txt", "hashes.txt",
		"proofs.txt", "receipt.tlog-proof", "result.txt", "anchors.txt", "leaves.txt", "checkpoints.txt", "results.txt"} {
		if !quoted[name] {
			t.Errorf("docs/record.md §12 does not quote %s", name)
		}
	}
}
