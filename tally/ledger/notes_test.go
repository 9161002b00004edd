package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot/canon"
)

func testHash(s string) [32]byte { return tlog.RecordHash([]byte(s)) }

func testClose() *Close {
	return &Close{Round: "test-round", Manifest: testHash("manifest"), Size: 1001, Ballots: 998}
}

func testVoid() *Void {
	return &Void{Round: "test-round", Manifest: testHash("manifest"), Key: testHash("key"), Reason: "Stjålet stemmeseddel"}
}

func testResult() *Result {
	return &Result{
		Round: "test-round", Fund: "landdistrikt-2026", Prev: [32]byte{}, Manifest: testHash("manifest"),
		Checkpoint: Checkpoint{Size: 1002, Root: testHash("root")}, Rule: "greedy", Tiebreak: "min-cost,max-votes,lot",
		Budget: 100000, Ballots: 998, Spent: 55000,
		Projects: []ResultProject{
			{ID: "boldbane", Votes: 412, Funded: true, Amount: 40000},
			{ID: "cykelsti", Votes: 398, Funded: false, Amount: 0},
			{ID: "lektiecafe", Votes: 120, Funded: true, Amount: 15000},
		},
	}
}

func TestNoteGoldens(t *testing.T) {
	ck := councilKey(t)
	for _, tc := range []struct {
		name  string
		sign  func() ([]byte, error)
		body  []byte
		open  func([]byte) (any, error)
		parse func([]byte) (any, error)
	}{
		{"close", func() ([]byte, error) { return SignClose(testClose(), ck.signer) }, testClose().Body(),
			func(b []byte) (any, error) { return OpenClose(b, ck.verifier) },
			func(b []byte) (any, error) { return ParseClose(b) }},
		{"void", func() ([]byte, error) { return SignVoid(testVoid(), ck.signer) }, testVoid().Body(),
			func(b []byte) (any, error) { return OpenVoid(b, ck.verifier) },
			func(b []byte) (any, error) { return ParseVoid(b) }},
		{"result", func() ([]byte, error) { return SignResult(testResult(), ck.signer) }, testResult().Body(),
			func(b []byte) (any, error) { return OpenResult(b, ck.verifier) },
			func(b []byte) (any, error) { return ParseResult(b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := tc.sign()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".golden", msg)
			if !bytes.HasPrefix(msg, tc.body) {
				t.Fatal("note does not start with its body")
			}
			if _, err := tc.open(msg); err != nil {
				t.Fatalf("open: %v", err)
			}
			if _, err := tc.parse(tc.body); err != nil {
				t.Fatalf("parse: %v", err)
			}
			// Signed by the log key instead: not signed by the council.
			if _, err := tc.open(bytes.Replace(msg, []byte("council.example"), []byte("council.exampl3"), 1)); !errors.Is(err, ErrNotSigned) {
				t.Errorf("renamed signer: %v, want ErrNotSigned", err)
			}
			flipEach(msg, 1, func(i int, mod []byte) {
				if _, err := tc.open(mod); err == nil {
					t.Errorf("flip at %d accepted", i)
				}
			})
		})
	}
}

func TestParseNotesBad(t *testing.T) {
	c := string(testClose().Body())
	v := string(testVoid().Body())
	r := string(testResult().Body())
	cases := []struct {
		name  string
		parse func([]byte) error
		body  string
	}{
		{"close 007", parseCloseErr, strings.Replace(c, "size 1001", "size 01001", 1)},
		{"close extra line", parseCloseErr, c + "x y\n"},
		{"close missing line", parseCloseErr, strings.Replace(c, "ballots 998\n", "", 1)},
		{"close swapped lines", parseCloseErr, strings.Replace(strings.Replace(c, "size 1001\n", "", 1), "ballots 998\n", "ballots 998\nsize 1001\n", 1)},
		{"close bad round", parseCloseErr, strings.Replace(c, "test-round", "Test-Round", 1)},
		{"close two spaces", parseCloseErr, strings.Replace(c, "size 1001", "size  1001", 1)},
		{"close CRLF", parseCloseErr, strings.ReplaceAll(c, "\n", "\r\n")},
		{"close no final LF", parseCloseErr, strings.TrimSuffix(c, "\n")},
		{"void empty reason", parseVoidErr, strings.Replace(v, "reason Stjålet stemmeseddel", "reason ", 1)},
		{"void reason trailing space", parseVoidErr, strings.Replace(v, "seddel\n", "seddel \n", 1)},
		{"void reason double space", parseVoidErr, strings.Replace(v, "Stjålet ", "Stjålet  ", 1)},
		{"void short key", parseVoidErr, strings.Replace(v, "key ", "key A", 1)},
		{"void invalid UTF-8", parseVoidErr, strings.Replace(v, "å", "\xe5", 1)},
		{"result no projects", parseResultErr, r[:strings.Index(r, "project ")]},
		{"result funded typo", parseResultErr, strings.Replace(r, " funded ", " founded ", 1)},
		{"result 5 fields", parseResultErr, strings.Replace(r, "412 funded 40000", "412 funded 40000 x", 1)},
		{"result checkpoint one field", parseResultErr, strings.Replace(r, "checkpoint 1002 ", "checkpoint ", 1)},
		{"result rule with space", parseResultErr, strings.Replace(r, "rule greedy", "rule gree dy", 1)},
		{"result missing prev", parseResultErr, strings.Replace(r, "prev ", "previous ", 1)},
		{"result negative", parseResultErr, strings.Replace(r, "spent 55000", "spent -55000", 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.parse([]byte(tc.body)); !errors.Is(err, ErrNotCanonical) {
				t.Errorf("parse(%q) = %v, want ErrNotCanonical", tc.body, err)
			}
		})
	}
}

