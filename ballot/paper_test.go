package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// paperBallot is the approval golden ballot entered from paper.
func paperBallot(t *testing.T, mh [32]byte) *Ballot {
	t.Helper()
	b := &Ballot{Round: testRound, Manifest: mh, Approve: []string{"lektiecafe", "multibane", "spisevenner"}, Cast: testCast(0), Paper: true}
	b.Sign(DeriveKey(testCodes(t, 1)[0], testRound))
	return b
}

// TestPaperBallot: the source line is canonical, signed, round-trips, and
// leaves without it are unchanged (old records keep verifying).
func TestPaperBallot(t *testing.T) {
	m, _, mh := signedManifest(t, specApproval)
	b := paperBallot(t, mh)
	leaf := b.Bytes()
	golden(t, "ballot-paper.golden", leaf)
	lines := strings.Split(string(leaf), "\n")
	if len(lines) != 9 || lines[6] != "source paper" || !strings.HasPrefix(lines[5], "cast ") || !strings.HasPrefix(lines[7], "sig ") {
		t.Fatalf("paper leaf = %q", leaf)
	}
	got, err := ParseBallot(leaf)
	if err != nil {
		t.Fatalf("ParseBallot(paper) = %v", err)
	}
	if !got.Paper || !bytes.Equal(got.Bytes(), leaf) {
		t.Errorf("ParseBallot(paper) = %+v, not the same leaf", got)
	}
	if err := m.CheckBallot(got, mh, mustRoll(t, 5)); err != nil {
		t.Errorf("CheckBallot(paper) = %v", err)
	}
	// The same ballot without the mark is the web golden leaf, byte for byte.
	web := *b
	web.Paper = false
	web.Sign(DeriveKey(testCodes(t, 1)[0], testRound))
	if !bytes.Equal(web.Bytes(), readTestdata(t, "ballot-approval.golden")) {
		t.Errorf("a ballot without source differs from ballot-approval.golden")
	}
	// The mark is signed: taking it off (or adding it) breaks the signature.
	stripped := strings.Replace(string(leaf), "source paper\n", "", 1)
	sb, err := ParseBallot([]byte(stripped))
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.VerifySignature(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("paper leaf without its source line: VerifySignature = %v, want ErrBadSignature", err)
	}
	added := strings.Replace(string(web.Bytes()), "\nsig ", "\nsource paper\nsig ", 1)
	ab, err := ParseBallot([]byte(added))
	if err != nil {
		t.Fatal(err)
	}
	if err := ab.VerifySignature(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("web leaf with a source line added: VerifySignature = %v, want ErrBadSignature", err)
	}

	bad := map[string]string{
		"other source":        strings.Replace(string(leaf), "source paper", "source web", 1),
		"upper case":          strings.Replace(string(leaf), "source paper", "source Paper", 1),
		"empty source":        strings.Replace(string(leaf), "source paper", "source", 1),
		"trailing space":      strings.Replace(string(leaf), "source paper", "source paper ", 1),
		"two source lines":    strings.Replace(string(leaf), "source paper\n", "source paper\nsource paper\n", 1),
		"source before cast":  lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n" + lines[4] + "\n" + lines[6] + "\n" + lines[5] + "\n" + lines[7] + "\n",
		"source after sig":    lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n" + lines[4] + "\n" + lines[5] + "\n" + lines[7] + "\n" + lines[6] + "\n",
		"source before round": lines[0] + "\n" + lines[6] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n" + lines[4] + "\n" + lines[5] + "\n" + lines[7] + "\n",
	}
	for name, in := range bad {
		if got, err := ParseBallot([]byte(in)); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: ParseBallot(%q) = %+v, %v; want ErrNotCanonical", name, in, got, err)
		}
	}
}

// PaperVector is testdata/vector-paper.json: the vector's ballot entered
// from paper, which static/js/ballot.js must reproduce byte for byte.
type PaperVector struct {
	Vector
	Source string `json:"source"`
}

func TestPaperVector(t *testing.T) {
	_, _, mh := signedManifest(t, specApproval)
	b := paperBallot(t, mh)
	v := PaperVector{Vector: makeVector(t), Source: SourcePaper}
	v.BallotSignedBytesB64 = canon.EncodeB64(b.SignedBytes())
	v.BallotLeaf = string(b.Bytes())
	v.SignatureB64 = canon.EncodeB64(b.Sig[:])
	v.Tracker = Tracker(b.Bytes())
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vector-paper.json", append(got, '\n'))
	if v.BallotLeaf != string(readTestdata(t, "ballot-paper.golden")) {
		t.Errorf("paper vector ballot_leaf differs from ballot-paper.golden")
	}
}
