//go:build ignore

// Loadtest measures ballot intake and the public pages of a real pbserver
// process. For each batch period it starts a server, makes a round with a
// roll of -keys keys and opens voting, signs a ballot for every key, then
// for each number of clients casts ballots for -dur (each client posts one
// ballot, waits for its receipt, posts the next) and prints ballots/s,
// latency p50/p95/p99, the server's CPU time per ballot (from
// /proc/PID/stat) and the ratio to the 2-core Ed25519 verification bound,
// measured in the same run, before and after. After the runs of a batch
// period it closes and publishes the round (timing each request) and
// opens its results page 8 times at once. Then it starts a server with the
// demo data and measures GET / (the fund overview), a round's page and
// its projector with -conns connections. It prints the load average with
// every table: the machine may be shared.
//
// Usage:
//
//	scripts/loadtest [-clients 16,64,256,1024] [-batch 50ms,100ms] [-dur 5s] [-keys 150000] [-conns 64] [-profile DIR]
//
// -profile DIR writes the server's CPU profile of each intake run to
// DIR/intake-BATCH.pprof (PB_CPUPROFILE), for go tool pprof.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/scripts/internal/harness"
)

const (
	round    = "load-2026"
	password = "loadtest-admin-password"
)

var (
	clientsFlag = flag.String("clients", "16,64,256,1024", "numbers of concurrent voters, comma-separated")
	batchFlag   = flag.String("batch", "50ms,100ms", "the server's -batch periods, comma-separated")
	dur         = flag.Duration("dur", 5*time.Second, "how long each intake run and each page run lasts")
	keys        = flag.Int("keys", 150000, "keys on each round's roll (ballots available to all runs of one batch period)")
	conns       = flag.Int("conns", 64, "connections for the page runs (0: skip them)")
	profile     = flag.String("profile", "", "directory for the server's CPU profiles of the intake runs")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(2)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run() error {
	clients, err := ints(*clientsFlag)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pb-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "pbserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/pbserver").CombinedOutput(); err != nil {
		return fmt.Errorf("go build pbserver: %v\n%s", err, out)
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
	}
	fmt.Printf("loadtest: %d CPUs, %s\n", runtime.NumCPU(), loadavg())
	type row struct {
		batch           string
		clients         int
		n               int
		rate            float64
		p50, p95, p99   time.Duration
		cpu             time.Duration // server CPU per ballot
		errs            int
		boundRate       float64
		verifyEach      time.Duration
		loadText        string
		ratio, cpuRatio float64
	}
	var rows []row
	type pubRow struct {
		batch                string
		ballots, views, errs int
		close, publish, view time.Duration
		load                 string
	}
	var pubs []pubRow
	for _, batch := range strings.Split(*batchFlag, ",") {
		batch = strings.TrimSpace(batch)
		var env []string
		if *profile != "" {
			env = append(env, "PB_CPUPROFILE="+filepath.Join(*profile, "intake-"+batch+".pprof"))
		}
		s, err := startServer(bin, filepath.Join(tmp, "data-"+batch), batch, false, env)
		if err != nil {
			return err
		}
		leaves, adm, err := setupRound(s.base, *keys)
		if err != nil {
			s.stop()
			return err
		}
		var next atomic.Int64
		for _, c := range clients {
			// The bound before and after the run, averaged: the machine
			// may be shared and its load change.
			b1, e1 := verifyBound(time.Second)
			ld := loadavg()
			cpu0 := s.cpu()
			t0 := time.Now()
			lat, n, errs := castFor(s.base, leaves, &next, c, *dur)
			el := time.Since(t0)
			cpu := s.cpu() - cpu0
			b2, e2 := verifyBound(time.Second)
			boundRate, each := (b1+b2)/2, (e1+e2)/2
			r := row{batch: batch, clients: c, n: n, errs: errs, boundRate: boundRate, verifyEach: each, loadText: ld}
			r.rate = float64(n) / el.Seconds()
			if n > 0 {
				r.p50, r.p95, r.p99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
				r.cpu = cpu / time.Duration(n)
			}
			r.ratio = r.rate / boundRate
			r.cpuRatio = float64(r.cpu) / float64(each)
			rows = append(rows, r)
			fmt.Printf("  batch %s, %d clients: %d ballots, %.0f/s, p99 %s, %s CPU a ballot (%s)\n", batch, c, n, r.rate, r.p99.Round(time.Millisecond), r.cpu.Round(time.Microsecond), ld)
			if next.Load() >= int64(len(leaves)) {
				fmt.Printf("  (the roll is used up: raise -keys)\n")
				break
			}
		}
		// Close and publish the round, then 8 first views of its
		// results page at once.
		ballots := int(min(next.Load(), int64(len(leaves))))
		ld := loadavg()
		t0 := time.Now()
		st, b := adm.Do("POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "closed"})
		closeTime := time.Since(t0)
		t0 = time.Now()
		if st == 200 {
			st, b = adm.Do("POST", "/api/rounds/"+round+"/phase", map[string]string{"phase": "published"})
		}
		publishTime := time.Since(t0)
		if st != 200 {
			s.stop()
			return fmt.Errorf("close and publish: %d %s", st, b)
		}
		t0 = time.Now()
		_, views, verrs := getFor(s.base+"/r/"+round+"/results", 8, 0)
		firstView := time.Since(t0)
		pubs = append(pubs, pubRow{batch: batch, ballots: ballots, close: closeTime, publish: publishTime, view: firstView, views: views, errs: verrs, load: ld})
		s.stop()
	}
	fmt.Println()
	fmt.Println("Ballot intake. bound: Ed25519 verifications/s on every core, measured before and after each run;")
	fmt.Println("ratio = ballots/s ÷ bound; CPU× = server CPU a ballot ÷ one verification's CPU on one core;")
	fmt.Println("1/CPU× = the share of the bound the server would reach with every core to itself.")
	fmt.Println()
	fmt.Printf("| %-6s | %7s | %8s | %9s | %7s | %7s | %7s | %9s | %4s | %6s | %8s | %5s | %4s | %-16s |\n",
		"batch", "clients", "ballots", "ballots/s", "p50", "p95", "p99", "CPU/ballot", "CPU×", "1/CPU×", "bound/s", "ratio", "errs", "load average")
	fmt.Println("|--------|---------|----------|-----------|---------|---------|---------|------------|------|--------|----------|-------|------|------------------|")
	for _, r := range rows {
		fmt.Printf("| %-6s | %7d | %8d | %9.0f | %7s | %7s | %7s | %10s | %4.1f | %6.2f | %8.0f | %5.2f | %4d | %-16s |\n",
			r.batch, r.clients, r.n, r.rate, ms(r.p50), ms(r.p95), ms(r.p99), r.cpu.Round(time.Microsecond), r.cpuRatio, 1/r.cpuRatio, r.boundRate, r.ratio, r.errs, r.loadText)
	}
	fmt.Println()
	fmt.Println("Closing and publishing the round of each batch period (one HTTP request each), then 8 first views")
	fmt.Println("of its results page at once")
	fmt.Println()
	fmt.Printf("| %-6s | %8s | %9s | %9s | %16s | %4s | %-16s |\n", "batch", "ballots", "close", "publish", "8 first views", "errs", "load average")
	fmt.Println("|--------|----------|-----------|-----------|------------------|------|------------------|")
	for _, p := range pubs {
		fmt.Printf("| %-6s | %8d | %9s | %9s | %16s | %4d | %-16s |\n", p.batch, p.ballots, ms(p.close), ms(p.publish), ms(p.view), p.errs, p.load)
	}
	if *conns <= 0 {
		return nil
	}

	// The public pages, on the demo data.
	s, err := startServer(bin, "", "1s", true, nil)
	if err != nil {
		return err
	}
	defer s.stop()
	pages := []string{"/", "/r/juelsminde-2026", "/p/barrit-2026", "/r/barrit-2026"}
	fmt.Println()
	fmt.Printf("Public pages, %d connections, %s each, anonymous, Accept-Language da\n\n", *conns, *dur)
	fmt.Printf("| %-22s | %8s | %7s | %7s | %10s | %4s | %-16s |\n", "page", "req/s", "p50", "p99", "CPU/req", "errs", "load average")
	fmt.Println("|------------------------|----------|---------|---------|------------|------|------------------|")
	for _, p := range pages {
		ld := loadavg()
		cpu0 := s.cpu()
		t0 := time.Now()
		lat, n, errs := getFor(s.base+p, *conns, *dur)
		el := time.Since(t0)
		cpu := s.cpu() - cpu0
		var per time.Duration
		if n > 0 {
			per = cpu / time.Duration(n)
		}
		fmt.Printf("| %-22s | %8.0f | %7s | %7s | %10s | %4d | %-16s |\n", "GET "+p, float64(n)/el.Seconds(), ms(pct(lat, 50)), ms(pct(lat, 99)), per.Round(100*time.Nanosecond), errs, ld)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

func pct(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := (len(lat)*p + 99) / 100
	if i > 0 {
		i--
	}
	return lat[i]
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// verifyBound returns how many Ed25519 verifications per second every
// core together does, and the time of one on one core.
func verifyBound(d time.Duration) (float64, time.Duration) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := bytes.Repeat([]byte("pb-ballot/v1 "), 20)
	sig := ed25519.Sign(priv, msg)
	var total atomic.Int64
	var cpu atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	t0 := time.Now()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			c0 := threadCPU()
			n := 0
			for time.Now().Before(stop) {
				for range 64 {
					if !ed25519.Verify(pub, msg, sig) {
						panic("verify")
					}
				}
				n += 64
			}
			cpu.Add(int64(threadCPU() - c0))
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	rate := float64(total.Load()) / time.Since(t0).Seconds()
	each := time.Duration(cpu.Load() / max(total.Load(), 1))
	return rate, each
}

// threadCPU is the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	// CLOCK_THREAD_CPUTIME_ID = 3
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	if e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// castFor runs c voters casting leaves (from *next on) for d or until the
// leaves run out; it returns the latencies of the ballots acknowledged
// (201), their number and the number of errors.
func castFor(base string, leaves [][]byte, next *atomic.Int64, c int, d time.Duration) ([]time.Duration, int, int) {
	url := base + "/api/rounds/" + round + "/ballots"
	return loadFor(c, d, 2*time.Minute, false, http.StatusCreated, func() (*http.Request, bool) {
		i := next.Add(1) - 1
		if i >= int64(len(leaves)) {
			return nil, false
		}
		req, _ := http.NewRequest("POST", url, bytes.NewReader(leaves[i]))
		req.Header.Set("Content-Type", "text/plain")
		return req, true
	})
}

// getFor runs c connections getting url for d (at least once each),
// anonymous, in Danish.
func getFor(url string, c int, d time.Duration) ([]time.Duration, int, int) {
	return loadFor(c, d, time.Minute, true, http.StatusOK, func() (*http.Request, bool) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Accept-Language", "da")
		return req, true
	})
}

// loadFor runs c connections for d, each sending the requests next makes
// (until it reports false) one after the other, at least one each when
// once is set. It returns the latencies of the answers with status want,
// their number and the number of other answers and errors.
func loadFor(c int, d, timeout time.Duration, once bool, want int, next func() (*http.Request, bool)) ([]time.Duration, int, int) {
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout}
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for first := once; first || time.Now().Before(stop); first = false {
				req, ok := next()
				if !ok {
					break
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, len(lat), int(errs.Load())
}

// server is a pbserver process.
type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(bin, data, batch string, demo bool, env []string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"-addr", addr, "-batch", batch, "-max-conns-per-ip", "0", "-log-format", "json"}
	if data != "" {
		args = append(args, "-data", data)
	}
	if demo {
		args = append(args, "-demo")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "PB_ADMIN_PASSWORD="+password), env...)
	logf, err := os.CreateTemp("", "pb-loadtest-server-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/api/rounds")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("pbserver did not start; see %s", logf.Name())
}

// cpu is the server process's user and system CPU time so far.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

// setupRound makes a voting round with three projects and a roll of n
// random keys and returns a signed ballot leaf for every key (signed on
// every core) and the administrator's client.
func setupRound(base string, n int) ([][]byte, *harness.Admin, error) {
	c := harness.NewAdmin(base)
	if err := c.Login(password); err != nil {
		return nil, nil, err
	}
	privs := make([]ed25519.PrivateKey, n)
	pubs := make([][32]byte, n)
	for i := range privs {
		var seed [32]byte
		rand.Read(seed[:])
		privs[i] = ed25519.NewKeyFromSeed(seed[:])
		pubs[i] = ballot.PublicKey(privs[i])
	}
	mh, err := harness.VotingRound(c, round, "Loadtest 2026", pubs)
	if err != nil {
		return nil, nil, err
	}
	leaves := make([][]byte, n)
	var wg sync.WaitGroup
	w := runtime.NumCPU()
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += w {
				b := &ballot.Ballot{Round: round, Manifest: mh, Approve: []string{harness.Projects[i%3]}}
				rand.Read(b.Cast[:])
				b.Sign(privs[i])
				leaves[i] = b.Bytes()
			}
		}()
	}
	wg.Wait()
	return leaves, c, nil
}
