package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// pageEnv is an app with pages, a signed-in admin and a round in voting.
type pageEnv struct {
	t      *testing.T
	app    *App
	cookie string
	csrf   string
	admin  *core.Identity
	codes  []string // voting codes from the slip sheet
}

var codeRE = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}`)

func newPageEnv(t *testing.T) *pageEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir + "/pb.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := store.OpenKeyring(dir + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, Keys: keys, BaseURL: "http://pb.test", Batch: 5 * time.Millisecond,
		Argon2: service.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, ScheduleEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(svc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	a.pageRoutes()
	a.pageRoutes() // idempotent
	e := &pageEnv{t: t, app: a}
	ctx := context.Background()
	if _, err := a.svc.EnsureAdmin(ctx, "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	token, sess, id, err := a.svc.Login(ctx, "admin", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	e.cookie, e.csrf, e.admin = token, sess.CSRF, id
	return e
}

// do sends a request through the app; form values are posted when given.
func (e *pageEnv) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// admin sends a signed-in form with the CSRF token.
func (e *pageEnv) adminPost(path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	form.Set(CSRFField, e.csrf)
	return e.do("POST", path, form, "Cookie", SessionCookie+"="+e.cookie)
}

// setupRound creates a fund, a community and a round of the given ballot
// rules with three projects and 6 codes, through the admin pages, and
// opens voting.
func (e *pageEnv) setupRound(rules url.Values) {
	e.t.Helper()
	t := e.t
	steps := []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"100000"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"bench"}, "title": {"Bænke ved søen"}, "description": {"Tre bænke"}, "cost": {"20000"}, "category": {"fritid-og-faellesskab"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"library"}, "title": {"Bogbytte i hallen"}, "cost": {"60000"}, "category": {"laering"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"playground"}, "title": {"Ny legeplads"}, "cost": {"50000"}, "category": {"fritid-og-faellesskab"}}},
		{"/admin/rounds/hornsyld-2026/settings", rules},
	}
	for _, s := range steps {
		res, body := e.adminPost(s.path, s.form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d, want 303\n%s", s.path, res.StatusCode, body)
		}
	}
	for _, to := range []string{"proposals", "review"} {
		res, body := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {to}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("phase %s = %d\n%s", to, res.StatusCode, body)
		}
	}
	// Freezing with codes is one step: the sheet comes once, with the
	// manifest's fingerprint from anchors.txt on every slip.
	res, sheet := e.adminPost("/admin/rounds/hornsyld-2026/codes", url.Values{"count": {"6"}, "reserve": {"1"}})
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("codes = %d %q\n%s", res.StatusCode, res.Header.Get("Cache-Control"), sheet)
	}
	e.codes = codeRE.FindAllString(sheet, -1)
	if len(e.codes) < 6 {
		t.Fatalf("slip sheet has %d codes, want 6", len(e.codes))
	}
	_, anchors := e.do("GET", "/rounds/hornsyld-2026/anchors.txt", nil)
	an, err := ledger.ParseAnchors([]byte(anchors))
	if err != nil || an.Manifest == "" {
		t.Fatalf("anchors after freeze = %q, %v", anchors, err)
	}
	if n := strings.Count(sheet, "Manifest: "+ballot.FormatFingerprint(an.Manifest)); n != 6 {
		t.Errorf("the manifest fingerprint %s is on %d slips, want 6", an.Manifest, n)
	}
	// A second sheet is refused: the round is frozen.
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/codes", url.Values{"count": {"6"}, "reserve": {"1"}}); res.StatusCode != http.StatusConflict || codeRE.MatchString(body) {
		t.Errorf("second sheet = %d", res.StatusCode)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"voting"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("phase voting = %d\n%s", res.StatusCode, body)
	}
}

var approvalRules = url.Values{"title": {"Hornsyld 2026"}, "budget": {"100000"}, "kind": {"approval"}, "min": {"0"}, "max": {"2"},
	"rule": {"greedy"}, "tiebreak": {"min-cost,max-votes,lot"}, "revote": {"none"}}

func TestCatalogComplete(t *testing.T) {
	if _, err := loadCatalog(); err != nil {
		t.Fatal(err)
	}
}

// tKeyRE finds literal text keys in templates.
var tKeyRE = regexp.MustCompile(`\.TN? "([a-zA-Z0-9_.+-]+)"`)

func TestTemplatesUseKnownKeys(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	names, _ := templateFiles.ReadDir("templates")
	for _, n := range names {
		b, _ := templateFiles.ReadFile("templates/" + n.Name())
		for _, m := range tKeyRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := cat["da"][m[1]]; !ok {
				t.Errorf("%s uses unknown text %q", n.Name(), m[1])
			}
		}
	}
	for _, list := range [][]string{voteTexts, checkTexts, projectorTexts} {
		for _, k := range list {
			if _, ok := cat["da"]["js."+k]; !ok {
				t.Errorf("script text js.%s is missing", k)
			}
		}
	}
	for _, p := range core.Phases() {
		for _, k := range []string{"phase." + string(p), "vote.notopen." + string(p)} {
			if _, ok := cat["da"][k]; !ok {
				t.Errorf("text %s is missing", k)
			}
		}
		if p != core.PhaseDraft {
			for _, k := range []string{"admin.to." + string(p), "admin.to." + string(p) + ".hint"} {
				if _, ok := cat["da"][k]; !ok {
					t.Errorf("text %s is missing", k)
				}
			}
		}
	}
}

func TestNegotiateLang(t *testing.T) {
	tests := []struct{ choice, header, want string }{
		{"", "", "da"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "de-DE,de;q=0.9,en;q=0.5", "en"},
		{"", "da-DK,en;q=0.8", "da"},
		{"", "en;q=0.3,da;q=0.7", "da"},
		{"", "sv-SE", "da"},
		{"", "fr", "da"},
		{"en", "da", "en"},
		{"da", "en", "da"},
		{"xx", "en", "en"},
		{"", "en;q=bogus", "da"},
	}
	for _, tt := range tests {
		if got := negotiateLang(tt.choice, tt.header); got != tt.want {
			t.Errorf("negotiateLang(%q, %q) = %q, want %q", tt.choice, tt.header, got, tt.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"da", 1500000, "1.500.000 kr."}, {"en", 1500000, "DKK 1,500,000"}, {"da", 0, "0 kr."}, {"en", 999, "DKK 999"}, {"da", -1234, "-1.234 kr."},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.lang, tt.n); got != tt.want {
			t.Errorf("formatAmount(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"/v/x": "/v/x", "//evil.example": "/", "https://evil.example": "/", "": "/", "/a\\b": "/", "/r/x?y=1": "/r/x?y=1"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPagesRenderInBothLanguages(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	for _, lang := range []string{"da", "en"} {
		for _, path := range []string{"/", "/c/hornsyld", "/r/hornsyld-2026", "/v/hornsyld-2026", "/k/hornsyld-2026", "/check",
			"/check/hornsyld-2026", "/about", "/p/hornsyld-2026", "/r/hornsyld-2026/record", "/r/hornsyld-2026/results", "/admin/login"} {
			res, body := e.do("GET", path, nil, "Accept-Language", lang)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s (%s) = %d\n%s", path, lang, res.StatusCode, body)
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("GET %s (%s): page is not in %s", path, lang, lang)
			}
			if strings.Contains(body, "kr..") {
				t.Errorf("GET %s (%s): a double full stop after an amount", path, lang)
			}
			if strings.Contains(body, "[") && regexp.MustCompile(`\[[a-z]+\.[a-zA-Z.]+\]`).MatchString(body) {
				t.Errorf("GET %s (%s): missing text %s", path, lang, regexp.MustCompile(`\[[a-z]+\.[a-zA-Z.]+\]`).FindString(body))
			}
		}
		for _, path := range []string{"/admin", "/admin/rounds/hornsyld-2026"} {
			res, body := e.do("GET", path, nil, "Accept-Language", lang, "Cookie", SessionCookie+"="+e.cookie)
			if res.StatusCode != 200 || !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Fatalf("GET %s (%s) = %d\n%s", path, lang, res.StatusCode, body)
			}
		}
	}
	// The language switch sets a cookie and goes back.
	res, _ := e.do("GET", "/lang/en?next=/v/hornsyld-2026", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/v/hornsyld-2026" {
		t.Fatalf("language switch = %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if !strings.Contains(res.Header.Get("Set-Cookie"), langCookie+"=en") {
		t.Fatalf("language switch set no cookie: %q", res.Header.Get("Set-Cookie"))
	}
	_, body := e.do("GET", "/v/hornsyld-2026", nil, "Cookie", langCookie+"=en", "Accept-Language", "da")
	if !strings.Contains(body, `<html lang="en">`) {
		t.Error("the language cookie does not override Accept-Language")
	}
	// Unknown pages and rounds render an HTML error.
	res, body = e.do("GET", "/r/no-such-round", nil)
	if res.StatusCode != 404 || !strings.Contains(body, "<html") {
		t.Errorf("unknown round = %d\n%s", res.StatusCode, body)
	}
	// The admin pages need a session.
	res, _ = e.do("GET", "/admin", nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
		t.Errorf("GET /admin without session = %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = e.do("POST", "/admin/funds", url.Values{"id": {"x"}}, "Cookie", SessionCookie+"="+e.cookie)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF token = %d, want 403", res.StatusCode)
	}
}

// TestCategoryNamesTranslated: the default categories are named in the
// page's language; their ids in the store and the manifest stay as they are.
func TestCategoryNamesTranslated(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	want := map[string][2]string{"da": {"Fritid og fællesskab", "Læring"}, "en": {"Leisure and community", "Learning"}}
	other := map[string]string{"da": "Leisure and community", "en": "Fritid og fællesskab"}
	for lang, names := range want {
		for _, path := range []string{"/r/hornsyld-2026", "/v/hornsyld-2026", "/k/hornsyld-2026"} {
			_, body := e.do("GET", path, nil, "Accept-Language", lang)
			for _, n := range names {
				if !strings.Contains(body, n) {
					t.Errorf("GET %s (%s) lacks the category %q", path, lang, n)
				}
			}
			if strings.Contains(body, other[lang]) {
				t.Errorf("GET %s (%s) names a category %q", path, lang, other[lang])
			}
		}
		_, body := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Accept-Language", lang, "Cookie", SessionCookie+"="+e.cookie)
		if !strings.Contains(body, names[0]) || strings.Contains(body, other[lang]) {
			t.Errorf("admin round page (%s): category names not in %s", lang, lang)
		}
	}
	_, manifest := e.do("GET", "/rounds/hornsyld-2026/manifest", nil)
	if !strings.Contains(manifest, " fritid-og-faellesskab ") || strings.Contains(manifest, "Leisure") {
		t.Errorf("manifest categories changed:\n%s", manifest)
	}
}

// scriptData extracts the JSON a page hands to its script.
func scriptData(t *testing.T, body string, v any) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="pb-data">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("page has no pb-data")
	}
	if err := json.Unmarshal([]byte(m[1]), v); err != nil {
		t.Fatalf("pb-data: %v\n%s", err, m[1])
	}
}

func TestVoteWithoutJavaScript(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	code := e.codes[0]
	path := "/v/hornsyld-2026"

	// A mistyped code is refused with a clear message; the choices stay.
	bad := []byte(code)
	bad[0] ^= 1
	res, body := e.do("POST", path, url.Values{"code": {string(bad)}, "p": {"bench"}, "step": {"review"}})
	if res.StatusCode != 400 || !strings.Contains(body, "Koden passer ikke") || !strings.Contains(body, `value="bench" checked`) {
		t.Fatalf("bad code = %d\n%s", res.StatusCode, body)
	}
	// Too many projects.
	res, _ = e.do("POST", path, url.Values{"code": {code}, "p": {"bench", "library", "playground"}, "step": {"review"}})
	if res.StatusCode != 400 {
		t.Fatalf("three projects with max 2 = %d, want 400", res.StatusCode)
	}
	// Review, then submit.
	res, body = e.do("POST", path, url.Values{"code": {code}, "p": {"playground", "bench"}, "step": {"review"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Bænke ved søen") || !strings.Contains(body, `name="step" value="submit"`) {
		t.Fatalf("review = %d\n%s", res.StatusCode, body)
	}
	res, body = e.do("POST", path, url.Values{"code": {code}, "p": {"bench", "playground"}, "step": {"submit"}})
	if res.StatusCode != 200 || !strings.Contains(body, "tlog-proof") {
		t.Fatalf("submit = %d\n%s", res.StatusCode, body)
	}
	tracker := regexp.MustCompile(`<p class="tracker">([0-9A-Z]{4}-[0-9A-Z]{4})</p>`).FindStringSubmatch(body)
	if tracker == nil {
		t.Fatalf("receipt page has no tracker\n%s", body)
	}
	dl := regexp.MustCompile(`href="data:text/plain;base64,([A-Za-z0-9+/=]+)"`).FindStringSubmatch(body)
	if dl == nil {
		t.Fatal("receipt page has no download")
	}
	raw, _ := base64.StdEncoding.DecodeString(dl[1])
	rc, err := ledger.ParseReceipt(raw)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Tracker() != tracker[1] || !strings.Contains(string(rc.Extra), "approve bench playground\n") {
		t.Fatalf("receipt tracker %s, page %s; leaf %q", rc.Tracker(), tracker[1], rc.Extra)
	}
	// The same code again: used.
	res, body = e.do("POST", path, url.Values{"code": {code}, "p": {"library"}, "step": {"submit"}})
	if res.StatusCode != 409 || !strings.Contains(body, "allerede stemt") {
		t.Fatalf("second ballot = %d\n%s", res.StatusCode, body)
	}
	// The check page accepts the receipt and rejects a tampered one.
	res, body = e.do("POST", "/check", url.Values{"receipt": {string(raw)}})
	if res.StatusCode != 200 || !strings.Contains(body, "msg ok") || !strings.Contains(body, tracker[1]) {
		t.Fatalf("check = %d\n%s", res.StatusCode, body)
	}
	tampered := strings.Replace(string(raw), "\nindex ", "\nindex 1", 1)
	_, body = e.do("POST", "/check", url.Values{"receipt": {tampered}})
	if !strings.Contains(body, "msg bad") {
		t.Fatalf("tampered receipt accepted\n%s", body)
	}
}

func TestBallotEndpoint(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	var d voteScript
	_, body := e.do("GET", "/v/hornsyld-2026", nil)
	scriptData(t, body, &d)
	leaf0, err := base64.StdEncoding.DecodeString(d.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	base := 0
	for k := range d.Texts {
		if !strings.HasSuffix(k, ".one") {
			base++
		}
	}
	if d.Submit != "/v/hornsyld-2026/ballot" || base != len(voteTexts) {
		t.Fatalf("script data = %+v", d)
	}
	sign := func(code string, approve ...string) []byte {
		c, err := ballot.ParseCode(code)
		if err != nil {
			t.Fatal(err)
		}
		priv := ballot.DeriveKey(c, "hornsyld-2026")
		b := &ballot.Ballot{Round: "hornsyld-2026", Manifest: ballot.ManifestHash(leaf0), Key: ballot.PublicKey(priv), Approve: approve}
		b.Sign(priv)
		return b.Bytes()
	}
	post := func(leaf []byte) (int, string) {
		req := httptest.NewRequest("POST", d.Submit, strings.NewReader(string(leaf)))
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		res, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := post(sign(e.codes[1], "library"))
	if status != 201 || !strings.HasPrefix(body, "c2sp.org/tlog-proof@v1\n") {
		t.Fatalf("ballot = %d\n%s", status, body)
	}
	status, body = post(sign(e.codes[1], "bench"))
	if status != 409 || !strings.Contains(body, `"code":"used"`) {
		t.Fatalf("second ballot = %d %s", status, body)
	}
	// A code of another round derives a key that is not on the roll.
	other, _ := ballot.NewCode(strings.NewReader(strings.Repeat("x", 64)))
	status, body = post(sign(other.String(), "bench"))
	if status != 403 || !strings.Contains(body, `"code":"not-in-roll"`) {
		t.Fatalf("unknown key = %d %s", status, body)
	}
	// After close: closed.
	res, b := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"closed"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close = %d\n%s", res.StatusCode, b)
	}
	status, body = post(sign(e.codes[2], "bench"))
	if status != 409 || !strings.Contains(body, `"code":"closed"`) {
		t.Fatalf("after close = %d %s", status, body)
	}
	res, b = e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"published"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish = %d\n%s", res.StatusCode, b)
	}
	_, body = e.do("GET", "/r/hornsyld-2026/results", nil, "Accept-Language", "en")
	if !strings.Contains(body, `id="winners"`) || !strings.Contains(body, "Bogbytte i hallen") || !strings.Contains(body, "<svg") {
		t.Fatalf("results page\n%s", body)
	}
	// The page explains each project by the rule's own steps.
	if !strings.Contains(body, "Funded: number 1 in the order, with 1 vote. It costs DKK 60,000, and DKK 100,000 was left.") {
		t.Errorf("results page lacks the rule's explanation\n%s", body)
	}
	_, body = e.do("GET", "/v/hornsyld-2026", nil, "Accept-Language", "en")
	if !strings.Contains(body, "the result is published") {
		t.Fatalf("voting page after publication\n%s", body)
	}
}

func TestStaticServed(t *testing.T) {
	e := newPageEnv(t)
	res, body := e.do("GET", "/static/js/code.js", nil, "Accept-Encoding", "identity")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "export function parseCode") {
		t.Fatalf("GET /static/js/code.js = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = e.do("GET", "/static/css/pb.css", nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET /static/css/pb.css = %d", res.StatusCode)
	}
	res, _ = e.do("GET", "/static/../ui/page.go", nil)
	if res.StatusCode == 200 {
		t.Fatal("static files escape their directory")
	}
}

func TestAdminScheduleAndPassword(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	res, body := e.adminPost("/admin/rounds/hornsyld-2026/schedule", url.Values{"opens_at": {""}, "closes_at": {"2030-05-12T21:30"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule = %d\n%s", res.StatusCode, body)
	}
	r, _ := e.app.svc.Round(context.Background(), "hornsyld-2026")
	if want := time.Date(2030, 5, 12, 21, 30, 0, 0, meetingZone()); !r.ClosesAt.Equal(want) {
		t.Errorf("ClosesAt = %v, want %v", r.ClosesAt, want)
	}
	_, body = e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	if !strings.Contains(body, `value="2030-05-12T21:30"`) {
		t.Error("the round page does not show the closing time")
	}
	res, _ = e.adminPost("/admin/rounds/hornsyld-2026/schedule", url.Values{"closes_at": {"tomorrow"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad time = %d, want 400", res.StatusCode)
	}
	res, _ = e.adminPost("/admin/password", url.Values{"password": {"short"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("short password = %d, want 400", res.StatusCode)
	}
	res, _ = e.adminPost("/admin/password", url.Values{"password": {"a much longer password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password = %d", res.StatusCode)
	}
	if _, _, _, err := e.app.svc.Login(context.Background(), "admin", "a much longer password"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	// The dashboard shows the fund's allocation and the action log.
	_, body = e.do("GET", "/admin", nil, "Cookie", SessionCookie+"="+e.cookie)
	if !strings.Contains(body, "planlagde afstemningen i") || !strings.Contains(body, "/admin/backup") {
		t.Error("dashboard lacks the action log (in Danish)")
	}
	_, body = e.do("GET", "/f/landdistrikt", nil)
	if !strings.Contains(body, "Fordeling 2026") || !strings.Contains(body, "300.000 kr.") {
		t.Errorf("fund page lacks the allocation\n%s", body)
	}
}

func FuzzNegotiateLang(f *testing.F) {
	for _, s := range []string{"", "da", "en-GB,en;q=0.9", "da;q=0.1, en;q=1", "sv", "*", ";q=", "en;q=1e999"} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, choice, header string) {
		if got := negotiateLang(choice, header); !validLang(got) {
			t.Fatalf("negotiateLang(%q, %q) = %q, not a supported language", choice, header, got)
		}
	})
}

func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/v/x", "//x", "http://x", "/\\x", "/a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("localPath(%q) = %q leaves the site", next, got)
		}
		if u, err := url.Parse(got); err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("localPath(%q) = %q parses as %v, %v", next, got, u, err)
		}
	})
}

func TestVoteKindsWithoutJavaScript(t *testing.T) {
	base := func(kind string, extra ...string) url.Values {
		v := url.Values{"title": {"Hornsyld 2026"}, "budget": {"100000"}, "kind": {kind}, "rule": {"greedy"},
			"tiebreak": {"min-cost,max-votes,lot"}, "revote": {"none"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name     string
		rules    url.Values
		bad      url.Values // choices that break the limits
		good     url.Values
		wantLine string
		meter    string
	}{
		{"approval-cost", base("approval-cost", "limit", "70000"), url.Values{"p": {"bench", "library"}}, url.Values{"p": {"bench", "playground"}},
			"approve bench playground\n", `id="meter-bar"`},
		{"cumulative", base("cumulative", "total", "5", "cap", "3", "rule", "greedy-points"), url.Values{"pt-bench": {"4"}}, url.Values{"pt-bench": {"3"}, "pt-playground": {"2"}},
			"points bench:3 playground:2\n", `name="pt-library"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t)
			e.setupRound(tt.rules)
			_, body := e.do("GET", "/v/hornsyld-2026", nil)
			if !strings.Contains(body, tt.meter) {
				t.Fatalf("voting page lacks %s", tt.meter)
			}
			form := func(v url.Values, step string) url.Values {
				out := url.Values{"code": {e.codes[0]}, "step": {step}}
				for k, vs := range v {
					out[k] = vs
				}
				return out
			}
			if res, body := e.do("POST", "/v/hornsyld-2026", form(tt.bad, "review")); res.StatusCode != 400 {
				t.Fatalf("choices over the limits = %d\n%s", res.StatusCode, body)
			}
			res, body := e.do("POST", "/v/hornsyld-2026", form(tt.good, "review"))
			if res.StatusCode != 200 || !strings.Contains(body, `value="submit"`) {
				t.Fatalf("review = %d\n%s", res.StatusCode, body)
			}
			res, body = e.do("POST", "/v/hornsyld-2026", form(tt.good, "submit"))
			dl := regexp.MustCompile(`href="data:text/plain;base64,([A-Za-z0-9+/=]+)"`).FindStringSubmatch(body)
			if res.StatusCode != 200 || dl == nil {
				t.Fatalf("submit = %d\n%s", res.StatusCode, body)
			}
			raw, _ := base64.StdEncoding.DecodeString(dl[1])
			rc, err := ledger.ParseReceipt(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(strings.Split(string(rc.Extra), "cast ")[0], tt.wantLine) {
				t.Errorf("ballot leaf %q, want choice line %q", rc.Extra, tt.wantLine)
			}
		})
	}
}

