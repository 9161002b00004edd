package ballot

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addGolden seeds f with every testdata file matching pattern.
func addGolden(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files for %s", pattern)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, c := range testCodes(f, 3) {
		f.Add(c.Compact())
		f.Add(c.String())
		f.Add(strings.ToLower(c.String()))
	}
	f.Add("BWF8-MB4V-7N3Y-D864-ZO97-TVHV-JM3")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		// The lenient input normalises to the compact form.
		norm := strings.NewReplacer(" ", "", "-", "", "O", "0", "I", "1", "L", "1").Replace(strings.ToUpper(s))
		if norm != c.Compact() {
			t.Errorf("ParseCode(%q) = %s, normalised input %s", s, c.Compact(), norm)
		}
		for _, enc := range []string{c.Compact(), c.String()} {
			if c2, err := ParseCode(enc); err != nil || c2 != c {
				t.Errorf("ParseCode(%q) = %x, %v; want %x", enc, c2, err, c)
			}
		}
	})
}

func FuzzParseManifestBody(f *testing.F) {
	addGolden(f, "manifest-*.body.golden")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifestBody(b)
		if err != nil {
			return
		}
		out, err := m.Body()
		if err != nil || !bytes.Equal(out, b) {
			t.Errorf("Body(ParseManifestBody(%q)) = %q, %v", b, out, err)
		}
	})
}

func FuzzOpenManifest(f *testing.F) {
	addGolden(f, "manifest-*.note.golden")
	council := councilVerifier(f)
	signer, _ := mustNoteKey(f, testCouncilKey)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := OpenManifest(b, council)
		if err != nil {
			return
		}
		body, err := m.Body()
		if err != nil || !bytes.HasPrefix(b, append(body, '\n')) {
			t.Errorf("OpenManifest(%q) accepted a note whose body is not canonical", b)
		}
		// Ed25519 signatures are deterministic, so signing the parsed
		// manifest again must give back exactly the accepted note.
		if again, err := SignManifest(m, signer); err != nil || !bytes.Equal(again, b) {
			t.Errorf("SignManifest(OpenManifest(%q)) = %q, %v", b, again, err)
		}
	})
}

func FuzzParseRoll(f *testing.F) {
	addGolden(f, "roll.golden")
	f.Add([]byte("pb-roll/v1\nround r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRoll(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Errorf("Bytes(ParseRoll(%q)) = %q", b, r.Bytes())
		}
		r2, err := NewRoll(r.Round, r.Keys)
		if err != nil || !bytes.Equal(r2.Bytes(), b) {
			t.Errorf("NewRoll(ParseRoll(%q)) = %v", b, err)
		}
	})
}

func FuzzParseBallot(f *testing.F) {
	addGolden(f, "ballot-*.golden")
	f.Fuzz(func(t *testing.T, b []byte) {
		bl, err := ParseBallot(b)
		if err != nil {
			return
		}
		if !bytes.Equal(bl.Bytes(), b) {
			t.Errorf("Bytes(ParseBallot(%q)) = %q", b, bl.Bytes())
		}
		_ = bl.VerifySignature() // must not panic
	})
}
