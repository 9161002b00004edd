package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
	"github.com/hedensted-pb/pb/ui/store"
)

func TestBallotRejections(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, v := e.votingRound("barrit-2026", 10, service.RoundRequest{})
	_, v2 := e.votingRound("barrit-2027", 5, service.RoundRequest{Year: 2027})
	fr, _ := e.app.svc.FrozenRound(context.Background(), "barrit-2026")
	resident := e.client()
	good := e.ballotLeaf("barrit-2026", v, 0, "bibliotek")

	// A ballot signed by a key outside the roll.
	stranger := newVoters(t, "barrit-2026", 1)
	// A ballot with a wrong manifest hash.
	wrongManifest := &ballot.Ballot{Round: "barrit-2026", Manifest: [32]byte{1}, Approve: []string{"bibliotek"}}
	wrongManifest.Sign(ballot.DeriveKey(v.codes[1], "barrit-2026"))
	// A bad signature.
	badSig := bytes.Replace(e.ballotLeaf("barrit-2026", v, 2, "shelter"), []byte("approve shelter"), []byte("approve legeplads"), 1)
	// Over the limit (approval of at most 3).
	over := e.ballotLeaf("barrit-2026", v, 3, "bibliotek", "legeplads", "shelter", "vaerksted")
	// An unknown project.
	unknown := e.ballotLeaf("barrit-2026", v, 3, "svoemmehal")
	// Not canonical: unsorted, CRLF, trailing space.
	unsorted := e.ballotLeaf("barrit-2026", v, 3, "shelter", "bibliotek")
	crlf := bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n"))
	trailing := bytes.Replace(good, []byte("bibliotek\n"), []byte("bibliotek \n"), 1)

	before := e.storeSnapshot()
	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		msg    string
	}{
		{"empty", "/api/rounds/barrit-2026/ballots", nil, 400, "not a canonical ballot"},
		{"garbage", "/api/rounds/barrit-2026/ballots", []byte("hello\n"), 400, "not a canonical ballot"},
		{"crlf", "/api/rounds/barrit-2026/ballots", crlf, 400, "not a canonical ballot"},
		{"trailing space", "/api/rounds/barrit-2026/ballots", trailing, 400, "not a canonical ballot"},
		{"unsorted choices", "/api/rounds/barrit-2026/ballots", unsorted, 400, "not a canonical ballot"},
		{"wrong round", "/api/rounds/barrit-2027/ballots", good, 400, "ballot is for round barrit-2026, not barrit-2027"},
		{"no such round", "/api/rounds/nowhere/ballots", good, 404, "no round nowhere"},
		{"unknown key", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", stranger, 0, "bibliotek"), 403, "not on the round's roll"},
		{"wrong manifest", "/api/rounds/barrit-2026/ballots", wrongManifest.Bytes(), 400, "another manifest"},
		{"bad signature", "/api/rounds/barrit-2026/ballots", badSig, 400, "signature does not verify"},
		{"over the limit", "/api/rounds/barrit-2026/ballots", over, 400, "choices break the round's rules"},
		{"unknown project", "/api/rounds/barrit-2026/ballots", unknown, 400, "choices break the round's rules"},
		{"oversized", "/api/rounds/barrit-2026/ballots", bytes.Repeat([]byte("a"), maxBallotBody+1), 413, "too large"},
		{"other round's key", "/api/rounds/barrit-2027/ballots", e.ballotLeaf("barrit-2027", v, 0, "bibliotek"), 403, "not on the round's roll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != nil {
				body = tt.body
			}
			r := resident.do("POST", tt.path, body)
			if r.Status != tt.status || !strings.Contains(r.errorMsg(), tt.msg) {
				t.Errorf("POST %s = %s, want %d with %q", tt.path, r, tt.status, tt.msg)
			}
		})
	}
	if after := e.storeSnapshot(); after != before {
		t.Errorf("rejected ballots changed the store")
	}

	// One ballot per key under revote none; a repeat gets the same receipt.
	first := resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", good)
	again := resident.must(200, "POST", "/api/rounds/barrit-2026/ballots", good)
	if !bytes.Equal(first.Body, again.Body) {
		t.Errorf("repeated submission got another receipt:\n%s\n%s", first.Body, again.Body)
	}
	// A later batch does not change the repeat's receipt.
	resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 5, "shelter"))
	if again := resident.must(200, "POST", "/api/rounds/barrit-2026/ballots", good); !bytes.Equal(first.Body, again.Body) {
		t.Errorf("repeat after a later batch got another receipt")
	}
	rc, err := ledger.ParseReceipt(first.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Verify(fr.Origin, fr.LogVerifier); err != nil {
		t.Errorf("receipt does not verify: %v", err)
	}
	if first.Header.Get("X-PB-Tracker") != rc.Tracker() {
		t.Errorf("tracker header %q, want %q", first.Header.Get("X-PB-Tracker"), rc.Tracker())
	}
	second := e.ballotLeaf("barrit-2026", v, 0, "legeplads")
	r := resident.must(409, "POST", "/api/rounds/barrit-2026/ballots", second)
	if !strings.Contains(r.errorMsg(), "already been used") {
		t.Errorf("second ballot = %s", r)
	}

	// A voided key cannot vote; the void is a council-signed leaf.
	key := ballot.PublicKey(ballot.DeriveKey(v.codes[6], "barrit-2026"))
	var out map[string]int64
	co.must(201, "POST", "/api/rounds/barrit-2026/voids", service.VoidRequest{Key: base64.StdEncoding.EncodeToString(key[:]), Reason: "Stjålet stemmeseddel"}).JSON(t, &out)
	err = e.store.View(context.Background(), func(tx *store.Tx) error {
		r, err := tx.Round("barrit-2026")
		if err != nil {
			return err
		}
		if len(r.VoidLeaves) != 1 || r.VoidLeaves[0] != out["index"] {
			t.Errorf("void leaves %v, want [%d]", r.VoidLeaves, out["index"])
		}
		log, err := tx.Audit(10)
		if err != nil || !slices.ContainsFunc(log, func(en core.AuditEntry) bool { return en.Action == "void" }) {
			t.Errorf("audit log %+v lacks the void (%v)", log, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r = resident.must(409, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 6, "shelter"))
	if !strings.Contains(r.errorMsg(), "voided") {
		t.Errorf("ballot of a voided key = %s", r)
	}
	co.must(409, "POST", "/api/rounds/barrit-2026/voids", service.VoidRequest{Key: base64.StdEncoding.EncodeToString(key[:]), Reason: "Igen"})
	co.must(400, "POST", "/api/rounds/barrit-2026/voids", service.VoidRequest{Key: "AAAA", Reason: "Dårlig nøgle"})
	co.must(400, "POST", "/api/rounds/barrit-2026/voids", service.VoidRequest{Key: base64.StdEncoding.EncodeToString(make([]byte, 32)), Reason: "Ikke på listen"})
	e.coordinator("glud").must(403, "POST", "/api/rounds/barrit-2026/voids", service.VoidRequest{Key: base64.StdEncoding.EncodeToString(key[:]), Reason: "Fremmed"})

	// Wrong phase: closed.
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	r = resident.must(409, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 7, "shelter"))
	if !strings.Contains(r.errorMsg(), "closed") || r.errorCode() != "closed" {
		t.Errorf("ballot after close = %s", r)
	}
	// The repeat of a logged ballot still gets its receipt after close.
	if again := resident.must(200, "POST", "/api/rounds/barrit-2026/ballots", good); !bytes.Equal(first.Body, again.Body) {
		t.Errorf("repeat after close got another receipt")
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026", first.Body)
	if rep.Counts.Voids != 1 || rep.Counts.Counted != 2 {
		t.Errorf("counts = %+v", rep.Counts)
	}
	_ = v2
}

// verifyRound downloads a round's record and verifies it with the
// round's anchors and the given receipts; it fails the test unless the
// record verifies.
func verifyRound(t *testing.T, e *testEnv, round string, receipts ...[]byte) *ledger.Report {
	t.Helper()
	c := e.client()
	an, err := ledger.ParseAnchors(c.must(200, "GET", "/rounds/"+round+"/anchors.txt", nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	rec := fetchRecord(t, c, round)
	opts := ledger.VerifyOptions{Anchors: an, Count: recount.Count}
	for i, rc := range receipts {
		opts.Receipts = append(opts.Receipts, ledger.Source{Name: fmt.Sprint("receipt ", i), Bytes: rc})
	}
	rep := ledger.Verify(rec, opts)
	if !rep.OK() {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("record of %s does not verify:\n%s", round, b.String())
	}
	for _, rr := range rep.Receipts {
		if !rr.Included {
			t.Errorf("receipt %s not included: %s", rr.Source, rr.Problem)
		}
	}
	return rep
}

func TestRevoteLast(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, v := e.votingRound("barrit-2026", 5, service.RoundRequest{Revote: ballot.RevoteLast})
	resident := e.client()
	r1 := resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "bibliotek"))
	r2 := resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter"))
	// Two ballots of one key in the same batch keep their order.
	var wg sync.WaitGroup
	for _, ch := range [][]string{{"legeplads"}, {"vaerksted"}} {
		wg.Add(1)
		leaf := e.ballotLeaf("barrit-2026", v, 1, ch...)
		go func() {
			defer wg.Done()
			resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", leaf)
		}()
		wg.Wait() // sequential submission, so arrival order is known
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026", r1.Body, r2.Body)
	if rep.Counts.Superseded != 2 || rep.Counts.Counted != 2 {
		t.Errorf("counts = %+v", rep.Counts)
	}
	var res ResultView
	resident.must(200, "GET", "/api/rounds/barrit-2026/result", nil).JSON(t, &res)
	votes := map[string]int64{}
	for _, p := range res.Projects {
		votes[p.ID] = p.Votes
	}
	if votes["shelter"] != 1 || votes["vaerksted"] != 1 || votes["bibliotek"] != 0 || votes["legeplads"] != 0 {
		t.Errorf("votes = %v, want the last ballot of each key", votes)
	}
	if rep.Receipts[0].Status != "superseded" || rep.Receipts[1].Status != "counted" {
		t.Errorf("receipt statuses = %+v", rep.Receipts)
	}
}

// TestRevoteBackOverHTTP is issue 11's sequence through the API under
// revote last: A, B, then A cast anew (a new cast nonce) is a new ballot
// (201) with a new receipt naming the new leaf, and it counts; the first
// A's exact bytes sent again are refused (409 superseded); the new A sent
// again is answered 200 with its own receipt.
func TestRevoteBackOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, v := e.votingRound("barrit-2026", 3, service.RoundRequest{Revote: ballot.RevoteLast})
	resident := e.client()
	const path = "/api/rounds/barrit-2026/ballots"
	a1 := e.castLeaf("barrit-2026", v, 0, 1, "bibliotek")
	b := e.castLeaf("barrit-2026", v, 0, 1, "shelter")
	a2 := e.castLeaf("barrit-2026", v, 0, 2, "bibliotek")
	r1 := resident.must(201, "POST", path, a1)
	r2 := resident.must(201, "POST", path, b)
	r3 := resident.must(201, "POST", path, a2)
	rc, err := ledger.ParseReceipt(r3.Body)
	if err != nil || !bytes.Equal(rc.Extra, a2) || r3.Header.Get("X-PB-Index") != strconv.FormatInt(rc.Index, 10) {
		t.Fatalf("the new A's receipt: %v, %v", rc, err)
	}
	if res := resident.do("POST", path, a1); res.Status != 409 || res.errorCode() != "superseded" {
		t.Errorf("the first A replayed = %s, want 409 superseded", res)
	}
	if again := resident.must(200, "POST", path, a2); !bytes.Equal(again.Body, r3.Body) {
		t.Error("the counting ballot sent again got another receipt")
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026", r1.Body, r2.Body, r3.Body)
	var st []string
	for _, r := range rep.Receipts {
		st = append(st, r.Status)
	}
	if strings.Join(st, ",") != "superseded,superseded,counted" || rep.Counts.Counted != 1 {
		t.Errorf("receipt statuses %v, counts %+v", st, rep.Counts)
	}
	var res ResultView
	resident.must(200, "GET", "/api/rounds/barrit-2026/result", nil).JSON(t, &res)
	for _, p := range res.Projects {
		if want := map[bool]int64{true: 1}[p.ID == "bibliotek"]; p.Votes != want {
			t.Errorf("project %s: %d votes, want %d", p.ID, p.Votes, want)
		}
	}
}

func TestCastWithCode(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	_, v := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	ctx := context.Background()
	code := v.codes[0].String()
	cast, err := e.app.svc.CastWithCode(ctx, "barrit-2026", strings.ToLower(code), service.Choices{Approve: []string{"shelter", "bibliotek", "shelter"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ballot.ParseBallot(cast.Receipt.Extra)
	if err != nil || strings.Join(b.Approve, ",") != "bibliotek,shelter" {
		t.Fatalf("ballot = %+v, %v", b, err)
	}
	// A typo: the last character changed (to one it is not), which the
	// code's check character catches.
	typo := code[:len(code)-1] + "0"
	if code[len(code)-1] == '0' {
		typo = code[:len(code)-1] + "1"
	}
	_, err = e.app.svc.CastWithCode(ctx, "barrit-2026", typo, service.Choices{Approve: []string{"shelter"}})
	if status, msg, _, _ := PublicError(err); status != 400 || strings.Contains(msg, code[:8]) {
		t.Errorf("typo in code: %d %q", status, msg)
	}
	_, err = e.app.svc.CastWithCode(ctx, "barrit-2026", v.codes[1].Compact(), service.Choices{Approve: []string{"a", "b", "c", "d"}})
	if status, _, _, _ := PublicError(err); status != 400 {
		t.Errorf("too many choices: %v", err)
	}
	_, err = e.app.svc.CastWithCode(ctx, "barrit-2026", code, service.Choices{Approve: []string{"legeplads"}})
	if status, _, _, _ := PublicError(err); status != http.StatusConflict {
		t.Errorf("second ballot with a code: %v", err)
	}
}

func TestCumulativeBallots(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co, v := e.votingRound("barrit-2026", 4, service.RoundRequest{Ballot: ballot.BallotSpec{Kind: "cumulative", Total: 5, Cap: 3}})
	ctx := context.Background()
	if _, err := e.app.svc.CastWithCode(ctx, "barrit-2026", v.codes[0].Compact(), service.Choices{Points: map[string]int64{"shelter": 3, "bibliotek": 2, "legeplads": 0}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.app.svc.CastWithCode(ctx, "barrit-2026", v.codes[1].Compact(), service.Choices{Points: map[string]int64{"shelter": 4}})
	if status, _, _, _ := PublicError(err); status != 400 {
		t.Errorf("over the cap: %v", err)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	verifyRound(t, e, "barrit-2026")
	var res ResultView
	co.must(200, "GET", "/api/rounds/barrit-2026/result", nil).JSON(t, &res)
	checkPB(t, co, "barrit-2026", res)
}

// TestFrozenCacheKeys is the regression test for cache keys that aliased
// fasthttp's reused request buffer: after a ballot for one round, requests
// naming another round id of the same length must not rename the cache
// entry.
func TestFrozenCacheKeys(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	_, v := e.votingRound("barrit-2026", 3, service.RoundRequest{})
	resident := e.client()
	leaf := e.ballotLeaf("barrit-2026", v, 0, "bibliotek")
	resident.must(201, "POST", "/api/rounds/barrit-2026/ballots", leaf)
	for _, id := range []string{"barrit-2027", "xxxxxx-9999", "barrit-2028"} {
		resident.do("POST", "/api/rounds/"+id+"/ballots", []byte("hello\n"))
		resident.do("GET", "/api/rounds/"+id, nil)
	}
	// A cache entry renamed by a reused request buffer would answer for
	// another round id, or be missing for its own.
	for _, id := range []string{"barrit-2026", "barrit-2027", "xxxxxx-9999", "barrit-2028"} {
		fr, err := e.app.svc.FrozenRound(context.Background(), id)
		if err == nil && fr.ID != id {
			t.Errorf("frozen data for %q is round %q", id, fr.ID)
		}
		if (err == nil) != (id == "barrit-2026") {
			t.Errorf("FrozenRound(%q): %v", id, err)
		}
	}
}
