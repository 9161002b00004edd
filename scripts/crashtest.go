//go:build ignore

// Crashtest kills pbserver with SIGKILL while ballots are being cast,
// restarts it, and after the last kill checks that every ballot the server
// acknowledged (201 or 200 with a receipt) is in the round's record, and
// that the record verifies with pbverify. Run it as scripts/crashtest
// [flags]; it prints a table of kills, acknowledged ballots, ballots found
// in the record and ballots lost, and exits 1 when any was lost or the
// record does not verify.
//
// Usage:
//
//	scripts/crashtest [-kills N] [-voters N] [-workers N] [-batch D]
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/scripts/internal/harness"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const (
	round    = "crash-2026"
	password = "crashtest-admin-password"
)

var (
	kills   = flag.Int("kills", 20, "how many times the server is killed (SIGKILL) under load")
	voters  = flag.Int("voters", 6000, "codes on the roll; each votes at most once")
	workers = flag.Int("workers", 32, "concurrent voters")
	batch   = flag.String("batch", "50ms", "the server's -batch")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "crashtest: %v\n", err)
		os.Exit(2)
	}
}

// server is the pbserver process under test.
type server struct {
	bin, data, addr string
	cmd             *exec.Cmd
	log             *os.File
}

func (s *server) start() error {
	s.cmd = exec.Command(s.bin, "-addr", s.addr, "-data", s.data, "-batch", *batch)
	s.cmd.Env = append(os.Environ(), "PB_ADMIN_PASSWORD="+password)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	// Wait until it answers (it may be checking the database).
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.addr + "/api/rounds")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pbserver did not start; see %s", s.log.Name())
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

