package ballot_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
)

func ExampleParseCode() {
	// A voter types the code from the slip, in lower case and with an O for
	// a zero.
	c, err := ballot.ParseCode("bwf8-mb4v-7n3y-d864-zo97-tvhv-jm3")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.String())
	fmt.Println(c.Compact())

	// One wrong character is caught by the check character.
	_, err = ballot.ParseCode("BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM4")
	fmt.Println(errors.Is(err, ballot.ErrBadCode))
	// Output:
	// BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3
	// BWF8MB4V7N3YD864Z097TVHVJM3
	// true
}

func ExampleDeriveKey() {
	c, _ := ballot.ParseCode("BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3")
	pub := ballot.PublicKey(ballot.DeriveKey(c, "juelsminde-2026"))
	fmt.Println(base64.StdEncoding.EncodeToString(pub[:]))
	// Output:
	// 5zwO48jT6qQ471NgPlKi4CGsPN9PkEL6KZ2v+7U81r4=
}

func ExampleBallot_Sign() {
	c, _ := ballot.ParseCode("BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3")
	b := &ballot.Ballot{
		Round:    "juelsminde-2026",
		Manifest: sha256.Sum256([]byte("manifest note bytes")),
		Approve:  []string{"lektiecafe", "multibane"},
		// A fresh cast nonce for each cast: from crypto/rand.Read in real
		// use, fixed here so that the output is.
		Cast: [ballot.CastSize]byte([]byte("example cast 001")),
	}
	b.Sign(ballot.DeriveKey(c, "juelsminde-2026"))
	leaf := b.Bytes()
	fmt.Print(string(leaf))

	parsed, err := ballot.ParseBallot(leaf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(parsed.VerifySignature() == nil, ballot.Tracker(leaf))
	// Output:
	// pb-ballot/v1
	// round juelsminde-2026
	// manifest EVP2SEKJg0FTEuFIl0xWnrEJatxhFVlY192Vs9PaIYQ=
	// key 5zwO48jT6qQ471NgPlKi4CGsPN9PkEL6KZ2v+7U81r4=
	// approve lektiecafe multibane
	// cast ZXhhbXBsZSBjYXN0IDAwMQ==
	// sig w9pSMhEFvxnH1+MDvdsi4trjoMLbYmoi3QA6y7uT+HKY2jEu7kMMMrJoiufzOgGGETm+LaPxb2BTUbrKQqiKCA==
	// true R84Z-51JC
}

func ExampleNewRoll() {
	var keys [][32]byte
	for _, s := range []string{"BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3", "0000-0000-0000-0000-0000-0000-000"} {
		c, _ := ballot.ParseCode(s)
		keys = append(keys, ballot.PublicKey(ballot.DeriveKey(c, "juelsminde-2026")))
	}
	roll, err := ballot.NewRoll("juelsminde-2026", keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(roll.Bytes()))
	fmt.Println(roll.Contains(keys[0]))
	// Output:
	// pb-roll/v1
	// round juelsminde-2026
	// HYt53JzojR4PfZwvxw/h5rRiv+n0f1bpDoNj/36FjKM=
	// 5zwO48jT6qQ471NgPlKi4CGsPN9PkEL6KZ2v+7U81r4=
	// true
}

func ExampleSignManifest() {
	seed := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) } // use crypto/rand in production
	councilSkey, councilVkey, _ := ballot.NoteKeyFromSeed("juelsminde-lokalraad", seed(1))
	_, logVkey, _ := ballot.NoteKeyFromSeed("pb.example.dk/juelsminde-2026", seed(2))
	roll, _ := ballot.NewRoll("juelsminde-2026", nil)
	m := &ballot.Manifest{
		Round: "juelsminde-2026", Community: "juelsminde", Fund: "landdistriktspuljen", Title: "Borgerbudget 2026",
		Budget: 100000, Ballot: ballot.BallotSpec{Kind: ballot.KindApproval, Min: 0, Max: 2},
		Rule: "greedy", Tiebreak: ballot.TiebreakDefault, Revote: ballot.RevoteNone,
		LogOrigin: "pb.example.dk/juelsminde-2026", LogKey: logVkey, CouncilKey: councilVkey,
		RollHash: roll.Hash(), RollCount: len(roll.Keys),
		Projects: []ballot.Project{
			{ID: "multibane", Cost: 80000, Category: "fritid-og-faellesskab", Title: "Multibane"},
			{ID: "spisevenner", Cost: 15000, Category: "social-omsorg", Title: "Spisevenner"},
		},
	}
	signer, _ := note.NewSigner(councilSkey)
	leaf, err := ballot.SignManifest(m, signer)
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, _ := note.NewVerifier(councilVkey)
	opened, err := ballot.OpenManifest(leaf, verifier)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(opened.Round, len(opened.Projects))
	fmt.Println(ballot.FormatFingerprint(ballot.Fingerprint(leaf)))
	// Output:
	// juelsminde-2026 2
	// RDQ4-S61F-R0V3-B1M7
}
