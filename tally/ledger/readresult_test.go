package ledger

import (
	"errors"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

func TestReadResult(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Ballots: 12})
	council, err := NewVerifier(d.Anchors.CouncilKey)
	if err != nil {
		t.Fatal(err)
	}
	logV, err := NewVerifier(d.Anchors.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	msg := d.Record.Results[len(d.Record.Results)-1]
	mh := ballot.ManifestHash(d.Record.Leaves[0])
	r, err := ReadResult(msg, council, d.Manifest, mh)
	if err != nil {
		t.Fatal(err)
	}
	if r.Round != d.Manifest.Round || r.Ballots != 12 || len(r.Projects) != len(d.Manifest.Projects) {
		t.Errorf("result %+v", r)
	}
	other := *d.Manifest
	other.Budget++
	if _, err := ReadResult(msg, council, &other, mh); !errors.Is(err, ErrMismatch) {
		t.Errorf("another budget: error %v", err)
	}
	if _, err := ReadResult(msg, council, d.Manifest, [32]byte{1}); !errors.Is(err, ErrMismatch) {
		t.Errorf("another manifest hash: error %v", err)
	}
	if _, err := ReadResult(msg, logV, d.Manifest, mh); !errors.Is(err, ErrNotSigned) {
		t.Errorf("the log key's verifier: error %v", err)
	}
	// The body alone, as a bytes.Cut parser would read it, is no note.
	body := mustBody(t, msg)
	if _, err := ReadResult(body, council, d.Manifest, mh); err == nil {
		t.Error("an unsigned body was read")
	}
	// A result whose amounts do not add up, signed by the council.
	bad := *r
	bad.Spent++
	forged, err := SignResult(&bad, signer(t, d.CouncilSkey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResult(forged, council, d.Manifest, mh); !errors.Is(err, ErrMismatch) {
		t.Errorf("spent off by one: error %v", err)
	}
}
