//go:build ignore

// Bench-verify times "pbverify record" on demo records of growing size
// next to the 2-core Ed25519 verification bound measured in the same run,
// and prints a table. It builds pbverify from this tree, makes each record
// with "pbverify demo-record" (kept in -dir when given, and reused from
// there), then for each size: measures the bound (Ed25519 verifications
// on every core for -boundtime, before and after the run, averaged),
// runs "pbverify record DIR -anchors DIR/anchors.txt" and takes its wall
// time, CPU time and peak RSS (the child's rusage). The bound for N
// ballots is N divided by the verifications per second; the ratio is
// pbverify's time over it. On a machine shared with other work the wall
// times swing with the load, so the table also gives the CPU ratio:
// pbverify's CPU seconds over N times the CPU cost of one verification
// (measured by this process's rusage in the same loops), which the load
// barely moves. It asserts nothing: speed is measured here, never in
// tests.
//
// Usage:
//
//	scripts/bench-verify [-sizes 10000,100000,1000000] [-dir DIR] [-boundtime 3s]
package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	sizes := flag.String("sizes", "10000,100000,1000000", "comma-separated ballot counts")
	dir := flag.String("dir", "", "keep the demo records in `DIR` (reused when present)")
	boundTime := flag.Duration("boundtime", 3*time.Second, "how long each bound measurement runs")
	flag.Parse()
	work, err := os.MkdirTemp("", "bench-verify-")
	check(err)
	defer os.RemoveAll(work)
	if *dir == "" {
		*dir = work
	}
	bin := filepath.Join(work, "pbverify")
	run("go", "build", "-o", bin, "./cmd/pbverify")
	fmt.Printf("load before: %s (%d cores, GOMAXPROCS %d)\n", loadavg(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	type row struct {
		n                 int
		size              int64
		secs, bound, rate float64
		cpu, cpuBound     float64
		rss               int64
		ok                bool
	}
	var rows []row
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		rec := filepath.Join(*dir, fmt.Sprintf("demo-%d", n))
		if _, err := os.Stat(filepath.Join(rec, "anchors.txt")); err != nil {
			t0 := time.Now()
			run(bin, "demo-record", "-out", rec, "-ballots", strconv.Itoa(n), "-seed", "1")
			fmt.Printf("demo-record %d ballots: %.1f s\n", n, time.Since(t0).Seconds())
		}
		fi, err := os.Stat(filepath.Join(rec, "leaves.txt"))
		check(err)
		r1, c1 := verifyRate(*boundTime)
		cmd := exec.Command(bin, "record", rec, "-anchors", filepath.Join(rec, "anchors.txt"))
		cmd.Stderr = os.Stderr
		t0 := time.Now()
		out, err := cmd.Output()
		secs := time.Since(t0).Seconds()
		r2, c2 := verifyRate(*boundTime)
		rate := (r1 + r2) / 2
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := tv(ru.Utime) + tv(ru.Stime)
		rows = append(rows, row{n: n, size: fi.Size(), secs: secs, rate: rate, bound: float64(n) / rate,
			cpu: cpu, cpuBound: float64(n) * (c1 + c2) / 2,
			rss: ru.Maxrss / 1024, ok: err == nil && strings.Contains(string(out), "VERIFIED")})
	}
	fmt.Printf("load after: %s\n\n", loadavg())
	fmt.Printf("%9s %9s %8s %9s %8s %7s %8s %9s %7s %7s %s\n", "ballots", "leaves MB", "time s", "verify/s", "bound s", "ratio",
		"CPU s", "CPU bnd s", "CPU rt", "RSS MB", "verdict")
	for _, r := range rows {
		v := "VERIFIED"
		if !r.ok {
			v = "FAILED"
		}
		fmt.Printf("%9d %9.0f %8.2f %9.0f %8.2f %6.2fx %8.2f %9.2f %6.2fx %7d %s\n", r.n, float64(r.size)/1e6, r.secs, r.rate, r.bound,
			r.secs/r.bound, r.cpu, r.cpuBound, r.cpu/r.cpuBound, r.rss, v)
	}
}

// verifyRate returns Ed25519 verifications per second on every core (one
// goroutine per core, each verifying its own signature over a ballot-sized
// message), measured for d, and the CPU seconds one verification took.
func verifyRate(d time.Duration) (float64, float64) {
	msg := make([]byte, 300)
	var total atomic.Int64
	var wg, ready sync.WaitGroup
	start := make(chan struct{})
	var stop time.Time
	for w := range runtime.GOMAXPROCS(0) {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// 1024 different keys, messages and signatures, as a record's
			// ballots are, so that the loop does not run on warm data alone.
			type sigd struct{ pub, msg, sig []byte }
			var set []sigd
			for k := range 1024 {
				seed := make([]byte, 32)
				seed[0], seed[1], seed[2] = byte(w), byte(k), byte(k>>8)
				priv := ed25519.NewKeyFromSeed(seed)
				m := append([]byte(nil), msg...)
				m[0], m[1] = byte(k), byte(k>>8)
				set = append(set, sigd{priv.Public().(ed25519.PublicKey), m, ed25519.Sign(priv, m)})
			}
			ready.Done()
			<-start
			n := int64(0)
			for time.Now().Before(stop) {
				for range 100 {
					x := set[n%int64(len(set))]
					if !ed25519.Verify(x.pub, x.msg, x.sig) {
						panic("bad signature")
					}
					n++
				}
			}
			total.Add(n)
		}()
	}
	ready.Wait()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	stop = t0.Add(d)
	close(start)
	wg.Wait()
	el := time.Since(t0).Seconds()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)
	return float64(total.Load()) / el, cpu / float64(total.Load())
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-verify:", err)
		os.Exit(2)
	}
}
