package core

import (
	"slices"
	"testing"
)

func TestParseExclusive(t *testing.T) {
	good := map[string][][]string{
		"":                                   nil,
		"\n \n":                              nil,
		"shelter legeplads":                  {{"legeplads", "shelter"}},
		"b, a\r\nd\tc\n":                     {{"a", "b"}, {"c", "d"}},
		"z y\na b c\n\n":                     {{"a", "b", "c"}, {"y", "z"}},
		"legeplads,shelter,,bibliotek\n":     {{"bibliotek", "legeplads", "shelter"}},
		"  spaced   out  \n  and-more x  \n": {{"and-more", "x"}, {"out", "spaced"}},
	}
	for in, want := range good {
		got, err := ParseExclusive(in)
		if err != nil || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("ParseExclusive(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"alone", "a b\nb c", "a a", "A b", "a b;c", "a æ"} {
		if g, err := ParseExclusive(in); err == nil || KindOf(err) != Invalid {
			t.Errorf("ParseExclusive(%q) = %v, %v; want invalid", in, g, err)
		}
	}
}

// FuzzParseExclusive: the parser never panics, what it accepts passes
// the settings check, and its output formats and parses back to itself.
func FuzzParseExclusive(f *testing.F) {
	for _, s := range []string{"", "a b", "b a\nc d e", "x,y\r\n", "a a", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseExclusive(s)
		if err != nil {
			return
		}
		if err := checkExclusive(g); err != nil {
			t.Fatalf("ParseExclusive(%q) = %v, which the check refuses: %v", s, g, err)
		}
		g2, err := ParseExclusive(FormatExclusive(g))
		if err != nil || !slices.EqualFunc(g, g2, slices.Equal) {
			t.Fatalf("round trip of %v: %v, %v", g, g2, err)
		}
		if !slices.EqualFunc(CanonExclusive(g), g, slices.Equal) {
			t.Fatalf("%v is not canonical", g)
		}
	})
}
