package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// exampleKey derives a note key from a fixed seed (real logs read the seed
// from crypto/rand).
func exampleKey(name, seed string) (note.Signer, note.Verifier) {
	s := sha256.Sum256([]byte(seed))
	skey, vkey, err := ballot.NoteKeyFromSeed(name, s[:])
	if err != nil {
		panic(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := ledger.NewVerifier(vkey)
	return signer, verifier
}

// A log appends a batch, signs a checkpoint, and proves a leaf's inclusion.
func ExampleLog() {
	const origin = "pb.example/riverside-2026"
	logS, logV := exampleKey(origin, "example log key")

	l := ledger.NewLog(&ledger.MemStorage{})
	start, err := l.Append([][]byte{[]byte("leaf zero\n"), []byte("leaf one\n"), []byte("leaf two\n")})
	if err != nil {
		panic(err)
	}
	head, _ := l.Head(origin)
	msg, _ := ledger.SignCheckpoint(head, logS)

	c, err := ledger.OpenCheckpoint(msg, origin, logV)
	fmt.Println("first index", start, "checkpoint size", c.Size, err)
	proof, _ := l.ProveInclusion(c.Size, 1)
	fmt.Println("proof hashes", len(proof))
	fmt.Println("leaf 1 included:", tlog.CheckRecord(proof, c.Size, c.Root, 1, tlog.RecordHash([]byte("leaf one\n"))) == nil)
	// Output:
	// first index 0 checkpoint size 3 <nil>
	// proof hashes 2
	// leaf 1 included: true
}

// Checkpoint bodies are the three C2SP lines; anything else is rejected.
func ExampleParseCheckpoint() {
	c, err := ledger.ParseCheckpoint([]byte("pb.example/r\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	fmt.Println(c.Origin, c.Size, err)
	_, err = ledger.ParseCheckpoint([]byte("pb.example/r\n007\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	fmt.Println(err)
	// Output:
	// pb.example/r 7 <nil>
	// checkpoint line 2: size is not a canonical decimal
}

// A voter's receipt is checked offline with the log key from the slip.
func ExampleReceipt_Verify() {
	d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 1, Ballots: 10})
	if err != nil {
		panic(err)
	}
	r, err := ledger.ParseReceipt(d.Receipts[0].Bytes())
	if err != nil {
		panic(err)
	}
	logV, _ := ledger.NewVerifier(d.Anchors.LogKey)
	c, err := r.Verify(d.Manifest.LogOrigin, logV)
	fmt.Println("leaf", r.Index, "in tree of size", c.Size, err)
	// Output:
	// leaf 1 in tree of size 11 <nil>
}

// Verify checks a whole record against the trust anchors.
func ExampleVerify() {
	d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 1, Ballots: 25, Voids: 1})
	if err != nil {
		panic(err)
	}
	rep := ledger.Verify(d.Record, ledger.VerifyOptions{Anchors: d.Anchors})
	fmt.Println("verified:", rep.OK())
	fmt.Printf("ballots %d counted %d voided %d\n", rep.Counts.Ballots, rep.Counts.Counted, rep.Counts.Voided)

	// One changed byte in a ballot breaks it.
	d.Record.Leaves[3][20] ^= 1
	rep = ledger.Verify(d.Record, ledger.VerifyOptions{Anchors: d.Anchors})
	fmt.Println("verified:", rep.OK(), "first failing check:", rep.FirstFailure())
	// Output:
	// verified: true
	// ballots 26 counted 25 voided 1
	// verified: false first failing check: leaves
}

// A record survives a round trip through its archive form byte for byte.
func ExampleRecord_WriteArchive() {
	d, _ := ledger.BuildDemo(ledger.DemoOptions{Seed: 1, Ballots: 3})
	var buf bytes.Buffer
	if err := d.Record.WriteArchive(&buf); err != nil {
		panic(err)
	}
	rec, err := ledger.ReadArchive(bytes.NewReader(buf.Bytes()))
	fmt.Println(len(rec.Leaves), "leaves", err, buf.Len()%512)
	// Output:
	// 5 leaves <nil> 0
}

// Anchors are read strictly from anchors.txt.
func ExampleParseAnchors() {
	d, _ := ledger.BuildDemo(ledger.DemoOptions{Seed: 1})
	a, err := ledger.ParseAnchors(d.Anchors.Bytes())
	fmt.Println(a.Round, len(a.Manifest), err)
	// Output:
	// demo-2026 16 <nil>
}
