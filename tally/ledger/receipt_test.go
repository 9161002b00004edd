package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
)

func smallDemo(tb testing.TB) *Demo {
	tb.Helper()
	d, err := BuildDemo(DemoOptions{Seed: 7, Ballots: 6, Batch: 2})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func demoVerifier(tb testing.TB, vkey string) note.Verifier {
	v, err := NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestReceiptGolden(t *testing.T) {
	d := smallDemo(t)
	if len(d.Receipts) != 3 {
		t.Fatalf("%d receipts, want 3", len(d.Receipts))
	}
	r := d.Receipts[2]
	b := r.Bytes()
	golden(t, "receipt.golden", b)
	got, err := ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), b) {
		t.Fatal("ParseReceipt(b).Bytes() != b")
	}
	c, err := got.Verify(d.Manifest.LogOrigin, demoVerifier(t, d.Anchors.LogKey))
	if err != nil {
		t.Fatal(err)
	}
	if c.Size <= got.Index {
		t.Fatalf("checkpoint size %d, index %d", c.Size, got.Index)
	}
}

func TestReceiptTamper(t *testing.T) {
	d := smallDemo(t)
	origin := d.Manifest.LogOrigin
	lv := demoVerifier(t, d.Anchors.LogKey)
	good := d.Receipts[2]
	if len(good.Proof) < 2 {
		t.Fatalf("want a proof of at least 2 hashes, got %d", len(good.Proof))
	}
	mod := func(f func(r *Receipt)) *Receipt {
		r := *good
		r.Extra = bytes.Clone(good.Extra)
		r.Proof = append(r.Proof[:0:0], good.Proof...)
		f(&r)
		return &r
	}
	cases := map[string]struct {
		r    *Receipt
		want error
	}{
		"wrong index":        {mod(func(r *Receipt) { r.Index++ }), ErrBadProof},
		"index beyond size":  {mod(func(r *Receipt) { r.Index = 1000 }), ErrBadProof},
		"one hash too many":  {mod(func(r *Receipt) { r.Proof = append(r.Proof, r.Proof[0]) }), ErrBadProof},
		"one hash too few":   {mod(func(r *Receipt) { r.Proof = r.Proof[:len(r.Proof)-1] }), ErrBadProof},
		"corrupted hash":     {mod(func(r *Receipt) { r.Proof[0][3] ^= 1 }), ErrBadProof},
		"corrupted extra":    {mod(func(r *Receipt) { r.Extra[len(r.Extra)-3] ^= 1 }), ErrNotCanonical},
		"extra not a ballot": {mod(func(r *Receipt) { r.Extra = d.Record.Leaves[0] }), ErrNotCanonical},
		"other valid ballot": {mod(func(r *Receipt) { r.Extra = d.Record.Leaves[1] }), ErrBadProof},
		"wrong origin":       {mod(func(r *Receipt) {}), ErrWrongOrigin},
		"checkpoint unsigned": {mod(func(r *Receipt) {
			r.Checkpoint = []byte("x\n1\n" + canon.EncodeB64(make([]byte, 32)) + "\n\n— x AAAAAAA=\n")
		}), ErrNotSigned},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := origin
			if name == "wrong origin" {
				o = "pb.example/other"
			}
			// Round-trip through the file format first.
			r, err := ParseReceipt(tc.r.Bytes())
			if err != nil {
				if errors.Is(tc.want, ErrNotCanonical) && errors.Is(err, ErrNotCanonical) {
					return
				}
				t.Fatalf("ParseReceipt: %v", err)
			}
			if _, err := r.Verify(o, lv); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	// Every single-bit change of the file is rejected by parse or verify.
	flipEach(good.Bytes(), 1, func(i int, b []byte) {
		r, err := ParseReceipt(b)
		if err == nil {
			_, err = r.Verify(origin, lv)
		}
		if err == nil {
			t.Errorf("flip at byte %d accepted", i)
		}
	})
}

func TestParseReceiptBad(t *testing.T) {
	good := string(readGolden("receipt.golden"))
	if good == "" {
		t.Skip("no golden receipt yet")
	}
	head, cp, _ := strings.Cut(good, "\n\n")
	bad := map[string]string{
		"no empty line":      head + "\n" + cp,
		"wrong header":       strings.Replace(good, "tlog-proof@v1", "tlog-proof@v2", 1),
		"no extra":           strings.Replace(good, "extra ", "extras ", 1),
		"empty extra":        "c2sp.org/tlog-proof@v1\nextra \nindex 1\n\n" + cp,
		"index 007":          strings.Replace(good, "\nindex ", "\nindex 00", 1),
		"CR":                 strings.Replace(good, "\n", "\r\n", 1),
		"trailing space":     strings.Replace(good, "\nindex", " \nindex", 1),
		"bad checkpoint":     head + "\n\n" + strings.Replace(cp, "\n\n", "\nx\n\n", 1),
		"no checkpoint":      head + "\n\n",
		"blank proof line":   strings.Replace(head, "\nindex", "\n\nindex", 1) + "\n\n" + cp,
		"short proof hash":   head + "\nAAAA\n\n" + cp,
		"extension in check": head + "\n\n" + strings.Replace(cp, "=\n\n", "=\next\n\n", 1),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseReceipt([]byte(b)); !errors.Is(err, ErrNotCanonical) {
				t.Errorf("ParseReceipt = %v, want ErrNotCanonical", err)
			}
		})
	}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(readGolden("receipt.golden"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra YQ==\nindex 0\n\na\n1\n" + canon.EncodeB64(make([]byte, 32)) + "\n\n— a AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReceipt(b)
		if err != nil {
			return
		}
		if got := r.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("Bytes(ParseReceipt(%q)) = %q", b, got)
		}
		_, _ = r.Verify("pb.example/demo-2026", logKey(t).verifier)
	})
}
