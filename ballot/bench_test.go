package ballot

import (
	"encoding/binary"
	"testing"
)

func BenchmarkParseCode(b *testing.B) {
	s := mustCode(b, testCodeHex).String()
	for b.Loop() {
		if _, err := ParseCode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	c := mustCode(b, testCodeHex)
	for b.Loop() {
		DeriveKey(c, testRound)
	}
}

func BenchmarkParseBallot(b *testing.B) {
	leaf := readTestdata(b, "ballot-approval.golden")
	for b.Loop() {
		if _, err := ParseBallot(leaf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckBallot measures the full validity check of one ballot
// (round, manifest, roll lookup, key checks, signature, choices).
func BenchmarkCheckBallot(b *testing.B) {
	m, _, mh := signedManifest(b, specApproval)
	roll := mustRoll(b, 5)
	bl, err := ParseBallot(readTestdata(b, "ballot-approval.golden"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := m.CheckBallot(bl, mh, roll); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRoll10k parses a roll of 10,000 keys (a large community).
func BenchmarkParseRoll10k(b *testing.B) {
	keys := make([][32]byte, 10000)
	for i := range keys {
		var c Code
		binary.BigEndian.PutUint64(c[:], uint64(i))
		keys[i] = PublicKey(DeriveKey(c, testRound))
	}
	r, err := NewRoll(testRound, keys)
	if err != nil {
		b.Fatal(err)
	}
	text := r.Bytes()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseRoll(text); err != nil {
			b.Fatal(err)
		}
	}
}
