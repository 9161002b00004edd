//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// nofileVar, set for a pbserver process of the test binary, lowers its
// open-file limit (soft and hard) before main runs.
const nofileVar = "PBSERVER_TEST_NOFILE"

func setNofile(s string) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err != nil {
		panic("setrlimit: " + s + ": " + err.Error())
	}
}

// TestDescriptorExhaustion runs pbserver as a process with an open-file
// limit of 256 and opens three times as many idle connections. With the
// default limits the connections beyond -max-conns (derived from the
// limit: 128) are answered 503 and closed, so descriptors never run out;
// with -max-conns far above the limit, accept runs out of descriptors
// (EMFILE) and waits instead of ending the server. Either way, once the
// connections close, the server answers again and shuts down cleanly.
func TestDescriptorExhaustion(t *testing.T) {
	const limit, conns = 256, 768
	tests := []struct {
		name    string
		args    []string
		emfile  bool // accept runs out of descriptors
		refused int  // at least this many connections are answered and closed
	}{
		{"default limits", nil, false, conns - (limit - fdReserve)},
		{"max-conns above the descriptor limit", []string{"-max-conns", "100000", "-max-conns-per-ip", "0"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProcess(t, limit, tt.args...)
			addr := strings.TrimPrefix(p.base, "http://")
			var answered atomic.Int64
			var open []net.Conn
			var wg sync.WaitGroup
			for range conns {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				open = append(open, c)
				wg.Add(1)
				go func() {
					defer wg.Done()
					// An idle connection the server answers (503 or 429)
					// and closes.
					c.Read(make([]byte, 512))
					answered.Add(1)
				}()
			}
			// Wait for what the server does about them (no time limit:
			// the test's own timeout is the bound).
			for (tt.emfile && !strings.Contains(p.stderr.String(), "accept failed")) ||
				(!tt.emfile && answered.Load() < int64(tt.refused)) {
				if p.exited() {
					t.Fatalf("pbserver exited:\n%s", p.stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			for _, c := range open {
				c.Close()
			}
			wg.Wait()
			// The server answers again.
			resp, err := (&http.Client{Timeout: time.Minute}).Get(p.base + "/api/rounds")
			if err != nil {
				t.Fatalf("after the connections closed: %v\n%s", err, p.stderr.String())
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("after the connections closed: %s", resp.Status)
			}
			if got := strings.Contains(p.stderr.String(), "accept failed"); got != tt.emfile {
				t.Errorf("accept ran out of descriptors: %v, want %v\n%s", got, tt.emfile, p.stderr.String())
			}
			if err := p.stop(); err != nil {
				t.Errorf("shutdown: %v\n%s", err, p.stderr.String())
			}
		})
	}
}

// process is a pbserver process of the test binary.
type process struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan error
}

// startProcess starts pbserver on a temporary data directory and a free
// loopback port with the given open-file limit and waits until it serves.
func startProcess(t *testing.T, nofile int, args ...string) *process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, args...)
	cmd := exec.Command(exe, args...)
	race := os.Getenv("GORACE")
	if !strings.Contains(race, "atexit_sleep_ms") {
		race = strings.TrimSpace(race + " atexit_sleep_ms=0")
	}
	cmd.Env = []string{asMain + "=1", nofileVar + "=" + strconv.Itoa(nofile), "PB_ADMIN_PASSWORD=" + e2ePassword,
		"HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.Getenv("TMPDIR"), "GORACE=" + race}
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.exited() {
			cmd.Process.Kill()
			<-p.done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "pbserver: serving "); ok {
			p.base = u
			break
		}
	}
	go func() {
		io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	if p.base == "" {
		<-p.done
		t.Fatalf("pbserver did not serve:\n%s", p.stderr.String())
	}
	return p
}

func (p *process) exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the exit.
func (p *process) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
