// Package ui is the platform's web layer, the only package that imports
// Fiber: the JSON API (docs/api.md), the public round files (checkpoints,
// proofs, the record, anchors), the HTML pages with their templates and
// translations, sessions and CSRF protection, and the one mapping of
// domain errors (*core.Error) to HTTP statuses. The operations themselves
// are package service's; handlers and pages call its methods and never
// touch the store.
//
// # Structure
//
// [New] builds an [App] over a *service.Service. Routes are registered in
// routes.go and page.go; each area has its own file (api_admin.go,
// api_rounds.go, ballots.go, public.go, page_*.go).
//
// # Privacy
//
// The server never logs voting codes, private keys, client addresses or
// ballot choices. The request log has the method, the path without query,
// the status, the latency and a request id.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hedensted-pb/pb/ui/service"
)

// Config is what [New] needs besides the service.
type Config struct {
	Logger *slog.Logger // nil: discard
	// MaxConns is how many connections are served at once (0:
	// DefaultMaxConns); one more is answered 503 and closed. Keep it
	// below the descriptor limit (ulimit -n).
	MaxConns int
	// MaxConnsPerIP is how many connections one client address may hold
	// (0: no limit); one more is answered 429 and closed.
	MaxConnsPerIP int
}

// App is the platform's web server: the Fiber router over a
// [service.Service]. Create it with [New], serve it with [App.Listener]
// (or test it with [App.Test]), stop it with [App.Shutdown].
type App struct {
	svc       *service.Service
	fiber     *fiber.App
	log       *slog.Logger
	secure    bool // the base URL is https
	errorPage func(c *fiber.Ctx, status int, msg string) error
	// pageError and loginPageError render a refusal of the limiters
	// (throttle.go) as a page; set by pageRoutes.
	pageError, loginPageError  func(c *fiber.Ctx, err error) error
	limitLogin, limitProposals fiber.Handler   // one limiter each, shared by the API and the pages
	logGate                    service.LogGate // rate-limits repeated 5xx log lines
	uploads                    *uploadGate     // the few large bodies read at once (limits.go)
	perIP                      int             // connections per client address (Config.MaxConnsPerIP)
	zipSem                     chan struct{}   // one fund archive built at a time (page_council.go)

	shutdownOnce sync.Once
}

// New builds the web app over svc: the Fiber router with the JSON API,
// the public round files and the pages. It does not listen; call
// [App.Listener] or [App.Test].
func New(svc *service.Service, cfg Config) (*App, error) {
	if svc == nil {
		return nil, errors.New("ui: no service")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{
		zipSem:  make(chan struct{}, 1),
		svc:     svc,
		log:     cfg.Logger,
		secure:  strings.HasPrefix(svc.BaseURL(), "https:"),
		uploads: newUploadGate(uploadSlots, uploadReadTimeout+10*time.Second),
		perIP:   cfg.MaxConnsPerIP,
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	a.fiber = fiber.New(fiber.Config{
		// Immutable: values from c.Params, c.Query and friends are
		// copies, not views of fasthttp's reused request buffer, so they
		// may be kept (cache keys, sequencer state) after the handler.
		Immutable:    true,
		ErrorHandler: a.errorHandler,
		// Bodies are read before any handler runs: every request may
		// send maxBody bytes, a roll upload with a free slot
		// maxUploadBody (uploadGate, from the headers).
		BodyLimit:             maxBody,
		Concurrency:           cfg.MaxConns,
		ReadTimeout:           readTimeout,
		WriteTimeout:          5 * time.Minute, // backups stream for a while
		IdleTimeout:           idleTimeout,
		DisableStartupMessage: true,
		AppName:               "pbserver",
	})
	srv := a.fiber.Server()
	srv.HeaderReceived = a.uploads.headerReceived
	srv.CloseOnShutdown = true
	a.routes()
	return a, nil
}

// Service is the service the app serves.
func (a *App) Service() *service.Service { return a.svc }

// Router is the Fiber app, for registering further routes (pages).
func (a *App) Router() *fiber.App { return a.fiber }

// BaseURL is the public URL the app was configured with, without a
// trailing slash.
func (a *App) BaseURL() string { return a.svc.BaseURL() }

// Listener serves HTTP on ln until [App.Shutdown]. Running out of file
// descriptors does not end it: accepting waits until connections close.
func (a *App) Listener(ln net.Listener) error {
	return a.fiber.Listener(newRetryListener(ln, a.log, a.perIP))
}

// Test runs one request through the app without a network, like
// fiber.App.Test (timeout -1 waits as long as needed).
func (a *App) Test(req *http.Request, msTimeout ...int) (*http.Response, error) {
	return a.fiber.Test(req, msTimeout...)
}

// Shutdown stops the server in order: stop accepting connections and wait
// for requests in flight (ballots waiting for their batch included), then
// close the service (the batch in flight appended and signed, every log
// checkpointed at its full size). It does not close the store; the caller
// does that afterwards. Shutdown is idempotent.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	a.shutdownOnce.Do(func() {
		err = a.fiber.ShutdownWithContext(ctx)
		if cerr := a.svc.Close(); cerr != nil && err == nil {
			err = cerr
		}
	})
	return err
}
