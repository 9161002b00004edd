package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/service"
)

// buildPbverify builds the pbverify command into a temporary directory.
func buildPbverify(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pbverify")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/pbverify").CombinedOutput()
	if err != nil {
		t.Fatalf("go build pbverify: %v\n%s", err, out)
	}
	return bin
}

// roundIn creates round id of community in year with the test projects
// and a roll of n voters, and freezes it; with open it opens voting.
func (e *testEnv) roundIn(community, id string, year, n int, open bool) (*client, voters) {
	e.t.Helper()
	return e.frozenRound(service.RoundRequest{ID: id, Community: community, Year: year}, n, open)
}

// TestFundLedgerEndToEnd is issue 10's end-to-end scenario on the real
// server: one fund, three communities, two tranches, a round cancelled
// after its freeze, a restart in the middle (which changes nothing), a
// population update and a community joining for the second tranche, the
// first tranche closed with its carry-over, a round of the second
// tranche spending it; then `pbverify fund URL --rounds` verifies the
// whole fund over HTTP, every round's record with the anchors from the
// ledger.
func TestFundLedgerEndToEnd(t *testing.T) {
	bin := buildPbverify(t)
	e := newTestEnv(t)
	admin := e.seed()
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "aale", Name: "Aale", Population: 2000, Fund: "pulje"})
	admin.must(201, "POST", "/api/accounts", service.AccountRequest{Name: "aale-coord", Password: coordPW, Role: "coordinator", Community: "aale"})

	// 2026: barrit votes and publishes, aale's round is cancelled after
	// its freeze, glud votes.
	co, v := e.roundIn("barrit", "barrit-2026", 2026, 3, true)
	co.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter"))
	co.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 1, "shelter", "vaerksted"))
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	ca, _ := e.roundIn("aale", "aale-2026", 2026, 2, false)
	ca.must(200, "POST", "/api/rounds/aale-2026/cancel", nil)
	cg, vg := e.roundIn("glud", "glud-2026", 2026, 2, true)
	cg.must(201, "POST", "/api/rounds/glud-2026/ballots", e.ballotLeaf("glud-2026", vg, 0, "bibliotek"))

	// A restart in the middle changes nothing.
	before := e.client().must(200, "GET", "/funds/pulje/ledger/leaves.txt", nil).Body
	if err := e.app.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.store.Close()
	e = openTestEnv(t, e.dir)
	if after := e.client().must(200, "GET", "/funds/pulje/ledger/leaves.txt", nil).Body; !bytes.Equal(before, after) {
		t.Fatal("the fund's ledger changed across a restart")
	}
	admin = e.client()
	admin.login("admin", adminPW)
	cg = e.coordinator("glud")
	cg.must(200, "POST", "/api/rounds/glud-2026/phase", map[string]string{"phase": "closed"})
	cg.must(200, "POST", "/api/rounds/glud-2026/phase", map[string]string{"phase": "published"})

	// Amendments for 2027: a population update and a community joining.
	admin.must(200, "PUT", "/api/communities/glud", map[string]any{"population": 3500, "population_date": "2026-06-30"})
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "hvirring", Name: "Hvirring", Population: 500, Fund: "pulje"})
	admin.must(200, "POST", "/api/funds/pulje/tranches/2026/close", nil)

	// 2027: barrit spends its share and what it carried over.
	co, v = e.roundIn("barrit", "barrit-2027", 2027, 2, true)
	co.must(201, "POST", "/api/rounds/barrit-2027/ballots", e.ballotLeaf("barrit-2027", v, 0, "bibliotek", "legeplads"))
	co.must(200, "POST", "/api/rounds/barrit-2027/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2027/phase", map[string]string{"phase": "published"})

	// The real server on a port, and pbverify over HTTP with the anchors
	// as the fund's poster prints them.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	base := "http://" + ln.Addr().String()
	anchors := filepath.Join(t.TempDir(), "anchors.txt")
	if err := os.WriteFile(anchors, e.client().must(200, "GET", "/funds/pulje/anchors.txt", nil).Body, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	}
	out, code := run("fund", base+"/funds/pulje/ledger/", "-anchors", anchors, "-rounds")
	if code != 0 {
		t.Fatalf("pbverify fund --rounds: exit %d\n%s", code, out)
	}
	t.Logf("pbverify fund --rounds:\n%s", out)
	out, code = run("fund", base+"/funds/pulje/ledger/", "-anchors", anchors, "-rounds", "-json")
	if code != 0 {
		t.Fatalf("pbverify fund --json: exit %d\n%s", code, out)
	}
	var rep fund.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	verdicts := map[string]string{}
	for _, r := range rep.Rounds {
		verdicts[r.Round] = r.Status + "/" + r.Verdict
	}
	for round, want := range map[string]string{"barrit-2026": "published/verified", "glud-2026": "published/verified",
		"aale-2026": "cancelled/cancelled", "barrit-2027": "published/verified"} {
		if verdicts[round] != want {
			t.Errorf("round %s: %q, want %q (all: %v)", round, verdicts[round], want, verdicts)
		}
	}
	// The report is the fund page's arithmetic: every tranche and account
	// as the server's own view has it.
	var view service.FundView
	e.client().must(200, "GET", "/api/funds/pulje", nil).JSON(t, &view)
	if len(rep.Tranches) != len(view.Allocation) {
		t.Fatalf("%d tranches in the report, %d on the server", len(rep.Tranches), len(view.Allocation))
	}
	for i, tr := range rep.Tranches {
		sv := view.Allocation[i]
		if tr.Opened != sv.Opened || tr.Closed != sv.Closed || len(tr.Accounts) != len(sv.Accounts) {
			t.Errorf("tranche %d: report %+v, server %+v", tr.Year, tr, sv)
			continue
		}
		for j, ac := range tr.Accounts {
			s := sv.Accounts[j]
			if ac.Community != s.Community || ac.CarryIn != s.CarryIn || ac.Allocated != s.Allocated || ac.Spent != s.Spent || ac.Left != s.Left {
				t.Errorf("tranche %d: report %+v, server %+v", tr.Year, ac, s)
			}
		}
	}
	if !rep.Tranches[0].Closed || !rep.Tranches[1].Opened || len(rep.Tranches[1].Accounts) != 4 {
		t.Errorf("2026 closed %v, 2027 opened %v with %d members", rep.Tranches[0].Closed, rep.Tranches[1].Opened, len(rep.Tranches[1].Accounts))
	}

	// The record of a round says where its result links into the fund.
	out, code = run("record", base+"/rounds/barrit-2027/record/", "-anchors", writeAnchors(t, e, "barrit-2027"))
	if code != 0 || !strings.Contains(out, "fund") {
		t.Errorf("pbverify record: exit %d\n%s", code, out)
	}
}

