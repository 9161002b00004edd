package service

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// fakeClock is an injectable clock for throttling tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newLoginEnv(t *testing.T) (*env, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnv(t, func(c *Config) { c.Now = clk.Now })
	if _, err := e.svc.EnsureAdmin(context.Background(), "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return e, clk
}

// TestSignInBackoff: after loginFreeFailures failures in a row the account
// is locked for 1 s, 2 s, 4 s, ... (429 before any hashing, with
// RetryAfter); the lock ends with the clock; a success resets the count.
func TestSignInBackoff(t *testing.T) {
	e, clk := newLoginEnv(t)
	ctx := context.Background()
	wrong := Credentials{Name: "admin", Password: "wrong password!"}
	for i := 1; i < loginFreeFailures; i++ {
		if _, err := e.svc.SignIn(ctx, wrong); core.KindOf(err) != core.Unauthorized {
			t.Fatalf("failure %d: %v, want unauthorized", i, err)
		}
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if _, err := e.svc.SignIn(ctx, wrong); core.KindOf(err) != core.Unauthorized {
			t.Fatalf("locking failure: %v, want unauthorized", err)
		}
		// Locked: even the right password is refused, with RetryAfter.
		_, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"})
		var ce *core.Error
		if !errors.Is(err, core.ErrLoginLocked) || !errors.As(err, &ce) || ce.RetryAfter != want {
			t.Fatalf("while locked: %v (retry after %v), want login_locked after %v", err, ce.RetryAfter, want)
		}
		clk.Add(want)
	}
	if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"}); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// The success reset the count: one failure does not lock.
	e.svc.SignIn(ctx, wrong)
	if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"}); err != nil {
		t.Fatalf("after one failure: %v", err)
	}
	// The back-off is capped.
	var g loginGuard
	now := clk.Now()
	var last time.Duration
	for range 40 {
		last = g.fail("x", now)
	}
	if last != loginMaxLock {
		t.Errorf("lock after 40 failures = %v, want %v", last, loginMaxLock)
	}
}

// TestSignInKnownDevice: a device that signed in before gets in while
// guessers have locked its account; a forged or other account's token
// does not help.
func TestSignInKnownDevice(t *testing.T) {
	e, _ := newLoginEnv(t)
	ctx := context.Background()
	in, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"})
	if err != nil || in.Device == "" {
		t.Fatalf("sign in: %v, device %q", err, in.Device)
	}
	if got := e.svc.KnownDevice(ctx, in.Device); got != "admin" {
		t.Fatalf("KnownDevice = %q, want admin", got)
	}
	for range loginFreeFailures + 3 {
		e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "guess guess guess"})
	}
	if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"}); !errors.Is(err, core.ErrLoginLocked) {
		t.Fatalf("anonymous sign-in of a locked account: %v, want login_locked", err)
	}
	again, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery", Device: in.Device})
	if err != nil {
		t.Fatalf("known device while locked: %v", err)
	}
	if again.Device != in.Device {
		t.Errorf("device token changed on a known device")
	}
	forged := in.Device[:len(in.Device)-2] + "AA"
	if in.Device[len(in.Device)-2:] == "AA" {
		forged = in.Device[:len(in.Device)-2] + "BB"
	}
	for name, tok := range map[string]string{"forged": forged, "garbage": "a.b.c", "empty": ""} {
		if e.svc.KnownDevice(ctx, tok) != "" {
			t.Errorf("%s token accepted", name)
		}
		if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery", Device: tok}); !errors.Is(err, core.ErrLoginLocked) {
			t.Errorf("%s token while locked: %v, want login_locked", name, err)
		}
	}
}

// TestSignInAudit: failed sign-ins of an existing account are in the
// action log without the password; unknown names are not logged.
func TestSignInAudit(t *testing.T) {
	e, _ := newLoginEnv(t)
	ctx := context.Background()
	e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "secret-guess-1"})
	e.svc.SignIn(ctx, Credentials{Name: "my-password-typed-here", Password: "secret-guess-2"})
	log, err := e.svc.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for _, a := range log {
		s := a.Account + " " + a.Action + " " + a.Target + " " + a.Detail
		if strings.Contains(s, "secret-guess") || strings.Contains(s, "my-password-typed-here") {
			t.Errorf("action log holds a secret: %q", s)
		}
		if a.Action == "login failed" {
			failed++
			if a.Target != "admin" {
				t.Errorf("login failed for %q, want admin", a.Target)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed sign-ins logged, want 1", failed)
	}
}

// TestSetPasswordEndsSessions: changing a password ends every other
// session of the account, keeps the one named, and leaves other accounts'
// sessions alone.
func TestSetPasswordEndsSessions(t *testing.T) {
	e, _ := newLoginEnv(t)
	ctx := context.Background()
	e.seed()
	if _, err := e.svc.CreateAccount(ctx, admin, AccountRequest{Name: "barrit-coord", Password: "coordinator pw", Role: core.RoleCoordinator, Community: "barrit"}); err != nil {
		t.Fatal(err)
	}
	sign := func(name, pw string) string {
		t.Helper()
		in, err := e.svc.SignIn(ctx, Credentials{Name: name, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return in.Token
	}
	keep, other, coordTok := sign("admin", "correct horse battery"), sign("admin", "correct horse battery"), sign("barrit-coord", "coordinator pw")
	in, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"})
	if err != nil || e.svc.KnownDevice(ctx, in.Device) != "admin" {
		t.Fatalf("device token before the change: %v", err)
	}
	if err := e.svc.SetPassword(ctx, admin, "admin", "a new long password", keep); err != nil {
		t.Fatal(err)
	}
	if e.svc.KnownDevice(ctx, in.Device) != "" {
		t.Errorf("a device token from before the password change is still known")
	}
	for _, tc := range []struct {
		name, token string
		alive       bool
	}{{"the changing session", keep, true}, {"another session", other, false}, {"another account", coordTok, true}} {
		sess, _, err := e.svc.Session(ctx, tc.token)
		if err != nil || (sess != nil) != tc.alive {
			t.Errorf("%s: session %v, %v; want alive %v", tc.name, sess, err, tc.alive)
		}
	}
	// An administrator changing someone else's password ends all of theirs.
	if err := e.svc.SetPassword(ctx, admin, "barrit-coord", "another new password", keep); err != nil {
		t.Fatal(err)
	}
	if sess, _, _ := e.svc.Session(ctx, coordTok); sess != nil {
		t.Errorf("coordinator's session survived the change of its password")
	}
}

// TestSignInQueue: anonymous sign-ins beyond the queue are refused at once
// (login_busy) while a known device still gets its own lane.
func TestSignInQueue(t *testing.T) {
	e, _ := newLoginEnv(t)
	ctx := context.Background()
	in, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	// Fill the anonymous lane and its queue by hand.
	for range cap(e.svc.argonSem) {
		e.svc.argonSem <- struct{}{}
	}
	e.svc.argonWaiting.Add(loginQueue)
	defer func() {
		e.svc.argonWaiting.Add(-loginQueue)
		for range cap(e.svc.argonSem) {
			<-e.svc.argonSem
		}
	}()
	if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery"}); !errors.Is(err, core.ErrLoginBusy) {
		t.Fatalf("anonymous sign-in with a full queue: %v, want login_busy", err)
	}
	if _, err := e.svc.SignIn(ctx, Credentials{Name: "admin", Password: "correct horse battery", Device: in.Device}); err != nil {
		t.Fatalf("known device with a full anonymous queue: %v", err)
	}
}
