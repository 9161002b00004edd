package ui

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/hedensted-pb/pb/ui/store"
)

func TestSessions(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	c := e.client()
	for _, tc := range []struct {
		body   any
		status int
	}{
		{map[string]string{"name": "admin", "password": "wrong-password"}, 401},
		{map[string]string{"name": "nobody", "password": adminPW}, 401},
		{map[string]string{"name": "admin"}, 400},
		{map[string]any{"name": "admin", "password": adminPW, "extra": 1}, 400},
		{"not json", 400},
	} {
		r := c.do("POST", "/api/login", tc.body, "Content-Type", "application/json")
		if r.Status != tc.status {
			t.Errorf("login %v = %s, want %d", tc.body, r, tc.status)
		}
		if tc.status == 401 && r.errorMsg() != "wrong name or password" {
			t.Errorf("login failure says %q", r.errorMsg())
		}
	}
	if c.cookie != "" {
		t.Fatalf("failed logins set a cookie")
	}
	c.must(401, "GET", "/api/session", nil)

	req := c.do("POST", "/api/login", map[string]string{"name": "admin", "password": adminPW})
	var sc *http.Cookie
	for _, ck := range (&http.Response{Header: req.Header}).Cookies() {
		if ck.Name == SessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure {
		t.Fatalf("session cookie = %+v (base URL is http, so not Secure)", sc)
	}
	var s sessionResponse
	req.JSON(t, &s)
	c.csrf = s.CSRF
	var s2 sessionResponse
	c.must(200, "GET", "/api/session", nil).JSON(t, &s2)
	if s2.Account.Name != "admin" || s2.Account.Role != "admin" || s2.CSRF != s.CSRF {
		t.Errorf("session = %+v", s2)
	}
	// The store holds the session under a hash, never the cookie value.
	raw, _ := os.ReadFile(e.store.Path())
	if bytes.Contains(raw, []byte(c.cookie)) {
		t.Errorf("the database contains the session cookie")
	}
	c.must(200, "POST", "/api/logout", nil)
	c.must(401, "GET", "/api/session", nil)

	// Behind TLS the cookie is Secure.
	e2 := newTestEnv(t, func(cfg *service.Config) { cfg.BaseURL = "https://pb.example.dk" })
	e2.app.svc.EnsureAdmin(context.Background(), "admin", adminPW)
	r := e2.client().must(200, "POST", "/api/login", map[string]string{"name": "admin", "password": adminPW})
	if !strings.Contains(r.Header.Get("Set-Cookie"), "secure") {
		t.Errorf("cookie behind https: %q", r.Header.Get("Set-Cookie"))
	}
}

func TestAuthorization(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	barrit := e.coordinator("barrit")
	glud := e.coordinator("glud")
	anon := e.client()
	barrit.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit"})
	barrit.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	anon.must(201, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Idé", Description: "En idé", EstimatedCost: 100, Category: "laering"})
	barrit.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})

	noCSRF := &client{env: e, cookie: barrit.cookie}
	wrongCSRF := &client{env: e, cookie: barrit.cookie, csrf: "forged"}
	crossSite := []string{"Origin", "https://evil.example"}

	before := e.storeSnapshot()
	tests := []struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		hdr    []string
		status int
		msg    string
	}{
		{"no session", anon, "POST", "/api/rounds", service.RoundRequest{ID: "x", Community: "barrit", Year: 2026, Title: "X"}, nil, 401, "sign in first"},
		{"no session patch", anon, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "X"}, nil, 401, "sign in first"},
		{"missing CSRF", noCSRF, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "X"}, nil, 403, "CSRF"},
		{"wrong CSRF", wrongCSRF, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"}, nil, 403, "CSRF"},
		{"missing CSRF on logout", noCSRF, "POST", "/api/logout", nil, nil, 403, "CSRF"},
		{"cross-site origin", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "X"}, crossSite, 403, "cross-site"},
		{"cross-site fetch", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "X"}, []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-site"},
		{"other community: create round", glud, "POST", "/api/rounds", service.RoundRequest{ID: "y", Community: "barrit", Year: 2026, Title: "Y"}, nil, 403, "may not create rounds for community barrit"},
		{"other community: settings", glud, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "Glud tager over"}, nil, 403, "may not manage round barrit-2026"},
		{"other community: phase", glud, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"}, nil, 403, "may not manage"},
		{"other community: decide", glud, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: true, Reason: "Ja"}, nil, 403, "may not manage"},
		{"other community: project", glud, "POST", "/api/rounds/barrit-2026/projects", service.ProjectRequest{ID: "x", Title: "X", Cost: 1, Category: "laering"}, nil, 403, "may not manage"},
		{"other community: roll", glud, "PUT", "/api/rounds/barrit-2026/roll", []byte("pb-roll/v1\nround barrit-2026\n"), nil, 403, "may not manage"},
		{"other community: codes", glud, "POST", "/api/rounds/barrit-2026/codes", map[string]int{"count": 3}, nil, 403, "may not manage"},
		{"other community: schedule", glud, "POST", "/api/rounds/barrit-2026/schedule", map[string]string{"opens_at": "2030-01-01T10:00:00Z"}, nil, 403, "may not manage"},
		{"coordinator creates fund", barrit, "POST", "/api/funds", service.FundRequest{ID: "f", Name: "F", Total: 1, Years: []int{2026}, Formula: "equal"}, nil, 403, "administrator"},
		{"coordinator creates community", barrit, "POST", "/api/communities", service.CommunityRequest{ID: "c", Name: "C", Fund: "pulje"}, nil, 403, "administrator"},
		{"coordinator creates account", barrit, "POST", "/api/accounts", service.AccountRequest{Name: "x", Password: "long-enough-pw", Role: "admin"}, nil, 403, "administrator"},
		{"coordinator reads audit", barrit, "GET", "/api/audit", nil, nil, 403, "administrator"},
		{"coordinator takes backup", barrit, "GET", "/admin/backup", nil, nil, 403, "administrator"},
		{"coordinator sets another password", barrit, "POST", "/api/accounts/glud-coord/password", map[string]string{"password": "another-password"}, nil, 403, "own password"},
		{"unknown field", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]string{"colour": "red"}, nil, 400, "unknown field"},
		{"bad JSON", barrit, "PATCH", "/api/rounds/barrit-2026", "{", []string{"Content-Type", "application/json"}, 400, "malformed JSON"},
		{"oversized JSON", barrit, "PATCH", "/api/rounds/barrit-2026", strings.Repeat(" ", maxFormBody+1), []string{"Content-Type", "application/json"}, 413, "too large"},
		{"unknown round", barrit, "PATCH", "/api/rounds/nowhere", map[string]string{"title": "X"}, nil, 404, "no round nowhere"},
		{"bad phase", barrit, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "done"}, nil, 400, "unknown phase"},
		{"skipping a phase", barrit, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "voting"}, nil, 409, "the next phase is frozen"},
		{"budget above allocation", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]int{"budget": 25_001}, nil, 400, "exceeds"},
		{"bad title", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": " padded "}, nil, 400, "title"},
		{"bad ballot", barrit, "PATCH", "/api/rounds/barrit-2026", map[string]any{"ballot": map[string]any{"kind": "approval", "min": 3, "max": 2}}, nil, 400, "min ≤ max"},
		{"bad roll", barrit, "PUT", "/api/rounds/barrit-2026/roll", []byte("pb-roll/v1\nround barrit-2026\nnot a key\n"), nil, 400, "not canonical"},
		{"roll of another round", barrit, "PUT", "/api/rounds/barrit-2026/roll", []byte("pb-roll/v1\nround glud-2026\n"), nil, 400, "for round glud-2026"},
		{"decision without reason", barrit, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: true}, nil, 400, "reason"},
		{"unknown proposal", barrit, "POST", "/api/rounds/barrit-2026/proposals/9/decision", service.Decision{Accept: true, Reason: "Ja"}, nil, 404, "no proposal 9"},
		{"project in unknown category", barrit, "POST", "/api/rounds/barrit-2026/projects", service.ProjectRequest{ID: "x", Title: "X", Cost: 1, Category: "sport"}, nil, 400, "category"},
		{"project with bad id", barrit, "POST", "/api/rounds/barrit-2026/projects", service.ProjectRequest{ID: "X Y", Title: "X", Cost: 1, Category: "laering"}, nil, 400, "identifier"},
		{"too many codes", barrit, "POST", "/api/rounds/barrit-2026/codes", map[string]int{"count": core.MaxCodes + 1}, nil, 400, "count"},
		{"resident proposes in review", anon, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Sent", Description: "x", EstimatedCost: 1, Category: "laering"}, nil, 409, "not collecting proposals"},
		{"duplicate fund", admin, "POST", "/api/funds", service.FundRequest{ID: "pulje", Name: "Igen", Total: 1, Years: []int{2026}, Formula: "equal"}, nil, 409, "already exists"},
		{"fund tranches do not add up", admin, "POST", "/api/funds", service.FundRequest{ID: "f2", Name: "F", Total: 10, Tranches: []core.Tranche{{Year: 2026, Amount: 3}}, Formula: "equal"}, nil, 400, "add up"},
		{"community in unknown fund", admin, "POST", "/api/communities", service.CommunityRequest{ID: "c", Name: "C", Fund: "nope"}, nil, 400, "fund \"nope\""},
		{"short password", admin, "POST", "/api/accounts", service.AccountRequest{Name: "x", Password: "short", Role: "admin"}, nil, 400, "password"},
		{"coordinator without community", admin, "POST", "/api/accounts", service.AccountRequest{Name: "x", Password: "long-enough-pw", Role: "coordinator"}, nil, 400, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.do(tt.method, tt.path, tt.body, tt.hdr...)
			if r.Status != tt.status || !strings.Contains(r.errorMsg(), tt.msg) {
				t.Errorf("%s %s = %s, want %d with %q", tt.method, tt.path, r, tt.status, tt.msg)
			}
		})
	}
	if after := e.storeSnapshot(); after != before {
		t.Errorf("refused requests changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// What coordinators and admins may do.
	barrit.must(200, "POST", "/api/accounts/barrit-coord/password", map[string]string{"password": "a-new-password"})
	barrit.login("barrit-coord", "a-new-password")
	admin.must(200, "POST", "/api/accounts/glud-coord/password", map[string]string{"password": "reset-by-admin"})
	admin.must(200, "PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "Admin retter titlen"})
	var accts []core.Identity
	admin.must(200, "GET", "/api/accounts", nil).JSON(t, &accts)
	if len(accts) != 3 {
		t.Errorf("accounts = %+v", accts)
	}
	var log []core.AuditEntry
	admin.must(200, "GET", "/api/audit?limit=500", nil).JSON(t, &log)
	actions := map[string]bool{}
	for _, en := range log {
		actions[en.Action] = true
	}
	for _, want := range []string{"create fund", "create community", "create account", "create round", "phase", "login", "set password", "update round"} {
		if !actions[want] {
			t.Errorf("audit log lacks %q: %+v", want, log)
		}
	}
	admin.must(400, "GET", "/api/audit?limit=0", nil)
}

func TestBackup(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	e.votingRound("barrit-2026", 3, service.RoundRequest{})
	r := admin.must(200, "GET", "/admin/backup", nil)
	if r.Header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(r.Header.Get("Content-Disposition"), "pb-backup-") {
		t.Errorf("backup headers = %v", r.Header)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, r.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(context.Background(), func(tx *store.Tx) error {
		rd, err := tx.Round("barrit-2026")
		if err != nil || rd.Phase != core.PhaseVoting {
			t.Errorf("round in backup = %+v, %v", rd, err)
		}
		n, _ := tx.Log("barrit-2026").Size()
		if n != 1 {
			t.Errorf("log size in backup = %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.client().must(401, "GET", "/admin/backup", nil)
}

func TestFundAllocation(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	var f service.FundView
	e.client().must(200, "GET", "/api/funds/pulje", nil).JSON(t, &f)
	if len(f.Allocation) != 3 || len(f.Communities) != 2 {
		t.Fatalf("fund = %+v", f)
	}
	for _, tv := range f.Allocation {
		if tv.Amount != 100_000 || tv.Accounts[0].Allocated != 25_000 || tv.Accounts[1].Allocated != 75_000 {
			t.Errorf("tranche %d = %+v", tv.Year, tv)
		}
	}
	admin.must(201, "POST", "/api/funds", service.FundRequest{ID: "ulige", Name: "Ulige", Total: 10, Years: []int{2026, 2027, 2028}, Formula: "equal"})
	var u service.FundView
	e.client().must(200, "GET", "/api/funds/ulige", nil).JSON(t, &u)
	if u.Tranches[0].Amount != 4 || u.Tranches[2].Amount != 3 {
		t.Errorf("tranches = %+v", u.Tranches)
	}
	e.client().must(404, "GET", "/api/funds/nope", nil)
	var all []core.Fund
	e.client().must(200, "GET", "/api/funds", nil).JSON(t, &all)
	var comms []core.Community
	e.client().must(200, "GET", "/api/communities", nil).JSON(t, &comms)
	if len(all) != 2 || len(comms) != 2 {
		t.Errorf("funds %d, communities %d", len(all), len(comms))
	}
}

// TestAdminBadInput: requests the admin API cannot read get a 4xx with a
// clear message and change nothing.
func TestAdminBadInput(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	before := e.storeSnapshot()
	community := `{"id":"hornsyld","name":"Hornsyld","population":900,"fund":"pulje"}`
	for _, tt := range []struct {
		name, method, path, ct, body string
		status                       int
		msg                          string
	}{
		{"xml body", "POST", "/api/communities", "text/xml", "<community/>", 415, `unsupported content type "text/xml"`},
		{"plain text", "POST", "/api/communities", "text/plain; charset=utf-8", community, 415, `unsupported content type "text/plain"`},
		{"trailing JSON", "POST", "/api/communities", "application/json", community + "{}", 400, "trailing data"},
		{"unknown field", "POST", "/api/communities", "application/json", `{"id":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{"wrong type", "POST", "/api/communities", "application/json", `{"id":"x","population":"many"}`, 400, "wrong type"},
		{"audit limit not a number", "GET", "/api/audit?limit=abc", "", "", 400, "whole number"},
		{"audit limit too big", "GET", "/api/audit?limit=10001", "", "", 400, "1 to 10000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			hdr := []string{}
			if tt.body != "" {
				body = tt.body
				hdr = append(hdr, "Content-Type", tt.ct)
			}
			r := admin.do(tt.method, tt.path, body, hdr...)
			if r.Status != tt.status || !strings.Contains(r.errorMsg(), tt.msg) {
				t.Errorf("%s %s = %s, want %d with %q", tt.method, tt.path, r, tt.status, tt.msg)
			}
		})
	}
	if after := e.storeSnapshot(); after != before {
		t.Error("refused admin requests changed the store")
	}
	// The same community as JSON is accepted, so the refusals above were
	// about the form of the request only.
	admin.must(201, "POST", "/api/communities", []byte(community), "Content-Type", "application/json")
}
