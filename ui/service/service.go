// Package service implements the platform's operations on top of the
// domain (package core) and the store (package store): funds and
// communities, accounts and sessions, the round lifecycle (create, edit,
// proposals and review, freeze, open, close, publish, the scheduler),
// ballot intake through the sequencer, and the read methods the web
// layer's pages and handlers use. It knows nothing of HTTP: errors are
// *core.Error values (or internal errors), which the web layer maps to
// statuses in one place.
//
// # Concurrency
//
// A [Service] is safe for concurrent use. Writes go through bbolt's one
// writer; ballot, void and close leaves go through one sequencer
// goroutine, which appends each batch and its signed checkpoint in one
// transaction and answers the submitters only after that transaction has
// committed (with fsync). Immutable per-round data (manifest, roll, keys)
// is cached after freeze. Checkpoint events go to subscribers through a
// [Hub].
package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
	"golang.org/x/sync/singleflight"
)

// Config is what [New] needs. Store, Keys and BaseURL are required.
type Config struct {
	Store core.Store     // the database (package store implements it)
	Keys  *store.Keyring // signing keys (log keys, council keys)
	// BaseURL is the public URL of the server, e.g. https://pb.example.dk.
	// Its host (and path) name the logs: a round's log origin is
	// "<host><path>/<round-id>".
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
	// self-check before publication); nil means recount.Count, the count
	// pbverify applies.
	Count ledger.CountFunc
	// ScheduleEvery is how often scheduled openings and closings are
	// checked; 0 means every second, negative disables the scheduler.
	ScheduleEvery time.Duration
}

// Service is the platform's operations. Create it with [New], stop it
// with [Service.Close].
type Service struct {
	cfg   Config
	store core.Store
	keys  *store.Keyring
	log   *slog.Logger
	now   func() time.Time
	rand  io.Reader
	host  string // host[/path] of BaseURL, used in log origins and key names
	seq   *sequencer
	hub   *Hub

	frozenMu sync.Mutex
	frozen   map[string]*FrozenRound // cache of immutable per-round data
	intake   intakeState             // phases and voters of rounds in voting (intakestate.go)

	resultMu  sync.Mutex
	results   map[string]cachedResult                 // verified result notes by round
	why       map[string]map[string]tally.Explanation // rule explanations by round
	whyFlight singleflight.Group                      // first views of a round's explanations

	argonSem     chan struct{} // bounds concurrent password hashing of anonymous sign-ins (memory)
	argonKnown   chan struct{} // the lane of known devices and signed-in accounts
	argonWaiting atomic.Int64  // anonymous sign-ins waiting for argonSem
	logins       loginGuard    // failed sign-ins per account
	deviceMu     sync.Mutex
	deviceSecret []byte // key of device tokens, loaded on first use
	logGate      LogGate

	stopSchedule context.CancelFunc
	scheduleDone chan struct{}
	closeOnce    sync.Once
}

// New starts the service: the sequencer and the scheduler.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil {
		return nil, errors.New("service: config needs a store and a keyring")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("service: base URL %q: want http(s)://host[:port][/path]", cfg.BaseURL)
	}
	host := u.Host + strings.TrimSuffix(u.Path, "/")
	if !validOriginPrefix(host) {
		return nil, fmt.Errorf("service: base URL %q cannot name a log (no spaces or '+' allowed)", cfg.BaseURL)
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
	s := &Service{
		cfg:        cfg,
		store:      cfg.Store,
		keys:       cfg.Keys,
		log:        cfg.Logger,
		now:        cfg.Now,
		rand:       cfg.Rand,
		host:       host,
		hub:        newHub(),
		frozen:     make(map[string]*FrozenRound),
		results:    make(map[string]cachedResult),
		why:        make(map[string]map[string]tally.Explanation),
		argonSem:   make(chan struct{}, 2),
		argonKnown: make(chan struct{}, 1),
	}
	if err := s.upgradeFunds(context.Background()); err != nil {
		return nil, err
	}
	if err := s.upgradeLedgers(context.Background()); err != nil {
		return nil, err
	}
	s.seq = newSequencer(s, cfg.Batch)
	go s.seq.run()
	s.startScheduler()
	return s, nil
}

// Close stops the scheduler, appends and signs the batch in flight, makes
// sure every log has a checkpoint of its full size and ends every event
// subscription. Call it after the web server has stopped taking requests;
// it does not close the store. Close is idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.stopSchedule != nil {
			s.stopSchedule()
			<-s.scheduleDone
		}
		s.seq.stop()
		err = s.checkpointAll(context.Background())
		s.hub.closeAll()
	})
	return err
}

// BaseURL is the public URL the service was configured with, without a
// trailing slash.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

// SessionTTL is how long a login lasts.
func (s *Service) SessionTTL() time.Duration { return s.cfg.SessionTTL }

// Clock returns the current time, truncated to the second, in UTC.
func (s *Service) Clock() time.Time { return s.clock() }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// Now returns the service's current time, untruncated.
func (s *Service) Now() time.Time { return s.now() }

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
