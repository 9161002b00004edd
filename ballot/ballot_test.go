package ballot

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestBallotRoundTrip(t *testing.T) {
	mh := [32]byte{1, 2, 3}
	for _, b := range []*Ballot{
		signedBallot(t, 0, mh, false, nil, nil),
		signedBallot(t, 0, mh, false, []string{"a", "b-c", "z9"}, nil),
		signedBallot(t, 1, mh, true, nil, nil),
		signedBallot(t, 1, mh, true, nil, []Points{{"a", 1}, {"b", 999999999999999999}}),
	} {
		leaf := b.Bytes()
		got, err := ParseBallot(leaf)
		if err != nil {
			t.Fatalf("ParseBallot(%q) = %v", leaf, err)
		}
		if !bytes.Equal(got.Bytes(), leaf) {
			t.Errorf("Bytes(ParseBallot(%q)) = %q", leaf, got.Bytes())
		}
		if err := got.VerifySignature(); err != nil {
			t.Errorf("VerifySignature = %v", err)
		}
		if !bytes.HasPrefix(leaf, got.SignedBytes()) || !bytes.HasPrefix(leaf[len(got.SignedBytes()):], []byte("sig ")) {
			t.Errorf("SignedBytes is not the prefix before the sig line")
		}
	}
	empty := signedBallot(t, 0, mh, false, nil, nil)
	if !bytes.Contains(empty.Bytes(), []byte("\napprove\ncast ")) {
		t.Errorf("empty approval ballot = %q", empty.Bytes())
	}
}

func TestParseBallotRejects(t *testing.T) {
	mh := [32]byte{1, 2, 3}
	good := string(signedBallot(t, 0, mh, false, []string{"lektiecafe", "multibane"}, nil).Bytes())
	pts := string(signedBallot(t, 0, mh, true, nil, []Points{{"lektiecafe", 3}, {"multibane", 5}}).Bytes())
	repl := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("leaf has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	lines := strings.SplitAfter(good, "\n")
	tests := map[string]string{
		"empty":              "",
		"missing final LF":   strings.TrimSuffix(good, "\n"),
		"CRLF":               strings.ReplaceAll(good, "\n", "\r\n"),
		"trailing space":     repl(good, "multibane\n", "multibane \n"),
		"double space":       repl(good, "lektiecafe multibane", "lektiecafe  multibane"),
		"unsorted":           repl(good, "lektiecafe multibane", "multibane lektiecafe"),
		"duplicate":          repl(good, "lektiecafe multibane", "lektiecafe lektiecafe"),
		"upper-case id":      repl(good, "lektiecafe", "Lektiecafe"),
		"approve trailing":   repl(good, "approve lektiecafe multibane", "approve "),
		"unknown line":       repl(good, "approve", "extra x\napprove"),
		"blank line":         repl(good, "approve", "\napprove"),
		"reordered":          lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], ""),
		"wrong header":       repl(good, "pb-ballot/v1", "pb-ballot/v2"),
		"bad round":          repl(good, "round juelsminde-2026", "round Juelsminde"),
		"choice keyword":     repl(good, "approve", "approved"),
		"short key":          repl(good, "key ", "key AAAA"),
		"non-strict sig":     string(strictnessBreak(t, []byte(good))),
		"sig missing pad":    repl(good, "==\n", "\n"),
		"extra line":         good + "x\n",
		"two sigs":           good + lines[6],
		"no cast line":       lines[0] + lines[1] + lines[2] + lines[3] + lines[4] + lines[6],
		"cast after sig":     lines[0] + lines[1] + lines[2] + lines[3] + lines[4] + lines[6] + lines[5],
		"cast 15 bytes":      repl(good, lines[5], "cast AAAAAAAAAAAAAAAAAAAA\n"),
		"cast 32 bytes":      repl(good, lines[5], "cast AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"),
		"cast no padding":    repl(good, lines[5], strings.TrimSuffix(lines[5], "==\n")+"\n"),
		"cast trailing bits": repl(good, lines[5], "cast AAAAAAAAAAAAAAAAAAAAAB==\n"),
		"cast empty":         repl(good, lines[5], "cast \n"),
		"cast before choice": lines[0] + lines[1] + lines[2] + lines[3] + lines[5] + lines[4] + lines[6],
		"points leading 0":   repl(pts, "multibane:5", "multibane:05"),
		"points zero":        repl(pts, "multibane:5", "multibane:0"),
		"points plus":        repl(pts, "multibane:5", "multibane:+5"),
		"points no number":   repl(pts, "multibane:5", "multibane:"),
		"points no colon":    repl(pts, "multibane:5", "multibane"),
		"points two colons":  repl(pts, "multibane:5", "multibane:5:1"),
		"points 19 digits":   repl(pts, "multibane:5", "multibane:1000000000000000000"),
		"points unsorted":    repl(pts, "lektiecafe:3 multibane:5", "multibane:5 lektiecafe:3"),
		"points duplicate":   repl(pts, "lektiecafe:3 multibane:5", "lektiecafe:3 lektiecafe:5"),
		"points space colon": repl(pts, "multibane:5", "multibane: 5"),
		"NUL":                repl(good, "multibane", "multi\x00bane"),
	}
	for name, in := range tests {
		got, err := ParseBallot([]byte(in))
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: ParseBallot(%q) = %+v, %v; want ErrNotCanonical", name, in, got, err)
		}
	}
}

