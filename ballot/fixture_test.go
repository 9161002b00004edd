package ballot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// Fixed test inputs. Changing any of them changes the golden files and the
// cross-language vector.
const (
	testRound      = "juelsminde-2026"
	testCodeHex    = "5f1e8a2c9b3d47e6a0c4f8127d6e3b95"
	testLogOrigin  = "pb.hedensted.dk/juelsminde-2026"
	testCouncilKey = "juelsminde-lokalraad"
)

func mustCode(tb testing.TB, hexs string) Code {
	tb.Helper()
	b, err := hex.DecodeString(hexs)
	if err != nil || len(b) != 16 {
		tb.Fatalf("bad code hex %q", hexs)
	}
	return Code(b)
}

// seed returns a fixed 32-byte seed derived from label.
func seed(label string) []byte {
	s := sha256.Sum256([]byte("pb test seed " + label))
	return s[:]
}

// mustNoteKey returns the deterministic test note key pair named name.
func mustNoteKey(tb testing.TB, name string) (note.Signer, string) {
	tb.Helper()
	skey, vkey, err := NoteKeyFromSeed(name, seed(name))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, vkey
}

// testCodes returns n fixed codes; the first is the vector code.
func testCodes(tb testing.TB, n int) []Code {
	codes := []Code{mustCode(tb, testCodeHex)}
	for i := 1; i < n; i++ {
		h := sha256.Sum256([]byte{byte(i)})
		codes = append(codes, Code(h[:16]))
	}
	return codes
}

// mustRoll returns the roll of the first n test codes.
func mustRoll(tb testing.TB, n int) *Roll {
	tb.Helper()
	var keys [][32]byte
	for _, c := range testCodes(tb, n) {
		keys = append(keys, PublicKey(DeriveKey(c, testRound)))
	}
	r, err := NewRoll(testRound, keys)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// testManifest returns the fixed manifest with the given ballot spec.
func testManifest(tb testing.TB, spec BallotSpec) *Manifest {
	tb.Helper()
	_, logKey := mustNoteKey(tb, testLogOrigin)
	_, councilKey := mustNoteKey(tb, testCouncilKey)
	roll := mustRoll(tb, 5)
	rule := "greedy"
	if spec.Kind == KindCumulative {
		rule = "greedy-points"
	}
	return &Manifest{
		Round:      testRound,
		Community:  "juelsminde",
		Fund:       "landdistriktspuljen-2026",
		Title:      "Borgerbudget Juelsminde 2026 – stem på fem projekter",
		Budget:     250000,
		Ballot:     spec,
		Rule:       rule,
		Tiebreak:   TiebreakDefault,
		Revote:     RevoteNone,
		LogOrigin:  testLogOrigin,
		LogKey:     logKey,
		CouncilKey: councilKey,
		RollHash:   roll.Hash(),
		RollCount:  len(roll.Keys),
		Projects: []Project{
			{ID: "bypark-baenke", Cost: 40000, Category: "fritid-og-faellesskab", Title: "Bænke og borde i byparken"},
			{ID: "lektiecafe", Cost: 25000, Category: "laering", Title: "Lektiecafé i biblioteket"},
			{ID: "multibane", Cost: 180000, Category: "fritid-og-faellesskab", Title: "Multibane ved skolen"},
			{ID: "spisevenner", Cost: 15000, Category: "social-omsorg", Title: "Spisevenner: fællesspisning for ældre"},
			{ID: "ungejob", Cost: 60000, Category: "beskaeftigelse", Title: "Ungejob: sommerjob for 15-17-årige"},
		},
	}
}

var (
	specApproval     = BallotSpec{Kind: KindApproval, Min: 0, Max: 3}
	specApprovalCost = BallotSpec{Kind: KindApprovalCost, Limit: 250000}
	specCumulative   = BallotSpec{Kind: KindCumulative, Total: 10, Cap: 5}
)

// signedManifest returns the manifest, its signed note and its hash.
func signedManifest(tb testing.TB, spec BallotSpec) (*Manifest, []byte, [32]byte) {
	tb.Helper()
	m := testManifest(tb, spec)
	council, _ := mustNoteKey(tb, testCouncilKey)
	leaf, err := SignManifest(m, council)
	if err != nil {
		tb.Fatal(err)
	}
	return m, leaf, ManifestHash(leaf)
}

// councilVerifier returns the verifier of the test council key.
func councilVerifier(tb testing.TB) note.Verifier {
	tb.Helper()
	_, vkey := mustNoteKey(tb, testCouncilKey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// signedBallot returns a ballot signed by test code i, with test cast
// nonce i.
func signedBallot(tb testing.TB, i int, mh [32]byte, cumulative bool, approve []string, points []Points) *Ballot {
	tb.Helper()
	b := &Ballot{Round: testRound, Manifest: mh, Cumulative: cumulative, Approve: approve, Points: points, Cast: testCast(i)}
	b.Sign(DeriveKey(testCodes(tb, i+1)[i], testRound))
	return b
}

// testCast returns test cast nonce i: the first 16 bytes of
// SHA-256("pb test cast <i>").
func testCast(i int) [CastSize]byte {
	h := sha256.Sum256(fmt.Appendf(nil, "pb test cast %d", i))
	return [CastSize]byte(h[:CastSize])
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
