package ballot

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// smallOrderKeys are encodings of points of small order: the identity, the
// point of order 2, and a point of order 4.
var smallOrderKeys = [][32]byte{
	{0: 1},
	{0: 0xec, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff,
		11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff, 16: 0xff, 17: 0xff, 18: 0xff, 19: 0xff, 20: 0xff,
		21: 0xff, 22: 0xff, 23: 0xff, 24: 0xff, 25: 0xff, 26: 0xff, 27: 0xff, 28: 0xff, 29: 0xff, 30: 0xff, 31: 0x7f},
	{}, // y = 0: x² = −1/1, a point of order 4
}

// nonCanonicalKey returns an encoding y = p + y0 (≥ p) of a valid point of
// large order.
func nonCanonicalKey(t *testing.T) [32]byte {
	t.Helper()
	for y0 := byte(2); y0 < 19; y0++ {
		// p + y0 = 2²⁵⁵ − 19 + y0, little-endian.
		var k [32]byte
		k[0] = 0xed + y0
		for i := 1; i < 31; i++ {
			k[i] = 0xff
		}
		k[31] = 0x7f
		p, err := new(edwards25519.Point).SetBytes(k[:])
		if err != nil {
			continue
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
			continue
		}
		return k
	}
	t.Fatal("no non-canonical encoding of a large-order point found")
	return [32]byte{}
}

// notOnCurve returns 32 bytes that decode to no point.
func notOnCurve(t *testing.T) [32]byte {
	t.Helper()
	for i := byte(2); i < 255; i++ {
		k := [32]byte{0: i}
		if _, err := new(edwards25519.Point).SetBytes(k[:]); err != nil {
			return k
		}
	}
	t.Fatal("no invalid encoding found")
	return [32]byte{}
}

func TestCheckKey(t *testing.T) {
	good := mustRoll(t, 1).Keys[0]
	if err := CheckKey(good[:]); err != nil {
		t.Errorf("CheckKey(derived key) = %v", err)
	}
	bad := map[string][]byte{
		"31 bytes":      good[:31],
		"33 bytes":      append(good[:], 0),
		"nil":           nil,
		"non-canonical": func() []byte { k := nonCanonicalKey(t); return k[:] }(),
		"not on curve":  func() []byte { k := notOnCurve(t); return k[:] }(),
	}
	for i, k := range smallOrderKeys {
		bad["small order "+string(rune('a'+i))] = k[:]
	}
	for name, k := range bad {
		if err := CheckKey(k); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: CheckKey(%x) = %v, want ErrBadKey", name, k, err)
		}
	}
}

func TestRollRoundTrip(t *testing.T) {
	r := mustRoll(t, 5)
	got, err := ParseRoll(r.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), r.Bytes()) || got.Hash() != r.Hash() || got.Round != testRound {
		t.Errorf("ParseRoll(Bytes()) differs")
	}
	for i := 1; i < len(r.Keys); i++ {
		if bytes.Compare(r.Keys[i-1][:], r.Keys[i][:]) >= 0 {
			t.Errorf("NewRoll keys not strictly ascending at %d", i)
		}
	}
	for _, c := range testCodes(t, 5) {
		if !r.Contains(PublicKey(DeriveKey(c, testRound))) {
			t.Errorf("roll does not contain the key of code %s", c.Compact())
		}
	}
	if r.Contains(PublicKey(DeriveKey(testCodes(t, 6)[5], testRound))) {
		t.Errorf("roll contains a key it was not given")
	}
	empty, err := NewRoll(testRound, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(empty.Bytes()), "pb-roll/v1\nround juelsminde-2026\n"; got != want {
		t.Errorf("empty roll = %q, want %q", got, want)
	}
	if _, err := ParseRoll(empty.Bytes()); err != nil {
		t.Errorf("ParseRoll(empty roll) = %v", err)
	}
}

func TestNewRollRejects(t *testing.T) {
	keys := mustRoll(t, 3).Keys
	tests := []struct {
		name  string
		round string
		keys  [][32]byte
		is    error
	}{
		{"duplicate", testRound, append([][32]byte{keys[1]}, keys...), nil},
		{"small order", testRound, append([][32]byte{smallOrderKeys[1]}, keys...), ErrBadKey},
		{"non-canonical", testRound, [][32]byte{nonCanonicalKey(t)}, ErrBadKey},
		{"bad round", "Juelsminde", keys, nil},
	}
	for _, tt := range tests {
		_, err := NewRoll(tt.round, tt.keys)
		if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: NewRoll = %v, want error %v", tt.name, err, tt.is)
		}
	}
}

func TestParseRollRejects(t *testing.T) {
	r := mustRoll(t, 3)
	good := string(r.Bytes())
	lines := strings.SplitAfter(good, "\n")
	k := func(b []byte) string { return canon.EncodeB64(b) + "\n" }
	nc, so := nonCanonicalKey(t), smallOrderKeys[1]
	tests := []struct {
		name string
		in   string
		is   error
	}{
		{"empty", "", nil},
		{"missing final LF", strings.TrimSuffix(good, "\n"), nil},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), nil},
		{"trailing space", strings.Replace(good, "\n", " \n", 1), nil},
		{"blank line", good + "\n", nil},
		{"wrong header", "pb-roll/v2\n" + strings.Join(lines[1:], ""), nil},
		{"missing round", "pb-roll/v1\n", nil},
		{"bad round", "pb-roll/v1\nround Juelsminde\n", nil},
		{"unsorted", lines[0] + lines[1] + lines[3] + lines[2] + lines[4], nil},
		{"duplicate", good + lines[4], nil},
		{"31-byte key", good + k(make([]byte, 31)), nil},
		{"33-byte key", good + k(append(r.Keys[0][:], 1)), nil},
		{"small-order key", lines[0] + lines[1] + k(so[:]) + strings.Join(lines[2:], ""), ErrBadKey},
		{"non-canonical key", lines[0] + lines[1] + k(nc[:]) + strings.Join(lines[2:], ""), ErrBadKey},
		{"non-strict b64", good[:len(good)-3] + "5=\n", nil},
		{"unpadded b64", strings.Replace(good, "=\n", "\n", 1), nil},
	}
	for _, tt := range tests {
		_, err := ParseRoll([]byte(tt.in))
		if !errors.Is(err, ErrNotCanonical) || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: ParseRoll(%q) = %v, want ErrNotCanonical %v", tt.name, tt.in, err, tt.is)
		}
	}
}