func parseCloseErr(b []byte) error  { _, err := ParseClose(b); return err }
func parseVoidErr(b []byte) error   { _, err := ParseVoid(b); return err }
func parseResultErr(b []byte) error { _, err := ParseResult(b); return err }

func TestSignInvalidNotes(t *testing.T) {
	ck := councilKey(t)
	c := testClose()
	c.Round = "Bad Round"
	if _, err := SignClose(c, ck.signer); err == nil {
		t.Error("SignClose(bad round) succeeded")
	}
	v := testVoid()
	v.Reason = " leading space"
	if _, err := SignVoid(v, ck.signer); err == nil {
		t.Error("SignVoid(bad reason) succeeded")
	}
	r := testResult()
	r.Projects = nil
	if _, err := SignResult(r, ck.signer); err == nil {
		t.Error("SignResult(no projects) succeeded")
	}
}

func TestKindOf(t *testing.T) {
	for leaf, want := range map[string]LeafKind{
		"pb-ballot/v1\nround x\n": LeafBallot,
		"pb-void/v1\n":            LeafVoid,
		"pb-close/v1\n":           LeafClose,
		"pb-manifest/v1\n":        LeafManifest,
		"pb-result/v1\n":          LeafUnknown,
		"pb-ballot/v1":            LeafUnknown,
		"":                        LeafUnknown,
	} {
		if got := KindOf([]byte(leaf)); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", leaf, got, want)
		}
	}
}

func fuzzBody[T interface{ Body() []byte }](f *testing.F, golden string, parse func([]byte) (T, error)) {
	if b := readGolden(golden); b != nil {
		body, _, err := splitNote(b)
		if err == nil {
			f.Add(body)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parse(b)
		if err != nil {
			return
		}
		if got := v.Body(); !bytes.Equal(got, b) {
			t.Fatalf("Body(parse(%q)) = %q", b, got)
		}
	})
}

func FuzzParseClose(f *testing.F)  { fuzzBody(f, "close.golden", ParseClose) }
func FuzzParseVoid(f *testing.F)   { fuzzBody(f, "void.golden", ParseVoid) }
func FuzzParseResult(f *testing.F) { fuzzBody(f, "result.golden", ParseResult) }

func FuzzSplitNote(f *testing.F) {
	for _, g := range []string{"close.golden", "void.golden", "result.golden", "checkpoint-final.golden"} {
		f.Add(readGolden(g))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body, sigs, err := splitNote(b)
		if err != nil {
			return
		}
		if got := canon.JoinNote(body, sigs); !bytes.Equal(got, b) {
			t.Fatalf("JoinNote(splitNote(%q)) = %q", b, got)
		}
	})
}

func TestSplitNoteStrict(t *testing.T) {
	ck := councilKey(t)
	msg, err := SignClose(testClose(), ck.signer)
	if err != nil {
		t.Fatal(err)
	}
	s := string(msg)
	sigLine := s[strings.LastIndex(s[:len(s)-1], "\n")+1:]
	bad := map[string]string{
		"duplicate signature": s + sigLine,
		"no signature":        string(testClose().Body()) + "\n",
		"hyphen not em dash":  strings.Replace(s, "— ", "- ", 1),
		"no blank line":       strings.Replace(s, "\n\n", "\n", 1),
		"two blank lines":     strings.Replace(s, "\n\n", "\n\n\n", 1),
		"unpadded signature":  s[:len(s)-2] + "\n",
		"CR":                  strings.Replace(s, "\n\n", "\r\n\n", 1),
		"short signature":     s + "— x AAAA\n",
	}
	for name, b := range bad {
		if _, _, err := splitNote([]byte(b)); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: splitNote = %v, want ErrNotCanonical", name, err)
		}
	}
	// Non-zero trailing bits in a signature's b64: note.Open accepts this
	// variant of the bytes, splitNote must not.
	i := strings.LastIndex(s, "=\n") - 1
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		v := s[:i] + string(c) + s[i+1:]
		if v == s {
			continue
		}
		if _, err := OpenClose([]byte(v), ck.verifier); err == nil {
			t.Errorf("signature variant %q accepted", string(c))
		}
	}
}
