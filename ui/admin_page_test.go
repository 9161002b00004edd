package ui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
)

// TestAdminRoundProjects: on the admin round page a proposal's category is
// shown by its translated name, a project can be deleted before the freeze
// (CSRF, a confirmation box) and not after (409 with a clear message); the
// community page shows the community's allocation per tranche.
func TestAdminRoundProjects(t *testing.T) {
	e := newPageEnv(t)
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026,2027"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/communities", url.Values{"id": {"barrit"}, "name": {"Barrit"}, "population": {"900"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"70000"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"bench"}, "title": {"Bænke ved søen"}, "cost": {"20000"}, "category": {"fritid-og-faellesskab"}}},
		{"/admin/rounds/hornsyld-2026/projects", url.Values{"id": {"library"}, "title": {"Bogbytte i hallen"}, "cost": {"60000"}, "category": {"laering"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
	} {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	if res, body := e.do("POST", "/r/hornsyld-2026/proposals", url.Values{"title": {"Shelter ved stranden"}, "description": {"Et shelter"},
		"category": {"social-omsorg"}, "estimated_cost": {"30000"}}); res.StatusCode >= 400 {
		t.Fatalf("proposal = %d\n%s", res.StatusCode, body)
	}
	admin := func(lang string) string {
		t.Helper()
		res, body := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie, "Accept-Language", lang)
		if res.StatusCode != 200 {
			t.Fatalf("admin round page = %d", res.StatusCode)
		}
		return body
	}
	for lang, want := range map[string]string{"da": "Social omsorg", "en": "Social care"} {
		body := admin(lang)
		line := regexp.MustCompile(`(?s)Shelter ved stranden.*?<p class="small">(.*?)</p>`).FindStringSubmatch(body)
		if line == nil || !strings.Contains(line[1], want) || strings.Contains(line[1], "social-omsorg") {
			t.Errorf("%s: proposal line %q, want the category name %q", lang, line, want)
		}
		if !strings.Contains(body, `action="/admin/rounds/hornsyld-2026/projects/bench/delete"`) {
			t.Errorf("%s: no delete form for bench", lang)
		}
	}

	del := func(pid string, form url.Values) (*http.Response, string) {
		return e.adminPost("/admin/rounds/hornsyld-2026/projects/"+pid+"/delete", form)
	}
	// Without the CSRF token, nothing happens.
	if res, _ := e.do("POST", "/admin/rounds/hornsyld-2026/projects/bench/delete", url.Values{"confirm": {"yes"}}, "Cookie", SessionCookie+"="+e.cookie); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete without CSRF = %d, want 403", res.StatusCode)
	}
	if res, _ := del("bench", url.Values{}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("delete without confirmation = %d, want 400", res.StatusCode)
	}
	if res, body := del("bench", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=project-deleted") {
		t.Fatalf("delete = %d %s\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if body := admin("en"); strings.Contains(body, "Bænke ved søen") || !strings.Contains(body, "Bogbytte i hallen") {
		t.Errorf("after deleting bench the page still lists it, or lost library")
	}

	// Accept the proposal, freeze, and try again: 409 with the message.
	_, body := e.do("GET", "/api/rounds/hornsyld-2026/proposals", nil)
	pid := regexp.MustCompile(`"id":\s*(\d+)`).FindStringSubmatch(body)
	if pid == nil {
		t.Fatalf("no proposal id in %s", body)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"review"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("review = %d\n%s", res.StatusCode, body)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/proposals/"+pid[1], url.Values{"accept": {"true"}, "cost": {"30000"}, "reason": {"God idé"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide = %d\n%s", res.StatusCode, body)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/codes", url.Values{"count": {"4"}, "reserve": {"0"}}); res.StatusCode != 200 {
		t.Fatalf("codes = %d\n%s", res.StatusCode, body)
	}
	if res, body := del("library", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "manifestet er underskrevet") {
		t.Errorf("delete after freeze = %d, want 409 with the message\n%s", res.StatusCode, body)
	}
	if body := admin("en"); strings.Contains(body, "/projects/library/delete") {
		t.Error("the frozen round's page still offers delete")
	}

	// The community page: Hornsyld's half of each tranche.
	for lang, want := range map[string][]string{"da": {"Tildeling fra puljen", "2026", "2027", "75.000 kr."}, "en": {"Allocation from the fund", "2026", "2027", "DKK 75,000"}} {
		_, body := e.do("GET", "/c/hornsyld", nil, "Accept-Language", lang)
		tbl := regexp.MustCompile(`(?s)<table[^>]*id="allocation".*?</table>`).FindString(body)
		for _, w := range want[1:] {
			if !strings.Contains(tbl, w) {
				t.Errorf("%s community allocation lacks %q:\n%s", lang, w, tbl)
			}
		}
		if !strings.Contains(body, want[0]) {
			t.Errorf("%s community page lacks the heading %q", lang, want[0])
		}
	}
}

// TestFreezeBlockersShown: the admin round page lists every reason the
// freeze (with codes) would refuse, from the freeze's own check, in the
// page's language; every reason the core can give has a text in both
// languages.
func TestFreezeBlockersShown(t *testing.T) {
	for _, lang := range []string{"da", "en"} {
		for _, r := range core.BlockerReasons() {
			if _, ok := newCatalogForTest(t)[lang]["admin.block."+string(r)]; !ok {
				t.Errorf("%s: no text for freeze blocker %s", lang, r)
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
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
	} {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	for range 2 {
		if res, body := e.do("POST", "/r/hornsyld-2026/proposals", url.Values{"title": {"Shelter ved stranden"}, "description": {"Et shelter"},
			"category": {"social-omsorg"}, "estimated_cost": {"30000"}}); res.StatusCode >= 400 {
			t.Fatalf("proposal = %d\n%s", res.StatusCode, body)
		}
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"review"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("review = %d\n%s", res.StatusCode, body)
	}
	res, body := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie, "Accept-Language", "da")
	if res.StatusCode != 200 {
		t.Fatalf("admin round page = %d", res.StatusCode)
	}
	for _, want := range []string{"2 forslag mangler stadig en afgørelse.", "Der er ingen projekter endnu."} {
		if !strings.Contains(body, want) {
			t.Errorf("admin round page lacks blocker %q", want)
		}
	}
	if strings.Contains(body, "[admin.block") {
		t.Error("a blocker without a text")
	}
}

func newCatalogForTest(t *testing.T) catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
