package ui

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/service"
)

// publishedRound makes round id in barrit with the test projects and one
// whose title a spreadsheet would read as a formula, six ballots, and
// publishes it counted by greedy.
func (e *testEnv) publishedRound(id string) *client {
	e.t.Helper()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: id, Community: "barrit", Year: 2026,
		Title: "Borgerbudget Barrit", Budget: 25_000, Rule: "greedy"})
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "review"})
	for _, p := range append(testProjects, service.ProjectRequest{ID: "formel", Title: "=HYPERLINK(\"x\")", Cost: 5_000, Category: "laering"}) {
		co.must(200, "POST", "/api/rounds/"+id+"/projects", p)
	}
	v := newVoters(e.t, id, 8)
	co.must(200, "PUT", "/api/rounds/"+id+"/roll", v.roll.Bytes())
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "frozen"})
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "voting"})
	resident := e.client()
	for i, choice := range [][]string{{"bibliotek"}, {"bibliotek", "shelter"}, {"bibliotek"}, {"legeplads", "shelter"},
		{"legeplads"}, {"shelter", "vaerksted"}} {
		resident.must(201, "POST", "/api/rounds/"+id+"/ballots", e.ballotLeaf(id, v, i, choice...))
	}
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/"+id+"/phase", map[string]string{"phase": "published"})
	return co
}

// readCSV parses an export as a spreadsheet would: UTF-8 after the
// byte-order mark, RFC 4180 with CRLF.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Fatalf("CSV without BOM or CRLF: %q", b[:min(len(b), 40)])
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRoundCSV(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.publishedRound("barrit-2026")
	r := e.client().must(200, "GET", "/rounds/barrit-2026/results.csv", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q", ct)
	}
	rows := readCSV(t, r.Body)
	if strings.Join(rows[0], ",") != "fund,year,community,community_name,round,round_title,phase,rule,ballots,project,title,category,cost,votes,funded,amount" {
		t.Fatalf("header = %v", rows[0])
	}
	got := map[string][]string{}
	for _, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			t.Fatalf("row %v has %d cells", row, len(row))
		}
		got[row[9]] = row
	}
	if len(got) != 5 {
		t.Fatalf("%d projects, want 5", len(got))
	}
	// Greedy with 25,000: shelter (3 votes, 15,000; the cheaper of the two
	// with 3), not bibliotek (30,000), not legeplads (20,000 > 10,000
	// left), vaerksted (10,000), nothing left for formel.
	want := map[string][2]string{"bibliotek": {"3", "no"}, "shelter": {"3", "yes"}, "legeplads": {"2", "no"}, "vaerksted": {"1", "yes"}, "formel": {"0", "no"}}
	for id, w := range want {
		row := got[id]
		if row[13] != w[0] || row[14] != w[1] || row[6] != "published" || row[8] != "6" || row[3] != "Barrit" {
			t.Errorf("%s = %v, want votes %s funded %s", id, row, w[0], w[1])
		}
	}
	if got["shelter"][15] != "15000" || got["legeplads"][15] != "0" {
		t.Errorf("amounts: %v %v", got["bibliotek"], got["legeplads"])
	}
	// A title a spreadsheet would run as a formula is kept as text.
	if title := got["formel"][10]; title != `'=HYPERLINK("x")` {
		t.Errorf("formula title = %q", title)
	}
	// Before publication: projects without results.
	e.coordinator("barrit").must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2027", Community: "barrit", Year: 2027, Title: "Næste år"})
	r = e.client().must(200, "GET", "/rounds/barrit-2027/results.csv", nil)
	if rows := readCSV(t, r.Body); len(rows) != 1 {
		t.Errorf("draft round CSV = %v", rows)
	}
	e.client().must(404, "GET", "/rounds/nowhere/results.csv", nil)
}

func TestFundExports(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.publishedRound("barrit-2026")
	e.coordinator("glud").must(201, "POST", "/api/rounds", service.RoundRequest{ID: "glud-2026", Community: "glud", Year: 2026, Title: "Glud"})
	rows := readCSV(t, e.client().must(200, "GET", "/funds/pulje/projects.csv", nil).Body)
	if len(rows) != 6 {
		t.Errorf("fund CSV has %d rows, want header and 5 projects", len(rows))
	}
	r := e.client().must(200, "GET", "/funds/pulje/open-data.zip", nil)
	if r.Header.Get("Content-Type") != "application/zip" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	z, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		files[f.Name] = b.Bytes()
	}
	for _, name := range []string{"README.txt", "projects.csv", "barrit-2026/record.tar", "barrit-2026/round.pb", "barrit-2026/results.csv", "barrit-2026/anchors.txt"} {
		if len(files[name]) == 0 {
			t.Errorf("zip lacks %s (has %d files)", name, len(files))
		}
	}
	if _, ok := files["glud-2026/record.tar"]; ok {
		t.Errorf("a draft round's record is in the zip")
	}
	if !bytes.Contains(files["README.txt"], []byte("pbverify record")) || !bytes.Contains(files["README.txt"], []byte("barrit-2026")) {
		t.Errorf("README:\n%s", files["README.txt"])
	}
	// The record in the zip verifies with the round's anchors.
	rec, err := ledger.ReadArchive(bytes.NewReader(files["barrit-2026/record.tar"]))
	if err != nil {
		t.Fatal(err)
	}
	an, err := ledger.ParseAnchors(files["barrit-2026/anchors.txt"])
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Results) != 1 || an.Round != "barrit-2026" || an.Manifest == "" {
		t.Errorf("record results %d, anchors %+v", len(rec.Results), an)
	}
	if !bytes.Contains(files["barrit-2026/round.pb"], []byte("Nyt bibliotek")) {
		t.Errorf("round.pb without titles")
	}
	// The fund's ledger in the zip verifies with the fund's anchors.
	fa, err := fund.ParseAnchors(files["funds/pulje/anchors.txt"])
	if err != nil {
		t.Fatal(err)
	}
	fl, err := fund.ParseLedger(func(name string) ([]byte, error) { return files["funds/pulje/ledger/"+name], nil })
	if err != nil {
		t.Fatal(err)
	}
	if frep := fund.VerifyLedger(fl, fund.VerifyOptions{Anchors: &fa}); !frep.OK() || len(frep.Rounds) != 1 {
		t.Errorf("the zip's fund ledger: first failure %q, %d rounds", frep.FirstFailure(), len(frep.Rounds))
	}
	e.client().must(404, "GET", "/funds/nowhere/open-data.zip", nil)
	e.client().must(404, "GET", "/funds/nowhere/projects.csv", nil)
}

