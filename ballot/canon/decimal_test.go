package canon

import (
	"strconv"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	good := map[string]int64{
		"0":                  0,
		"1":                  1,
		"9":                  9,
		"10":                 10,
		"1234567890":         1234567890,
		"999999999999999999": MaxDecimal,
		"100000000000000000": 100_000_000_000_000_000,
	}
	for s, want := range good {
		n, ok := ParseDecimal(s)
		if !ok || n != want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, true", s, n, ok, want)
		}
		if got := FormatDecimal(n); got != s {
			t.Errorf("FormatDecimal(%d) = %q, want %q", n, got, s)
		}
	}
	bad := []string{
		"", "00", "01", "007", "-1", "+1", "-0", " 1", "1 ", "1\n", "1.0", "1e3", "0x1",
		"1_000", "١", "１", "a", "1000000000000000000", "9999999999999999999",
		"9223372036854775807", "000000000000000000",
	}
	for _, s := range bad {
		if n, ok := ParseDecimal(s); ok || n != 0 {
			t.Errorf("ParseDecimal(%q) = %d, %v; want 0, false", s, n, ok)
		}
	}
}

func TestValidDecimal(t *testing.T) {
	for n, want := range map[int64]bool{
		0: true, 1: true, MaxDecimal: true, MaxDecimal + 1: false, -1: false,
		-MaxDecimal: false, 1<<63 - 1: false, -1 << 63: false,
	} {
		if got := ValidDecimal(n); got != want {
			t.Errorf("ValidDecimal(%d) = %v, want %v", n, got, want)
		}
	}
}

// FuzzParseDecimal checks ParseDecimal against strconv and the round trip
// through FormatDecimal: an accepted string is the one canonical form of
// its value.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "1", "00", "01", "-1", "+1", "999999999999999999", "1000000000000000000", "12a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseDecimal(s)
		if !ok {
			if n != 0 {
				t.Fatalf("ParseDecimal(%q) = %d, false", s, n)
			}
			// Every valid value has a canonical form; s is not it.
			if m, err := strconv.ParseInt(s, 10, 64); err == nil && ValidDecimal(m) && FormatDecimal(m) == s {
				t.Fatalf("ParseDecimal(%q) rejected the canonical form of %d", s, m)
			}
			return
		}
		if !ValidDecimal(n) {
			t.Fatalf("ParseDecimal(%q) = %d, not a valid decimal", s, n)
		}
		if got := FormatDecimal(n); got != s {
			t.Fatalf("FormatDecimal(ParseDecimal(%q)) = %q", s, got)
		}
		if m, err := strconv.ParseInt(s, 10, 64); err != nil || m != n {
			t.Fatalf("strconv.ParseInt(%q) = %d, %v; ParseDecimal gave %d", s, m, err, n)
		}
	})
}
