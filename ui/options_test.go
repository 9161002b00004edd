package ui

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/service"
)

// TestCountingOptionsPages: a round's minimum and exclusion groups set
// through the JSON API and the admin settings form, the "what would
// happen if" preview (API and page), and the results page explaining
// the projects below the minimum and the excluded ones, in Danish and
// English.
func TestCountingOptionsPages(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	const id = "barrit-2026"
	base := "/api/rounds/" + id
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: id, Community: "barrit", Year: 2026, Title: "Borgerbudget Barrit",
		Budget: 25_000, Rule: tally.RuleAdd1U, Minimum: 3})
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "review"})
	for _, p := range testProjects {
		co.must(200, "POST", base+"/projects", p)
	}
	// The JSON API.
	if r := co.do("PATCH", base, map[string]any{"exclusive": [][]string{{"shelter", "skatepark"}}}); r.Status != 400 {
		t.Errorf("group naming an unknown project: %s", r)
	}
	var round struct {
		Minimum   int64      `json:"minimum"`
		Exclusive [][]string `json:"exclusive"`
	}
	co.must(200, "PATCH", base, map[string]any{"exclusive": [][]string{{"shelter", "legeplads"}}}).JSON(t, &round)
	if round.Minimum != 3 || len(round.Exclusive) != 1 || strings.Join(round.Exclusive[0], " ") != "legeplads shelter" {
		t.Fatalf("round %+v", round)
	}
	// The admin settings form: the fields show the settings, a bad group
	// comes back on the form in Danish, a good one is saved.
	form := func(minimum, exclusive string) url.Values {
		return url.Values{"title": {"Borgerbudget Barrit"}, "budget": {"25000"}, "kind": {"approval"}, "min": {"1"}, "max": {"3"},
			"rule": {tally.RuleAdd1U}, "tiebreak": {"min-cost,max-votes,lot"}, "revote": {"none"}, "minimum": {minimum}, "exclusive": {exclusive}}
	}
	post := func(path string, v url.Values, lang string) response {
		return co.do("POST", path, v.Encode(), "Content-Type", "application/x-www-form-urlencoded", "Cookie",
			SessionCookie+"="+co.cookie+"; "+langCookie+"="+lang)
	}
	page := co.must(200, "GET", "/admin/rounds/"+id, nil)
	body := html.UnescapeString(string(page.Body))
	if !strings.Contains(body, `name="minimum" type="number" min="0" value="3"`) || !strings.Contains(body, ">legeplads shelter\n</textarea>") ||
		!strings.Contains(body, "Projekter, der udelukker hinanden") || !strings.Contains(body, `href="/admin/rounds/`+id+`/preview"`) {
		t.Fatalf("settings form lacks the options:\n%s", body)
	}
	r := post("/admin/rounds/"+id+"/settings", form("3", "shelter"), "da")
	if body := html.UnescapeString(string(r.Body)); r.Status != 400 || !strings.Contains(body, "Hver gruppe skal have mindst to af rundens projekter") ||
		!strings.Contains(body, ">shelter</textarea>") {
		t.Fatalf("group of one = %d\n%s", r.Status, body)
	}
	if r := post("/admin/rounds/"+id+"/settings", form("3", "shelter legeplads\n"), "da"); r.Status != 303 && r.Status != 302 {
		t.Fatalf("settings = %s", r)
	}
	// The preview through the API: one counting implementation.
	var pv service.Preview
	co.must(200, "POST", base+"/preview", service.PreviewRequest{Ballots: []service.SampleBallot{
		{Approve: []string{"legeplads", "shelter", "vaerksted"}}, {Approve: []string{"legeplads", "shelter"}, Count: 2},
		{Approve: []string{"shelter"}}, {Approve: []string{"bibliotek"}}, {Approve: []string{"vaerksted"}},
	}}).JSON(t, &pv)
	if len(pv.Outcomes) != 9 || pv.Voters != 6 {
		t.Fatalf("preview %+v", pv)
	}
	for _, o := range pv.Outcomes {
		if o.Rule == tally.RuleAdd1U && (!o.Chosen || strings.Join(o.Funded, ",") != "shelter") {
			t.Errorf("add1u preview %+v", o)
		}
	}
	if r := co.do("POST", base+"/preview", service.PreviewRequest{Ballots: []service.SampleBallot{{Approve: []string{"skatepark"}}}}); r.Status != 400 {
		t.Errorf("preview with an unknown project: %s", r)
	}
	if r := e.client().do("POST", base+"/preview", service.PreviewRequest{}); r.Status != 401 && r.Status != 403 {
		t.Errorf("preview without login: %s", r)
	}
	// The preview page, in Danish and English.
	sample := "legeplads shelter vaerksted\n2: legeplads, shelter\nshelter\n# a comment\nbibliotek\nvaerksted\n"
	for lang, want := range map[string][]string{
		"da": {"Hvad ville der ske, hvis", "Lige andele, fuldført med add1 og grådig udfyldning (rundens regel)",
			"udelukket, fordi »Shelter i skoven« fra samme gruppe fik penge", "fik for få stemmer (mindst 3; det fik 2)",
			"Højst ét af disse kan få penge: »Legeplads ved skolen« og »Shelter i skoven«"},
		"en": {"What would happen if", "(the round's rule)", "excluded, because »Shelter i skoven« from the same group was funded",
			"too few votes (at least 3 needed; it got 2)"},
	} {
		r := post("/admin/rounds/"+id+"/preview", url.Values{"ballots": {sample}}, lang)
		body := html.UnescapeString(string(r.Body))
		if r.Status != 200 {
			t.Fatalf("%s preview page = %d\n%s", lang, r.Status, body)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s preview page lacks %q", lang, w)
			}
		}
	}
	r = post("/admin/rounds/"+id+"/preview", url.Values{"ballots": {"shelter\nlegeplads=2\n"}}, "da")
	if body := html.UnescapeString(string(r.Body)); r.Status != 400 || !strings.Contains(body, "Linje 2 kan ikke læses") {
		t.Errorf("bad sample line = %d\n%s", r.Status, body)
	}
	r = post("/admin/rounds/"+id+"/preview", url.Values{"ballots": {"skatepark\n"}}, "da")
	if body := html.UnescapeString(string(r.Body)); r.Status != 400 || !strings.Contains(body, "En eksempel-stemmeseddel passer ikke") {
		t.Errorf("unknown project in a sample = %d\n%s", r.Status, body)
	}
	co.must(200, "GET", "/admin/rounds/"+id+"/preview", nil)
	// Freeze, vote, publish: the results page explains the options.
	v := newVoters(t, id, 6)
	co.must(200, "PUT", base+"/roll", v.roll.Bytes())
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "frozen"})
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "voting"})
	resident := e.client()
	for i, approve := range [][]string{
		{"legeplads", "shelter", "vaerksted"}, {"legeplads", "shelter"}, {"legeplads", "shelter"},
		{"shelter"}, {"bibliotek"}, {"vaerksted"},
	} {
		resident.must(201, "POST", base+"/ballots", e.ballotLeaf(id, v, i, approve...))
	}
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", base+"/phase", map[string]string{"phase": "published"})
	for lang, want := range map[string][]string{
		"da": {"Får ikke penge: udelukket, fordi »Shelter i skoven« fra samme gruppe fik penge", "Særlige regler for optællingen",
			"Et projekt skal have mindst 3 stemmer for at få penge. Højst ét af disse kan få penge: »Legeplads ved skolen« og »Shelter i skoven«.",
			"Får ikke penge: fik for få stemmer (mindst 3; det fik 2).", "Får ikke penge: fik for få stemmer (mindst 3; det fik 1)."},
		"en": {"Not funded: excluded, because »Shelter i skoven« from the same group was funded",
			"Not funded: too few votes (at least 3 needed; it got 2).", "Special counting rules", "A project needs at least 3 votes to be funded."},
	} {
		r := e.client().must(200, "GET", "/r/"+id+"/results", nil, "Cookie", langCookie+"="+lang)
		body := html.UnescapeString(string(r.Body))
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s results page lacks %q", lang, w)
			}
		}
	}
}

// FuzzParseSamples: the preview form's parser never panics, and what it
// accepts is within the service's limits and names projects by valid
// short names.
func FuzzParseSamples(f *testing.F) {
	for _, s := range []string{"a b\n2: c,d\n# x\n", "3: a=2 b=1\n", "0: a", "a=0", ": a", "a a"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, points bool) {
		bs, line, err := parseSamples(s, points)
		if err != nil {
			if line < 1 || line > strings.Count(s, "\n")+1 {
				t.Fatalf("error at line %d of %d", line, strings.Count(s, "\n")+1)
			}
			return
		}
		if len(bs) > service.MaxSampleBallots {
			t.Fatalf("%d ballots", len(bs))
		}
		for _, b := range bs {
			if b.Count < 0 || b.Count > service.MaxSampleVoters || (points && len(b.Approve) > 0) || (!points && len(b.Points) > 0) {
				t.Fatalf("ballot %+v", b)
			}
			for p, n := range b.Points {
				if p == "" || n < 1 {
					t.Fatalf("points %q=%d", p, n)
				}
			}
		}
	})
}
