package ui

import (
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// TestFundDefectsHTTP replays issue 10's defects through the web layer:
// each answered 500 or let money be committed twice before.
func TestFundDefectsHTTP(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	// Overflowing tranches: refused, not stored with a total of 1.
	admin.must(400, "POST", "/api/funds", service.FundRequest{ID: "over", Name: "Over",
		Tranches: []core.Tranche{{Year: 2026, Amount: math.MaxInt64}, {Year: 2027, Amount: math.MaxInt64}, {Year: 2028, Amount: 3}}, Formula: "equal"})
	e.client().must(404, "GET", "/api/funds/over", nil)

	co, _ := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	// The same money twice: 2027's default budget is 2027's money only.
	var r core.Round
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "B"}).JSON(t, &r)
	if r.Budget != 25_000 {
		t.Errorf("barrit-2027 budget = %d, want 25000", r.Budget)
	}
	co.must(400, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026b", Community: "barrit", Year: 2026, Title: "B", Budget: 1})

	// Adding a community: nothing breaks, the opened 2026 keeps its
	// allocation.
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "zz-new", Name: "Ny", Population: 30_000, Fund: "pulje"})
	for _, path := range []string{"/", "/c/barrit", "/c/zz-new", "/api/funds/pulje"} {
		e.client().must(200, "GET", path, nil)
	}
	var f service.FundView
	e.client().must(200, "GET", "/api/funds/pulje", nil).JSON(t, &f)
	if ac := f.Allocation[0].Accounts[0]; !f.Allocation[0].Opened || ac.Community != "barrit" || ac.Allocated != 25_000 || ac.Reserved != 25_000 {
		t.Errorf("barrit 2026 = %+v (opened %v)", ac, f.Allocation[0].Opened)
	}
	admin.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "glud-2026", Community: "glud", Year: 2026, Title: "G"})

	// Amendments, tranches, cancellation.
	admin.must(200, "PUT", "/api/communities/glud", map[string]any{"population": 4000})
	admin.must(200, "DELETE", "/api/communities/zz-new", nil)
	co.must(403, "DELETE", "/api/communities/glud", nil)
	admin.must(409, "POST", "/api/funds/pulje/tranches/2026/close", nil)
	admin.must(200, "POST", "/api/funds/pulje/tranches/2027/open", nil)
	admin.must(409, "POST", "/api/funds/pulje/tranches/2027/open", nil)
	admin.must(404, "POST", "/api/funds/pulje/tranches/2027/reopen", nil)
	admin.must(400, "POST", "/api/funds/pulje/tranches/2031/open", nil)
	co.must(200, "POST", "/api/rounds/barrit-2027/cancel", nil)
	co.must(409, "POST", "/api/rounds/barrit-2027/cancel", nil)
	co.must(409, "POST", "/api/rounds/barrit-2026/cancel", nil)
}

// TestFundPageWords: the fund and community pages state the formula in
// words, show reserved and left, and mark projections (issue 10: "Til
// rådighed" next to "Brugt", a projected carry-over shown as fact).
func TestFundPageWords(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.votingRound("barrit-2026", 3, service.RoundRequest{})
	for lang, want := range map[string][]string{
		"da": {"efter indbyggertal", "Reserveret", "Tilbage", "fremskrivning", "25.000 kr."},
		"en": {"shared by population", "Reserved", "Left", "projection", "DKK 25,000"},
	} {
		for _, path := range []string{"/f/pulje", "/c/barrit"} {
			body := e.client().must(200, "GET", path, nil, "Accept-Language", lang).Body
			for _, w := range want {
				if !strings.Contains(string(body), w) {
					t.Errorf("%s %s lacks %q", lang, path, w)
				}
			}
			if strings.Contains(string(body), "Til rådighed") || strings.Contains(string(body), "[home.") {
				t.Errorf("%s %s still says \"Til rådighed\" or lacks a text", lang, path)
			}
		}
		// 2026 opened with barrit-2026's freeze: not a projection.
		body := e.client().must(200, "GET", "/c/barrit", nil, "Accept-Language", lang).Body
		row := regexp.MustCompile(`(?s)<tr><th scope="row" class="head">2026.*?</tr>`).FindString(string(body))
		if row == "" || strings.Contains(row, want[3]) {
			t.Errorf("%s: 2026 row %q", lang, row)
		}
	}
}

// TestFreezeWarningShown: the admin round page warns when the projects
// together cost more than the budget (issue 10), without blocking the
// freeze; every warning has a text in both languages.
func TestFreezeWarningShown(t *testing.T) {
	for _, lang := range []string{"da", "en"} {
		for _, r := range core.WarningReasons() {
			if _, ok := newCatalogForTest(t)[lang]["admin.warn."+string(r)]; !ok {
				t.Errorf("%s: no text for freeze warning %s", lang, r)
			}
		}
	}
	e := newPageEnv(t)
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026,2027"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"70000"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"bench"}, "title": {"Bænke ved søen"}, "cost": {"20000"}, "category": {"fritid-og-faellesskab"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"library"}, "title": {"Bogbytte i hallen"}, "cost": {"60000"}, "category": {"laering"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"review"}}},
	} {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	_, body := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie, "Accept-Language", "da")
	if !strings.Contains(body, "Projekterne koster tilsammen mere end budgettet") || strings.Contains(body, "[admin.warn") {
		t.Errorf("admin round page lacks the over_cost warning:\n%s", body)
	}
}