// writeAnchors writes round's anchors.txt to a temporary file.
func writeAnchors(t *testing.T, e *testEnv, round string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "anchors.txt")
	if err := os.WriteFile(p, e.client().must(200, "GET", "/rounds/"+round+"/anchors.txt", nil).Body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFundPages renders the fund page and the fund poster in both
// languages: the formula in words, every round with its record, the one
// command that verifies the fund, the fund's anchors (as served, and as
// the poster's QR code decodes) and a QR code to the fund page.
func TestFundPages(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, _ := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	anchors := string(e.client().must(200, "GET", "/funds/pulje/anchors.txt", nil).Body)
	if _, err := fund.ParseAnchors([]byte(anchors)); err != nil {
		t.Fatalf("anchors.txt: %v", err)
	}
	verify := "pbverify fund " + testBase + "/funds/pulje/ledger/ --anchors anchors.txt --rounds"
	for _, lang := range []string{"da", "en"} {
		page := html.UnescapeString(string(e.client().must(200, "GET", "/f/pulje", nil, "Cookie", langCookie+"="+lang).Body))
		for _, want := range []string{verify, anchors, `href="/r/barrit-2026/record"`, `href="/f/pulje/poster"`, "pb.test/funds/pulje+"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s fund page lacks %q", lang, want)
			}
		}
		r := e.client().must(200, "GET", "/f/pulje/poster", nil, "Cookie", langCookie+"="+lang)
		poster := html.UnescapeString(string(r.Body))
		if !strings.Contains(poster, anchors) || !strings.Contains(poster, verify) {
			t.Errorf("%s poster lacks the anchors or the command", lang)
		}
		imgs := dataImages(t, r.Body)
		if len(imgs) != 2 {
			t.Fatalf("%s poster has %d QR codes", lang, len(imgs))
		}
		if _, err := exec.LookPath("zbarimg"); err != nil {
			t.Skip("zbarimg is not installed (apt-get install zbar-tools)")
		}
		if got := zbarDecode(t, imgs["qr-fund"]); got != testBase+"/f/pulje" {
			t.Errorf("%s fund QR = %q", lang, got)
		}
		if got := zbarDecode(t, imgs["qr-anchors"]); strings.TrimSuffix(got, "\n")+"\n" != anchors {
			t.Errorf("%s anchors QR = %q, want %q", lang, got, anchors)
		}
	}
	e.client().must(404, "GET", "/f/nope", nil)
	e.client().must(404, "GET", "/f/nope/poster", nil)
	e.client().must(404, "GET", "/funds/nope/anchors.txt", nil)
	e.client().must(404, "GET", "/funds/pulje/ledger/roll.txt", nil)
}

