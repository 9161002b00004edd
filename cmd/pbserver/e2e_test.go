package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	fundlog "github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
	"github.com/hedensted-pb/pb/ui"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/demo"
	"github.com/hedensted-pb/pb/ui/service"
	"github.com/hedensted-pb/pb/ui/store"
)

const e2ePassword = "e2e-admin-password"

// server is a real pbserver on 127.0.0.1 with a data directory.
type server struct {
	t      *testing.T
	base   string
	stop   func() error
	stdout *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs serve on a fresh port with data directory dir ("" and
// demo for a temporary one) and waits until it answers.
func startServer(t *testing.T, dir string, demo bool) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Addr: ln.Addr().String(), Data: dir, Batch: 50 * time.Millisecond, Demo: demo,
		LogFormat: "text", AdminName: "admin", AdminPassword: e2ePassword}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() { done <- serve(ctx, cfg, ln, out, io.Discard) }()
	s := &server{t: t, base: "http://" + ln.Addr().String(), stdout: out}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	// serve prints its banner once it is listening.
	for !strings.Contains(out.String(), "pbserver: serving") {
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return s
}

// apiClient talks to the server over HTTP with a session.
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, base string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: time.Minute}}
}

func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "text/plain"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.csrf != "" {
		req.Header.Set(ui.CSRFHeader, c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *apiClient) must(want int, method, path string, body any) []byte {
	c.t.Helper()
	status, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	return b
}

func (c *apiClient) login(name, password string) {
	c.t.Helper()
	var s struct{ CSRF string }
	json.Unmarshal(c.must(200, "POST", "/api/login", map[string]string{"name": name, "password": password}), &s)
	c.csrf = s.CSRF
}

// fetchRecord downloads and parses a round's record over HTTP, the way
// pbverify does with a URL prefix.
func fetchRecord(t *testing.T, base, round string) (*ledger.Record, *ledger.Anchors) {
	t.Helper()
	get := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	an, err := ledger.ParseAnchors(get("/rounds/" + round + "/anchors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ledger.ParseRecord(func(name string) ([]byte, error) { return get("/rounds/" + round + "/record/" + name), nil })
	if err != nil {
		t.Fatal(err)
	}
	arch, err := ledger.ReadArchive(bytes.NewReader(get("/rounds/" + round + "/record.tar")))
	if err != nil {
		t.Fatal(err)
	}
	if len(arch.Leaves) != len(rec.Leaves) || !bytes.Equal(arch.Roll, rec.Roll) {
		t.Errorf("archive and record files differ")
	}
	return rec, an
}

// verify checks a record as pbverify does, with receipts.
func verify(t *testing.T, rec *ledger.Record, an *ledger.Anchors, receipts [][]byte) *ledger.Report {
	t.Helper()
	opts := ledger.VerifyOptions{Anchors: an, Count: recount.Count}
	for i, rc := range receipts {
		opts.Receipts = append(opts.Receipts, ledger.Source{Name: fmt.Sprint("receipt-", i), Bytes: rc})
	}
	rep := ledger.Verify(rec, opts)
	if !rep.OK() {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("record does not verify:\n%s", b.String())
	}
	for _, rr := range rep.Receipts {
		if !rr.Included || rr.Status != "counted" {
			t.Errorf("receipt %s: included %v, status %s, %s", rr.Source, rr.Included, rr.Status, rr.Problem)
		}
	}
	return rep
}

// castAll casts the ballot of every voter in idx (each sent sends times,
// concurrently) and returns one receipt per voter.
func castAll(t *testing.T, base, round string, manifest [32]byte, codes []ballot.Code, idx []int, sends int) [][]byte {
	t.Helper()
	projects := []string{"bibliotek", "legeplads", "shelter"}
	type result struct {
		voter int
		body  []byte
	}
	results := make(chan result, len(idx)*sends)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for _, i := range idx {
		b := &ballot.Ballot{Round: round, Manifest: manifest, Approve: []string{projects[i%3]}}
		if i%5 == 0 {
			b.Approve = []string{projects[0], projects[2]}
		}
		b.Sign(ballot.DeriveKey(codes[i], round))
		leaf := b.Bytes()
		for range sends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				resp, err := http.Post(base+"/api/rounds/"+round+"/ballots", "text/plain", bytes.NewReader(leaf))
				if err != nil {
					t.Errorf("voter %d: %v", i, err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 201 && resp.StatusCode != 200 {
					t.Errorf("voter %d: %d %s", i, resp.StatusCode, body)
					return
				}
				results <- result{i, body}
			}()
		}
	}
	wg.Wait()
	close(results)
	byVoter := map[int][]byte{}
	for r := range results {
		if prev, ok := byVoter[r.voter]; ok && !bytes.Equal(prev, r.body) {
			t.Errorf("voter %d got two different receipts", r.voter)
		}
		byVoter[r.voter] = r.body
	}
	var out [][]byte
	for _, i := range idx {
		out = append(out, byVoter[i])
	}
	return out
}

// setupRound creates a community's round over the API, with three
// projects and a roll of n codes, freezes it and opens voting.
func setupRound(t *testing.T, c *apiClient, round string, n int) ([]ballot.Code, [32]byte) {
	t.Helper()
	c.must(201, "POST", "/api/funds", map[string]any{"id": "pulje", "name": "Landdistriktspuljen", "total": 600_000,
		"years": []int{2026, 2027, 2028}, "formula": "equal"})
	c.must(201, "POST", "/api/communities", map[string]any{"id": "barrit", "name": "Barrit", "population": 720, "fund": "pulje"})
	c.must(201, "POST", "/api/rounds", map[string]any{"id": round, "community": "barrit", "year": 2026, "title": "Borgerbudget Barrit 2026"})
	c.must(200, "POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "proposals"})
	c.must(200, "POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "review"})
	for _, p := range []map[string]any{
		{"id": "bibliotek", "title": "Nyt bibliotek", "cost": 90_000, "category": "laering"},
		{"id": "legeplads", "title": "Legeplads", "cost": 60_000, "category": "fritid-og-faellesskab"},
		{"id": "shelter", "title": "Shelter i skoven", "cost": 40_000, "category": "fritid-og-faellesskab"},
	} {
		c.must(200, "POST", "/api/rounds/"+round+"/projects", p)
	}
	codes := make([]ballot.Code, n)
	keys := make([][32]byte, n)
	for i := range codes {
		codes[i], _ = ballot.NewCode(rand.Reader)
		keys[i] = ballot.PublicKey(ballot.DeriveKey(codes[i], round))
	}
	roll, err := ballot.NewRoll(round, keys)
	if err != nil {
		t.Fatal(err)
	}
	c.must(200, "PUT", "/api/rounds/"+round+"/roll", roll.Bytes())
	c.must(200, "POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "frozen"})
	c.must(200, "POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "voting"})
	manifest := c.must(200, "GET", "/rounds/"+round+"/manifest", nil)
	return codes, ballot.ManifestHash(manifest)
}

// TestEndToEnd runs the real server on a temporary data directory: a
// round made over the API, a few hundred ballots signed in Go and sent
// concurrently with repeats, close, publish, and the record downloaded
// over HTTP verifies with the verifier's code, every receipt included.
// A backup is taken from the running server.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, false)
	admin := newClient(t, s.base)
	admin.login("admin", e2ePassword)
	const voters = 260
	codes, manifest := setupRound(t, admin, "barrit-2026", voters)
	idx := make([]int, 240)
	for i := range idx {
		idx[i] = i
	}
	receipts := castAll(t, s.base, "barrit-2026", manifest, codes, idx, 2) // 480 requests, 240 ballots
	if t.Failed() {
		t.FailNow()
	}
	// The hot backup works while voting runs.
	backup := filepath.Join(t.TempDir(), "backup.db")
	env := map[string]string{"PB_ADMIN_PASSWORD": e2ePassword}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup", "-url", s.base, "-o", backup}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	st.View(context.Background(), func(tx *store.Tx) error {
		if n, _ := tx.Log("barrit-2026").Size(); n != 241 {
			t.Errorf("backup log size %d, want 241", n)
		}
		return nil
	})
	st.Close()
	// The backup signed out: its session is gone (the action log's newest
	// entries are its logout, the backup, its login).
	var audit []struct{ Account, Action string }
	if err := json.Unmarshal(admin.must(200, "GET", "/api/audit?limit=3", nil), &audit); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 3 || audit[0].Action != "logout" || audit[1].Action != "backup" || audit[2].Action != "login" {
		t.Errorf("action log after a backup: %+v, want logout, backup, login", audit)
	}
	if err := run(context.Background(), []string{"backup", "-url", s.base, "-o", backup}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Errorf("backup without a password succeeded")
	}

	admin.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	admin.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rec, an := fetchRecord(t, s.base, "barrit-2026")
	rep := verify(t, rec, an, receipts)
	if rep.Counts.Counted != 240 || rep.Counts.Roll != voters {
		t.Errorf("counts = %+v", rep.Counts)
	}
	var list []ui.RoundSummary
	json.Unmarshal(admin.must(200, "GET", "/api/rounds", nil), &list)
	if len(list) != 1 || list[0].RecordURL != s.base+"/rounds/barrit-2026/record/" {
		t.Errorf("rounds = %+v", list)
	}
	// The pbverify command itself, against the URL, with a receipt.
	runPbverify(t, list[0].RecordURL, an, receipts[0])
	if err := s.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// runPbverify builds cmd/pbverify and runs "pbverify record URL --anchors
// FILE" and "pbverify receipt FILE --record URL --anchors FILE", which
// must both verify.
func runPbverify(t *testing.T, url string, an *ledger.Anchors, receipt []byte) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build pbverify")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pbverify")
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/hedensted-pb/pb/cmd/pbverify").CombinedOutput(); err != nil {
		t.Fatalf("go build pbverify: %v\n%s", err, out)
	}
	anchors := filepath.Join(dir, "anchors.txt")
	rc := filepath.Join(dir, "receipt.tlog-proof")
	if err := os.WriteFile(anchors, an.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rc, receipt, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "record", url, "--anchors", anchors).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "VERIFIED") {
		t.Errorf("pbverify record %s: %v\n%s", url, err, out)
	}
	out, err = exec.Command(bin, "receipt", rc, "--record", url, "--anchors", anchors).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "VERIFIED") {
		t.Errorf("pbverify receipt --record %s: %v\n%s", url, err, out)
	}
}

