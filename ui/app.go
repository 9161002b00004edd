// Package ui is the platform's web server: a Fiber app with the JSON API
// (docs/api.md), the public round files (checkpoints, proofs, the record,
// anchors), ballot intake through a batching sequencer, and the
// administration's accounts, sessions and CSRF protection.
//
// # Structure
//
// [New] builds an [App] from a [Config]. Routes are registered in
// routes.go; each area has its own file (api_admin.go, api_rounds.go,
// ballots.go, public.go). Server-rendered pages can be added in further
// files: register them with [App.Router], protect forms with
// [App.RequireLogin] and [App.RequireCSRF], read the signed-in account
// with [AccountOf] and the form token with [CSRFToken], and render errors
// through [App.SetErrorPage]. The operations behind the API (creating a
// round, freezing, casting with a code, ...) are methods on App that pages
// can call directly.
//
// # Privacy
//
// The server never logs voting codes, private keys, client addresses or
// ballot choices. The request log has the method, the path without query,
// the status, the latency and a request id.
package ui

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// Config is what [New] needs. Store, Keys and BaseURL are required.
type Config struct {
	Store *store.Store   // the database
	Keys  *store.Keyring // signing keys (log keys, council keys)
	// BaseURL is the public URL of the server, e.g. https://pb.example.dk.
	// Its host (and path) name the logs: a round's log origin is
	// "<host><path>/<round-id>". Cookies are Secure when it is https.
	BaseURL string
	Logger  *slog.Logger  // nil: discard
	Batch   time.Duration // sequencer batch period; 0 means one second
	// Now and Rand replace the clock and crypto/rand.Reader in tests.
	Now  func() time.Time
	Rand io.Reader
	// Argon2 sets the password hashing cost; zero means the RFC 9106
	// second recommendation (t=3, 64 MiB, 4 lanes).
	Argon2 Argon2Params
	// SessionTTL is how long a login lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// Count counts a closed round for its result note (and for the
	// self-check before publication); nil means the tally package's rules.
	Count ledger.CountFunc
	// ScheduleEvery is how often scheduled openings and closings are
	// checked; 0 means every second, negative disables the scheduler.
	ScheduleEvery time.Duration
}

// App is the platform server. Create it with [New], serve it with
// [App.Listener] (or test it with [App.Test]), stop it with
// [App.Shutdown].
type App struct {
	cfg       Config
	fiber     *fiber.App
	store     *store.Store
	keys      *store.Keyring
	log       *slog.Logger
	now       func() time.Time
	rand      io.Reader
	host      string // host[/path] of BaseURL, used in log origins and key names
	secure    bool   // BaseURL is https
	seq       *sequencer
	hub       *Hub
	errorPage func(c *fiber.Ctx, status int, msg string) error

	frozenMu sync.Mutex
	frozen   map[string]*frozenRound // cache of immutable per-round data

	argonSem chan struct{} // bounds concurrent password hashing (memory)

	stopSchedule context.CancelFunc
	scheduleDone chan struct{}
	shutdownOnce sync.Once
}

// New builds the app: the Fiber router, the sequencer and the scheduler.
// It does not listen; call [App.Listener] or [App.Test].
func New(cfg Config) (*App, error) {
	if cfg.Store == nil || cfg.Keys == nil {
		return nil, errors.New("ui: config needs a store and a keyring")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ui: base URL %q: want http(s)://host[:port][/path]", cfg.BaseURL)
	}
	host := u.Host + strings.TrimSuffix(u.Path, "/")
	if !validOriginPrefix(host) {
		return nil, fmt.Errorf("ui: base URL %q cannot name a log (no spaces or '+' allowed)", cfg.BaseURL)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.ScheduleEvery == 0 {
		cfg.ScheduleEvery = time.Second
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	a := &App{
		cfg:      cfg,
		store:    cfg.Store,
		keys:     cfg.Keys,
		log:      cfg.Logger,
		now:      cfg.Now,
		rand:     cfg.Rand,
		host:     host,
		secure:   u.Scheme == "https",
		hub:      newHub(),
		frozen:   make(map[string]*frozenRound),
		argonSem: make(chan struct{}, 2),
	}
	a.fiber = fiber.New(fiber.Config{
		// Immutable: values from c.Params, c.Query and friends are
		// copies, not views of fasthttp's reused request buffer, so they
		// may be kept (cache keys, sequencer state) after the handler.
		Immutable:             true,
		ErrorHandler:          a.errorHandler,
		BodyLimit:             maxUploadBody,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          5 * time.Minute, // backups stream for a while
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		AppName:               "pbserver",
	})
	a.seq = newSequencer(a, cfg.Batch)
	a.routes()
	go a.seq.run()
	a.startScheduler()
	return a, nil
}

// Router is the Fiber app, for registering further routes (pages).
func (a *App) Router() *fiber.App { return a.fiber }

// BaseURL is the public URL the app was configured with, without a
// trailing slash.
func (a *App) BaseURL() string { return a.cfg.BaseURL }

// Listener serves HTTP on ln until [App.Shutdown].
func (a *App) Listener(ln net.Listener) error { return a.fiber.Listener(ln) }

// Test runs one request through the app without a network, like
// fiber.App.Test (timeout -1 waits as long as needed).
func (a *App) Test(req *http.Request, msTimeout ...int) (*http.Response, error) {
	return a.fiber.Test(req, msTimeout...)
}

// Shutdown stops the server in order: stop accepting connections and wait
// for requests in flight (ballots waiting for their batch included), stop
// the scheduler, append and sign the batch in flight, and make sure every
// log has a checkpoint of its full size. It does not close the store; the
// caller does that afterwards. Shutdown is idempotent.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	a.shutdownOnce.Do(func() {
		err = a.fiber.ShutdownWithContext(ctx)
		if a.stopSchedule != nil {
			a.stopSchedule()
			<-a.scheduleDone
		}
		a.seq.stop()
		if cerr := a.checkpointAll(context.Background()); cerr != nil && err == nil {
			err = cerr
		}
		a.hub.closeAll()
	})
	return err
}

// now returns the current time, truncated to the second, in UTC.
func (a *App) clock() time.Time { return a.now().UTC().Truncate(time.Second) }

// validOriginPrefix reports whether s can start a note key name: no
// spaces, no '+', no control characters, non-empty.
func validOriginPrefix(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '+' || r == 0x7f {
			return false
		}
	}
	return true
}
