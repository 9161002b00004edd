package ballot

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot/canon"
)

func TestCodeRoundTrip(t *testing.T) {
	codes := []Code{{}, {0: 0xff}, {15: 0xff}}
	var all Code
	for i := range all {
		all[i] = 0xff
	}
	codes = append(codes, all, mustCode(t, testCodeHex))
	for range 200 {
		c, err := NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	for _, c := range codes {
		compact, grouped := c.Compact(), c.String()
		if len(compact) != 27 || len(grouped) != 33 {
			t.Fatalf("len(Compact()) = %d, len(String()) = %d; want 27, 33", len(compact), len(grouped))
		}
		if strings.ReplaceAll(grouped, "-", "") != compact {
			t.Errorf("String() = %q does not group Compact() = %q", grouped, compact)
		}
		for _, s := range []string{compact, grouped, strings.ToLower(grouped)} {
			got, err := ParseCode(s)
			if err != nil || got != c {
				t.Errorf("ParseCode(%q) = %x, %v; want %x", s, got, err, c)
			}
		}
	}
}

func TestCodeKnownAnswer(t *testing.T) {
	tests := []struct {
		hex, grouped string
	}{
		{"00000000000000000000000000000000", "0000-0000-0000-0000-0000-0000-000"},
		{"5f1e8a2c9b3d47e6a0c4f8127d6e3b95", "BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3"},
	}
	for _, tt := range tests {
		c := mustCode(t, tt.hex)
		if got := c.String(); got != tt.grouped {
			t.Errorf("Code(%s).String() = %q, want %q", tt.hex, got, tt.grouped)
		}
	}
}

// TestCodeSubstitution checks that every single-character substitution of
// a code's compact form is rejected.
func TestCodeSubstitution(t *testing.T) {
	for _, c := range sampleCodes(t) {
		s := []byte(c.Compact())
		for i := range s {
			orig := s[i]
			for _, r := range []byte(canon.CrockfordAlphabet) {
				if r == orig {
					continue
				}
				s[i] = r
				if got, err := ParseCode(string(s)); !errors.Is(err, ErrBadCode) {
					t.Errorf("ParseCode(%q) (position %d changed) = %x, %v; want ErrBadCode", s, i, got, err)
				}
			}
			s[i] = orig
		}
	}
}

// TestCodeTransposition checks that every swap of two different
// neighbouring characters is rejected.
func TestCodeTransposition(t *testing.T) {
	for _, c := range sampleCodes(t) {
		s := []byte(c.Compact())
		for i := 0; i+1 < len(s); i++ {
			if s[i] == s[i+1] {
				continue
			}
			s[i], s[i+1] = s[i+1], s[i]
			if got, err := ParseCode(string(s)); !errors.Is(err, ErrBadCode) {
				t.Errorf("ParseCode(%q) (swap at %d) = %x, %v; want ErrBadCode", s, i, got, err)
			}
			s[i], s[i+1] = s[i+1], s[i]
		}
	}
}

// sampleCodes returns a few random codes and the fixed ones.
func sampleCodes(t *testing.T) []Code {
	codes := testCodes(t, 4)
	for range 8 {
		c, err := NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	return codes
}

func TestParseCodeLenient(t *testing.T) {
	want := mustCode(t, testCodeHex) // BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3
	for _, s := range []string{
		"BWF8MB4V7N3YD864Z097TVHVJM3",
		"BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3",
		"bwf8-mb4v-7n3y-d864-z097-tvhv-jm3",
		"BWF8 MB4V 7N3Y D864 Z097 TVHV JM3",
		" BWF8--MB4V 7N3Y-D864-Z097-TVHV-JM3 ",
		"BWF8-MB4V-7N3Y-D864-ZO97-TVHV-JM3", // letter O for zero
		"BWF8-MB4V-7N3Y-D864-zo97-TVHV-JM3", // lower-case o
	} {
		got, err := ParseCode(s)
		if err != nil || got != want {
			t.Errorf("ParseCode(%q) = %x, %v; want %x", s, got, err, want)
		}
	}
	// I and L read as 1: find a code with a 1 in it.
	one := mustCode(t, "08421084210842108421084210842108")
	compact := one.Compact()
	if !strings.Contains(compact, "1") {
		t.Fatalf("test code %s has no 1", compact)
	}
	for _, r := range []string{"I", "i", "L", "l"} {
		s := strings.ReplaceAll(compact, "1", r)
		if got, err := ParseCode(s); err != nil || got != one {
			t.Errorf("ParseCode(%q) = %x, %v; want %x", s, got, err, one)
		}
	}
}

func TestParseCodeBad(t *testing.T) {
	good := mustCode(t, testCodeHex).Compact()
	// A code whose 26th digit has a non-zero padding bit but a correct check
	// digit: the check alone does not catch it.
	d := []byte(good[:26])
	d[25] = canon.CrockfordAlphabet[canon.CrockfordValue(d[25])|1]
	vals := make([]int, 26)
	for i := range d {
		vals[i] = canon.CrockfordValue(d[i])
	}
	padded := string(d) + string(canon.CrockfordAlphabet[gfMulX(checkSum(vals))])

	for _, tt := range []struct{ name, in string }{
		{"empty", ""},
		{"short", good[:26]},
		{"long", good + "0"},
		{"U not in alphabet", "U" + good[1:]},
		{"unicode", "BWF8·MB4V-7N3Y-D864-Z097-TVHV-JM3"},
		{"tab", "BWF8\tMB4V7N3YD864Z097TVHVJM3"},
		{"newline", good + "\n"},
		{"underscore", "BWF8_MB4V7N3YD864Z097TVHVJM3"},
		{"padding bits", padded},
		{"very long", strings.Repeat("-", 1000) + good},
	} {
		if got, err := ParseCode(tt.in); !errors.Is(err, ErrBadCode) {
			t.Errorf("%s: ParseCode(%q) = %x, %v; want ErrBadCode", tt.name, tt.in, got, err)
		} else if strings.Contains(err.Error(), good[:8]) {
			t.Errorf("%s: error %q echoes the code", tt.name, err)
		}
	}
}

func TestNewCode(t *testing.T) {
	c, err := NewCode(bytes.NewReader(bytes.Repeat([]byte{7}, 16)))
	if err != nil || c != (Code{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}) {
		t.Errorf("NewCode(7s) = %x, %v", c, err)
	}
	if _, err := NewCode(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Errorf("NewCode(short reader) succeeded")
	}
}

func TestDeriveKey(t *testing.T) {
	c := mustCode(t, testCodeHex)
	k1 := PublicKey(DeriveKey(c, testRound))
	if k2 := PublicKey(DeriveKey(c, testRound)); k1 != k2 {
		t.Errorf("DeriveKey is not deterministic")
	}
	if k2 := PublicKey(DeriveKey(c, "other-round")); k1 == k2 {
		t.Errorf("DeriveKey gives the same key in two rounds")
	}
	c2 := c
	c2[15] ^= 1
	if k2 := PublicKey(DeriveKey(c2, testRound)); k1 == k2 {
		t.Errorf("DeriveKey gives the same key for two codes")
	}
	if err := CheckKey(k1[:]); err != nil {
		t.Errorf("derived key fails CheckKey: %v", err)
	}
}

func TestTrackerAndFingerprint(t *testing.T) {
	// tlog.RecordHash("") = SHA-256(0x00) = 6e340b9cffb37a98...
	if got, want := Tracker(nil), "DRT0-Q77Z"; got != want {
		t.Errorf("Tracker(nil) = %q, want %q", got, want)
	}
	// SHA-256("") = e3b0c44298fc1c149afbf4c8996fb924...
	if got, want := Fingerprint(nil), "WERC8GMRZGE196QV"; got != want {
		t.Errorf("Fingerprint(nil) = %q, want %q", got, want)
	}
	if got, want := FormatFingerprint("WERC8GMRZGE19PQZ"), "WERC-8GMR-ZGE1-9PQZ"; got != want {
		t.Errorf("FormatFingerprint = %q, want %q", got, want)
	}
}
