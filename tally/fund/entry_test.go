package fund

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// exampleEntries is the worked example of docs/record.md §14.6, around
// the round of §12 (eksempel-2026 of eksempelby, budget 50,000, which spent
// 50,000): a fund of two tranches shared equally by eksempelby and naboby,
// the 2026 tranche opened, a community joining for 2027, the round's
// reservation, another round cancelled, and 2026 closed.
func exampleEntries() []Entry {
	manifest, ok := canon.Decode32("UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NY=")
	if !ok {
		panic("bad example manifest hash")
	}
	return []Entry{
		CharterEntry{Fund: "eksempel-pulje", Name: "Eksempelpuljen", Unit: "DKK",
			Formula: tally.Formula{Kind: tally.FormulaEqual}, PopulationDate: "2026-01-01",
			Tranches: []Tranche{{Year: 2026, Amount: 100_000}, {Year: 2027, Amount: 100_000}},
			Communities: []CommunityEntry{{ID: "eksempelby", Population: 2000, Name: "Eksempelby"},
				{ID: "naboby", Population: 1500, Name: "Naboby"}}},
		OpeningEntry{Fund: "eksempel-pulje", Tranche: Tranche{Year: 2026, Amount: 100_000},
			Members: []tally.Member{{Community: "eksempelby", Population: 2000}, {Community: "naboby", Population: 1500}},
			Shares:  []tally.Share{{Community: "eksempelby", Amount: 50_000}, {Community: "naboby", Amount: 50_000}}},
		AmendmentEntry{Fund: "eksempel-pulje", From: 2027, Change: "join", Community: "fjernby", Population: 800,
			Name: "Fjernby", PopulationDate: "2026-06-01"},
		ReservationEntry{Fund: "eksempel-pulje", Round: "eksempel-2026", Community: "eksempelby", Tranche: 2026, Budget: 50_000,
			Manifest:    manifest,
			LogKey:      "pb.example/eksempel-2026+737d8b65+AQFiG5W3OGprJsiIehR9FIyTORIpeRPR4bvIepaKLBlN",
			CouncilKey:  "council.example/eksempel-2026+27e2363f+AReyhzQNNnRvtS7CFvrFwCFlFGojnaLX/IM7t/dQLH+n",
			Fingerprint: "AC4T501WM9S9WN69"},
		CancellationEntry{Fund: "eksempel-pulje", Round: "naboby-2026"},
		ClosingEntry{Fund: "eksempel-pulje", Tranche: 2026,
			Carry: []tally.Share{{Community: "eksempelby", Amount: 0}, {Community: "naboby", Amount: 50_000}}},
	}
}

