package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/service"
	"github.com/hedensted-pb/pb/ui/store"
)

// testArgon2 keeps password hashing cheap in tests.
var testArgon2 = service.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

const testBase = "http://pb.test"

// testEnv is an app on a fresh data directory.
type testEnv struct {
	t     testing.TB
	app   *App
	store *store.Store
	dir   string
}

// newTestEnv starts an app on a temporary data directory. Batches are
// short and the scheduler is off unless opts says otherwise.
func newTestEnv(t testing.TB, opts ...func(*service.Config)) *testEnv {
	t.Helper()
	return openTestEnv(t, t.TempDir(), opts...)
}

// openTestEnv starts an app on data directory dir (a restart when an
// earlier app of dir was shut down).
func openTestEnv(t testing.TB, dir string, opts ...func(*service.Config)) *testEnv {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "pb.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := store.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{Store: st, Keys: keys, BaseURL: testBase, Batch: 20 * time.Millisecond,
		Argon2: testArgon2, ScheduleEvery: -1}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(svc, Config{Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		app.Shutdown(context.Background())
		st.Close()
	})
	return &testEnv{t: t, app: app, store: st, dir: dir}
}

// client is a test client of the app, keeping the session cookie and the
// CSRF token.
type client struct {
	env    *testEnv
	cookie string
	csrf   string
}

func (e *testEnv) client() *client { return &client{env: e} }

// response is a test response.
type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JSON decodes the body into v.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// errorMsg returns the "error" field of a JSON error body.
func (r response) errorMsg() string {
	var e errorBody
	json.Unmarshal(r.Body, &e)
	return e.Error
}

// errorCode returns the "code" field (the domain reason) of a JSON error
// body.
func (r response) errorCode() string {
	var e errorBody
	json.Unmarshal(r.Body, &e)
	return e.Code
}

// do sends a request. A body that is []byte or string is sent as is
// (text/plain); anything else as JSON. The session cookie and CSRF token
// go along when the client has them.
func (c *client) do(method, path string, body any, hdr ...string) response {
	c.env.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "text/plain"
	case string:
		rd, ct = strings.NewReader(b), "text/plain"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.env.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", SessionCookie+"="+c.cookie)
	}
	if c.csrf != "" {
		req.Header.Set(CSRFHeader, c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.env.app.Test(req, -1)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == SessionCookie {
			c.cookie = ck.Value
		}
	}
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, hdr ...string) response {
	c.env.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.Status != want {
		c.env.t.Fatalf("%s %s = %s, want %d", method, path, r, want)
	}
	return r
}

// login signs in and keeps the cookie and CSRF token.
func (c *client) login(name, password string) {
	c.env.t.Helper()
	r := c.must(200, "POST", "/api/login", map[string]string{"name": name, "password": password})
	var s sessionResponse
	r.JSON(c.env.t, &s)
	c.csrf = s.CSRF
}

const (
	adminPW = "admin-password-1"
	coordPW = "coordinator-pw-1"
)

// seed creates an admin, a fund of two communities (barrit, glud) and a
// coordinator for each, and returns a signed-in admin client.
func (e *testEnv) seed() *client {
	e.t.Helper()
	if _, err := e.app.svc.EnsureAdmin(context.Background(), "admin", adminPW); err != nil {
		e.t.Fatal(err)
	}
	admin := e.client()
	admin.login("admin", adminPW)
	admin.must(201, "POST", "/api/funds", service.FundRequest{ID: "pulje", Name: "Landdistriktspuljen",
		Total: 300_000, Years: []int{2026, 2027, 2028}, Formula: "per-inhabitant"})
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "barrit", Name: "Barrit", Population: 1000, Fund: "pulje"})
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "glud", Name: "Glud", Population: 3000, Fund: "pulje"})
	admin.must(201, "POST", "/api/accounts", service.AccountRequest{Name: "barrit-coord", Password: coordPW, Role: "coordinator", Community: "barrit"})
	admin.must(201, "POST", "/api/accounts", service.AccountRequest{Name: "glud-coord", Password: coordPW, Role: "coordinator", Community: "glud"})
	return admin
}

// coordinator returns a client signed in as a community's coordinator.
func (e *testEnv) coordinator(community string) *client {
	c := e.client()
	c.login(community+"-coord", coordPW)
	return c
}

// voters are generated codes with their roll.
type voters struct {
	codes []ballot.Code
	roll  *ballot.Roll
}

