package ballot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// optionsManifest is testManifest with a minimum and two exclusion groups.
func optionsManifest(tb testing.TB) *Manifest {
	m := testManifest(tb, specApproval)
	m.Rule = "equalshares/add1u"
	m.Minimum = 2
	m.Exclusive = [][]string{{"bypark-baenke", "multibane"}, {"lektiecafe", "spisevenner", "ungejob"}}
	return m
}

// TestManifestOptionsLines pins the lines of the counting options
// (docs/record.md §5): minimum after tiebreak, exclusive after the
// projects, and nothing at all when they are absent.
func TestManifestOptionsLines(t *testing.T) {
	plain, err := testManifest(t, specApproval).Body()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("minimum")) || bytes.Contains(plain, []byte("exclusive")) {
		t.Fatalf("a manifest without options has option lines:\n%s", plain)
	}
	m := optionsManifest(t)
	body, err := m.Body()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "manifest-options.body.golden")
	if *update {
		if err := os.WriteFile(golden, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Fatalf("body differs from %s:\n%s", golden, body)
	}
	s := string(body)
	for _, l := range []string{
		"tiebreak min-cost,max-votes,lot\nminimum 2\nrevote none\n",
		"Ungejob: sommerjob for 15-17-årige\nexclusive bypark-baenke multibane\nexclusive lektiecafe spisevenner ungejob\n",
	} {
		if !strings.Contains(s, l) {
			t.Errorf("body lacks %q", l)
		}
	}
	m2, err := ParseManifestBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Minimum != 2 || len(m2.Exclusive) != 2 || strings.Join(m2.Exclusive[1], ",") != "lektiecafe,spisevenner,ungejob" {
		t.Fatalf("parsed options %d %v", m2.Minimum, m2.Exclusive)
	}
	// Only the minimum, only a group.
	for _, edit := range []func(*Manifest){
		func(m *Manifest) { m.Exclusive = nil },
		func(m *Manifest) { m.Minimum = 0 },
	} {
		m := optionsManifest(t)
		edit(m)
		b, err := m.Body()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifestBody(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if b2, _ := m2.Body(); !bytes.Equal(b, b2) {
			t.Fatal("round trip differs")
		}
	}
}

func TestManifestOptionsInvalid(t *testing.T) {
	tests := map[string]func(m *Manifest){
		"minimum negative":        func(m *Manifest) { m.Minimum = -1 },
		"minimum above the limit": func(m *Manifest) { m.Minimum = MaxMinimum + 1 },
		"group of one":            func(m *Manifest) { m.Exclusive = [][]string{{"multibane"}} },
		"unknown project":         func(m *Manifest) { m.Exclusive = [][]string{{"multibane", "zz"}} },
		"unsorted in group":       func(m *Manifest) { m.Exclusive = [][]string{{"multibane", "bypark-baenke"}} },
		"twice in group":          func(m *Manifest) { m.Exclusive = [][]string{{"multibane", "multibane"}} },
		"in two groups": func(m *Manifest) {
			m.Exclusive = [][]string{{"bypark-baenke", "multibane"}, {"lektiecafe", "multibane"}}
		},
		"groups unsorted":            func(m *Manifest) { m.Exclusive = [][]string{{"lektiecafe", "ungejob"}, {"bypark-baenke", "multibane"}} },
		"groups with the same first": func(m *Manifest) { m.Exclusive = [][]string{{"lektiecafe", "ungejob"}, {"lektiecafe", "multibane"}} },
	}
	for name, edit := range tests {
		m := optionsManifest(t)
		edit(m)
		if _, err := m.Body(); !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: Body() = %v, want ErrInvalidManifest", name, err)
		}
	}
}

func TestParseManifestOptionsRejects(t *testing.T) {
	body, err := optionsManifest(t).Body()
	if err != nil {
		t.Fatal(err)
	}
	good := string(body)
	repl := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("body has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := map[string]string{
		"minimum 0":                 repl("minimum 2\n", "minimum 0\n"),
		"minimum 02":                repl("minimum 2\n", "minimum 02\n"),
		"minimum empty":             repl("minimum 2\n", "minimum \n"),
		"minimum after revote":      repl("minimum 2\nrevote none\n", "revote none\nminimum 2\n"),
		"minimum before tiebreak":   repl("tiebreak min-cost,max-votes,lot\nminimum 2\n", "minimum 2\ntiebreak min-cost,max-votes,lot\n"),
		"minimum twice":             repl("minimum 2\n", "minimum 2\nminimum 2\n"),
		"exclusive before projects": repl("exclusive bypark-baenke multibane\n", "") + "",
		"exclusive double space":    repl("exclusive bypark-baenke multibane", "exclusive bypark-baenke  multibane"),
		"exclusive trailing space":  repl("exclusive bypark-baenke multibane", "exclusive bypark-baenke multibane "),
		"exclusive empty":           repl("exclusive bypark-baenke multibane", "exclusive "),
		"project after exclusive":   good + "project zz 1 c T\n",
	}
	// A group before the project lines.
	lines := strings.SplitAfter(good, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "project ") {
			moved := append([]string{}, lines[:i]...)
			moved = append(moved, "exclusive bypark-baenke multibane\n")
			for _, x := range lines[i:] {
				if x != "exclusive bypark-baenke multibane\n" {
					moved = append(moved, x)
				}
			}
			tests["exclusive before projects"] = strings.Join(moved, "")
			break
		}
	}
	for name, in := range tests {
		_, err := ParseManifestBody([]byte(in))
		if err == nil {
			t.Errorf("%s: ParseManifestBody accepted\n%s", name, in)
		} else if !errors.Is(err, ErrNotCanonical) && !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: %v, want ErrNotCanonical or ErrInvalidManifest", name, err)
		}
	}
}
