package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSlipsAgainPage: a coordinator who froze with a passphrase can
// download the slip sheet again from the round's admin page until voting
// opens (the same codes); a wrong passphrase and a request after opening
// are refused with the reason in Danish; over the JSON API too.
func TestSlipsAgainPage(t *testing.T) {
	const pass = "korn og kaffe i hallen"
	e := newPageEnv(t)
	steps := []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"100000"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"bench"}, "title": {"Bænke ved søen"}, "cost": {"20000"}, "category": {"fritid-og-faellesskab"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"review"}}},
	}
	for _, s := range steps {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	_, page := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	if !strings.Contains(page, `name="passphrase"`) || strings.Contains(page, `id="slips-again"`) {
		t.Fatal("the freeze form lacks the passphrase field, or offers a copy before freeze")
	}
	res, sheet := e.adminPost("/admin/rounds/hornsyld-2026/codes", url.Values{"count": {"4"}, "reserve": {"1"}, "passphrase": {pass}})
	codes := codeRE.FindAllString(sheet, -1)
	if res.StatusCode != 200 || len(codes) < 4 {
		t.Fatalf("codes = %d, %d codes", res.StatusCode, len(codes))
	}
	// New codes are refused, in Danish, pointing to the copy.
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/codes", url.Values{"count": {"4"}, "reserve": {"1"}, "passphrase": {pass}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "kan du hente dem igen") || codeRE.MatchString(body) {
		t.Errorf("codes again = %d\n%s", res.StatusCode, body)
	}
	_, page = e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	if !strings.Contains(page, `id="slips-again"`) || !strings.Contains(page, "Hent stemmesedlerne igen") {
		t.Fatal("the frozen round's page does not offer the slips again")
	}
	res, body := e.adminPost("/admin/rounds/hornsyld-2026/slips", url.Values{"passphrase": {"not the passphrase"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Adgangsfrasen passer ikke") || codeRE.MatchString(body) {
		t.Errorf("a wrong passphrase = %d\n%s", res.StatusCode, body)
	}
	res, again := e.adminPost("/admin/rounds/hornsyld-2026/slips", url.Values{"passphrase": {pass}})
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" || strings.Join(codeRE.FindAllString(again, -1), ",") != strings.Join(codes, ",") {
		t.Fatalf("the sheet again = %d, not the same codes", res.StatusCode)
	}
	// The API gives it too.
	res, asheet := e.do("POST", "/api/rounds/hornsyld-2026/slips", url.Values{"passphrase": {pass}}, "Cookie", SessionCookie+"="+e.cookie, "X-CSRF-Token", e.csrf)
	if res.StatusCode != 200 || res.Header.Get("PB-Manifest-Fingerprint") == "" || strings.Join(codeRE.FindAllString(asheet, -1), ",") != strings.Join(codes, ",") {
		t.Errorf("API sheet again = %d", res.StatusCode)
	}
	res, _ = e.do("POST", "/api/rounds/hornsyld-2026/slips", url.Values{"passphrase": {"wrong wrong wrong"}}, "Cookie", SessionCookie+"="+e.cookie, "X-CSRF-Token", e.csrf)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("API with a wrong passphrase = %d", res.StatusCode)
	}
	if res, _ := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"voting"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("phase voting = %d", res.StatusCode)
	}
	_, page = e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	if strings.Contains(page, `id="slips-again"`) {
		t.Error("the page offers the slips after voting opened")
	}
	res, body = e.adminPost("/admin/rounds/hornsyld-2026/slips", url.Values{"passphrase": {pass}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "kopien af stemmesedlerne er slettet") || codeRE.MatchString(body) {
		t.Errorf("after opening = %d\n%s", res.StatusCode, body)
	}
}
