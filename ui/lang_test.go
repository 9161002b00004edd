package ui

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sentinelRE finds the reasons of the typed errors the domain and the web
// layer define (core's sentinels and the web layer's own).
var sentinelRE = regexp.MustCompile(`Error\{Kind: [\w.]+, Reason: "([a-z_]+)"`)

// TestErrorReasonsTranslated: every typed error a page can show has its
// own text in every language (err.REASON), and every status a page can
// answer has a text for errors without a reason (err.status.NNN).
func TestErrorReasonsTranslated(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("core/*.go")
	more, _ := filepath.Glob("*.go")
	reasons := map[string]string{}
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sentinelRE.FindAllStringSubmatch(string(b), -1) {
			reasons[m[1]] = f
		}
	}
	if len(reasons) < 20 {
		t.Fatalf("found only %d typed errors: is sentinelRE out of date?", len(reasons))
	}
	for _, lang := range langs {
		for r, f := range reasons {
			if _, ok := cat[lang]["err."+r]; !ok {
				t.Errorf("%s: no text err.%s for the typed error of %s", lang, r, f)
			}
		}
		for _, status := range statusOf {
			if _, ok := cat[lang]["err.status."+strconv.Itoa(status)]; !ok {
				t.Errorf("%s: no text err.status.%d", lang, status)
			}
		}
	}
}

// visibleText is the text of an HTML page a reader sees: no tags, no
// scripts or styles, entities decoded.
func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<script\b.*?</script>|<style\b.*?</style>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

// englishRE finds English words that never occur in a Danish sentence.
var englishRE = regexp.MustCompile(`\b(the|must|may not|no such|is not|you|cannot|should|voting code)\b`)

