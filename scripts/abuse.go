//go:build ignore

// Abuse starts pbserver on a temporary data directory and attacks it the
// cheap ways: many idle TCP connections, then many concurrent large
// request bodies. It prints what held: whether the server stayed up and
// answered, how the connections and bodies were refused, and the server's
// resident memory (VmRSS sampled during each attack, and the peak VmHWM).
// It makes no timed assertions; it exits 1 only when the server died or
// stopped answering after an attack.
//
// Usage:
//
//	scripts/abuse [-conns N] [-sources N] [-posts N] [-post-size BYTES] [-server-nofile N]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	conns      = flag.Int("conns", 25000, "idle connections to open")
	sources    = flag.Int("sources", 1, "source addresses 127.0.0.1..127.0.0.N the connections come from (per-address limits)")
	posts      = flag.Int("posts", 64, "concurrent large posts per target")
	postSize   = flag.Int("post-size", 8<<20, "bytes per large post")
	serverFile = flag.Int("server-nofile", 0, "the server's open-file limit (ulimit -n); 0: inherited")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "abuse: %v\n", err)
		os.Exit(2)
	}
}

type server struct {
	cmd  *exec.Cmd
	pid  int
	base string
	log  *os.File
	done chan struct{}
}

// memory returns the server's VmRSS and VmHWM in MiB.
func (s *server) memory() (rss, hwm int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			n, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "VmRSS:":
				rss = n / 1024
			case "VmHWM:":
				hwm = n / 1024
			}
		}
	}
	return rss, hwm
}

func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// sampleRSS samples VmRSS every 5 ms until stop is closed and returns the
// largest value seen.
func (s *server) sampleRSS(stop chan struct{}) chan int {
	out := make(chan int, 1)
	go func() {
		max := 0
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if r, _ := s.memory(); r > max {
				max = r
			}
			select {
			case <-stop:
				out <- max
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// probe sends GET /api/rounds from source address src on a new connection.
func probe(base, src string) string {
	d := &net.Dialer{Timeout: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := c.Get(base + "/api/rounds")
	if err != nil {
		return "error: " + err.Error()
	}
	resp.Body.Close()
	return resp.Status
}

func run() error {
	tmp, err := os.MkdirTemp("", "pb-abuse-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "pbserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/pbserver").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, _ := os.Create(filepath.Join(tmp, "server.log"))
	args := fmt.Sprintf("exec %q -addr %s -data %q", bin, addr, filepath.Join(tmp, "data"))
	if *serverFile > 0 {
		args = fmt.Sprintf("ulimit -n %d && %s", *serverFile, args)
	}
	cmd := exec.Command("sh", "-c", args)
	cmd.Env = append(os.Environ(), "PB_ADMIN_PASSWORD=abuse-admin-password")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, base: "http://" + addr, log: logf, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	defer func() {
		if s.alive() {
			cmd.Process.Signal(syscall.SIGTERM)
			<-s.done
		}
	}()
	for i := 0; ; i++ {
		if !s.alive() {
			return fmt.Errorf("pbserver exited at start:\n%s", readFile(logf.Name()))
		}
		if st := probe(s.base, "127.0.0.1"); st == "200 OK" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rss0, _ := s.memory()
	var rlim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rlim)
	fmt.Printf("abuse: pbserver pid %d on %s, RSS at start %d MiB; server ulimit -n %s, client ulimit -n %d\n",
		s.pid, addr, rss0, map[bool]string{true: strconv.Itoa(*serverFile), false: "inherited"}[*serverFile > 0], rlim.Cur)
	failed := false

	// 1. Idle connections.
	fmt.Printf("\n== %d idle connections from %d source address(es)\n", *conns, *sources)
	stop := make(chan struct{})
	rssMax := s.sampleRSS(stop)
	var opened, refused, dialErr atomic.Int64
	var held sync.Map
	statuses := map[string]int{}
	var stMu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for i := range *conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := fmt.Sprintf("127.0.0.%d", 1+i%*sources)
			d := net.Dialer{Timeout: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
			c, err := d.Dial("tcp", addr)
			<-sem
			if err != nil {
				dialErr.Add(1)
				return
			}
			opened.Add(1)
			held.Store(c, true)
			// The server answers a refused connection (503, 429) and
			// closes it; an accepted one stays idle until its read
			// timeout.
			r := bufio.NewReader(c)
			line, _ := r.ReadString('\n')
			held.Delete(c)
			c.Close()
			refused.Add(1)
			st := strings.TrimSpace(line)
			if f := strings.Fields(st); len(f) >= 2 {
				st = f[1]
			} else {
				st = "no answer (idle until closed)"
			}
			stMu.Lock()
			statuses[st]++
			stMu.Unlock()
		}()
	}
	// All dialled: probe while they are held.
	for len(sem) > 0 {
		time.Sleep(time.Millisecond)
	}
	during := probe(s.base, "127.0.0.254")
	holding := 0
	held.Range(func(_, _ any) bool { holding++; return true })
	close(stop)
	peak := <-rssMax
	// Let go of every connection.
	held.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	wg.Wait()
	after := probe(s.base, "127.0.0.1")
	_, hwm := s.memory()
	fmt.Printf("opened %d (dial errors %d); held open by the server at the end %d; answered and closed by the server: %s\n",
		opened.Load(), dialErr.Load(), holding, histogram(statuses))
	fmt.Printf("request from another address during the attack: %s\n", during)
	fmt.Printf("request after the connections closed:          %s\n", after)
	fmt.Printf("server alive: %v; RSS peak during %d MiB, VmHWM %d MiB\n", s.alive(), peak, hwm)
	if !s.alive() || after != "200 OK" {
		failed = true
	}

	// 2. Large bodies.
	for _, target := range []struct{ method, path string }{
		{"POST", "/check"},
		{"POST", "/api/rounds/r/ballots"},
		{"POST", "/admin/rounds/r/settings"},
		{"PUT", "/api/rounds/r/roll"},
	} {
		fmt.Printf("\n== %d concurrent %d-byte bodies: %s %s\n", *posts, *postSize, target.method, target.path)
		stop := make(chan struct{})
		rssMax := s.sampleRSS(stop)
		body := bytes.Repeat([]byte("x"), *postSize)
		statuses := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range *posts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(target.method, s.base+target.path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "text/plain")
				c := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
				st := "error"
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					st = strconv.Itoa(resp.StatusCode)
					if ra := resp.Header.Get("Retry-After"); ra != "" {
						st += " (Retry-After " + ra + ")"
					}
				} else if strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe") {
					st = "closed while sending (refused from its headers)"
				}
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		close(stop)
		peak := <-rssMax
		_, hwm := s.memory()
		after := probe(s.base, "127.0.0.1")
		fmt.Printf("answers: %s\n", histogram(statuses))
		fmt.Printf("server alive: %v, then answers: %s; RSS peak during %d MiB, VmHWM %d MiB\n", s.alive(), after, peak, hwm)
		if !s.alive() || after != "200 OK" {
			failed = true
		}
	}

	fmt.Printf("\nheld: %v\n", !failed)
	if failed {
		fmt.Printf("server log:\n%s\n", readFile(logf.Name()))
		os.Exit(1)
	}
	return nil
}

func histogram(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