// TestRestartEndToEnd stops the real server in the middle of voting and
// starts it again on the same data directory (on another port): the log
// continues and the final record verifies with every receipt.
func TestRestartEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, false)
	admin := newClient(t, s.base)
	admin.login("admin", e2ePassword)
	codes, manifest := setupRound(t, admin, "barrit-2026", 60)
	first := castAll(t, s.base, "barrit-2026", manifest, codes, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1)
	if err := s.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	s = startServer(t, dir, false)
	if !strings.Contains(s.stdout.String(), "administrator: admin (existing account)") {
		t.Errorf("banner after restart:\n%s", s.stdout.String())
	}
	admin = newClient(t, s.base)
	admin.login("admin", e2ePassword)
	// A voter from before the restart gets the same receipt again.
	again := castAll(t, s.base, "barrit-2026", manifest, codes, []int{3}, 1)
	if !bytes.Equal(again[0], first[3]) {
		t.Errorf("receipt after restart differs")
	}
	var more []int
	for i := 10; i < 40; i++ {
		more = append(more, i)
	}
	second := castAll(t, s.base, "barrit-2026", manifest, codes, more, 1)
	admin.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	admin.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rec, an := fetchRecord(t, s.base, "barrit-2026")
	rep := verify(t, rec, an, append(first, second...))
	if rep.Counts.Counted != 40 {
		t.Errorf("counts = %+v", rep.Counts)
	}
}