// dataImages returns the PNGs of a page's data: URL images by element id.
func dataImages(t *testing.T, page []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	re := regexp.MustCompile(`id="([a-z-]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)
	for _, m := range re.FindAllSubmatch([]byte(html.UnescapeString(string(page))), -1) {
		b, err := base64.StdEncoding.DecodeString(string(m[2]))
		if err != nil {
			t.Fatal(err)
		}
		out[string(m[1])] = b
	}
	return out
}

// zbarDecode decodes the QR code in a PNG with zbarimg.
func zbarDecode(t *testing.T, png []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", f).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func TestPosterPage(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.votingRound("barrit-2026", 3, service.RoundRequest{Budget: 25_000})
	rd, err := e.app.svc.Round(t.Context(), "barrit-2026")
	if err != nil {
		t.Fatal(err)
	}
	anchors := string((&ledger.Anchors{Round: rd.ID, LogKey: rd.LogKey, CouncilKey: rd.CouncilKey, Manifest: rd.Fingerprint}).Bytes())
	served := string(e.client().must(200, "GET", "/rounds/barrit-2026/anchors.txt", nil).Body)
	if served != anchors {
		t.Fatalf("anchors.txt = %q, poster builds %q", served, anchors)
	}
	for _, lang := range []string{"da", "en"} {
		r := e.client().must(200, "GET", "/r/barrit-2026/poster", nil, "Cookie", langCookie+"="+lang)
		page := html.UnescapeString(string(r.Body))
		for _, want := range []string{ballot.FormatFingerprint(rd.Fingerprint), "log-key " + rd.LogKey, testBase + "/r/barrit-2026"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s poster lacks %q", lang, want)
			}
		}
		if strings.Contains(page, `id="poster-draft"`) {
			t.Errorf("%s: a frozen round's poster says it is not frozen", lang)
		}
		imgs := dataImages(t, r.Body)
		if len(imgs) != 2 {
			t.Fatalf("%s poster has QR codes %v", lang, len(imgs))
		}
		if _, err := exec.LookPath("zbarimg"); err != nil {
			t.Skip("zbarimg is not installed (apt-get install zbar-tools)")
		}
		if got := zbarDecode(t, imgs["qr-round"]); got != testBase+"/r/barrit-2026" {
			t.Errorf("%s round QR = %q", lang, got)
		}
		got := zbarDecode(t, imgs["qr-anchors"])
		if got+"\n" != anchors && got != anchors {
			t.Errorf("%s anchors QR = %q, want %q", lang, got, anchors)
		}
		if _, err := ledger.ParseAnchors([]byte(strings.TrimSuffix(got, "\n") + "\n")); err != nil {
			t.Errorf("%s: the anchors QR does not parse: %v", lang, err)
		}
	}
	// Before the freeze the poster says so.
	e.coordinator("glud").must(201, "POST", "/api/rounds", service.RoundRequest{ID: "glud-2026", Community: "glud", Year: 2026, Title: "Glud"})
	r := e.client().must(200, "GET", "/r/glud-2026/poster", nil)
	if !bytes.Contains(r.Body, []byte(`id="poster-draft"`)) {
		t.Errorf("a draft's poster does not warn")
	}
	e.client().must(404, "GET", "/r/nowhere/poster", nil)
}

func TestMinutesAndStatistics(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.publishedRound("barrit-2026")
	for _, lang := range []string{"da", "en"} {
		page := string(e.client().must(200, "GET", "/r/barrit-2026/minutes", nil, "Cookie", langCookie+"="+lang).Body)
		wantRule := map[string]string{"da": "Flest stemmer først", "en": "Most votes first"}[lang]
		for _, want := range []string{`id="minutes-ballots">6<`, wantRule, "Nyt bibliotek", "(greedy)"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s minutes lack %q", lang, want)
			}
		}
		page = string(e.client().must(200, "GET", "/f/pulje/statistics", nil, "Cookie", langCookie+"="+lang).Body)
		// 6 ballots of 1000 inhabitants and of 8 slips (the turnout by
		// its one definition, core.Turnout: whole percent).
		wants := map[string][]string{"da": {"0,6 %", "75 %", "En sammenligning, ikke resultatet.", "Glud"},
			"en": {"0.6 %", "75 %", "A comparison, not the result.", "Glud"}}[lang]
		for _, want := range wants {
			if !strings.Contains(page, want) {
				t.Errorf("%s statistics lack %q", lang, want)
			}
		}
		if !strings.Contains(page, `id="compare-barrit-2026"`) || !strings.Contains(page, "equalshares/add1") {
			t.Errorf("%s statistics lack the comparison with Equal Shares", lang)
		}
	}
	e.client().must(404, "GET", "/f/nowhere/statistics", nil)
	e.client().must(404, "GET", "/r/nowhere/minutes", nil)
}
