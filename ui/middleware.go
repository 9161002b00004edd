package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hedensted-pb/pb/ui/core"
)

// Body limits. fasthttp reads a body before the handlers run, up to
// maxBody, or maxUploadBody for a roll upload with a free slot
// (uploadGate); routes may check smaller limits of their own.
const (
	maxBody       = 128 << 10 // every request but roll uploads (routes check their own, smaller limits)
	maxUploadBody = 8 << 20   // roll.txt uploads
	maxBallotBody = 64 << 10  // a ballot leaf is < 2 KiB with 64 projects
	maxFormBody   = 64 << 10  // JSON and form requests
)

// Locals keys.
const (
	localRequestID = "pb.request_id"
	localAccount   = "pb.account"
	localSession   = "pb.session"
)

type ctxKey int

const ctxRequestID ctxKey = 0

// requestTimeout bounds the user context of a request; a ballot waits at
// most this long for its batch.
const requestTimeout = 60 * time.Second

// requestContext gives each request an id (X-Request-Id) and a user
// context carrying it, with a timeout. It must be the first middleware.
func (a *App) requestContext(c *fiber.Ctx) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	rid := hex.EncodeToString(b[:])
	c.Locals(localRequestID, rid)
	c.Set("X-Request-Id", rid)
	ctx := newRequestCtx(context.WithValue(context.Background(), ctxRequestID, rid), time.Now().Add(requestTimeout))
	defer ctx.end()
	c.SetUserContext(ctx)
	return c.Next()
}

// requestCtx is a request's user context: its values, a deadline, and
// canceled when the request ends, like context.WithTimeout's, except that
// the timer behind Done is made only when something asks for Done (or
// derives a context from it). Most requests, ballots included, only ever
// ask Err, and a timer made and stopped per request was 2 % of a ballot's
// CPU at saturation.
type requestCtx struct {
	context.Context // the values
	deadline        time.Time

	mu     sync.Mutex
	timed  context.Context // made on the first Done
	cancel context.CancelFunc
	ended  bool
}

func newRequestCtx(values context.Context, deadline time.Time) *requestCtx {
	return &requestCtx{Context: values, deadline: deadline}
}

func (c *requestCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// timedCtx returns the context.WithDeadline behind Done, made on first use.
func (c *requestCtx) timedCtx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed == nil {
		c.timed, c.cancel = context.WithDeadline(context.Background(), c.deadline)
		if c.ended {
			c.cancel()
		}
	}
	return c.timed
}

func (c *requestCtx) Done() <-chan struct{} { return c.timedCtx().Done() }

// AfterFunc lets contexts derived from c follow it without a goroutine
// of their own (the context package looks for this method).
func (c *requestCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.timedCtx(), f) }

func (c *requestCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.timed != nil:
		return c.timed.Err()
	case c.ended:
		return context.Canceled
	case !time.Now().Before(c.deadline):
		return context.DeadlineExceeded
	}
	return nil
}

// end cancels the context: the request is over.
func (c *requestCtx) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
}

// AccessLogMessage is the message of the access log's line, one per
// request, at level Info (pbserver writes these lines in bursts).
const AccessLogMessage = "request"

// accessLog logs one line per request: method, path without the query,
// status, latency and request id. Never the client address, the query
// string, headers or the body: ballot routes must not leave traces of who
// voted, and codes must never reach a log. Errors are rendered here, so
// the logged status is the one sent.
func (a *App) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := a.errorHandler(c, err); herr != nil {
			c.Status(http.StatusInternalServerError)
		}
	}
	rid, _ := c.Locals(localRequestID).(string)
	// LogAttrs: no boxing of the values (one line per ballot at
	// thousands a second).
	a.log.LogAttrs(context.Background(), slog.LevelInfo, AccessLogMessage,
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.Int("status", c.Response().StatusCode()),
		slog.String("latency", time.Since(start).Round(time.Microsecond).String()),
		slog.String("request_id", rid))
	return nil
}

// securityHeaders sets headers every response carries; with an https
// base URL also Strict-Transport-Security (two years, this host only: a
// municipality's other subdomains are not ours to pin).
func (a *App) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" on same-origin form posts, which sameOrigin refuses.
	// Other sites still get no referrer.
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	if a.secure {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000")
	}
	return c.Next()
}

// sameOrigin refuses state-changing requests that a browser marks as coming
// from another site (Origin or Sec-Fetch-Site headers). The Origin must
// equal the base URL's scheme and host, or the scheme and host the request
// came to; "Origin: null" (a sandboxed frame, a redirect across sites, a
// file: page) is another site. Clients that send neither header
// (pbverify, scripts) pass; sessions additionally need the CSRF token
// ([App.RequireCSRF]).
func (a *App) sameOrigin(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return core.Forbiddenf("cross-site request refused")
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		// "Origin: null" is accepted only when the browser itself says
		// the request comes from this site (Sec-Fetch-Site cannot be set
		// by a page).
		if o == "null" && c.Get("Sec-Fetch-Site") == "same-origin" {
			return c.Next()
		}
		if !a.sameOriginAs(o, c.Protocol(), string(c.Request().Host())) {
			return core.Forbiddenf("cross-site request refused")
		}
	}
	return c.Next()
}

// sameOriginAs reports whether origin (an Origin header) is the base URL's
// origin or that of the request (scheme and host as received).
func (a *App) sameOriginAs(origin, scheme, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.User != nil {
		return false // "null" and anything that is not scheme://host[:port]
	}
	base, err := url.Parse(a.BaseURL())
	if err == nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) {
		return true
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, host)
}

// limitBody refuses request bodies larger than n bytes with 413.
func limitBody(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > n {
			return core.Errorf(core.TooLarge, "request body too large (limit %d bytes)", n)
		}
		return c.Next()
	}
}

// requestID returns the request id stored in ctx, or "".
func requestID(ctx context.Context) string {
	s, _ := ctx.Value(ctxRequestID).(string)
	return s
}