// TestDemo runs "pbserver -demo": the banner shows the URL, the admin
// login and voting codes; a printed code votes; the published demo round's
// record verifies; the temporary data directory is removed at exit.
func TestDemo(t *testing.T) {
	s := startServer(t, "", true)
	banner := s.stdout.String()
	for _, want := range []string{"pbserver: serving " + s.base, "administrator: admin (password from PB_ADMIN_PASSWORD)",
		"voting codes to try", "/rounds/juelsminde-2026/record/ --anchors anchors.txt",
		"pbverify fund " + s.base + "/funds/" + demo.Fund + "/ledger/ --anchors fund-anchors.txt --rounds"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	m := regexp.MustCompile(`data: +(\S+) \(temporary`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner has no data directory:\n%s", banner)
	}
	codes := regexp.MustCompile(`/v/barrit-2026#([0-9A-Z]{27})`).FindAllStringSubmatch(banner, -1)
	if len(codes) != 5 {
		t.Fatalf("banner has %d codes:\n%s", len(codes), banner)
	}
	var rounds []ui.RoundSummary
	c := newClient(t, s.base)
	json.Unmarshal(c.must(200, "GET", "/api/rounds", nil), &rounds)
	phases := map[string]core.Phase{}
	for _, r := range rounds {
		phases[r.ID] = r.Phase
	}
	if len(rounds) != 6 || phases["juelsminde-2026"] != core.PhasePublished || phases["barrit-2026"] != core.PhaseVoting ||
		phases["toerring-2026"] != core.PhaseReview || phases["stouby-2026"] != core.PhaseProposals || phases["glud-2027"] != core.PhaseDraft ||
		phases["hornsyld-2026"] != core.PhaseFrozen {
		t.Errorf("demo rounds = %+v", rounds)
	}
	var fund service.FundView
	json.Unmarshal(c.must(200, "GET", "/api/funds/"+demo.Fund, nil), &fund)
	if fund.Total != 1_500_000 || len(fund.Communities) != 29 || len(fund.Allocation) != 3 {
		t.Errorf("demo fund: total %d, %d communities, %d tranches", fund.Total, len(fund.Communities), len(fund.Allocation))
	}
	var rv ui.RoundView
	json.Unmarshal(c.must(200, "GET", "/api/rounds/barrit-2026", nil), &rv)
	cats := map[string]bool{}
	for _, p := range rv.Projects {
		cats[p.Category] = true
	}
	if len(cats) != 4 {
		t.Errorf("voting round has projects in %d categories", len(cats))
	}
	code, err := ballot.ParseCode(codes[0][1])
	if err != nil {
		t.Fatal(err)
	}
	manifest := ballot.ManifestHash(c.must(200, "GET", "/rounds/barrit-2026/manifest", nil))
	b := &ballot.Ballot{Round: "barrit-2026", Manifest: manifest, Approve: []string{rv.Projects[0].ID}}
	b.Sign(ballot.DeriveKey(code, "barrit-2026"))
	c.must(201, "POST", "/api/rounds/barrit-2026/ballots", b.Bytes())

	rec, an := fetchRecord(t, s.base, "juelsminde-2026")
	rep := verify(t, rec, an, nil)
	if rep.Counts.Counted != 44 {
		t.Errorf("demo counts = %+v", rep.Counts)
	}

	// The demo fund's ledger verifies with its rounds, as the banner's
	// pbverify fund command does: juelsminde published, barrit reserved
	// while it votes, hornsyld cancelled.
	fa, err := fundlog.ParseAnchors(c.must(200, "GET", "/funds/"+demo.Fund+"/anchors.txt", nil))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := fundlog.ParseLedger(func(name string) ([]byte, error) {
		return c.must(200, "GET", "/funds/"+demo.Fund+"/ledger/"+name, nil), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	frep := fundlog.VerifyLedger(fl, fundlog.VerifyOptions{Anchors: &fa, Rounds: func(round string) (*ledger.Record, error) {
		if round != "juelsminde-2026" {
			return nil, fs.ErrNotExist
		}
		rec, _ := fetchRecord(t, s.base, round)
		return rec, nil
	}})
	status := map[string]string{}
	for _, r := range frep.Rounds {
		status[r.Round] = r.Status + "/" + r.Verdict
	}
	if !frep.OK() || status["juelsminde-2026"] != "published/verified" || status["barrit-2026"] != "reserved/not published" ||
		status["hornsyld-2026"] != "cancelled/cancelled" {
		t.Errorf("demo fund: first failure %q, rounds %v", frep.FirstFailure(), status)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("temporary data directory %s still there: %v", m[1], err)
	}
}
