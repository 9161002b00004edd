//go:build ignore

// Logins measures what password guessers do to a real administrator's
// sign-in. It starts pbserver (built from this tree, or -bin) on a
// temporary data directory with the default argon2 cost, signs the
// administrator in once (keeping the device cookie, as a browser would),
// then lets -guessers clients guess the administrator's password as fast
// as they can, each from its own loopback address (127.0.0.2, 127.0.0.3,
// ...), for -for. Every -every during the attack the administrator signs
// in twice from 127.0.0.1: from the known browser (device cookie) and
// from a new one (no cookie). It prints the guessers' answers and the
// administrator's sign-in times. It asserts nothing.
//
// Usage:
//
//	scripts/logins [-guessers 64] [-for 20s] [-every 2s] [-spread] [-bin PATH]
//
// -spread makes each guess use another account name, so that no account's
// own lock helps and only the per-client limit and the hashing lanes do.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const password = "the administrator's long password"

func main() {
	guessers := flag.Int("guessers", 64, "concurrent password guessers, one loopback address each")
	dur := flag.Duration("for", 20*time.Second, "how long the guessers guess")
	every := flag.Duration("every", 2*time.Second, "how often the administrator signs in during the attack")
	bin := flag.String("bin", "", "pbserver binary (default: built from this tree)")
	spread := flag.Bool("spread", false, "guess other names (one per guess) instead of the administrator's")
	flag.Parse()
	if err := run(*guessers, *dur, *every, *bin, *spread); err != nil {
		fmt.Fprintln(os.Stderr, "logins:", err)
		os.Exit(1)
	}
}

func run(guessers int, dur, every time.Duration, bin string, spread bool) error {
	tmp, err := os.MkdirTemp("", "pb-logins-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "pbserver")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/pbserver").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	srv := exec.Command(bin, "-addr", addr, "-data", filepath.Join(tmp, "data"))
	srv.Env = append(os.Environ(), "PB_ADMIN_PASSWORD="+password)
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	for i := 0; ; i++ {
		if r, err := http.Get(base + "/api/funds"); err == nil {
			r.Body.Close()
			break
		}
		if i > 300 {
			return fmt.Errorf("server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	known := client("127.0.0.1")
	d0, st0 := signIn(known, base, "admin", password)
	target := "the administrator's password"
	if spread {
		target = "other names"
	}
	fmt.Printf("pbserver %s, %d guessers of %s for %s\n", bin, guessers, target, dur)
	fmt.Printf("before the attack: administrator signs in in %s (%d)\n\n", d0.Round(time.Millisecond), st0)

	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var mu sync.Mutex
	guesses := map[int]int{}
	var wg sync.WaitGroup
	for i := range guessers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(fmt.Sprintf("127.0.0.%d", 2+i%250))
			for n := 0; ctx.Err() == nil; n++ {
				name := "admin"
				if spread {
					name = fmt.Sprintf("user-%d-%d", i, n)
				}
				_, st := signIn(c, base, name, fmt.Sprintf("guess %d-%d", i, n))
				mu.Lock()
				guesses[st]++
				mu.Unlock()
			}
		}()
	}
	var knownT, freshT []time.Duration
	knownS, freshS := map[int]int{}, map[int]int{}
	tick := time.NewTicker(every)
	for ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		d, st := signIn(known, base, "admin", password)
		knownT, knownS[st] = append(knownT, d), knownS[st]+1
		d, st = signIn(client("127.0.0.1"), base, "admin", password)
		freshT, freshS[st] = append(freshT, d), freshS[st]+1
	}
	tick.Stop()
	wg.Wait()
	fmt.Printf("guessers' answers:            %s\n", statuses(guesses))
	fmt.Printf("administrator, known browser: %s; %s\n", statuses(knownS), times(knownT))
	fmt.Printf("administrator, new browser:   %s; %s\n", statuses(freshS), times(freshT))
	return nil
}

// client is an HTTP client with a cookie jar whose connections come from
// the loopback address ip.
func client(ip string) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Jar: jar, Timeout: 70 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1}}
}

// signIn posts to /api/login and returns how long it took and the status
// (0: no answer).
func signIn(c *http.Client, base, name, pw string) (time.Duration, int) {
	body, _ := json.Marshal(map[string]string{"name": name, "password": pw})
	start := time.Now()
	r, err := c.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return time.Since(start), 0
	}
	r.Body.Close()
	return time.Since(start), r.StatusCode
}

func statuses(m map[int]int) string {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d×%d", m[k], k))
	}
	return strings.Join(parts, " ")
}

func times(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no sign-ins"
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("median %s, max %s", r(s[len(s)/2]), r(s[len(s)-1]))
}