// TestVoteWithoutJavaScriptResend: the review page hands out one cast
// nonce, so sending the confirmed form twice (a second tap, a reload) is
// the same leaf: both answers are the same receipt. Confirming again from a
// new review is a new cast: under revote last a new ballot, which counts.
func TestVoteWithoutJavaScriptResend(t *testing.T) {
	e := newPageEnv(t)
	rules := url.Values{}
	for k, v := range approvalRules {
		rules[k] = v
	}
	rules.Set("revote", "last")
	e.setupRound(rules)
	castRE := regexp.MustCompile(`name="cast" value="([^"]+)"`)
	receiptRE := regexp.MustCompile(`href="data:text/plain;base64,([A-Za-z0-9+/=]+)"`)
	confirm := func() (cast string, submit func() *ledger.Receipt) {
		form := url.Values{"code": {e.codes[0]}, "p": {"bench"}, "step": {"review"}}
		res, body := e.do("POST", "/v/hornsyld-2026", form)
		m := castRE.FindStringSubmatch(body)
		if res.StatusCode != 200 || m == nil {
			t.Fatalf("review = %d, cast field %v\n%s", res.StatusCode, m, body)
		}
		cast = html.UnescapeString(m[1]) // the template writes + as &#43;
		return cast, func() *ledger.Receipt {
			t.Helper()
			form := url.Values{"code": {e.codes[0]}, "p": {"bench"}, "step": {"submit"}, "cast": {cast}}
			res, body := e.do("POST", "/v/hornsyld-2026", form)
			dl := receiptRE.FindStringSubmatch(body)
			if res.StatusCode != 200 || dl == nil {
				t.Fatalf("submit = %d\n%s", res.StatusCode, body)
			}
			raw, _ := base64.StdEncoding.DecodeString(dl[1])
			rc, err := ledger.ParseReceipt(raw)
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
	}
	cast1, submit1 := confirm()
	first, again := submit1(), submit1()
	if !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Errorf("the same confirmed form twice got two receipts (leaves %d and %d)", first.Index, again.Index)
	}
	if !strings.Contains(string(first.Extra), "\ncast "+cast1+"\n") {
		t.Errorf("the leaf does not carry the review's cast nonce %s:\n%s", cast1, first.Extra)
	}
	cast2, submit2 := confirm()
	if cast2 == cast1 {
		t.Fatal("two reviews handed out the same cast nonce")
	}
	if second := submit2(); second.Index <= first.Index {
		t.Errorf("a new confirmation was not a new ballot: leaf %d after %d", second.Index, first.Index)
	}
}

