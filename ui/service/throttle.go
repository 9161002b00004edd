package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// Sign-in throttling.
//
// Guessing is slowed in three places, none of which can lock the real
// administrator out:
//
//   - Per client (package ui, Fiber's limiter): a client's failed sign-ins
//     are counted before any password is hashed; over the limit it gets 429
//     without costing the server anything.
//   - Per account (here): after loginFreeFailures failed sign-ins in a row
//     an account is locked for 1 s, then 2 s, 4 s, ... up to
//     loginMaxLock; a locked account is refused (429) before any hashing.
//   - Known devices: a successful sign-in gives the browser a device token
//     (an HMAC of the account name under a server secret, OWASP's "device
//     cookie"). A sign-in that carries a valid device token for its account
//     skips the account's lock and hashes in a lane of its own, so neither
//     guessers of the account nor a crowd of anonymous guessers can starve
//     it. Anonymous sign-ins wait in a short queue (loginQueue); beyond it
//     they are refused at once (503) instead of piling up.
//
// The state is in memory: a restart forgets counts and locks, never
// device tokens (their secret is in the database).
const (
	loginFreeFailures = 5
	loginFirstLock    = time.Second
	loginMaxLock      = 15 * time.Minute
	loginForget       = time.Hour // failures older than this are forgotten
	loginTracked      = 10_000    // accounts (or names) tracked at most
	loginQueue        = 8         // anonymous sign-ins waiting for a hash at most
)

// loginGuard counts failed sign-ins per account name.
type loginGuard struct {
	mu    sync.Mutex
	names map[string]*loginState
}

type loginState struct {
	fails int       // consecutive failures
	last  time.Time // of the last failure
	until time.Time // locked until
}

// locked reports how long name is still locked at now (0: not locked).
func (g *loginGuard) locked(name string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.names[name]; st != nil && now.Before(st.until) {
		return st.until.Sub(now)
	}
	return 0
}

// fail records a failed sign-in for name at now and returns the lock it
// starts (0: none).
func (g *loginGuard) fail(name string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.names == nil {
		g.names = make(map[string]*loginState)
	}
	st := g.names[name]
	if st == nil {
		if len(g.names) >= loginTracked {
			for k, v := range g.names {
				if now.Sub(v.last) > loginForget && !now.Before(v.until) {
					delete(g.names, k)
				}
			}
			if len(g.names) >= loginTracked {
				return 0 // the per-client limit still holds
			}
		}
		st = &loginState{}
		g.names[name] = st
	}
	if now.Sub(st.last) > loginForget {
		st.fails = 0
	}
	st.fails++
	st.last = now
	if st.fails < loginFreeFailures {
		return 0
	}
	lock := loginFirstLock << min(st.fails-loginFreeFailures, 20)
	if lock > loginMaxLock {
		lock = loginMaxLock
	}
	st.until = now.Add(lock)
	return lock
}

// reset forgets name's failures (a successful sign-in).
func (g *loginGuard) reset(name string) {
	g.mu.Lock()
	delete(g.names, name)
	g.mu.Unlock()
}

// deviceKey returns the secret of device tokens, made and stored in the
// database on first use.
func (s *Service) deviceKey(ctx context.Context) ([]byte, error) {
	s.deviceMu.Lock()
	defer s.deviceMu.Unlock()
	if s.deviceSecret != nil {
		return s.deviceSecret, nil
	}
	var key []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		key, err = tx.Meta("device-key")
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		key = make([]byte, 32)
		if _, err = io.ReadFull(s.rand, key); err != nil {
			return nil, err
		}
		err = s.store.Write(ctx, func(tx core.Tx) error {
			if old, err := tx.Meta("device-key"); err == nil {
				key = old
				return nil
			}
			return tx.PutMeta("device-key", key)
		})
	}
	if err != nil {
		return nil, err
	}
	s.deviceSecret = key
	return key, nil
}

// deviceToken is the device token of account: name.nonce.mac, b64url.
// The MAC covers the account's password hash, so a new password ends every
// device token of the account (a stolen cookie no longer skips the lock).
func deviceToken(key []byte, account, passwordHash string, nonce []byte) string {
	enc := base64.RawURLEncoding
	m := hmac.New(sha256.New, key)
	m.Write([]byte("pb-device\x00" + account + "\x00" + passwordHash + "\x00"))
	m.Write(nonce)
	return enc.EncodeToString([]byte(account)) + "." + enc.EncodeToString(nonce) + "." + enc.EncodeToString(m.Sum(nil))
}

// newDeviceToken makes a device token for acct.
func (s *Service) newDeviceToken(ctx context.Context, acct core.Account) (string, error) {
	key, err := s.deviceKey(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return "", err
	}
	return deviceToken(key, acct.Name, acct.PasswordHash, nonce), nil
}

// KnownDevice returns the account a device token was issued to, or ""
// when the token is missing, not one of this server's, or older than the
// account's password.
func (s *Service) KnownDevice(ctx context.Context, token string) string {
	if token == "" || len(token) > 512 {
		return ""
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	enc := base64.RawURLEncoding
	name, err1 := enc.DecodeString(parts[0])
	nonce, err2 := enc.DecodeString(parts[1])
	if err1 != nil || err2 != nil || len(nonce) != 16 {
		return ""
	}
	key, err := s.deviceKey(ctx)
	if err != nil {
		return ""
	}
	var acct core.Account
	if err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		acct, err = tx.Account(string(name))
		return err
	}); err != nil {
		return ""
	}
	if !hmac.Equal([]byte(deviceToken(key, acct.Name, acct.PasswordHash, nonce)), []byte(token)) {
		return ""
	}
	return string(name)
}

// acquireArgonLane takes a hashing slot: known devices and signed-in
// accounts in their own lane (one slot), anonymous sign-ins in the shared
// one (two slots) behind a queue of at most loginQueue; beyond it they are
// refused at once with [core.ErrLoginBusy].
func (s *Service) acquireArgonLane(ctx context.Context, known bool) (release func(), err error) {
	if known {
		select {
		case s.argonKnown <- struct{}{}:
			return func() { <-s.argonKnown }, nil
		case <-ctx.Done():
			return nil, core.Errorf(core.Unavailable, "server busy, try again")
		}
	}
	if s.argonWaiting.Add(1) > loginQueue {
		s.argonWaiting.Add(-1)
		e := *core.ErrLoginBusy
		e.RetryAfter = 2 * time.Second
		return nil, &e
	}
	defer s.argonWaiting.Add(-1)
	if err := s.acquireArgon(ctx); err != nil {
		return nil, err
	}
	return func() { <-s.argonSem }, nil
}
