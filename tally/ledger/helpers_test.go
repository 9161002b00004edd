package ledger

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// testKey is a note key pair derived from a fixed seed, so signatures (and
// golden files) are deterministic.
type testKey struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func mustKey(tb testing.TB, name, seed string) testKey {
	tb.Helper()
	s := sha256.Sum256([]byte(seed))
	skey, vkey, err := ballot.NoteKeyFromSeed(name, s[:])
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return testKey{skey, vkey, signer, verifier}
}

// Keys used across tests.
func logKey(tb testing.TB) testKey {
	return mustKey(tb, "pb.example/test-round", "test log key")
}
func councilKey(tb testing.TB) testKey {
	return mustKey(tb, "council.example/test-round", "test council key")
}
func otherKey(tb testing.TB) testKey {
	return mustKey(tb, "pb.example/test-round", "another log key")
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// readGolden returns testdata/name for fuzz seeds (nil when missing).
func readGolden(name string) []byte {
	b, _ := os.ReadFile(filepath.Join("testdata", name))
	return b
}

// flipEach calls f with a copy of b where byte i is XORed with x, for
// every i.
func flipEach(b []byte, x byte, f func(i int, mod []byte)) {
	for i := range b {
		mod := bytes.Clone(b)
		mod[i] ^= x
		f(i, mod)
	}
}
