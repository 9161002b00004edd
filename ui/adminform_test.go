package ui

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAdminFormErrors: a refused admin form comes back on its own page in
// plain Danish (or English), on the form that was sent, with what was
// typed kept, and with the refusal's status.
func TestAdminFormErrors(t *testing.T) {
	e := newPageEnv(t)
	e.adminPost("/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026"}, "formula": {"equal"}})
	e.adminPost("/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}})
	res, body := e.adminPost("/admin/rounds", url.Values{"id": {"Hornsyld 2026"}, "title": {"Borgerbudget i Hornsyld"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"50000"}})
	body = html.UnescapeString(body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="form-error"`) ||
		!strings.Contains(body, "Det korte navn må kun have små bogstaver") ||
		!strings.Contains(body, `value="Borgerbudget i Hornsyld"`) || !strings.Contains(body, `value="Hornsyld 2026"`) {
		t.Fatalf("bad round id = %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, "Noget gik galt") || strings.Contains(body, "identifier") {
		t.Errorf("the error page or the English message is shown")
	}
	e.adminPost("/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"50000"}})
	// A ballot that breaks its kind's rules, in English.
	form := url.Values{"title": {"Nyt navn"}, "budget": {"40000"}, "kind": {"approval"}, "min": {"3"}, "max": {"1"},
		"rule": {"greedy"}, "tiebreak": {"min-cost,max-votes,lot"}, "revote": {"none"}, CSRFField: {e.csrf}}
	res, body = e.do("POST", "/admin/rounds/hornsyld-2026/settings", form, "Cookie", SessionCookie+"="+e.cookie+"; "+langCookie+"=en")
	body = html.UnescapeString(body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Set the least and most projects") ||
		!strings.Contains(body, `value="Nyt navn"`) || !strings.Contains(body, `value="3"`) {
		t.Fatalf("bad ballot = %d\n%s", res.StatusCode, body)
	}
	if i, j := strings.Index(body, `id="form-error"`), strings.Index(body, `action="/admin/rounds/hornsyld-2026/settings"`); i < j || j < 0 {
		t.Errorf("the error is not on the settings form")
	}
	// The project form's short name hint is not a round's id.
	_, body = e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	if strings.Contains(body, "fx hornsyld-2026") && strings.Count(body, "fx hornsyld-2026") > 0 && strings.Contains(body, `for="pr-id"`) &&
		strings.Contains(body[strings.Index(body, `for="pr-id"`):], "hornsyld-2026</span>") {
		t.Errorf("the project's short name hint is a round id")
	}
	if !strings.Contains(body, `class="field k-cumulative"`) || !strings.Contains(body, "Flest stemmer først") {
		t.Errorf("settings form without kind classes or rule names in words")
	}
}