// TestProjectorTurnout: the projector counts ballots without the council's
// void leaves, against the slips handed out (by default all but the
// reserve slips; the coordinator can set the number).
func TestProjectorTurnout(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules) // 6 slips, 1 reserve
	ctx := context.Background()
	for _, c := range e.codes[:3] {
		if _, err := e.app.svc.CastWithCode(ctx, "hornsyld-2026", c, service.Choices{Approve: []string{"bench"}}); err != nil {
			t.Fatal(err)
		}
	}
	code, _ := ballot.ParseCode(e.codes[0])
	key := ballot.PublicKey(ballot.DeriveKey(code, "hornsyld-2026"))
	if _, err := e.app.svc.Void(ctx, e.admin, "hornsyld-2026", service.VoidRequest{Key: base64.StdEncoding.EncodeToString(key[:]), Reason: "Stjålet seddel"}); err != nil {
		t.Fatal(err)
	}
	projector := func() (ballots, turnout string, d projectorScript) {
		t.Helper()
		_, body := e.do("GET", "/p/hornsyld-2026", nil, "Accept-Language", "en")
		scriptData(t, body, &d)
		ballots = regexp.MustCompile(`id="ballots">([^<]*)<`).FindStringSubmatch(body)[1]
		turnout = regexp.MustCompile(`id="turnout">([^<]*)<`).FindStringSubmatch(body)[1]
		return
	}
	// Log: manifest, 3 ballots, 1 void leaf of a slip that had voted:
	// 2 slips voted with (the voided slip's ballot does not count, as in
	// the result), the turnout by core.Turnout.
	b, tu, d := projector()
	if b != "2" || tu != "40 %" || d.Slips != 5 || d.Voters != 2 || len(d.Voids) != 1 || d.Voids[0] != 4 {
		t.Errorf("projector: ballots %s, turnout %s, script %+v; want 2, 40 %% of 5 slips, void at 4", b, tu, d)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/handed-out", url.Values{"handed_out": {"4"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("handed out = %d\n%s", res.StatusCode, body)
	}
	if b, tu, d = projector(); b != "2" || tu != "50 %" || d.Slips != 4 {
		t.Errorf("after 4 handed out: ballots %s, turnout %s, slips %d", b, tu, d.Slips)
	}
	if res, _ := e.adminPost("/admin/rounds/hornsyld-2026/handed-out", url.Values{"handed_out": {"7"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("more slips handed out than printed = %d, want 400", res.StatusCode)
	}
}

// TestKioskIdle: the kiosk clears itself after 90 s without input; a kiosk
// URL may only shorten that (?idle=5 to 90), and the voting page has none.
func TestKioskIdle(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	for _, tc := range []struct {
		path string
		want int
	}{{"/k/hornsyld-2026", 90}, {"/k/hornsyld-2026?idle=6", 6}, {"/k/hornsyld-2026?idle=4", 90}, {"/k/hornsyld-2026?idle=600", 90},
		{"/k/hornsyld-2026?idle=x", 90}, {"/v/hornsyld-2026?idle=6", 0}} {
		_, body := e.do("GET", tc.path, nil)
		var d voteScript
		scriptData(t, body, &d)
		if d.KioskIdle != tc.want {
			t.Errorf("GET %s: idle %d, want %d", tc.path, d.KioskIdle, tc.want)
		}
		if (tc.want > 0) != strings.Contains(body, `id="idle-warning"`) {
			t.Errorf("GET %s: idle warning element present = %v", tc.path, !(tc.want > 0))
		}
	}
}
