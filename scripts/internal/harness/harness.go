// Package harness holds what the measuring scripts under scripts/ share
// (crashtest, loadtest): an administrator's HTTP client with a session,
// and a round made voting through the JSON API. It is for those scripts
// only; nothing in the server or the verifier imports it.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"time"

	"github.com/hedensted-pb/pb/ballot"
)

// Admin is an administrator's HTTP client: a cookie jar for the session and
// the CSRF token that Login stores.
type Admin struct {
	Base string
	HTTP *http.Client
	CSRF string
}

// NewAdmin returns a client of the server at base, not yet signed in.
func NewAdmin(base string) *Admin {
	jar, _ := cookiejar.New(nil)
	return &Admin{Base: base, HTTP: &http.Client{Jar: jar, Timeout: 5 * time.Minute}}
}

// Do sends a request and returns the status and body: body is sent as JSON,
// or as text/plain when it is a []byte; nil sends none. A transport error
// is status 0 with the error's text as the body.
func (c *Admin) Do(method, path string, body any) (int, []byte) {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "text/plain"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, c.Base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Login signs in as the account "admin" and keeps the session's CSRF token.
func (c *Admin) Login(password string) error {
	st, b := c.Do("POST", "/api/login", map[string]string{"name": "admin", "password": password})
	if st != 200 {
		return fmt.Errorf("login: %d %s", st, b)
	}
	var s struct{ CSRF string }
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("login: %v", err)
	}
	c.CSRF = s.CSRF
	return nil
}

// Projects are the projects of the round VotingRound makes.
var Projects = []string{"bibliotek", "legeplads", "shelter"}

// VotingRound makes round (titled title) in a new fund and community,
// with the three Projects and a roll of keys, freezes it, opens voting
// and returns the manifest hash ballots must name. c must be signed in.
func VotingRound(c *Admin, round, title string, keys [][32]byte) ([32]byte, error) {
	roll, err := ballot.NewRoll(round, keys)
	if err != nil {
		return [32]byte{}, err
	}
	steps := []struct {
		want         int
		method, path string
		body         any
	}{
		{201, "POST", "/api/funds", map[string]any{"id": "pulje", "name": "Landdistriktspuljen", "total": 600_000, "years": []int{2026, 2027, 2028}, "formula": "equal"}},
		{201, "POST", "/api/communities", map[string]any{"id": "barrit", "name": "Barrit", "population": 720, "fund": "pulje"}},
		{201, "POST", "/api/rounds", map[string]any{"id": round, "community": "barrit", "year": 2026, "title": title}},
		{200, "POST", "/api/rounds/" + round + "/phase", map[string]string{"phase": "proposals"}},
		{200, "POST", "/api/rounds/" + round + "/phase", map[string]string{"phase": "review"}},
		{200, "POST", "/api/rounds/" + round + "/projects", map[string]any{"id": "bibliotek", "title": "Nyt bibliotek", "cost": 90_000, "category": "laering"}},
		{200, "POST", "/api/rounds/" + round + "/projects", map[string]any{"id": "legeplads", "title": "Legeplads", "cost": 60_000, "category": "fritid-og-faellesskab"}},
		{200, "POST", "/api/rounds/" + round + "/projects", map[string]any{"id": "shelter", "title": "Shelter i skoven", "cost": 40_000, "category": "fritid-og-faellesskab"}},
		{200, "PUT", "/api/rounds/" + round + "/roll", roll.Bytes()},
		{200, "POST", "/api/rounds/" + round + "/phase", map[string]string{"phase": "frozen"}},
		{200, "POST", "/api/rounds/" + round + "/phase", map[string]string{"phase": "voting"}},
	}
	for _, s := range steps {
		if st, b := c.Do(s.method, s.path, s.body); st != s.want {
			return [32]byte{}, fmt.Errorf("%s %s = %d %s", s.method, s.path, st, b)
		}
	}
	st, manifest := c.Do("GET", "/rounds/"+round+"/manifest", nil)
	if st != 200 {
		return [32]byte{}, fmt.Errorf("manifest: %d", st)
	}
	return ballot.ManifestHash(manifest), nil
}
