package ui

import (
	"bytes"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// TestCoCreationAPI follows a proposal through the JSON API: submitted with
// a contact, followed with the private link, messages both ways, merged
// into a project. The contact and the secret are never public or logged.
func TestCoCreationAPI(t *testing.T) {
	var logs bytes.Buffer
	e := newTestEnv(t, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.seed()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit", Budget: 20_000})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	resident := e.client()
	var sent struct {
		ProposalView
		FollowURL string `json:"follow_url"`
	}
	resident.must(201, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Bænke", Description: "Tre bænke",
		TitleEN: "Benches", DescriptionEN: "Three benches", EstimatedCost: 9000, Category: "laering",
		Name: "Anna Jensen", Contact: "anna@example.dk"}).JSON(t, &sent)
	resident.must(201, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Bænk", Description: "En bænk",
		EstimatedCost: 3000, Category: "laering"})
	u, err := url.Parse(sent.FollowURL)
	if err != nil || u.Path != "/r/barrit-2026/follow" || u.Query().Get("p") != "1" || len(u.Query().Get("t")) != 43 || sent.TitleEN != "Benches" {
		t.Fatalf("follow URL %q, %+v", sent.FollowURL, sent)
	}
	secret := u.Query().Get("t")
	api := "/api/rounds/barrit-2026/proposals/1/follow"
	var f FollowView
	resident.must(200, "GET", api+"?t="+secret, nil).JSON(t, &f)
	if f.Outcome != "pending" || f.Proposal.Title != "Bænke" || len(f.Messages) != 0 {
		t.Errorf("follow = %+v", f)
	}
	if r := resident.must(404, "GET", api+"?t="+strings.Repeat("A", 43), nil); r.errorCode() != "follow_up" {
		t.Errorf("wrong secret: %s", r)
	}
	resident.must(404, "GET", "/api/rounds/barrit-2026/proposals/2/follow?t="+secret, nil)
	co.must(204, "POST", "/api/rounds/barrit-2026/proposals/1/messages", CouncilMessageRequest{Text: "Hvor skal de stå?"})
	resident.must(204, "POST", api, FollowMessage{Token: secret, Text: "Ved søen"})
	resident.must(404, "POST", api, FollowMessage{Token: "nope", Text: "Ved søen"})
	resident.must(400, "POST", api, FollowMessage{Token: secret, Text: ""})
	e.coordinator("glud").must(403, "POST", "/api/rounds/barrit-2026/proposals/1/messages", CouncilMessageRequest{Text: "Hej"})
	resident.must(401, "POST", "/api/rounds/barrit-2026/proposals/1/messages", CouncilMessageRequest{Text: "Hej"})
	// The council sees the contact; nobody else does.
	var fs []core.FollowUp
	co.must(200, "GET", "/api/rounds/barrit-2026/followups", nil).JSON(t, &fs)
	if len(fs) != 2 || fs[0].Contact != "anna@example.dk" || len(fs[0].Messages) != 2 || fs[0].Token != "" {
		t.Errorf("followups = %+v", fs)
	}
	e.coordinator("glud").must(403, "GET", "/api/rounds/barrit-2026/followups", nil)
	resident.must(401, "GET", "/api/rounds/barrit-2026/followups", nil)
	// Review: proposal 1 becomes a project, 2 is merged into it.
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: true, Reason: "Godt", Project: "baenke"})
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/2/decision", service.Decision{Accept: true, Reason: "Samme idé", Merge: "baenke"})
	if r := co.must(409, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: false, Reason: "Nej"}); r.errorCode() != "merged_into" {
		t.Errorf("re-deciding the source: %s", r)
	}
	resident.must(200, "GET", api+"?t="+secret, nil).JSON(t, &f)
	if f.Outcome != "project" || f.Project == nil || f.Project.ID != "baenke" || len(f.Together) != 1 || len(f.Messages) != 2 || f.Messages[1].From != "proposer" {
		t.Errorf("follow after review = %+v", f)
	}
	public := string(resident.must(200, "GET", "/api/rounds/barrit-2026/proposals", nil).Body)
	public += string(resident.must(200, "GET", "/r/barrit-2026", nil).Body)
	public += string(resident.must(200, "GET", "/api/rounds/barrit-2026", nil).Body)
	public += string(resident.must(200, "GET", "/rounds/barrit-2026/results.csv", nil).Body)
	for _, private := range []string{"anna@example.dk", "Anna Jensen", "Hvor skal de stå", "Ved søen", secret} {
		if strings.Contains(public, private) {
			t.Errorf("public pages show %q", private)
		}
		if strings.Contains(logs.String(), private) {
			t.Errorf("the log holds %q", private)
		}
	}
	if !strings.Contains(public, `"merged":true`) {
		t.Errorf("the public proposals do not say which was merged")
	}
}

