package ui

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/service"
)

// TestBodyLimits: the body limit is decided from the headers before the
// body is read: 64 KiB everywhere (the /check form and the admin forms
// included), 8 MiB for a roll upload with a free slot; an upload that
// finds every slot taken is answered 503 with Retry-After, and a slot is
// free again when its request is done.
func TestBodyLimits(t *testing.T) {
	env := newTestEnv(t)
	addr := env.listen()
	big := maxBody + 1
	upload := 1 << 20
	tests := []struct {
		name         string
		method, path string
		size         int
		fill         bool // every upload slot taken
		want         int  // 0: anything but 413 and 5xx
	}{
		{"check form", "POST", "/check", big, false, 413},
		{"ballot", "POST", "/api/rounds/r/ballots", big, false, 413},
		{"admin form", "POST", "/admin/rounds/r/settings", big, false, 413},
		{"login", "POST", "/api/login", big, false, 413},
		{"small body passes (then refused: text/plain)", "POST", "/api/login", 2, false, 415},
		{"roll upload 1 MiB (then refused: not signed in)", "PUT", "/api/rounds/r/roll", upload, false, 401},
		{"admin roll upload 1 MiB", "POST", "/admin/rounds/r/roll", upload, false, 0},
		{"roll upload over 8 MiB", "PUT", "/api/rounds/r/roll", maxUploadBody + 1, false, 413},
		{"roll upload, no slot free", "PUT", "/api/rounds/r/roll", upload, true, 503},
		{"small roll upload, no slot free", "PUT", "/api/rounds/r/roll", 1, true, 401},
		{"ballot, no upload slot free", "POST", "/api/rounds/r/ballots", 1, true, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fill {
				for range uploadSlots {
					env.app.uploads.slots <- struct{}{}
				}
				defer func() {
					for range uploadSlots {
						<-env.app.uploads.slots
					}
				}()
			}
			// A refused body is refused from its headers: it is never
			// sent (the server closes the connection after answering).
			send := tt.want != 413 && tt.want != 503
			resp := rawRequest(t, addr, tt.method, tt.path, tt.size, send)
			switch {
			case tt.want == 0 && (resp.StatusCode == 413 || resp.StatusCode >= 500):
				t.Fatalf("%s %s = %d, want the body accepted", tt.method, tt.path, resp.StatusCode)
			case tt.want != 0 && resp.StatusCode != tt.want:
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			body, _ := io.ReadAll(resp.Body)
			if tt.want == 503 && (resp.Header.Get("Retry-After") != "5" || !bytes.Contains(body, []byte(`"code":"upload_busy"`))) {
				t.Errorf("503 without Retry-After or reason: %v %s", resp.Header, body)
			}
			// A page is refused with a page in the reader's language.
			if tt.path == "/check" && !bytes.Contains(body, []byte("Det, du sendte, er for stort")) {
				t.Errorf("POST /check refused with %s", body)
			}
			if !tt.fill && len(env.app.uploads.slots) != 0 {
				t.Errorf("%d upload slots still taken after the request", len(env.app.uploads.slots))
			}
		})
	}
}

// listen serves the app on a loopback port and returns its address.
func (e *testEnv) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go e.app.Listener(ln)
	return ln.Addr().String()
}

// rawRequest sends a request with a body of size bytes ("x"s; only the
// headers unless send) on a new connection and reads the response.
func rawRequest(t *testing.T, addr, method, path string, size int, send bool) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: pb.test\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", method, path, size)
	if send {
		go conn.Write(bytes.Repeat([]byte("x"), size))
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// TestUploadSlotFreedOnFailedRead: a roll upload whose body never arrives
// gives its slot back (fasthttp reports the failed read to the error
// handler).
func TestUploadSlotFreedOnFailedRead(t *testing.T) {
	env := newTestEnv(t)
	addr := env.listen()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("PUT /api/rounds/r/roll HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc"))
	conn.(*net.TCPConn).CloseWrite()
	buf := make([]byte, 4096)
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	conn.Close()
	// The slot is free once the server has answered; a request on a new
	// connection proves it answered the first.
	resp, err := http.Get("http://" + addr + "/api/rounds")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(env.app.uploads.slots); n != 0 {
		t.Errorf("%d upload slots taken after a failed read", n)
	}
}