// TestAdminFundPage: the administrator opens a year, changes a
// population from the next year, cancels a frozen round and takes a
// community out through the HTML forms; each lands in the fund's ledger
// as its entry, and the page speaks both languages. A coordinator may not
// see it.
func TestAdminFundPage(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	e.roundIn("glud", "glud-2026", 2026, 2, false)
	form := func(c *client, path string, vals url.Values) {
		t.Helper()
		if r := c.do("POST", path, vals.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.Status != 303 {
			t.Fatalf("POST %s = %s", path, r)
		}
	}
	for _, lang := range []string{"da", "en"} {
		page := html.UnescapeString(string(admin.must(200, "GET", "/admin/funds/pulje", nil, "Accept-Language", lang).Body))
		for _, want := range []string{`action="/admin/funds/pulje/tranches/2027/open"`, `action="/admin/funds/pulje/tranches/2026/close"`,
			`action="/admin/communities/barrit"`, `action="/admin/rounds/glud-2026/cancel"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s admin fund page lacks %s", lang, want)
			}
		}
	}
	e.coordinator("barrit").must(403, "GET", "/admin/funds/pulje", nil)
	form(admin, "/admin/communities/barrit", url.Values{"name": {"Barrit"}, "population": {"1200"}, "population_date": {"2026-09-01"}})
	form(admin, "/admin/funds/pulje/tranches/2027/open", url.Values{})
	form(admin, "/admin/rounds/glud-2026/cancel", url.Values{})
	form(admin, "/admin/communities/glud/remove", url.Values{})
	leaves, err := ledger.ParseLines("leaves.txt", e.client().must(200, "GET", "/funds/pulje/ledger/leaves.txt", nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range leaves {
		first, _, _ := strings.Cut(string(l), "\n")
		kinds = append(kinds, strings.TrimPrefix(first, "pb-fund/v1 "))
	}
	got := strings.Join(kinds, " ")
	want := "charter amendment amendment opening reservation amendment opening cancellation amendment"
	if got != want {
		t.Errorf("ledger entries: %s\nwant %s", got, want)
	}
	if !bytes.Contains(leaves[5], []byte("population barrit 1200\npopulation-date 2026-09-01\n")) {
		t.Errorf("the population amendment is %q", leaves[5])
	}
}