// TestCoCreationPages: the proposal form leads to the private follow-up
// page; a refused message is shown on the form with its text kept; the
// coordinator answers, merges and sees the contact on the round page.
func TestCoCreationPages(t *testing.T) {
	e := newPageEnv(t)
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"100000"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
		{"/admin/rounds/hornsyld-2026/meeting", url.Values{"meeting_at": {"2026-05-12T19:30"}, "meeting_place": {"Hornsyld Idrætscenter"}}},
	} {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	propose := func(title, name string) string {
		res, body := e.do("POST", "/r/hornsyld-2026/proposals", url.Values{"title": {title}, "description": {"En god idé"},
			"estimated_cost": {"5000"}, "category": {"laering"}, "title_en": {title + " (en)"}, "description_en": {"A good idea"},
			"name": {name}, "contact": {"22 33 44 55"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("propose = %d\n%s", res.StatusCode, body)
		}
		return res.Header.Get("Location")
	}
	loc := propose("Bænke", "Bo Hansen")
	propose("Bænk ved hallen", "Eva")
	if !strings.HasPrefix(loc, "/r/hornsyld-2026/follow?p=1&t=") || !strings.HasSuffix(loc, "&new=1") {
		t.Fatalf("Location = %q", loc)
	}
	for _, lang := range []string{"da", "en"} {
		res, body := e.do("GET", loc, nil, "Cookie", langCookie+"="+lang)
		body = html.UnescapeString(body)
		want := map[string][]string{"da": {"Gem linket", "Lokalrådet har ikke besluttet", "Bænke"}, "en": {"Keep the link", "has not decided", "Bænke (en)"}}[lang]
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s follow page lacks %q", lang, w)
			}
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("follow page headers %v", res.Header)
		}
	}
	u, _ := url.Parse(loc)
	secret := u.Query().Get("t")
	// An empty message comes back on the form; a good one is sent.
	res, body := e.do("POST", "/r/hornsyld-2026/follow", url.Values{"p": {"1"}, "t": {secret}, "text": {"   "}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="follow-error"`) || !strings.Contains(body, "Beskeden blev ikke sendt") {
		t.Errorf("empty message = %d\n%s", res.StatusCode, body)
	}
	res, _ = e.do("POST", "/r/hornsyld-2026/follow", url.Values{"p": {"1"}, "t": {secret}, "text": {"Ved søen, tak"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "sent=1") {
		t.Errorf("message = %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := e.do("POST", "/r/hornsyld-2026/follow", url.Values{"p": {"1"}, "t": {"wrong"}, "text": {"x"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("message with a wrong link = %d", res.StatusCode)
	}
	// The coordinator's side.
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/proposals/1/message", url.Values{"text": {"Hvilken sø?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("council message = %d\n%s", res.StatusCode, body)
	}
	e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"review"}})
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/proposals/1", url.Values{"accept": {"true"}, "reason": {"Godt forslag"}, "cost": {"6000"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept = %d\n%s", res.StatusCode, body)
	}
	if res, body := e.adminPost("/admin/rounds/hornsyld-2026/proposals/2", url.Values{"accept": {"merge"}, "merge": {"p001"}, "reason": {"Samme idé"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge = %d\n%s", res.StatusCode, body)
	}
	_, page := e.do("GET", "/admin/rounds/hornsyld-2026", nil, "Cookie", SessionCookie+"="+e.cookie)
	for _, w := range []string{"Bo Hansen", "22 33 44 55", "Ved søen, tak", "Hvilken sø?", "slået sammen med Bænke", `id="meeting-place"`, "Hornsyld Idrætscenter", "/r/hornsyld-2026/poster"} {
		if !strings.Contains(html.UnescapeString(page), w) {
			t.Errorf("admin round page lacks %q", w)
		}
	}
	_, body = e.do("GET", "/r/hornsyld-2026/follow?p=2&t="+url.QueryEscape(secret), nil)
	if !strings.Contains(body, "Linket passer ikke") && !strings.Contains(body, "404") {
		t.Errorf("proposal 2 with proposal 1's link:\n%s", body)
	}
	_, body = e.do("GET", "/r/hornsyld-2026/follow?p=1&t="+url.QueryEscape(secret), nil)
	body = html.UnescapeString(body)
	for _, w := range []string{"»Bænke«", "Godt forslag", "Bænk ved hallen", "Hvilken sø?", "Ved søen, tak"} {
		if !strings.Contains(body, w) {
			t.Errorf("follow page after review lacks %q", w)
		}
	}
	_, public := e.do("GET", "/r/hornsyld-2026", nil)
	for _, private := range []string{"Bo Hansen", "22 33 44 55", "Hvilken sø?"} {
		if strings.Contains(public, private) {
			t.Errorf("the public round page shows %q", private)
		}
	}
	// The poster shows the meeting.
	_, poster := e.do("GET", "/r/hornsyld-2026/poster", nil)
	if !strings.Contains(poster, "Hornsyld Idrætscenter") || !strings.Contains(poster, "12. maj 2026 kl. 19.30") {
		t.Errorf("poster without the meeting")
	}
}

// TestDisableAccountPages: an administrator disables a coordinator on the
// dashboard; its session ends at once and it cannot sign in; the action
// log says so in Danish and local time; the rounds table shows names.
func TestDisableAccountPages(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit 2026", Budget: 10_000})
	r := admin.must(200, "POST", "/api/accounts/barrit-coord/disable", nil)
	var st struct {
		Disabled bool `json:"disabled"`
	}
	json.Unmarshal(r.Body, &st)
	if !st.Disabled {
		t.Errorf("disable = %s", r)
	}
	co.must(401, "GET", "/api/session", nil)
	if r := e.client().do("POST", "/api/login", map[string]string{"name": "barrit-coord", "password": coordPW}); r.Status != 403 || r.errorCode() != "account_disabled" {
		t.Errorf("sign-in of a disabled account = %s", r)
	}
	if r := admin.must(409, "POST", "/api/accounts/admin/disable", nil); r.errorCode() != "disable_self" {
		t.Errorf("disable oneself = %s", r)
	}
	e.coordinator("glud").must(403, "POST", "/api/accounts/barrit-coord/enable", nil)
	page := html.UnescapeString(string(admin.must(200, "GET", "/admin", nil, "Cookie", SessionCookie+"="+admin.cookie+"; "+langCookie+"=da").Body))
	for _, w := range []string{"lukkede brugeren barrit-coord", "(afsluttede sessioner: 1)", "budget 10000 kr.", "Åbn brugeren igen", "<td>Barrit</td>", " CET", "oprettede runden barrit-2026"} {
		if !strings.Contains(page, w) {
			t.Errorf("dashboard lacks %q", w)
		}
	}
	admin.must(200, "POST", "/api/accounts/barrit-coord/enable", nil)
	e.coordinator("barrit").must(200, "GET", "/api/session", nil)
}