// TestNoOtherLanguageInPages renders the residents' and coordinators'
// pages and their error paths in Danish and in English and fails when a
// page holds a text of the other language: a sentence from the other
// catalog, a domain error's English message on a Danish page, or English
// words on a Danish page.
func TestNoOtherLanguageInPages(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	// Sentences only one language has: long enough not to be a name.
	only := func(lang, other string) []string {
		var out []string
		for k, s := range cat[other] {
			if len(s) >= 24 && strings.Contains(s, " ") && s != cat[lang][k] {
				// The text around the verbs of a format, which is what shows.
				for _, part := range regexp.MustCompile(`%[sd%]`).Split(s, -1) {
					if part = strings.TrimSpace(part); len(part) >= 24 {
						out = append(out, part)
					}
				}
			}
		}
		return out
	}
	// The English messages of the typed errors.
	var domain []string
	b, _ := os.ReadFile("core/errors.go")
	for _, m := range regexp.MustCompile(`Msg: "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
		domain = append(domain, m[1])
	}
	admin := []string{"Cookie", SessionCookie + "=" + e.cookie}
	stranger := "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234" // not a code: the check character is wrong
	visits := []visit{
		{"GET", "/", nil, false, 200},
		{"GET", "/about", nil, false, 200},
		{"GET", "/r/hornsyld-2026", nil, false, 200},
		{"GET", "/v/hornsyld-2026", nil, false, 200},
		{"GET", "/k/hornsyld-2026", nil, false, 200},
		{"GET", "/p/hornsyld-2026", nil, false, 200},
		{"GET", "/r/hornsyld-2026/record", nil, false, 200},
		{"GET", "/check", nil, false, 200},
		{"GET", "/r/no-such-round", nil, false, 404},
		{"GET", "/r/no-such-round/results", nil, false, 404},
		{"GET", "/p/no-such-round", nil, false, 404},
		{"GET", "/no/such/page", nil, false, 404},
		{"POST", "/v/hornsyld-2026", url.Values{"code": {stranger}, "p": {"bench"}, "step": {"review"}}, false, 400},
		{"POST", "/v/hornsyld-2026", url.Values{"code": {e.codes[0]}, "p": {"bench", "library", "playground"}, "step": {"review"}}, false, 400},
		{"POST", "/r/hornsyld-2026/proposals", url.Values{"title": {"Bålplads"}, "description": {"Ved søen"}, "estimated_cost": {"mange"}}, false, 0},
		{"POST", "/admin/rounds/hornsyld-2026/handed-out", url.Values{"handed_out": {"999"}}, true, 400},
		{"POST", "/admin/rounds/hornsyld-2026/settings", approvalRules, true, 409},
		{"POST", "/admin/rounds/no-such-round/settings", approvalRules, true, 404},
	}
	check := func(visits []visit) {
		t.Helper()
		for _, lang := range langs {
			checkLang(t, e, lang, only(lang, otherLang(lang)), domain, admin, visits)
		}
	}
	check(visits)
	// After publication: the results and the projector with its winners.
	for _, to := range []string{"closed", "published"} {
		if res, body := e.adminPost("/admin/rounds/hornsyld-2026/phase", url.Values{"to": {to}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("phase %s = %d\n%s", to, res.StatusCode, body)
		}
	}
	check([]visit{
		{"GET", "/r/hornsyld-2026/results", nil, false, 200},
		{"GET", "/p/hornsyld-2026", nil, false, 200},
		{"GET", "/v/hornsyld-2026", nil, false, 200},
		{"GET", "/r/hornsyld-2026/record", nil, false, 200},
	})
}

// visit is one request of TestNoOtherLanguageInPages.
type visit struct {
	method, path string
	form         url.Values
	signedIn     bool
	status       int
}

// checkLang requests each visit in lang and fails on texts of the other
// language (foreign), on the domain's English messages and on English
// words in a Danish page.
func checkLang(t *testing.T, e *pageEnv, lang string, foreign, domain, admin []string, visits []visit) {
	t.Helper()
	other := otherLang(lang)
	{
		for _, vi := range visits {
			form := vi.form
			hdr := []string{"Accept-Language", lang}
			if vi.signedIn {
				hdr = append(hdr, admin...)
				form = url.Values{}
				for k, v := range vi.form {
					form[k] = v
				}
				form.Set(CSRFField, e.csrf)
			}
			res, body := e.do(vi.method, vi.path, form, hdr...)
			label := lang + " " + vi.method + " " + vi.path
			if vi.status != 0 && res.StatusCode != vi.status {
				t.Errorf("%s = %d, want %d", label, res.StatusCode, vi.status)
			}
			if res.StatusCode == http.StatusSeeOther {
				continue
			}
			text := visibleText(body)
			for _, s := range foreign {
				if strings.Contains(text, s) {
					t.Errorf("%s: a %s text on a %s page: %q", label, other, lang, s)
				}
			}
			if lang == "en" {
				continue
			}
			for _, s := range domain {
				if strings.Contains(text, s) {
					t.Errorf("%s: an untranslated error: %q", label, s)
				}
			}
			if m := englishRE.FindString(strings.ToLower(text)); m != "" {
				i := strings.Index(strings.ToLower(text), m)
				t.Errorf("%s: English on a Danish page: …%s…", label, text[max(0, i-60):min(len(text), i+60)])
			}
		}
	}
}

// TestProposalRefusedKeepsText: a refused proposal comes back on the
// round page with the reason in the reader's language and everything the
// resident typed still in the form.
func TestProposalRefusedKeepsText(t *testing.T) {
	e := newPageEnv(t)
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/admin/funds", url.Values{"id": {"landdistrikt"}, "name": {"Landdistriktspuljen"}, "total": {"300000"}, "years": {"2026"}, "formula": {"equal"}}},
		{"/admin/communities", url.Values{"id": {"hornsyld"}, "name": {"Hornsyld"}, "population": {"1800"}, "fund": {"landdistrikt"}}},
		{"/admin/rounds", url.Values{"id": {"hornsyld-2026"}, "title": {"Hornsyld 2026"}, "community": {"hornsyld"}, "year": {"2026"}, "budget": {"100000"}}},
		{"/admin/rounds/hornsyld-2026/phase", url.Values{"to": {"proposals"}}},
	} {
		if res, body := e.adminPost(s.path, s.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", s.path, res.StatusCode, body)
		}
	}
	cat, _ := loadCatalog()
	for _, tc := range []struct {
		lang, cost, title, want string
	}{
		{"da", "mange penge", "Bålplads ved søen", "round.propose.bad.cost"},
		{"en", "25.000,50", "Bålplads ved søen", "round.propose.bad.cost"},
		{"da", "25000", "", "round.propose.bad.text"},
	} {
		desc := "En bålplads med bænke, så\nfamilier kan mødes om aftenen."
		res, body := e.do("POST", "/r/hornsyld-2026/proposals", url.Values{"title": {tc.title}, "description": {desc},
			"estimated_cost": {tc.cost}, "name": {"Karen"}, "contact": {"karen@example.dk"}}, "Accept-Language", tc.lang)
		label := tc.lang + " " + tc.want
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", label, res.StatusCode)
		}
		text := visibleText(body)
		if !strings.Contains(text, cat[tc.lang][tc.want]) {
			t.Errorf("%s: the reason is not on the page:\n%s", label, text)
		}
		for _, typed := range []string{html.EscapeString(desc), html.EscapeString(tc.cost), `value="` + html.EscapeString(tc.title) + `"`, `value="Karen"`} {
			if !strings.Contains(body, typed) {
				t.Errorf("%s: %q was lost", label, typed)
			}
		}
		if tc.lang == "da" && englishRE.MatchString(strings.ToLower(text)) {
			t.Errorf("%s: English on the page: %s", label, englishRE.FindString(strings.ToLower(text)))
		}
	}
}

func TestParseKroner(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"25000", 25000, true}, {"25.000", 25000, true}, {"25,000", 25000, true}, {"25 000", 25000, true},
		{"25.000 kr.", 25000, true}, {"DKK 1,500,000", 1500000, true}, {" 7 ", 7, true},
		{"25,50", 0, false}, {"25.000,50", 0, false}, {"25.00", 0, false}, {"mange", 0, false}, {"", 0, false},
		{"-5", 0, false}, {"1.2.3", 0, false}, {"99999999999999999999", 0, false},
	} {
		if got, ok := parseKroner(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("parseKroner(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