func run() error {
	tmp, err := os.MkdirTemp("", "pb-crashtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, cmd := range []string{"pbserver", "pbverify"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, cmd), "./cmd/"+cmd).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(tmp, "server.log"))
	if err != nil {
		return err
	}
	s := &server{bin: filepath.Join(tmp, "pbserver"), data: filepath.Join(tmp, "data"), addr: addr, log: logf}
	if err := s.start(); err != nil {
		return err
	}
	base := "http://" + addr
	admin := harness.NewAdmin(base)
	codes, manifest, err := setupRound(admin, *voters)
	if err != nil {
		s.stop()
		return err
	}

	var next atomic.Int64 // the next voter
	type ack struct {
		leaf, receipt []byte
	}
	var mu sync.Mutex
	acked := map[int]ack{}
	perKill := make([]int, *kills+1)
	cast := func(cycle int, stop *atomic.Bool) {
		client := &http.Client{Timeout: time.Minute}
		for !stop.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(codes) {
				return
			}
			b := &ballot.Ballot{Round: round, Manifest: manifest, Approve: []string{[]string{"bibliotek", "legeplads", "shelter"}[i%3]}}
			b.Sign(ballot.DeriveKey(codes[i], round))
			leaf := b.Bytes()
			resp, err := client.Post(base+"/api/rounds/"+round+"/ballots", "text/plain", bytes.NewReader(leaf))
			if err != nil {
				continue // killed: not acknowledged
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && (resp.StatusCode == 201 || resp.StatusCode == 200) {
				mu.Lock()
				acked[i] = ack{leaf, body}
				perKill[cycle]++
				mu.Unlock()
			}
		}
	}
	// Each cycle casts until about its share of the roll is acknowledged,
	// at a random point past half of it, then kills the server.
	share := len(codes) / (*kills + 1)
	fmt.Printf("crashtest: %d kills, %d voters, %d workers, batch %s\n", *kills, *voters, *workers, *batch)
	fmt.Printf("%6s %14s\n", "kill", "acknowledged")
	for k := 0; k <= *kills; k++ {
		var stop atomic.Bool
		var wg sync.WaitGroup
		for range *workers {
			wg.Add(1)
			go func() { defer wg.Done(); cast(k, &stop) }()
		}
		target := share/2 + randInt(share/2+1)
		if k == *kills {
			target = share // the last cycle ends without a kill
		}
		for {
			mu.Lock()
			n := perKill[k]
			mu.Unlock()
			if n >= target || next.Load() >= int64(len(codes)) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if k < *kills {
			s.kill()
			stop.Store(true)
			wg.Wait()
			fmt.Printf("%6d %14d\n", k+1, perKill[k])
			if err := s.start(); err != nil {
				return err
			}
			continue
		}
		stop.Store(true)
		wg.Wait()
	}

	// Close, publish, verify.
	for _, ph := range []string{"closed", "published"} {
		if st, b := admin.Do("POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": ph}); st != 200 {
			s.stop()
			return fmt.Errorf("phase %s: %d %s", ph, st, b)
		}
	}
	rec, an, err := fetchRecord(base)
	if err != nil {
		s.stop()
		return err
	}
	var receipts []ledger.Source
	for i, a := range acked {
		receipts = append(receipts, ledger.Source{Name: fmt.Sprint("voter-", i), Bytes: a.receipt})
	}
	rep := ledger.Verify(rec, ledger.VerifyOptions{Anchors: an, Count: recount.Count, Receipts: receipts})
	inRecord := 0
	for _, rr := range rep.Receipts {
		if rr.Included && rr.Status == "counted" {
			inRecord++
		}
	}
	leaves := map[string]bool{}
	for _, l := range rec.Leaves {
		leaves[string(l)] = true
	}
	leafFound := 0
	for _, a := range acked {
		if leaves[string(a.leaf)] {
			leafFound++
		}
	}
	if leafFound < inRecord {
		inRecord = leafFound
	}
	anchors := filepath.Join(tmp, "anchors.txt")
	os.WriteFile(anchors, an.Bytes(), 0o644)
	out, perr := exec.Command(filepath.Join(tmp, "pbverify"), "record", base+"/rounds/"+round+"/record/", "--anchors", anchors).CombinedOutput()
	s.stop()

	total := len(acked)
	lost := total - inRecord
	fmt.Printf("%6s %14d  (after the last restart)\n", "-", perKill[*kills])
	fmt.Println()
	fmt.Printf("%6s %14s %10s %6s\n", "kills", "acknowledged", "in record", "lost")
	fmt.Printf("%6d %14d %10d %6d\n", *kills, total, inRecord, lost)
	verified := perr == nil && rep.OK()
	fmt.Printf("record: %d leaves; pbverify record: %s\n", len(rec.Leaves), map[bool]string{true: "VERIFIED", false: "FAILED"}[verified])
	if !verified {
		fmt.Printf("%s\n", out)
		var b bytes.Buffer
		rep.WriteText(&b)
		fmt.Print(b.String())
	}
	if lost > 0 || !verified {
		os.Exit(1)
	}
	return nil
}

func randInt(n int) int {
	if n <= 0 {
		return 0
	}
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

// setupRound makes a voting round with three projects and a roll of n
// random codes, and returns the codes and the manifest hash.
func setupRound(c *harness.Admin, n int) ([]ballot.Code, [32]byte, error) {
	if err := c.Login(password); err != nil {
		return nil, [32]byte{}, err
	}
	codes := make([]ballot.Code, n)
	keys := make([][32]byte, n)
	for i := range codes {
		codes[i], _ = ballot.NewCode(rand.Reader)
		keys[i] = ballot.PublicKey(ballot.DeriveKey(codes[i], round))
	}
	mh, err := harness.VotingRound(c, round, "Crashtest 2026", keys)
	return codes, mh, err
}

// fetchRecord downloads and parses the round's record and anchors.
func fetchRecord(base string) (*ledger.Record, *ledger.Anchors, error) {
	get := func(path string) ([]byte, error) {
		resp, err := http.Get(base + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(bufio.NewReader(resp.Body))
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("GET %s = %d", path, resp.StatusCode)
		}
		return b, err
	}
	ab, err := get("/rounds/" + round + "/anchors.txt")
	if err != nil {
		return nil, nil, err
	}
	an, err := ledger.ParseAnchors(ab)
	if err != nil {
		return nil, nil, err
	}
	rec, err := ledger.ParseRecord(func(name string) ([]byte, error) { return get("/rounds/" + round + "/record/" + name) })
	return rec, an, err
}