func newVoters(t testing.TB, round string, n int) voters {
	t.Helper()
	v := voters{codes: make([]ballot.Code, n)}
	keys := make([][32]byte, n)
	for i := range v.codes {
		c, err := ballot.NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		v.codes[i] = c
		keys[i] = ballot.PublicKey(ballot.DeriveKey(c, round))
	}
	r, err := ballot.NewRoll(round, keys)
	if err != nil {
		t.Fatal(err)
	}
	v.roll = r
	return v
}

// testProjects are the projects of test rounds.
var testProjects = []service.ProjectRequest{
	{ID: "bibliotek", Title: "Nyt bibliotek", Cost: 30_000, Category: "laering"},
	{ID: "legeplads", Title: "Legeplads ved skolen", Cost: 20_000, Category: "fritid-og-faellesskab"},
	{ID: "shelter", Title: "Shelter i skoven", Cost: 15_000, Category: "fritid-og-faellesskab"},
	{ID: "vaerksted", Title: "Værksted for unge", Cost: 10_000, Category: "beskaeftigelse"},
}

// votingRound creates round id in barrit with the test projects and a roll
// of n voters, freezes it and opens voting. It returns the coordinator and
// the voters.
func (e *testEnv) votingRound(id string, n int, req service.RoundRequest) (*client, voters) {
	e.t.Helper()
	req.ID, req.Community = id, "barrit"
	return e.frozenRound(req, n, true)
}

// frozenRound creates round req (of req.Community; year 2026 and a title
// by default) with the test projects and a roll of n voters, and freezes
// it; with open it opens voting. It returns the community's coordinator
// and the voters.
func (e *testEnv) frozenRound(req service.RoundRequest, n int, open bool) (*client, voters) {
	e.t.Helper()
	co := e.coordinator(req.Community)
	id := req.ID
	if req.Year == 0 {
		req.Year = 2026
	}
	if req.Title == "" {
		req.Title = "Borgerbudget " + id
	}
	co.must(201, "POST", "/api/rounds", req)
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "review"})
	for _, p := range testProjects {
		co.must(200, "POST", "/api/rounds/"+id+"/projects", p)
	}
	v := newVoters(e.t, id, n)
	co.must(200, "PUT", "/api/rounds/"+id+"/roll", v.roll.Bytes())
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "frozen"})
	if open {
		co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "voting"})
	}
	return co, v
}

// ballotLeaf signs a ballot of voter i approving projects (cast nonce 0).
func (e *testEnv) ballotLeaf(round string, v voters, i int, approve ...string) []byte {
	e.t.Helper()
	return e.castLeaf(round, v, i, 0, approve...)
}

// castLeaf signs a ballot of voter i approving projects, with the cast
// nonce whose first byte is cast and the rest zero.
func (e *testEnv) castLeaf(round string, v voters, i int, cast byte, approve ...string) []byte {
	e.t.Helper()
	fr, err := e.app.svc.FrozenRound(context.Background(), round)
	if err != nil {
		e.t.Fatal(err)
	}
	b := &ballot.Ballot{Round: round, Manifest: fr.Hash, Approve: approve, Cast: [ballot.CastSize]byte{cast}}
	b.Sign(ballot.DeriveKey(v.codes[i], round))
	return b.Bytes()
}

// storeSnapshot returns a fingerprint of everything the store holds (the
// digest of every bucket, key and value, and a readable summary), to check
// that refused requests change nothing.
func (e *testEnv) storeSnapshot() string {
	e.t.Helper()
	var b strings.Builder
	err := e.store.View(context.Background(), func(tx *store.Tx) error {
		fmt.Fprintf(&b, "digest %x\n", tx.Digest())
		funds, _ := tx.Funds()
		comms, _ := tx.Communities()
		rounds, _ := tx.Rounds()
		accts, _ := tx.Accounts()
		fmt.Fprintf(&b, "%v|%v|%v|%d|", funds, comms, rounds, len(accts))
		for _, r := range rounds {
			ps, _ := tx.Proposals(r.ID)
			pj, _ := tx.Projects(r.ID)
			roll, _ := tx.Roll(r.ID)
			n, _ := tx.Log(r.ID).Size()
			cps, _ := tx.Log(r.ID).Checkpoints()
			fmt.Fprintf(&b, "%s:%v|%v|%x|%d|%d|", r.ID, ps, pj, roll, n, len(cps))
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}
