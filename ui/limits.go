package ui

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"github.com/hedensted-pb/pb/ui/core"
)

// Connection and request limits (docs/operations.md "Limits").
const (
	// DefaultMaxConns is how many connections are served at once when
	// Config.MaxConns is 0 (fasthttp's Server.Concurrency). A connection
	// beyond it is answered 503 and closed at once, so the server's
	// descriptors stay bounded however many connections arrive.
	DefaultMaxConns = 4096

	// readTimeout bounds reading one request, headers and body, from
	// its first byte (and a new connection's wait for it); idleTimeout
	// bounds the wait for the next request on a kept-alive connection.
	readTimeout = 15 * time.Second
	idleTimeout = 60 * time.Second

	// uploadSlots large bodies (roll uploads) are read at once; each may
	// take uploadReadTimeout.
	uploadSlots       = 4
	uploadReadTimeout = 2 * time.Minute
	// uploadRetryAfter is the Retry-After of an upload refused because
	// every slot is taken.
	uploadRetryAfter = 5 * time.Second
)

// retryListener is a net.Listener whose Accept outlasts the errors that
// pass: running out of file descriptors (EMFILE, ENFILE) or kernel memory
// (ENOBUFS, ENOMEM). fasthttp treats every accept error but a timeout as
// fatal and stops serving; here Accept waits, 5 ms doubling to 1 s as
// net/http's Server.Serve does, and tries again, so the server serves
// again as soon as connections close. It logs the condition at most once
// a minute. Other errors (a closed listener) are returned.
//
// It also limits the connections one client address holds (perIP, 0 for
// none): one more is answered 429 and closed. (fasthttp's own
// MaxConnsPerIP closes a connection twice when the server shuts down with
// idle connections, a data race that can hand one pooled wrapper to two
// connections; this counts with a close that runs once, and counts IPv6
// addresses too.)
type retryListener struct {
	net.Listener
	log   *slog.Logger
	perIP int

	mu      sync.Mutex
	logged  time.Time
	conns   map[netip.Addr]int
	closed  chan struct{}
	closeMu sync.Once
}

func newRetryListener(ln net.Listener, log *slog.Logger, perIP int) *retryListener {
	return &retryListener{Listener: ln, log: log, perIP: perIP, conns: make(map[netip.Addr]int), closed: make(chan struct{})}
}

// tooMany is the answer to a connection over the per-address limit.
const tooMany = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 38\r\nRetry-After: 10\r\n\r\ntoo many connections from your address"

// admit counts c against its address's limit and returns it wrapped, or
// nil when the address is over the limit (c is then answered and closed).
func (l *retryListener) admit(c net.Conn) net.Conn {
	if l.perIP <= 0 {
		return c
	}
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return c
	}
	ip, _ := netip.AddrFromSlice(ta.IP)
	ip = ip.Unmap()
	l.mu.Lock()
	if l.conns[ip] >= l.perIP {
		l.mu.Unlock()
		go func() {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(c, tooMany)
			c.Close()
		}()
		return nil
	}
	l.conns[ip]++
	l.mu.Unlock()
	return &countedConn{Conn: c, release: func() {
		l.mu.Lock()
		if l.conns[ip]--; l.conns[ip] <= 0 {
			delete(l.conns, ip)
		}
		l.mu.Unlock()
	}}
}

// countedConn is a connection counted against its address; Close gives
// the count back once, however often it is called.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// Accept waits for the next connection, retrying after exhaustion errors.
func (l *retryListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if c = l.admit(c); c == nil {
				continue
			}
			return c, nil
		}
		if !exhausted(err) {
			return nil, err
		}
		if delay == 0 {
			delay = 5 * time.Millisecond
		} else if delay *= 2; delay > time.Second {
			delay = time.Second
		}
		l.mu.Lock()
		if time.Since(l.logged) > time.Minute {
			l.logged = time.Now()
			l.log.Warn("accept failed: out of file descriptors or memory; connections wait until some close (see ulimit -n in docs/operations.md)", "err", err)
		}
		l.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-l.closed:
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and ends a waiting Accept.
func (l *retryListener) Close() error {
	l.closeMu.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// exhausted reports whether an accept error is one of running out of
// descriptors or memory, which pass when connections close.
func exhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// uploadGate decides each request's body limit from its headers, before
// fasthttp reads the body (fasthttp's Server.HeaderReceived): every
// request may send maxBody bytes, except a roll upload (isUpload) holding
// one of uploadSlots slots, which may send maxUploadBody. An upload that
// finds every slot taken keeps the small limit, and when its body is
// larger it is answered 503 with Retry-After ([uploadGate.refused])
// instead of being read. So at most uploadSlots large bodies are in
// memory at a time, whoever sends them.
//
// A slot is freed when the request's handlers return ([uploadGate.track]),
// when fasthttp reports that reading the body failed (the error handler),
// or, if neither happens, after the upload's read timeout.
type uploadGate struct {
	slots chan struct{}
	hold  time.Duration

	mu   sync.Mutex
	held map[*fasthttp.RequestHeader]*uploadSlot
}

type uploadSlot struct {
	once  sync.Once
	timer *time.Timer
}

func newUploadGate(n int, hold time.Duration) *uploadGate {
	return &uploadGate{slots: make(chan struct{}, n), hold: hold, held: make(map[*fasthttp.RequestHeader]*uploadSlot)}
}

// isUpload reports whether a request is a roll upload, the one request
// with a large body: PUT /api/rounds/ID/roll or POST /admin/rounds/ID/roll.
func isUpload(method, uri []byte) bool {
	path, _, _ := strings.Cut(string(uri), "?")
	var prefix string
	switch string(method) {
	case fiber.MethodPut:
		prefix = "/api/rounds/"
	case fiber.MethodPost:
		prefix = "/admin/rounds/"
	default:
		return false
	}
	id, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, "/roll")
	return ok && id != "" && !strings.Contains(id, "/")
}

