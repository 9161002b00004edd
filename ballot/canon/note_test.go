package canon

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// exampleCheckpoint is the final checkpoint of docs/record.md §12
// (tally/ledger/testdata/example/checkpoint-6.txt).
const exampleCheckpoint = "pb.example/eksempel-2026\n6\n37LotTzkMoaDaBRQzMpha7ZFKwLPmYkT2DRO9POtVuY=\n\n" +
	"— pb.example/eksempel-2026 c32LZW++JRRfjLnCnOVEWbi/hiYpN9sgUYHMjtNZvc8oMNXves+1iTKlkFtWFosUBKno4v+x+pXvn9AIQ1nCQUhuPwM=\n" +
	"— council.example/eksempel-2026 J+I2P7ZpgUljUVD4YP7Pljq1jI2aRWe5py6vR1p1IFlgJ+EdFOIHf/mEhtejk5QmNBZHR5maLvWN72yy+I4USHYsRA4=\n"

func TestSplitNoteKnownAnswer(t *testing.T) {
	body, sigs, err := SplitNote([]byte(exampleCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if want := "pb.example/eksempel-2026\n6\n37LotTzkMoaDaBRQzMpha7ZFKwLPmYkT2DRO9POtVuY=\n"; string(body) != want {
		t.Errorf("body = %q, want %q", body, want)
	}
	want := []struct {
		name string
		hash uint32
	}{{"pb.example/eksempel-2026", 0x737d8b65}, {"council.example/eksempel-2026", 0x27e2363f}}
	if len(sigs) != len(want) {
		t.Fatalf("%d signatures, want %d", len(sigs), len(want))
	}
	for i, s := range sigs {
		if s.Name != want[i].name || s.Hash != want[i].hash || len(s.Sig) != ed25519.SignatureSize {
			t.Errorf("signature %d = %s+%08x (%d bytes), want %s+%08x", i, s.Name, s.Hash, len(s.Sig), want[i].name, want[i].hash)
		}
	}
	if got := JoinNote(body, sigs); string(got) != exampleCheckpoint {
		t.Errorf("JoinNote = %q", got)
	}
}

func TestValidKeyName(t *testing.T) {
	for _, s := range []string{"a", "pb.example/eksempel-2026", "council", "æøå", "a—b", "PRIVATE", "a=b", "-"} {
		if !ValidKeyName(s) {
			t.Errorf("ValidKeyName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a b", "a+b", "+", "a\tb", "a\nb", "a\x00", "a\x7f", "a\u0085", "a\u00a0b",
		"a\u2003b", "a\u3000b", "\xff", "a\u009f"} {
		if ValidKeyName(s) {
			t.Errorf("ValidKeyName(%q) = true", s)
		}
	}
}

// testSigner is a note.Signer over a fixed Ed25519 key.
type testSigner struct {
	name string
	priv ed25519.PrivateKey
}

func newTestSigner(name string, seed byte) testSigner {
	return testSigner{name, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))}
}

func (s testSigner) Name() string { return s.name }
func (s testSigner) KeyHash() uint32 {
	h := sha256.Sum256(append([]byte(s.name+"\n\x01"), s.priv.Public().(ed25519.PublicKey)...))
	return binary.BigEndian.Uint32(h[:])
}
func (s testSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

func signed(t testing.TB, body string, signers ...note.Signer) string {
	msg, err := note.Sign(&note.Note{Text: body}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

func TestSplitNoteStrict(t *testing.T) {
	a, b := newTestSigner("log.example/r", 1), newTestSigner("council.example/r", 2)
	s := signed(t, "pb-close/v1\nround r\n", a)
	two := signed(t, "pb-close/v1\nround r\n", a, b)
	sigLine := s[strings.LastIndex(s[:len(s)-1], "\n")+1:]
	i := strings.LastIndex(s, "=\n") - 1 // last b64 digit before the padding
	trailing := s[:i] + string(s[i]+1) + s[i+1:]

	good := map[string]int{
		"one signature":   1,
		"two signatures":  2,
		"unknown 5 bytes": 2,
		"100 signatures":  100,
	}
	many := signed(t, "x\n", a)
	for k := 2; k <= 100; k++ {
		many += "— k" + FormatDecimal(int64(k)) + " AAAAAAA=\n"
	}
	goodMsg := map[string]string{
		"one signature":   s,
		"two signatures":  two,
		"unknown 5 bytes": s + "— other AAAAAAA=\n",
		"100 signatures":  many,
	}
	for name, msg := range goodMsg {
		body, sigs, err := SplitNote([]byte(msg))
		if err != nil || len(sigs) != good[name] || string(body) != "pb-close/v1\nround r\n" && name != "100 signatures" {
			t.Errorf("%s: SplitNote = %q, %d signatures, %v", name, body, len(sigs), err)
			continue
		}
		if got := JoinNote(body, sigs); string(got) != msg {
			t.Errorf("%s: JoinNote(SplitNote) = %q", name, got)
		}
	}

	bad := map[string]struct{ msg, reason string }{
		"invalid UTF-8":         {s[:3] + "\xff" + s[3:], "invalid UTF-8"},
		"CR":                    {strings.Replace(s, "\n\n", "\r\n\n", 1), "control character"},
		"tab in body":           {strings.Replace(s, "round r", "round\tr", 1), "control character"},
		"C1 control in body":    {strings.Replace(s, "round r", "round \u0085r", 1), "control character"},
		"CR in signature":       {s[:len(s)-1] + "\r\n", "control character"},
		"no blank line":         {strings.Replace(s, "\n\n", "\n", 1), "no signature block"},
		"no signature":          {"pb-close/v1\nround r\n\n", "no signature lines"},
		"no final LF":           {s[:len(s)-1], "no signature lines"},
		"two blank lines":       {strings.Replace(s, "\n\n", "\n\n\n", 1), "empty line in body"},
		"empty line in body":    {strings.Replace(s, "round r\n", "\nround r\n", 1), "empty line in body"},
		"empty body":            {"\n" + s[strings.Index(s, "\n\n")+1:], "empty line in body"},
		"hyphen not em dash":    {strings.Replace(s, "— ", "- ", 1), "signature line does not start with an em dash"},
		"blank signature line":  {s + "\n", "empty line in body"},
		"blank line between":    {two[:strings.LastIndex(two[:len(two)-1], "\n")+1] + "\n" + two[strings.LastIndex(two[:len(two)-1], "\n")+1:], "empty line in body"},
		"text after signatures": {s + "x\n", "signature line does not start with an em dash"},
		"no space after dash":   {strings.Replace(s, "— ", "—", 1), "signature line does not start with an em dash"},
		"no b64":                {s + "— name\n", "invalid signature key name"},
		"plus in name":          {s + "— a+b AAAAAAA=\n", "invalid signature key name"},
		"empty name":            {s + "—  AAAAAAA=\n", "invalid signature key name"},
		"unpadded signature":    {s[:len(s)-2] + "\n", "signature is not strict b64 of at least 5 bytes"},
		"non-zero trailing":     {trailing, "signature is not strict b64 of at least 5 bytes"},
		"short signature":       {s + "— x AAAA\n", "signature is not strict b64 of at least 5 bytes"},
		"empty b64":             {s + "— x \n", "signature is not strict b64 of at least 5 bytes"},
		"two spaces":            {s + "— x  AAAAAAA=\n", "signature is not strict b64 of at least 5 bytes"},
		"trailing space":        {s + "— x AAAAAAA= \n", "signature is not strict b64 of at least 5 bytes"},
		"duplicate signature":   {s + sigLine, "two signatures by one key"},
		"same name and hash":    {s + "— log.example/r " + EncodeB64([]byte{byte(a.KeyHash() >> 24), byte(a.KeyHash() >> 16), byte(a.KeyHash() >> 8), byte(a.KeyHash()), 0}) + "\n", "two signatures by one key"},
		"101 signatures":        {many + "— k101 AAAAAAA=\n", "too many signatures"},
		"empty":                 {"", "no signature block"},
		"final empty line":      {"a\n\n— x AAAAAAA=\n\n", "empty line in body"},
	}
	for name, tc := range bad {
		body, sigs, err := SplitNote([]byte(tc.msg))
		if err == nil || err.Error() != tc.reason || body != nil || sigs != nil {
			t.Errorf("%s: SplitNote = %q, %v, %v; want %q", name, body, sigs, err, tc.reason)
		}
	}
	// x/mod's note.Open accepts the non-zero trailing bits and silently
	// drops the duplicate line: the reason SplitNote exists.
	v, err := note.NewVerifier(vkey(a))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{trailing, s + sigLine} {
		if _, err := note.Open([]byte(msg), note.VerifierList(v)); err != nil {
			t.Errorf("note.Open(%q) = %v; the test no longer shows the gap", msg, err)
		}
	}
}

func vkey(s testSigner) string {
	pub := append([]byte{1}, s.priv.Public().(ed25519.PublicKey)...)
	return fmt.Sprintf("%s+%08x+%s", s.name, s.KeyHash(), EncodeB64(pub))
}

// FuzzSplitNote checks the round trip through JoinNote, that an accepted
// note is also accepted by x/mod's parser (no signature verifies, so
// note.Open reports an unverified note rather than a malformed one), and
// the contract on the parts.
func FuzzSplitNote(f *testing.F) {
	a, b := newTestSigner("log.example/r", 1), newTestSigner("council.example/r", 2)
	f.Add([]byte(exampleCheckpoint))
	f.Add([]byte(signed(f, "pb-close/v1\nround r\n", a, b)))
	f.Add([]byte("a\n\n— x AAAAAAA=\n"))
	f.Add([]byte("a\n\n— x AAAAAAA=\n— x AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		body, sigs, err := SplitNote(msg)
		if err != nil {
			if body != nil || sigs != nil {
				t.Fatalf("SplitNote(%q) returned parts with error %v", msg, err)
			}
			return
		}
		if got := JoinNote(body, sigs); !bytes.Equal(got, msg) {
			t.Fatalf("JoinNote(SplitNote(%q)) = %q", msg, got)
		}
		if _, err := Lines(body); err != nil {
			t.Fatalf("SplitNote(%q) body fails Lines: %v", msg, err)
		}
		if len(sigs) < 1 || len(sigs) > MaxSigs {
			t.Fatalf("SplitNote(%q) gave %d signatures", msg, len(sigs))
		}
		for _, s := range sigs {
			raw, ok := DecodeB64(s.B64)
			if !ok || !ValidKeyName(s.Name) || binary.BigEndian.Uint32(raw) != s.Hash || !bytes.Equal(raw[4:], s.Sig) {
				t.Fatalf("SplitNote(%q) gave signature %+v", msg, s)
			}
		}
		n, err := note.Open(msg, note.VerifierList())
		if _, ok := err.(*note.UnverifiedNoteError); !ok {
			t.Fatalf("note.Open(%q) = %v, want an unverified note", msg, err)
		}
		if err == nil || n != nil && n.Text != string(body) {
			t.Fatalf("note.Open(%q) text differs", msg)
		}
	})
}

// FuzzValidKeyName checks ValidKeyName against its definition and that
// x/mod's note package signs under every name it accepts.
func FuzzValidKeyName(f *testing.F) {
	for _, s := range []string{"a", "pb.example/r", "a b", "a+b", "", "a\u00a0b", "a\u0085", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := s != "" && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return r == '+' || unicode.IsSpace(r) || unicode.IsControl(r)
		})
		if got := ValidKeyName(s); got != want {
			t.Fatalf("ValidKeyName(%q) = %v, want %v", s, got, want)
		}
		if !want {
			return
		}
		msg := signed(t, "x\n", testSigner{s, ed25519.NewKeyFromSeed(make([]byte, 32))})
		if _, sigs, err := SplitNote([]byte(msg)); err != nil || len(sigs) != 1 || sigs[0].Name != s {
			t.Fatalf("SplitNote of a note signed by %q: %v", s, err)
		}
	})
}
