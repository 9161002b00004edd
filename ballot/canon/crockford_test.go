package canon

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCrockfordKnownAnswers(t *testing.T) {
	for _, tc := range []struct{ hex, want string }{
		{"", ""},
		{"00", "00"},
		{"ff", "ZW"},
		{"f8", "Z0"},
		{"0000000000", "00000000"},
		{"ffffffffff", "ZZZZZZZZ"},
		{"0842108421", "11111111"},
		// docs/record.md §3: the example code's 26 data digits (its text
		// form is BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3 with check digit 3).
		{"5f1e8a2c9b3d47e6a0c4f8127d6e3b95", "BWF8MB4V7N3YD864Z097TVHVJM"},
		// docs/record.md §12.4: fingerprint AC4T-501W-M9S9-WN69 of the
		// manifest hash UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NY=.
		{"5309a2803ca2729e54c9", "AC4T501WM9S9WN69"},
		// ballot/testdata/vector.json: manifest_fingerprint TVMTHD1B4K245ND2
		// of the manifest hash 1umotCskxELVotYLbGsb/JZ83uJJFgfjP1jOcYreDGg=.
		{"d6e9a8b42b24c442d5a2", "TVMTHD1B4K245ND2"},
	} {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got := Crockford(b); got != tc.want {
			t.Errorf("Crockford(%s) = %q, want %q", tc.hex, got, tc.want)
		}
	}
	for _, b64 := range []struct{ hash, fp string }{
		{"UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NY=", "AC4T-501W-M9S9-WN69"},
		{"1umotCskxELVotYLbGsb/JZ83uJJFgfjP1jOcYreDGg=", "TVMT-HD1B-4K24-5ND2"},
	} {
		h, ok := Decode32(b64.hash)
		if !ok {
			t.Fatalf("Decode32(%q) failed", b64.hash)
		}
		fp := Crockford(h[:10])
		if !ValidFingerprint(fp) || Group(fp) != b64.fp {
			t.Errorf("fingerprint of %s = %q, want %q", b64.hash, Group(fp), b64.fp)
		}
	}
}

func TestCrockfordValue(t *testing.T) {
	for v := range 32 {
		if got := CrockfordValue(CrockfordAlphabet[v]); got != v {
			t.Errorf("CrockfordValue(%q) = %d, want %d", CrockfordAlphabet[v], got, v)
		}
	}
	n := 0
	for c := range 256 {
		if CrockfordValue(byte(c)) >= 0 {
			n++
		}
	}
	if n != 32 {
		t.Errorf("%d bytes have a Crockford value, want 32", n)
	}
	for _, c := range []byte("ILOUilouaz-  \x00\xff") {
		if v := CrockfordValue(c); v != -1 {
			t.Errorf("CrockfordValue(%q) = %d, want -1", c, v)
		}
	}
}

func TestValidFingerprint(t *testing.T) {
	for _, s := range []string{"AC4T501WM9S9WN69", "0000000000000000", "ZZZZZZZZZZZZZZZZ"} {
		if !ValidFingerprint(s) {
			t.Errorf("ValidFingerprint(%q) = false", s)
		}
	}
	for _, s := range []string{"", "AC4T501WM9S9WN6", "AC4T501WM9S9WN690", "ac4t501wm9s9wn69", "AC4T-501W-M9S9-WN69",
		"AC4T501WM9S9WN6U", "AC4T501WM9S9WN6I", "AC4T501WM9S9WN6O", "AC4T501WM9S9WN6L", "AC4T501WM9S9WN6 ", "!!!!!!!!!!!!!!!!"} {
		if ValidFingerprint(s) {
			t.Errorf("ValidFingerprint(%q) = true", s)
		}
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"A":                           "A",
		"ABCD":                        "ABCD",
		"ABCDE":                       "ABCD-E",
		"6YJE3FSR":                    "6YJE-3FSR",
		"AC4T501WM9S9WN69":            "AC4T-501W-M9S9-WN69",
		"BWF8MB4V7N3YD864Z097TVHVJM3": "BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3",
	} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}

// crockfordDecode reads the bits of Crockford digits back, most
// significant first, as the voting-code parser of ballot does.
func crockfordDecode(s string, nbytes int) ([]byte, bool) {
	out := make([]byte, nbytes)
	for i := 0; i < len(s)*5; i++ {
		v := CrockfordValue(s[i/5])
		if v < 0 {
			return nil, false
		}
		if v&(0x10>>(i%5)) == 0 {
			continue
		}
		if i/8 >= nbytes {
			return nil, false // a padding bit is set
		}
		out[i/8] |= 0x80 >> (i % 8)
	}
	return out, true
}

// FuzzCrockford checks the length of Crockford's output, that it decodes
// back to the input with zero padding bits, and that Group only inserts
// hyphens.
func FuzzCrockford(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte("\x5f\x1e\x8a\x2c\x9b\x3d\x47\xe6\xa0\xc4\xf8\x12\x7d\x6e\x3b\x95"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Crockford(b)
		if want := (len(b)*8 + 4) / 5; len(s) != want {
			t.Fatalf("Crockford(%x) has %d digits, want %d", b, len(s), want)
		}
		got, ok := crockfordDecode(s, len(b))
		if !ok || !bytes.Equal(got, b) {
			t.Fatalf("Crockford(%x) = %q decodes to %x, %v", b, s, got, ok)
		}
		g := Group(s)
		if strings.ReplaceAll(g, "-", "") != s || strings.HasPrefix(g, "-") || strings.HasSuffix(g, "-") {
			t.Fatalf("Group(%q) = %q", s, g)
		}
		if len(s) == 16 && !ValidFingerprint(s) {
			t.Fatalf("ValidFingerprint(%q) = false", s)
		}
	})
}

// FuzzValidFingerprint checks ValidFingerprint against Crockford: a valid
// fingerprint is the encoding of 10 bytes.
func FuzzValidFingerprint(f *testing.F) {
	f.Add("AC4T501WM9S9WN69")
	f.Add("ac4t501wm9s9wn69")
	f.Add("AC4T501WM9S9WN6U")
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidFingerprint(s) {
			return
		}
		b, ok := crockfordDecode(s, 10)
		if !ok || Crockford(b) != s {
			t.Fatalf("ValidFingerprint(%q) but it is not the Crockford form of 10 bytes", s)
		}
	})
}