func TestIsUpload(t *testing.T) {
	tests := []struct {
		method, uri string
		want        bool
	}{
		{"PUT", "/api/rounds/barrit-2026/roll", true},
		{"PUT", "/api/rounds/barrit-2026/roll?x=1", true},
		{"POST", "/admin/rounds/barrit-2026/roll", true},
		{"POST", "/api/rounds/barrit-2026/roll", false},
		{"PUT", "/admin/rounds/barrit-2026/roll", false},
		{"PUT", "/api/rounds//roll", false},
		{"PUT", "/api/rounds/a/b/roll", false},
		{"PUT", "/api/rounds/a/roll/", false},
		{"GET", "/api/rounds/a/roll", false},
		{"POST", "/check", false},
	}
	for _, tt := range tests {
		if got := isUpload([]byte(tt.method), []byte(tt.uri)); got != tt.want {
			t.Errorf("isUpload(%s, %s) = %v, want %v", tt.method, tt.uri, got, tt.want)
		}
	}
}

func FuzzIsUpload(f *testing.F) {
	f.Add("PUT", "/api/rounds/r/roll")
	f.Add("POST", "/admin/rounds/r/roll?a")
	f.Fuzz(func(t *testing.T, method, uri string) {
		if isUpload([]byte(method), []byte(uri)) {
			path, _, _ := strings.Cut(uri, "?")
			if !strings.HasSuffix(path, "/roll") || strings.Count(path, "/") != 4 {
				t.Errorf("isUpload(%q, %q) = true", method, uri)
			}
		}
	})
}

// TestRecoverPanic: a handler that panics is answered 500 "internal
// error" with a request id, the panic is logged with its stack, and the
// server keeps serving.
func TestRecoverPanic(t *testing.T) {
	var logs syncBuf
	env := newTestEnv(t, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	env.app.Router().Get("/api/test-panic", func(c *fiber.Ctx) error { panic("boom") })
	c := env.client()
	r := c.must(500, "GET", "/api/test-panic", nil)
	if r.errorMsg() != "internal error" || !strings.Contains(string(r.Body), "request_id") {
		t.Errorf("panic answered %s", r)
	}
	if !strings.Contains(logs.String(), "msg=panic") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("panic not logged with its stack:\n%s", logs.String())
	}
	c.must(200, "GET", "/api/rounds", nil)
}

// TestRetryListener: Accept outlasts descriptor and memory exhaustion
// and returns the next connection; Close ends a waiting Accept.
func TestRetryListener(t *testing.T) {
	errs := []error{
		&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.EMFILE)},
		&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENFILE)},
		&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENOBUFS)},
	}
	fl := &fakeListener{errs: errs, conn: &net.TCPConn{}}
	var logs syncBuf
	l := newRetryListener(fl, slog.New(slog.NewTextHandler(&logs, nil)), 0)
	c, err := l.Accept()
	if err != nil || c != fl.conn {
		t.Fatalf("Accept = %v, %v; want the connection after the errors", c, err)
	}
	if n := strings.Count(logs.String(), "accept failed"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	// Another error ends Accept.
	fl.errs = []error{net.ErrClosed}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept = %v, want net.ErrClosed", err)
	}
	// Close while waiting out exhaustion.
	fl.errs = nil
	fl.always = errs[0]
	done := make(chan error)
	go func() { _, err := l.Accept(); done <- err }()
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

type fakeListener struct {
	mu     sync.Mutex
	errs   []error
	always error
	conn   net.Conn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	if l.always != nil {
		return nil, l.always
	}
	return l.conn, nil
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPerAddressLimit: a client address holds at most perIP connections;
// one more is answered 429 and closed, and closing one (twice, as a
// shutting-down server may) makes room for exactly one.
func TestPerAddressLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newRetryListener(ln, slog.New(slog.DiscardHandler), 2)
	defer l.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	first, second := <-accepted, <-accepted
	_ = second
	over := dial()
	resp, err := http.ReadResponse(bufio.NewReader(over), nil)
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("third connection: %v, %v; want 429", resp, err)
	}
	first.Close()
	first.Close()
	dial()
	<-accepted
	over = dial()
	if resp, err := http.ReadResponse(bufio.NewReader(over), nil); err != nil || resp.StatusCode != 429 {
		t.Fatalf("after one close, the fourth connection: %v, %v; want 429", resp, err)
	}
	// Another address is not limited by this one's.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	if c, err := d.Dial("tcp", ln.Addr().String()); err == nil {
		defer c.Close()
		<-accepted
	}
}
