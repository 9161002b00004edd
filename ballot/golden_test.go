package ballot

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// TestGolden pins the byte formats: manifest bodies and notes of the three
// ballot kinds, the roll, and a ballot leaf of each kind.
func TestGolden(t *testing.T) {
	roll := mustRoll(t, 5)
	golden(t, "roll.golden", roll.Bytes())

	kinds := []struct {
		name   string
		spec   BallotSpec
		ballot func(mh [32]byte) *Ballot
	}{
		{"approval", specApproval, func(mh [32]byte) *Ballot {
			return signedBallot(t, 0, mh, false, []string{"lektiecafe", "multibane", "spisevenner"}, nil)
		}},
		{"approval-cost", specApprovalCost, func(mh [32]byte) *Ballot {
			return signedBallot(t, 1, mh, false, []string{"bypark-baenke", "multibane", "spisevenner"}, nil)
		}},
		{"cumulative", specCumulative, func(mh [32]byte) *Ballot {
			return signedBallot(t, 2, mh, true, nil, []Points{{"lektiecafe", 3}, {"multibane", 5}, {"ungejob", 2}})
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			m, leaf, mh := signedManifest(t, k.spec)
			body, err := m.Body()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "manifest-"+k.name+".body.golden", body)
			golden(t, "manifest-"+k.name+".note.golden", leaf)
			b := k.ballot(mh)
			if err := m.CheckBallot(b, mh, roll); err != nil {
				t.Fatalf("golden ballot is invalid: %v", err)
			}
			golden(t, "ballot-"+k.name+".golden", b.Bytes())

			// The parsers accept the golden bytes and give them back.
			if m2, err := OpenManifest(leaf, councilVerifier(t)); err != nil {
				t.Errorf("OpenManifest(golden) = %v", err)
			} else if b2, _ := m2.Body(); !bytes.Equal(b2, body) {
				t.Errorf("OpenManifest(golden).Body() differs")
			}
			if b2, err := ParseBallot(b.Bytes()); err != nil {
				t.Errorf("ParseBallot(golden) = %v", err)
			} else if !bytes.Equal(b2.Bytes(), b.Bytes()) {
				t.Errorf("ParseBallot(golden).Bytes() differs")
			}
		})
	}
}

// Vector is the cross-language known-answer vector in testdata/vector.json,
// which the browser's JavaScript must reproduce.
type Vector struct {
	CodeBytesHex         string `json:"code_bytes_hex"`
	CodeText             string `json:"code_text"`
	CodeCompact          string `json:"code_compact"`
	Round                string `json:"round"`
	Salt                 string `json:"salt"`
	Info                 string `json:"info"`
	SeedHex              string `json:"seed_hex"`
	PublicKeyB64         string `json:"public_key_b64"`
	ManifestHashB64      string `json:"manifest_hash_b64"`
	ManifestFingerprint  string `json:"manifest_fingerprint"`
	CastB64              string `json:"cast_b64"`
	BallotSignedBytesB64 string `json:"ballot_signed_bytes_b64"`
	BallotLeaf           string `json:"ballot_leaf"`
	SignatureB64         string `json:"signature_b64"`
	Tracker              string `json:"tracker"`
}

func makeVector(t *testing.T) Vector {
	c := mustCode(t, testCodeHex)
	_, leaf, mh := signedManifest(t, specApproval)
	b := signedBallot(t, 0, mh, false, []string{"lektiecafe", "multibane", "spisevenner"}, nil)
	pub := PublicKey(DeriveKey(c, testRound))
	return Vector{
		CodeBytesHex:         hex.EncodeToString(c[:]),
		CodeText:             c.String(),
		CodeCompact:          c.Compact(),
		Round:                testRound,
		Salt:                 string(KeySalt(testRound)),
		Info:                 KeyInfo,
		SeedHex:              hex.EncodeToString(DeriveSeed(c, testRound)),
		PublicKeyB64:         canon.EncodeB64(pub[:]),
		ManifestHashB64:      canon.EncodeB64(mh[:]),
		ManifestFingerprint:  Fingerprint(leaf),
		CastB64:              canon.EncodeB64(b.Cast[:]),
		BallotSignedBytesB64: canon.EncodeB64(b.SignedBytes()),
		BallotLeaf:           string(b.Bytes()),
		SignatureB64:         canon.EncodeB64(b.Sig[:]),
		Tracker:              Tracker(b.Bytes()),
	}
}

// TestVector checks the cross-language vector, and independently re-derives
// every field from the JSON alone (as a JavaScript port would).
func TestVector(t *testing.T) {
	v := makeVector(t)
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vector.json", append(got, '\n'))

	// The golden ballot leaf for the approval kind is the vector's leaf.
	if v.BallotLeaf != string(readTestdata(t, "ballot-approval.golden")) {
		t.Errorf("vector ballot_leaf differs from ballot-approval.golden")
	}
	raw, _ := hex.DecodeString(v.CodeBytesHex)
	c, err := ParseCode(v.CodeText)
	if err != nil || !bytes.Equal(c[:], raw) {
		t.Fatalf("ParseCode(code_text) = %x, %v; want %s", c, err, v.CodeBytesHex)
	}
	b, err := ParseBallot([]byte(v.BallotLeaf))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.VerifySignature(); err != nil {
		t.Errorf("vector signature: %v", err)
	}
	if canon.EncodeB64(b.Cast[:]) != v.CastB64 {
		t.Errorf("vector leaf cast %s, want cast_b64", canon.EncodeB64(b.Cast[:]))
	}
	if canon.EncodeB64(b.Key[:]) != v.PublicKeyB64 {
		t.Errorf("vector leaf key %s, want public_key_b64", canon.EncodeB64(b.Key[:]))
	}
}