// nonCanonicalS returns sig with S replaced by S + L (same value mod L).
func nonCanonicalS(sig [64]byte) [64]byte {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994811857633389473349298862426766337851916861", 10)
	le := func(b []byte) *big.Int { // little-endian to big.Int
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(r)
	}
	s := le(sig[32:])
	s.Add(s, l)
	be := s.FillBytes(make([]byte, 32))
	out := sig
	for i := range 32 {
		out[32+i] = be[31-i]
	}
	return out
}

func TestCheckBallot(t *testing.T) {
	roll := mustRoll(t, 5)
	type tc struct {
		name   string
		spec   BallotSpec
		ballot func(mh [32]byte) *Ballot
		is     error // nil: valid
	}
	approve := func(ids ...string) func([32]byte) *Ballot {
		return func(mh [32]byte) *Ballot { return signedBallot(t, 1, mh, false, ids, nil) }
	}
	points := func(p ...Points) func([32]byte) *Ballot {
		return func(mh [32]byte) *Ballot { return signedBallot(t, 1, mh, true, nil, p) }
	}
	approval13 := BallotSpec{Kind: KindApproval, Min: 1, Max: 3}
	tests := []tc{
		{"valid approval", approval13, approve("lektiecafe", "multibane"), nil},
		{"valid approval max", approval13, approve("lektiecafe", "multibane", "ungejob"), nil},
		{"valid empty approval", specApproval, approve(), nil},
		{"valid approval-cost", specApprovalCost, approve("bypark-baenke", "multibane", "spisevenner"), nil},
		{"valid approval-cost at limit", BallotSpec{Kind: KindApprovalCost, Limit: 55000}, approve("bypark-baenke", "spisevenner"), nil},
		{"valid cumulative", specCumulative, points(Points{"lektiecafe", 5}, Points{"multibane", 5}), nil},
		{"valid empty cumulative", specCumulative, points(), nil},

		{"wrong round", specApproval, func(mh [32]byte) *Ballot {
			b := &Ballot{Round: "other-round", Manifest: mh, Approve: []string{"multibane"}}
			b.Sign(DeriveKey(testCodes(t, 1)[0], testRound))
			return b
		}, ErrWrongRound},
		{"wrong manifest", specApproval, func(mh [32]byte) *Ballot {
			mh[0] ^= 1
			return signedBallot(t, 0, mh, false, []string{"multibane"}, nil)
		}, ErrWrongManifest},
		{"unknown key", specApproval, func(mh [32]byte) *Ballot {
			return signedBallot(t, 5, mh, false, []string{"multibane"}, nil) // code 5 is not in the 5-key roll
		}, ErrUnknownKey},
		{"bad signature", specApproval, func(mh [32]byte) *Ballot {
			b := signedBallot(t, 0, mh, false, []string{"multibane"}, nil)
			b.Approve = []string{"lektiecafe"} // changed after signing
			return b
		}, ErrBadSignature},
		{"flipped signature bit", specApproval, func(mh [32]byte) *Ballot {
			b := signedBallot(t, 0, mh, false, []string{"multibane"}, nil)
			b.Sig[3] ^= 0x10
			return b
		}, ErrBadSignature},
		{"S >= L", specApproval, func(mh [32]byte) *Ballot {
			b := signedBallot(t, 0, mh, false, []string{"multibane"}, nil)
			b.Sig = nonCanonicalS(b.Sig)
			return b
		}, ErrBadSignature},
		{"signed by another roll key", specApproval, func(mh [32]byte) *Ballot {
			b := signedBallot(t, 0, mh, false, []string{"multibane"}, nil)
			b.Key = roll.Keys[0]
			if b.Key == PublicKey(DeriveKey(testCodes(t, 1)[0], testRound)) {
				b.Key = roll.Keys[1]
			}
			return b
		}, ErrBadSignature},
		{"unknown project", specApproval, approve("lektiecafe", "svoemmehal"), ErrChoices},
		{"unsorted", specApproval, approve("multibane", "lektiecafe"), ErrChoices},
		{"duplicate", specApproval, approve("multibane", "multibane"), ErrChoices},
		{"over max", approval13, approve("bypark-baenke", "lektiecafe", "multibane", "ungejob"), ErrChoices},
		{"under min", approval13, approve(), ErrChoices},
		{"over cost limit", specApprovalCost, approve("bypark-baenke", "lektiecafe", "multibane", "spisevenner"), ErrChoices},
		{"over cost limit by 1", BallotSpec{Kind: KindApprovalCost, Limit: 54999}, approve("bypark-baenke", "spisevenner"), ErrChoices},
		{"over cap", specCumulative, points(Points{"multibane", 6}), ErrChoices},
		{"over total", specCumulative, points(Points{"bypark-baenke", 5}, Points{"lektiecafe", 5}, Points{"multibane", 1}), ErrChoices},
		{"zero points", specCumulative, points(Points{"multibane", 0}), ErrChoices},
		{"points unsorted", specCumulative, points(Points{"multibane", 1}, Points{"lektiecafe", 1}), ErrChoices},
		{"points duplicate", specCumulative, points(Points{"multibane", 1}, Points{"multibane", 1}), ErrChoices},
		{"points unknown project", specCumulative, points(Points{"svoemmehal", 1}), ErrChoices},
		{"points on approval", specApproval, points(Points{"multibane", 1}), ErrChoices},
		{"approve on cumulative", specCumulative, approve("multibane"), ErrChoices},
		{"approve on cumulative (empty)", specCumulative, approve(), ErrChoices},
		{"points on approval-cost", specApprovalCost, points(), ErrChoices},
		{"mixed fields", specApproval, func(mh [32]byte) *Ballot {
			return signedBallot(t, 1, mh, false, []string{"multibane"}, []Points{{"multibane", 1}})
		}, ErrChoices},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, mh := signedManifest(t, tt.spec)
			b := tt.ballot(mh)
			err := m.CheckBallot(b, mh, roll)
			if tt.is == nil && err != nil {
				t.Errorf("CheckBallot = %v, want nil", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("CheckBallot = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestVerifySignatureBadKey(t *testing.T) {
	b := signedBallot(t, 0, [32]byte{}, false, nil, nil)
	b.Key = smallOrderKeys[0]
	if err := b.VerifySignature(); !errors.Is(err, ErrBadKey) {
		t.Errorf("VerifySignature(small-order key) = %v, want ErrBadKey", err)
	}
	if err := (&Manifest{Round: testRound}).CheckBallot(b, [32]byte{}, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("CheckBallot(nil roll) = %v, want ErrUnknownKey", err)
	}
}
