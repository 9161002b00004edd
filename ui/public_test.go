package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

func TestPublicEndpoints(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	co := e.coordinator("barrit")
	pub := e.client()
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit"})

	// Before freeze: anchors without a manifest line; no log yet.
	an, err := ledger.ParseAnchors(pub.must(200, "GET", "/rounds/barrit-2026/anchors.txt", nil).Body)
	if err != nil || an.Manifest != "" || an.Round != "barrit-2026" {
		t.Fatalf("anchors before freeze = %+v, %v", an, err)
	}
	for _, path := range []string{"/rounds/barrit-2026/checkpoint", "/rounds/barrit-2026/manifest", "/rounds/barrit-2026/hashes.txt", "/rounds/barrit-2026/round.pb",
		"/rounds/barrit-2026/record/roll.txt", "/rounds/barrit-2026/record/leaves.txt", "/rounds/barrit-2026/record.tar",
		"/api/rounds/barrit-2026/consistency?old=1&size=1", "/api/rounds/barrit-2026/inclusion?hash=" + strings.Repeat("A", 43) + "="} {
		if r := pub.do("GET", path, nil); r.Status != 409 {
			t.Errorf("GET %s before freeze = %s, want 409", path, r)
		}
	}
	for _, path := range []string{"/rounds/nowhere/anchors.txt", "/rounds/nowhere/checkpoint", "/api/rounds/nowhere",
		"/api/rounds/nowhere/proposals", "/rounds/nowhere/record/roll.txt", "/rounds/barrit-2026/record/secrets.txt"} {
		if r := pub.do("GET", path, nil); r.Status != 404 {
			t.Errorf("GET %s = %s, want 404", path, r)
		}
	}
	// Text routes answer errors in text.
	if r := pub.do("GET", "/rounds/nowhere/checkpoint", nil); !strings.HasPrefix(string(r.Body), "no round nowhere") {
		t.Errorf("text error = %q", r.Body)
	}

	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	for _, p := range testProjects {
		co.must(200, "POST", "/api/rounds/barrit-2026/projects", p)
	}
	co.must(200, "DELETE", "/api/rounds/barrit-2026/projects/vaerksted", nil)
	co.must(404, "DELETE", "/api/rounds/barrit-2026/projects/vaerksted", nil)
	// The roll made offline (pbverify codes), uploaded; codes made by the
	// server would not replace it silently.
	v := newVoters(t, "barrit-2026", 12)
	co.must(200, "PUT", "/api/rounds/barrit-2026/roll", v.roll.Bytes())
	if r := co.do("POST", "/api/rounds/barrit-2026/codes", map[string]int{"count": 12, "reserve": 2}); r.Status != 409 || !strings.Contains(r.errorMsg(), "uploaded roll") {
		t.Errorf("codes over an uploaded roll = %s", r)
	}
	var rv RoundView
	pub.must(200, "GET", "/api/rounds/barrit-2026", nil).JSON(t, &rv)
	if rv.RollCount != 12 || rv.RollSource != "uploaded" || len(rv.Projects) != 3 || rv.Phase != core.PhaseReview {
		t.Errorf("round view = %+v", rv)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"})
	an, err = ledger.ParseAnchors(pub.must(200, "GET", "/rounds/barrit-2026/anchors.txt", nil).Body)
	if err != nil || an.Manifest == "" {
		t.Fatalf("anchors after freeze = %+v, %v", an, err)
	}
	manifest := pub.must(200, "GET", "/rounds/barrit-2026/manifest", nil).Body
	if !bytes.HasPrefix(manifest, []byte("pb-manifest/v1\nround barrit-2026\n")) {
		t.Errorf("manifest = %q", manifest)
	}
	if got := pub.must(200, "GET", "/rounds/barrit-2026/record/roll.txt", nil).Body; !bytes.Equal(got, v.roll.Bytes()) {
		t.Errorf("roll.txt differs from the uploaded roll")
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "voting"})

	logV := mustVerifier(t, an.LogKey)
	origin := "pb.test/barrit-2026"
	checkpoint := func() ledger.Checkpoint {
		t.Helper()
		c, err := ledger.OpenCheckpoint(pub.must(200, "GET", "/rounds/barrit-2026/checkpoint", nil).Body, origin, logV)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := checkpoint()
	var leaves [][]byte
	for i := range 7 {
		leaf := e.ballotLeaf("barrit-2026", v, i, testProjects[i%3].ID)
		leaves = append(leaves, leaf)
		pub.must(201, "POST", "/api/rounds/barrit-2026/ballots", leaf)
	}
	head := checkpoint()
	if head.Size != 8 {
		t.Fatalf("head size %d", head.Size)
	}
	// During voting: hashes, not contents.
	pub.must(409, "GET", "/rounds/barrit-2026/record/leaves.txt", nil)
	pub.must(409, "GET", "/rounds/barrit-2026/record/", nil)
	hashes := strings.Fields(string(pub.must(200, "GET", "/rounds/barrit-2026/hashes.txt", nil).Body))
	if len(hashes) != 8 {
		t.Fatalf("hashes.txt has %d lines", len(hashes))
	}
	var cp ProofView
	pub.must(200, "GET", fmt.Sprintf("/api/rounds/barrit-2026/consistency?old=%d&size=%d", old.Size, head.Size), nil).JSON(t, &cp)
	if err := tlog.CheckTree(decodeProof(t, cp.Proof), head.Size, head.Root, old.Size, old.Root); err != nil {
		t.Errorf("consistency proof %d→%d: %v", old.Size, head.Size, err)
	}
	for _, leaf := range leaves {
		h := tlog.RecordHash(leaf)
		var ip ProofView
		pub.must(200, "GET", "/api/rounds/barrit-2026/inclusion?hash="+urlB64(h[:]), nil).JSON(t, &ip)
		if ip.Size != head.Size || hashes[ip.Index] != base64.StdEncoding.EncodeToString(h[:]) {
			t.Errorf("inclusion = %+v", ip)
		}
		if err := tlog.CheckRecord(decodeProof(t, ip.Proof), head.Size, head.Root, ip.Index, h); err != nil {
			t.Errorf("inclusion proof: %v", err)
		}
	}
	for _, bad := range []string{"consistency?old=0&size=8", "consistency?old=3&size=99", "consistency?old=x&size=8",
		"consistency?size=8", "inclusion?hash=nope", "inclusion?hash=" + urlB64(make([]byte, 32)) + "&size=x"} {
		if r := pub.do("GET", "/api/rounds/barrit-2026/"+bad, nil); r.Status != 400 && r.Status != 404 {
			t.Errorf("GET %s = %s, want 400 or 404", bad, r)
		}
	}
	pub.must(404, "GET", "/api/rounds/barrit-2026/inclusion?hash="+urlB64(make([]byte, 32)), nil)

	// After close: the record; the result after publication.
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	pub.must(404, "GET", "/api/rounds/barrit-2026/result", nil)
	if got := pub.must(200, "GET", "/rounds/barrit-2026/record/results.txt", nil).Body; len(got) != 0 {
		t.Errorf("results.txt before publication = %q", got)
	}
	if idx := pub.must(200, "GET", "/rounds/barrit-2026/record/", nil).Body; string(idx) != "roll.txt\nleaves.txt\ncheckpoints.txt\nresults.txt\n" {
		t.Errorf("record index = %q", idx)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	co.must(409, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026")
	if rep.Counts.Counted != 7 || rep.Counts.Leaves != 9 {
		t.Errorf("counts = %+v", rep.Counts)
	}
	// The final checkpoint is co-signed and extends what was shown.
	final := pub.must(200, "GET", "/rounds/barrit-2026/checkpoint", nil).Body
	if _, err := ledger.OpenCheckpoint(final, origin, logV, mustVerifier(t, an.CouncilKey)); err != nil {
		t.Errorf("final checkpoint not co-signed: %v", err)
	}
	var res ResultView
	pub.must(200, "GET", "/api/rounds/barrit-2026/result", nil).JSON(t, &res)
	checkPB(t, pub, "barrit-2026", res)
	if res.Ballots != 7 || len(res.Projects) != 3 || res.Projects[0].Title == "" || !strings.HasPrefix(res.Note, "pb-result/v1\n") {
		t.Errorf("result = %+v", res)
	}
}

// checkPB downloads a round's .pb export and checks it against the
// published result.
func checkPB(t *testing.T, c *client, round string, res ResultView) {
	t.Helper()
	raw := c.must(200, "GET", "/rounds/"+round+"/round.pb", nil).Body
	pb, err := tally.ReadPB(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("round.pb: %v\n%s", err, raw)
	}
	var again bytes.Buffer
	if _, err := pb.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), raw) {
		t.Errorf("round.pb does not round-trip: %v", err)
	}
	el, err := pb.Election()
	if err != nil {
		t.Fatalf("round.pb election: %v", err)
	}
	if int64(len(el.Ballots)) != res.Ballots || len(el.Projects) != len(res.Projects) {
		t.Errorf("round.pb has %d ballots and %d projects, result %d and %d", len(el.Ballots), len(el.Projects), res.Ballots, len(res.Projects))
	}
	sel := map[string]string{}
	for _, row := range pb.Projects {
		sel[row.Fields[0]] = row.Fields[len(row.Fields)-1]
	}
	for _, p := range res.Projects {
		if want := map[bool]string{true: "1", false: "0"}[p.Funded]; sel[p.ID] != want {
			t.Errorf("round.pb selected %s = %q, want %q", p.ID, sel[p.ID], want)
		}
	}
}

func urlB64(b []byte) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(base64.StdEncoding.EncodeToString(b))
}

