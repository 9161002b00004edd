package ui

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/service"
)

// TestKeyStatusNeedsSignature: the voting page's code check answers only
// the holder of the code (the key's signature of the key-status message),
// so nobody can poll the public roll's keys during the vote to learn
// when each voted.
func TestKeyStatusNeedsSignature(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	_, v := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	priv := ballot.DeriveKey(v.codes[0], "barrit-2026")
	pub := ballot.PublicKey(priv)
	other := ballot.DeriveKey(v.codes[1], "barrit-2026")
	b64 := base64.RawURLEncoding.EncodeToString
	path := "/v/barrit-2026/key/" + b64(pub[:])
	msg := service.KeyStatusMessage("barrit-2026", pub)
	if string(msg) != "pb-key-status/v1\nbarrit-2026\n"+b64(pub[:])+"\n" {
		t.Fatalf("message %q", msg)
	}
	c := e.client()
	if r := c.do("GET", path, nil, "Accept", "application/json"); r.Status != 400 || r.errorCode() != "key_status_sig" {
		t.Errorf("without a signature: %s", r)
	}
	if r := c.do("GET", path+"?sig="+b64(ed25519.Sign(other, msg)), nil); r.Status != 400 {
		t.Errorf("signed by another key: %s", r)
	}
	if r := c.do("GET", path+"?sig="+b64(ed25519.Sign(priv, service.KeyStatusMessage("barrit-2027", pub))), nil); r.Status != 400 {
		t.Errorf("signed for another round: %s", r)
	}
	var st struct {
		State string `json:"state"`
		Voted bool   `json:"voted"`
	}
	c.must(200, "GET", path+"?sig="+b64(ed25519.Sign(priv, msg)), nil).JSON(t, &st)
	if st.State != "ok" || st.Voted {
		t.Errorf("holder's check = %+v", st)
	}
}
