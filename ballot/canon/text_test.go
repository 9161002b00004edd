package canon

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidID(t *testing.T) {
	good := []string{"a", "0", "a-b", "juelsminde-2026", "a--b", strings.Repeat("a", 64), "x" + strings.Repeat("-", 62) + "y"}
	bad := []string{"", "-", "-a", "a-", "A", "aB", "a_b", "a b", "a.b", "æ", strings.Repeat("a", 65), "a\n", "ａ"}
	for _, s := range good {
		if !ValidID(s) {
			t.Errorf("ValidID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
}

func TestValidText(t *testing.T) {
	good := []string{"a", "Lektiecafé på biblioteket", "a b", "æøå", "x\u00a0y", "€ 100", "a\u00a0 b",
		strings.Repeat("a", 200), strings.Repeat("é", 100), "a \u00a0"}
	bad := []string{"", " ", " a", "a ", "a  b", "a\tb", "a\nb", "a\x00", "a\x7f", "a\u0080", "a\u009f",
		"\xff", "a\xc3", strings.Repeat("a", 201), strings.Repeat("é", 100) + "a"}
	for _, s := range good {
		if !ValidText(s) {
			t.Errorf("ValidText(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidText(s) {
			t.Errorf("ValidText(%q) = true", s)
		}
	}
}

var idRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// FuzzValid checks ValidID against the regular expression of
// docs/record.md §1 and ValidText against its definition, rune by rune.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"a", "a-b", "-a", "A", "a  b", " a", "a\u0085", "\xff", "æ", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), idRE.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v, regexp says %v", s, got, want)
		}
		want := len(s) >= 1 && len(s) <= 200 && utf8.ValidString(s) &&
			!strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ") && !strings.Contains(s, "  ") &&
			!strings.ContainsFunc(s, func(r rune) bool { return r <= 0x1f || r >= 0x7f && r <= 0x9f })
		if got := ValidText(s); got != want {
			t.Fatalf("ValidText(%q) = %v, want %v", s, got, want)
		}
		if ValidID(s) && !ValidText(s) {
			t.Fatalf("%q is an ID but not a Text", s)
		}
	})
}

func TestLines(t *testing.T) {
	good := map[string][]string{
		"a\n":             {"a"},
		"a\nb c\n":        {"a", "b c"},
		"pb-roll/v1\n":    {"pb-roll/v1"},
		" \n":             {" "}, // spaces are the formats' business
		"é\u00a0\n—\n":    {"é\u00a0", "—"},
		"a\nb\nc\nd\ne\n": {"a", "b", "c", "d", "e"},
	}
	for in, want := range good {
		got, err := Lines([]byte(in))
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("Lines(%q) = %q, %v; want %q", in, got, err, want)
		}
		if j := strings.Join(got, "\n") + "\n"; j != in {
			t.Errorf("Lines(%q) does not join back: %q", in, j)
		}
	}
	bad := map[string]string{
		"":          "empty",
		"a":         "missing final newline",
		"a\nb":      "missing final newline",
		"\xff\n":    "invalid UTF-8",
		"a\r\n":     "control character",
		"a\tb\n":    "control character",
		"a\x7f\n":   "control character",
		"a\u0085\n": "control character",
		"\n":        "empty line",
		"\na\n":     "empty line",
		"a\n\n":     "empty line",
		"a\n\nb\n":  "empty line",
		"\r":        "missing final newline",
		"\xff":      "missing final newline",
		"\n\xff\n":  "invalid UTF-8",
		"\n\t\n":    "control character",
	}
	for in, want := range bad {
		got, err := Lines([]byte(in))
		if err == nil || err.Error() != want || got != nil {
			t.Errorf("Lines(%q) = %q, %v; want error %q", in, got, err, want)
		}
	}
}

// FuzzLines checks that accepted bodies join back to the input and that
// every line is non-empty, LF-free and free of control characters.
func FuzzLines(f *testing.F) {
	for _, s := range []string{"a\n", "a\nb\n", "", "\n", "a\n\n", "a\r\n", "\xff\n", "pb-manifest/v1\nround r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := Lines(b)
		if err != nil {
			if lines != nil {
				t.Fatalf("Lines(%q) returned lines with error %v", b, err)
			}
			return
		}
		if j := strings.Join(lines, "\n") + "\n"; j != string(b) {
			t.Fatalf("Lines(%q) joins back to %q", b, j)
		}
		for _, l := range lines {
			if l == "" || !utf8.ValidString(l) || strings.ContainsFunc(l, isControl) {
				t.Fatalf("Lines(%q) gave line %q", b, l)
			}
		}
	})
}