func decodeProof(t *testing.T, ss []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("proof hash %q", s)
		}
		out[i] = tlog.Hash(b)
	}
	return out
}

func TestSchedule(t *testing.T) {
	now := time.Date(2026, 5, 1, 18, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: now}
	e := newTestEnv(t, func(c *service.Config) { c.Now = clock.Now })
	e.seed()
	co := e.coordinator("barrit")
	co.must(201, "POST", "/api/rounds", service.RoundRequest{ID: "barrit-2026", Community: "barrit", Year: 2026, Title: "Barrit"})
	co.must(200, "POST", "/api/rounds/barrit-2026/schedule", map[string]string{"opens_at": "2026-05-01T21:00:00+02:00", "closes_at": "2026-05-01T21:00:00Z"})
	co.must(400, "POST", "/api/rounds/barrit-2026/schedule", map[string]string{"opens_at": "tomorrow"})
	co.must(400, "POST", "/api/rounds/barrit-2026/schedule", map[string]string{"opens_at": "2026-05-01T21:00:00Z", "closes_at": "2026-05-01T20:00:00Z"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "proposals"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "review"})
	co.must(200, "POST", "/api/rounds/barrit-2026/projects", testProjects[1]) // within the budget of 25,000
	co.must(200, "PUT", "/api/rounds/barrit-2026/roll", newVoters(t, "barrit-2026", 2).roll.Bytes())

	phase := func() core.Phase {
		var r core.Round
		co.must(200, "GET", "/api/rounds/barrit-2026", nil).JSON(t, &r)
		return r.Phase
	}
	ctx := context.Background()
	clock.set(now.Add(2 * time.Hour)) // 20:00 UTC: past the opening, but not frozen
	e.app.svc.RunSchedule(ctx)
	if p := phase(); p != core.PhaseReview {
		t.Fatalf("scheduler moved an unfrozen round to %s", p)
	}
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "frozen"})
	e.app.svc.RunSchedule(ctx)
	if p := phase(); p != core.PhaseVoting {
		t.Fatalf("after the opening time: %s", p)
	}
	co.must(409, "POST", "/api/rounds/barrit-2026/schedule", map[string]string{"opens_at": "2026-05-02T19:00:00Z"})
	e.app.svc.RunSchedule(ctx)
	if p := phase(); p != core.PhaseVoting {
		t.Fatalf("closed before the closing time: %s", p)
	}
	clock.set(now.Add(3 * time.Hour)) // 21:00 UTC: past the closing
	e.app.svc.RunSchedule(ctx)
	if p := phase(); p != core.PhaseClosed {
		t.Fatalf("after the closing time: %s", p)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
