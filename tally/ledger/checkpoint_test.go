package ledger

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot/canon"
)

func testCheckpoint() Checkpoint {
	return Checkpoint{Origin: "pb.example/test-round", Size: 1234, Root: tlog.RecordHash([]byte("root"))}
}

func TestCheckpointGolden(t *testing.T) {
	lk, ck := logKey(t), councilKey(t)
	c := testCheckpoint()
	golden(t, "checkpoint.body.golden", c.Body())
	msg, err := SignCheckpoint(c, lk.signer)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkpoint.golden", msg)
	final, err := SignCheckpoint(c, lk.signer, ck.signer)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkpoint-final.golden", final)

	got, err := OpenCheckpoint(msg, c.Origin, lk.verifier)
	if err != nil || got != c {
		t.Fatalf("OpenCheckpoint = %v, %v, want %v", got, err, c)
	}
	if _, err := OpenCheckpoint(final, c.Origin, lk.verifier, ck.verifier); err != nil {
		t.Fatalf("OpenCheckpoint(final, log+council) = %v", err)
	}
	if _, err := OpenCheckpoint(msg, c.Origin, lk.verifier, ck.verifier); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("OpenCheckpoint(log-only note, log+council) = %v, want ErrNotSigned", err)
	}
}

func TestParseCheckpointBad(t *testing.T) {
	root := "lmVodZ4R6Ci1jS3k7yQ3CUbQxf4tqXVAYfZXiQV0WRc="
	good := "pb.example/r\n5\n" + root + "\n"
	if _, err := ParseCheckpoint([]byte(good)); err != nil {
		t.Fatalf("ParseCheckpoint(good) = %v", err)
	}
	bad := map[string]string{
		"leading zero":     "pb.example/r\n007\n" + root + "\n",
		"plus sign":        "pb.example/r\n+5\n" + root + "\n",
		"negative":         "pb.example/r\n-5\n" + root + "\n",
		"19 digits":        "pb.example/r\n1000000000000000000\n" + root + "\n",
		"extension line":   good + "extension\n",
		"empty extension":  good + "\n",
		"missing root":     "pb.example/r\n5\n",
		"missing final LF": strings.TrimSuffix(good, "\n"),
		"CRLF":             strings.ReplaceAll(good, "\n", "\r\n"),
		"trailing space":   "pb.example/r \n5\n" + root + "\n",
		"space in origin":  "pb example\n5\n" + root + "\n",
		"plus in origin":   "pb+example\n5\n" + root + "\n",
		"empty origin":     "\n5\n" + root + "\n",
		"truncated root":   "pb.example/r\n5\n" + root[:40] + "\n",
		"root no padding":  "pb.example/r\n5\n" + strings.TrimSuffix(root, "=") + "\n",
		"non-strict root":  "pb.example/r\n5\nlmVodZ4R6Ci1jS3k7yQ3CUbQxf4tqXVAYfZXiQV0WRd=\n",
		"31-byte root":     "pb.example/r\n5\n" + canon.EncodeB64(make([]byte, 31)) + "\n",
		"empty":            "",
		"tab":              "pb.example/r\n5\t\n" + root + "\n",
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if c, err := ParseCheckpoint([]byte(body)); !errors.Is(err, ErrNotCanonical) {
				t.Errorf("ParseCheckpoint(%q) = %v, %v, want ErrNotCanonical", body, c, err)
			}
		})
	}
}

func TestOpenCheckpoint(t *testing.T) {
	lk, ck, other := logKey(t), councilKey(t), otherKey(t)
	c := testCheckpoint()
	msg, err := SignCheckpoint(c, lk.signer)
	if err != nil {
		t.Fatal(err)
	}
	// Wrong origin.
	wrong := c
	wrong.Origin = "pb.example/other-round"
	wmsg, err := SignCheckpoint(wrong, lk.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(wmsg, c.Origin, lk.verifier); !errors.Is(err, ErrWrongOrigin) {
		t.Errorf("wrong origin: %v, want ErrWrongOrigin", err)
	}
	// Signed by another key with the same name: not signed by the log.
	omsg, err := SignCheckpoint(c, other.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(omsg, c.Origin, lk.verifier); !errors.Is(err, ErrNotSigned) {
		t.Errorf("other key: %v, want ErrNotSigned", err)
	}
	// An extra signature from an unknown key is ignored.
	both, err := SignCheckpoint(c, lk.signer, ck.signer)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenCheckpoint(both, c.Origin, lk.verifier); err != nil || got != c {
		t.Errorf("extra unknown signature: %v, %v", got, err)
	}
	// A known key whose signature fails rejects the note: flip the last
	// significant b64 character of the log signature.
	lines := strings.Split(string(msg), "\n")
	sig := lines[len(lines)-2]
	i := len(sig) - 5
	flipped := sig[:i] + string(sig[i]^1) + sig[i+1:]
	bad := strings.Replace(string(msg), sig, flipped, 1)
	if _, err := OpenCheckpoint([]byte(bad), c.Origin, lk.verifier); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrNotCanonical) {
		t.Errorf("flipped signature: %v, want ErrBadSignature", err)
	}
	// Non-canonical b64 in the signature (non-zero trailing bits) is
	// rejected even though x/mod's note.Open accepts it.
	if _, err := note.Open(msg, note.VerifierList(lk.verifier)); err != nil {
		t.Fatal(err)
	}
	// Every single-bit change anywhere is rejected.
	flipEach(msg, 1, func(i int, mod []byte) {
		if got, err := OpenCheckpoint(mod, c.Origin, lk.verifier); err == nil {
			t.Errorf("flip at %d accepted: %v", i, got)
		}
	})
	// No verifier at all is an error, not a pass.
	if _, err := OpenCheckpoint(msg, c.Origin); !errors.Is(err, ErrNotSigned) {
		t.Errorf("no verifier: %v, want ErrNotSigned", err)
	}
}

func TestSignCheckpointInvalid(t *testing.T) {
	lk := logKey(t)
	for _, c := range []Checkpoint{
		{Origin: "", Size: 1},
		{Origin: "a b", Size: 1},
		{Origin: "a", Size: -1},
	} {
		if _, err := SignCheckpoint(c, lk.signer); err == nil {
			t.Errorf("SignCheckpoint(%+v) succeeded", c)
		}
	}
	if _, err := SignCheckpoint(testCheckpoint()); err == nil {
		t.Error("SignCheckpoint with no signer succeeded")
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add(readGolden("checkpoint.body.golden"))
	f.Add([]byte("a\n0\n" + canon.EncodeB64(make([]byte, 32)) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err != nil {
			return
		}
		if got := c.Body(); string(got) != string(b) {
			t.Fatalf("Body(ParseCheckpoint(%q)) = %q", b, got)
		}
	})
}

func FuzzCheckpointNote(f *testing.F) {
	f.Add(readGolden("checkpoint.golden"))
	f.Add(readGolden("checkpoint-final.golden"))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, sigs, err := splitNote(b)
		if err != nil {
			return
		}
		if got := canon.JoinNote(body, sigs); string(got) != string(b) {
			t.Fatalf("JoinNote(splitNote(%q)) = %q", b, got)
		}
		if _, err := ParseCheckpointNote(b); err != nil {
			return
		}
		lk := logKey(t)
		_, _ = OpenCheckpoint(b, "pb.example/test-round", lk.verifier)
	})
}