// headerReceived is fasthttp's Server.HeaderReceived.
func (g *uploadGate) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	// A slot left by an earlier request of this context whose body
	// never arrived.
	g.release(h)
	if !isUpload(h.Method(), h.RequestURI()) {
		return fasthttp.RequestConfig{}
	}
	select {
	case g.slots <- struct{}{}:
	default:
		return fasthttp.RequestConfig{}
	}
	s := &uploadSlot{}
	g.mu.Lock()
	g.held[h] = s
	s.timer = time.AfterFunc(g.hold, func() { g.expire(h, s) })
	g.mu.Unlock()
	return fasthttp.RequestConfig{MaxRequestBodySize: maxUploadBody, ReadTimeout: uploadReadTimeout}
}

// free gives s's slot back, once.
func (g *uploadGate) free(s *uploadSlot) { s.once.Do(func() { <-g.slots }) }

// release frees the slot held for h, if any.
func (g *uploadGate) release(h *fasthttp.RequestHeader) {
	g.mu.Lock()
	s := g.held[h]
	delete(g.held, h)
	g.mu.Unlock()
	if s != nil {
		s.timer.Stop()
		g.free(s)
	}
}

// expire frees s when its body was never read to the end.
func (g *uploadGate) expire(h *fasthttp.RequestHeader, s *uploadSlot) {
	g.mu.Lock()
	if g.held[h] == s {
		delete(g.held, h)
	}
	g.mu.Unlock()
	g.free(s)
}

// track is a middleware: the request's slot (if it has one) is kept
// while its handlers run, and freed when they return.
func (g *uploadGate) track(c *fiber.Ctx) error {
	h := &c.Request().Header
	g.mu.Lock()
	s := g.held[h]
	g.mu.Unlock()
	if s == nil {
		return c.Next()
	}
	s.timer.Stop()
	defer g.release(h)
	return c.Next()
}

// refused turns the error of a request whose body fasthttp refused into
// the answer to send, and reports whether it was such a refusal. A roll
// upload refused as too large although it is within maxUploadBody was
// refused for want of a slot: 503 with Retry-After. It also frees a slot
// whose body could not be read.
func (g *uploadGate) refused(c *fiber.Ctx, err error) (error, bool) {
	g.release(&c.Request().Header)
	var fe *fiber.Error
	if !errors.As(err, &fe) || fe.Code != fiber.StatusRequestEntityTooLarge {
		return err, false
	}
	h := &c.Request().Header
	if n := h.ContentLength(); isUpload(h.Method(), h.RequestURI()) && n >= 0 && n <= maxUploadBody {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(uploadRetryAfter/time.Second)))
		c.Set(fiber.HeaderConnection, "close")
		return &core.Error{Kind: core.Unavailable, Reason: "upload_busy", Msg: "too many uploads at once; try again in a few seconds"}, true
	}
	return &core.Error{Kind: core.TooLarge, Reason: "too_large", Msg: fmt.Sprintf("request body too large (limit %d bytes)", bodyLimit(h))}, true
}

// bodyLimit is the body limit of a request: maxUploadBody for roll
// uploads, maxBody for every other.
func bodyLimit(h *fasthttp.RequestHeader) int {
	if isUpload(h.Method(), h.RequestURI()) {
		return maxUploadBody
	}
	return maxBody
}

// recoverPanic is Fiber's recover middleware: a panic in a handler (a
// programming error) is logged with its stack and the request id and
// answered 500 "internal error"; the process keeps serving.
func (a *App) recoverPanic() fiber.Handler {
	return recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			rid, _ := c.Locals(localRequestID).(string)
			a.log.Error("panic", "request_id", rid, "method", c.Method(), "path", c.Path(),
				"panic", fmt.Sprint(e), "stack", string(debug.Stack()))
		},
	})
}
