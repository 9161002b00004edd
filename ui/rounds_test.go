package ui

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// TestRoundLifecycle walks a round through every phase over the API and
// verifies the published record with the verifier's code.
func TestRoundLifecycle(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	resident := e.client()

	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026,
		Title: "Borgerbudget Barrit 2026"})
	var r core.Round
	co.must(200, "GET", "/api/rounds/barrit-2026", nil).JSON(t, &r)
	// 300,000 over three years, split 1000:3000 → barrit gets 25,000 a year.
	if r.Phase != core.PhaseDraft || r.Budget != 25_000 || r.Fund != "pulje" || r.LogOrigin != "pb.test/barrit-2026" {
		t.Fatalf("new round = %+v", r)
	}

	// Proposals from residents.
	resident.must(409, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Bænke", Description: "Flere bænke", EstimatedCost: 5000, Category: "social-omsorg"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	for _, p := range []service.ProposalRequest{
		{Title: "Bænke ved søen", Description: "Fem bænke", EstimatedCost: 8000, Category: "social-omsorg"},
		{Title: "Hundeskov", Description: "En indhegnet hundeskov", EstimatedCost: 12000, Category: "fritid-og-faellesskab"},
		{Title: "Guldbelagt rådhus", Description: "Alt i guld", EstimatedCost: 9_000_000, Category: "laering"},
	} {
		resident.must(201, "POST", "/api/rounds/barrit-2026/proposals", p)
	}
	co.must(409, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: true, Reason: "God idé"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	resident.must(409, "POST", "/api/rounds/barrit-2026/proposals", service.ProposalRequest{Title: "Sent", Description: "For sent", EstimatedCost: 1, Category: "laering"})

	// Review: accept two (one repriced), reject one.
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: true, Reason: "God idé", Cost: 9000})
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/2/decision", service.Decision{Accept: true, Reason: "Mange ønsker det", Project: "hundeskov"})
	r2 := co.must(409, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"})
	if !strings.Contains(r2.errorMsg(), "1 proposals still await a decision") {
		t.Errorf("freeze with a pending proposal: %s", r2)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/proposals/3/decision", service.Decision{Accept: false, Reason: "Over budget"})
	var props []ProposalView
	resident.must(200, "GET", "/api/rounds/barrit-2026/proposals", nil).JSON(t, &props)
	if len(props) != 3 || props[0].Project != "p001" || props[1].Project != "hundeskov" || props[2].Status != "rejected" || props[2].Reason != "Over budget" {
		t.Fatalf("proposals = %+v", props)
	}
	r2 = co.must(409, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"})
	if !strings.Contains(r2.errorMsg(), "attach a roll") {
		t.Errorf("freeze without roll: %s", r2)
	}
	v := newVoters(t, "barrit-2026", 30)
	co.must(200, "PUT", "/api/rounds/barrit-2026/roll", v.roll.Bytes())
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"})

	// Frozen: nothing that would change the manifest is accepted.
	before := e.storeSnapshot()
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/api/rounds/barrit-2026", map[string]string{"title": "Nyt navn"}},
		{"POST", "/api/rounds/barrit-2026/projects", service.ProjectRequest{ID: "ny", Title: "Ny", Cost: 1, Category: "laering"}},
		{"DELETE", "/api/rounds/barrit-2026/projects/hundeskov", nil},
		{"POST", "/api/rounds/barrit-2026/proposals/1/decision", service.Decision{Accept: false, Reason: "Fortryder"}},
		{"PUT", "/api/rounds/barrit-2026/roll", v.roll.Bytes()},
		{"POST", "/api/rounds/barrit-2026/codes", map[string]int{"count": 5}},
		{"POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"}},
	} {
		resp := co.do(tc.method, tc.path, tc.body)
		if resp.Status != http.StatusConflict || !strings.Contains(resp.errorMsg(), "frozen") {
			t.Errorf("%s %s on a frozen round = %s, want 409 mentioning frozen", tc.method, tc.path, resp)
		}
	}
	if after := e.storeSnapshot(); after != before {
		t.Errorf("refused changes to a frozen round changed the store")
	}
	anchorsText := resident.must(200, "GET", "/rounds/barrit-2026/anchors.txt", nil).Body
	anchors, err := ledger.ParseAnchors(anchorsText)
	if err != nil || anchors.Manifest == "" {
		t.Fatalf("anchors = %q, %v", anchorsText, err)
	}
	cp := resident.must(200, "GET", "/rounds/barrit-2026/checkpoint", nil).Body
	if _, err := ledger.OpenCheckpoint(cp, "pb.test/barrit-2026", mustVerifier(t, anchors.LogKey)); err != nil {
		t.Fatalf("checkpoint after freeze: %v\n%s", err, cp)
	}

	// Voting.
	resident.must(409, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "p001"))
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "voting"})
	var receipts [][]byte
	for i := range 20 {
		choice := []string{"hundeskov"}
		if i%3 == 0 {
			choice = []string{"hundeskov", "p001"}
		}
		resp := resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, i, choice...))
		receipts = append(receipts, resp.Body)
	}
	resident.must(409, "GET", "/rounds/barrit-2026/record/leaves.txt", nil)
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	resident.must(409, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 25, "p001"))
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})

	// The record verifies, with every receipt.
	rec := fetchRecord(t, resident, "barrit-2026")
	opts := ledger.VerifyOptions{Anchors: anchors, Count: recount.Count}
	for i, rc := range receipts {
		opts.Receipts = append(opts.Receipts, ledger.Source{Name: string(rune('a' + i)), Bytes: rc})
	}
	rep := ledger.Verify(rec, opts)
	if !rep.OK() {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("record does not verify:\n%s", b.String())
	}
	if rep.Counts.Counted != 20 || len(rep.Receipts) != 20 {
		t.Errorf("counts = %+v, receipts %d", rep.Counts, len(rep.Receipts))
	}
	var res ResultView
	resident.must(200, "GET", "/api/rounds/barrit-2026/result", nil).JSON(t, &res)
	if res.Ballots != 20 || res.Projects[0].ID != "hundeskov" || res.Projects[0].Votes != 20 || !res.Projects[0].Funded {
		t.Errorf("result = %+v", res)
	}
	var list []RoundSummary
	resident.must(200, "GET", "/api/rounds", nil).JSON(t, &list)
	if len(list) != 1 || list[0].Phase != core.PhasePublished || list[0].RecordURL != testBase+"/rounds/barrit-2026/record/" {
		t.Errorf("rounds = %+v", list)
	}
	// The fund now shows what barrit spent in 2026.
	var fund service.FundView
	resident.must(200, "GET", "/api/funds/pulje", nil).JSON(t, &fund)
	if got := fund.Allocation[0].Accounts[0]; got.Community != "barrit" || got.Spent != res.Spent || got.Unspent != 25_000-res.Spent {
		t.Errorf("fund account = %+v (spent %d)", got, res.Spent)
	}
	if got := fund.Allocation[1].Accounts[0]; got.CarryIn != 25_000-res.Spent {
		t.Errorf("carry-over into 2027 = %+v", got)
	}
	if fund.ResultHead != list[0].RecordURL && fund.ResultHead == "" {
		t.Errorf("fund has no result head")
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := ledger.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fetchRecord downloads a round's record through the public URLs.
func fetchRecord(t *testing.T, c *client, round string) *ledger.Record {
	t.Helper()
	rec, err := ledger.ParseRecord(func(name string) ([]byte, error) {
		return c.must(200, "GET", "/rounds/"+round+"/record/"+name, nil).Body, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The archive holds the same record.
	tar := c.must(200, "GET", "/rounds/"+round+"/record.tar", nil).Body
	rec2, err := ledger.ReadArchive(bytes.NewReader(tar))
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 bytes.Buffer
	rec.WriteArchive(&b1)
	rec2.WriteArchive(&b2)
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) || !bytes.Equal(tar, b1.Bytes()) {
		t.Errorf("record.tar differs from the record files")
	}
	return rec
}

// TestEmptyRound closes and publishes a round nobody voted in.
func TestEmptyRound(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, _ := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026")
	if rep.Counts.Ballots != 0 || rep.Counts.Leaves != 2 {
		t.Errorf("counts = %+v", rep.Counts)
	}
}

// TestResultChain publishes two rounds of one fund: the second result
// note's prev is the hash of the first, so the fund's results form one
// chain.
func TestResultChain(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, v := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	co.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter"))
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co2, _ := e.votingRound("barrit-2027", 3, service.RoundRequest{Year: 2027})
	co2.must(200, "POST", "/api/rounds/barrit-2027/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	co2.must(200, "POST", "/api/rounds/barrit-2027/phase", map[string]string{"phase": "published"})
	note := func(round string) []byte {
		var res ResultView
		co.must(200, "GET", "/api/rounds/"+round+"/result", nil).JSON(t, &res)
		return []byte(res.Note)
	}
	first, second := note("barrit-2026"), note("barrit-2027")
	body, _, _ := bytes.Cut(second, []byte("\n\n"))
	r2, err := ledger.ParseResult(append(body, '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if r2.Prev != ledger.NoteHash(first) {
		t.Errorf("second result's prev is not the hash of the first")
	}
	body, _, _ = bytes.Cut(first, []byte("\n\n"))
	r1, _ := ledger.ParseResult(append(body, '\n'))
	// The first result follows the fund's first opening; both results are
	// leaves of the fund's ledger, as the rounds' records hold them.
	leaves, err := ledger.ParseLines("leaves.txt", co.must(200, "GET", "/funds/pulje/ledger/leaves.txt", nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	var opening []byte
	var results [][]byte
	for _, l := range leaves {
		if opening == nil && bytes.HasPrefix(l, []byte("pb-fund/v1 opening\n")) {
			opening = l
		}
		if bytes.HasPrefix(l, []byte("pb-result/v1\n")) {
			results = append(results, l)
		}
	}
	if opening == nil || r1.Prev != ledger.NoteHash(opening) {
		t.Errorf("first result of the fund has prev %x, not the hash of the fund's first opening", r1.Prev)
	}
	if len(results) != 2 || !bytes.Equal(results[0], first) || !bytes.Equal(results[1], second) {
		t.Errorf("the fund ledger holds %d results, want the two notes in publication order", len(results))
	}
	verifyRound(t, e, "barrit-2027")
}

// TestFreezeWithCodes freezes a round with server-generated codes over the
// JSON API: one request makes the codes, attaches their roll, signs the
// manifest and answers with the slip sheet, once, every slip carrying the
// fingerprint of the round's anchors.txt.
func TestFreezeWithCodes(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	pub := e.client()
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	for _, p := range testProjects {
		co.must(200, "POST", "/api/rounds/barrit-2026/projects", p)
	}
	// Codes are made at freeze, from the review phase.
	if r := co.do("POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 12, Reserve: 2}); r.Status != 409 || !strings.Contains(r.errorMsg(), "review phase") {
		t.Errorf("codes in the proposals phase = %s", r)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	co.must(400, "POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 2, Reserve: 2})
	sheet := co.must(200, "POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 12, Reserve: 2})
	if sheet.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(sheet.Header.Get("Content-Type"), "text/html") {
		t.Errorf("sheet headers = %v", sheet.Header)
	}
	an, err := ledger.ParseAnchors(pub.must(200, "GET", "/rounds/barrit-2026/anchors.txt", nil).Body)
	if err != nil || an.Manifest == "" {
		t.Fatalf("anchors after freeze with codes = %+v, %v", an, err)
	}
	if got := sheet.Header.Get("PB-Manifest-Fingerprint"); got != an.Manifest {
		t.Errorf("PB-Manifest-Fingerprint = %q, anchors say %q", got, an.Manifest)
	}
	if n := bytes.Count(sheet.Body, []byte("Manifest: "+ballot.FormatFingerprint(an.Manifest))); n != 12 {
		t.Errorf("fingerprint on %d slips, want 12", n)
	}
	if n := bytes.Count(sheet.Body, []byte(">RESERVE<")); n != 2 {
		t.Errorf("%d reserve slips, want 2", n)
	}
	var r core.Round
	pub.must(200, "GET", "/api/rounds/barrit-2026", nil).JSON(t, &r)
	if r.Phase != core.PhaseFrozen || r.RollSource != "generated" || r.RollCount != 12 || r.RollReserve != 2 || r.Fingerprint != an.Manifest {
		t.Errorf("round after freeze with codes = %+v", r)
	}
	// The roll holds exactly the sheet's codes.
	roll, err := ballot.ParseRoll(pub.must(200, "GET", "/rounds/barrit-2026/record/roll.txt", nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{3}`).FindAll(sheet.Body, -1)
	if len(codes) != 12 {
		t.Fatalf("%d codes on the sheet", len(codes))
	}
	for _, s := range codes {
		c, err := ballot.ParseCode(string(s))
		if err != nil || !roll.Contains(ballot.PublicKey(ballot.DeriveKey(c, "barrit-2026"))) {
			t.Errorf("code %s: %v, or not on the roll", s, err)
		}
	}
	// No second sheet: the round is frozen, its roll signed.
	before := e.storeSnapshot()
	if r := co.do("POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 12, Reserve: 2, Replace: true}); r.Status != 409 || !strings.Contains(r.errorMsg(), "frozen") {
		t.Errorf("second sheet = %s", r)
	}
	if e.storeSnapshot() != before {
		t.Error("a refused second sheet changed the store")
	}
}

// TestFreezeWithCodesReplacesUpload: codes replace an uploaded roll only
// when asked to.
func TestFreezeWithCodesReplacesUpload(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	co.must(200, "POST", "/api/rounds/barrit-2026/projects", testProjects[1]) // within the budget of 25,000
	co.must(200, "PUT", "/api/rounds/barrit-2026/roll", newVoters(t, "barrit-2026", 3).roll.Bytes())
	co.must(409, "POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 5})
	co.must(200, "POST", "/api/rounds/barrit-2026/codes", service.CodesRequest{Count: 5, Replace: true})
	var r core.Round
	co.must(200, "GET", "/api/rounds/barrit-2026", nil).JSON(t, &r)
	if r.Phase != core.PhaseFrozen || r.RollSource != "generated" || r.RollCount != 5 {
		t.Errorf("round = %+v", r)
	}
}