// TestEntryGolden pins every entry's bytes (testdata/entries.golden,
// quoted in docs/record.md §14.6) and their hashes, and parses them back.
func TestEntryGolden(t *testing.T) {
	var all bytes.Buffer
	for _, e := range exampleEntries() {
		b := e.Marshal()
		got, err := ParseEntry(b)
		if err != nil {
			t.Errorf("%s: %v\n%s", e.Kind(), err, b)
			continue
		}
		if !bytes.Equal(got.Marshal(), b) || got.Kind() != e.Kind() {
			t.Errorf("%s: round trip differs", e.Kind())
		}
		h := sha256.Sum256(b)
		all.WriteString("# " + e.Kind() + " (SHA-256 of the body " + hexString(h[:]) + ")\n")
		all.Write(b)
		all.WriteString("\n")
	}
	path := filepath.Join("testdata", "entries.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, all.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all.Bytes(), want) {
		t.Errorf("entries differ from %s (go test -update to accept):\n%s", path, all.Bytes())
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestParseEntryRejects: every departure from the canonical form is
// refused.
func TestParseEntryRejects(t *testing.T) {
	ex := exampleEntries()
	charter, opening, reservation, closing := string(ex[0].Marshal()), string(ex[1].Marshal()), string(ex[3].Marshal()), string(ex[5].Marshal())
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"no final LF", strings.TrimSuffix(charter, "\n")},
		{"CR", strings.Replace(charter, "\n", "\r\n", 1)},
		{"unknown kind", "pb-fund/v1 lottery\nfund pulje\n"},
		{"other version", strings.Replace(charter, "pb-fund/v1", "pb-fund/v2", 1)},
		{"double space", strings.Replace(charter, "fund eksempel-pulje", "fund  eksempel-pulje", 1)},
		{"trailing space", strings.Replace(charter, "fund eksempel-pulje\n", "fund eksempel-pulje \n", 1)},
		{"leading zero", strings.Replace(charter, "tranche 2026 100000", "tranche 2026 0100000", 1)},
		{"amount above the limit", strings.Replace(charter, "tranche 2026 100000", "tranche 2026 9223372036854775807", 1)},
		{"overflowing tranches", strings.Replace(strings.Replace(charter, "tranche 2026 100000", "tranche 2026 999999999999999", 1), "tranche 2027 100000", "tranche 2027 999999999999999", 1)},
		{"years not increasing", strings.Replace(charter, "tranche 2027", "tranche 2026", 1)},
		{"communities out of order", strings.Replace(strings.Replace(charter, "community eksempelby 2000 Eksempelby", "community zz 2000 Eksempelby", 1), "zz", "zz", 1)},
		{"unit lower case", strings.Replace(charter, "unit DKK", "unit dkk", 1)},
		{"bad formula", strings.Replace(charter, "formula equal 0", "formula equal 5", 1)},
		{"bad date", strings.Replace(charter, "2026-01-01", "2026-13-01", 1)},
		{"missing line", strings.Replace(charter, "leftover returned\n", "", 1)},
		{"extra line", charter + "note hello\n"},
		{"population too large", strings.Replace(charter, "naboby 1500", "naboby 100000001", 1)},
		{"opening without members", "pb-fund/v1 opening\nfund eksempel-pulje\ntranche 2026 100000\n"},
		{"member without allocation", strings.Replace(opening, "member naboby 1500 50000", "member naboby 1500", 1)},
		{"bad manifest hash", strings.Replace(reservation, "UwmigDy", "Uwmig!y", 1)},
		{"bad log key", strings.Replace(reservation, "+737d8b65+", "+737d8b66+", 1)},
		{"bad fingerprint", strings.Replace(reservation, "AC4T501WM9S9WN69", "AC4T501WM9S9WN6U", 1)},
		{"carry out of order", strings.Replace(strings.Replace(closing, "carry eksempelby", "carry x", 1), "carry naboby", "carry eksempelby", 1)},
		{"negative carry", strings.Replace(closing, "carry naboby 50000", "carry naboby -50000", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := ParseEntry([]byte(tt.body)); !errors.Is(err, ErrEntry) {
				t.Errorf("ParseEntry = %+v, %v; want ErrEntry\n%s", e, err, tt.body)
			}
		})
	}
}

// FuzzParseEntry: no input panics, and what parses is canonical: it
// marshals back to the same bytes.
func FuzzParseEntry(f *testing.F) {
	for _, e := range exampleEntries() {
		f.Add(e.Marshal())
	}
	f.Add([]byte("pb-fund/v1 amendment\nfund eksempel-pulje\nfrom 2027\nleave naboby\n"))
	f.Add([]byte("pb-fund/v1 amendment\nfund pulje\nfrom 2027\ntranche 5\n"))
	f.Add([]byte("pb-fund/v1 amendment\nfund pulje\nfrom 2027\npopulation glud 7\npopulation-date 2026-02-03\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Marshal(), b) {
			t.Fatalf("parsed entry is not canonical:\n%q\n%q", b, e.Marshal())
		}
		if again, err := ParseEntry(e.Marshal()); err != nil || !bytes.Equal(again.Marshal(), b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
