package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/argon2"

	"github.com/hedensted-pb/pb/ui/store"
)

// Argon2Params is the cost of argon2id password hashing.
type Argon2Params struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultArgon2 is RFC 9106's second recommended option, as quoted by
// golang.org/x/crypto/argon2: t=3, 64 MiB, 4 lanes.
var DefaultArgon2 = Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// SessionCookie is the name of the session cookie.
const SessionCookie = "pb_session"

// CSRFHeader and CSRFField carry the CSRF token of a session on every
// state-changing request: as a header (API clients, fetch) or as a form
// field (HTML forms).
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "_csrf"
)

const minPasswordLen = 10

// HashPassword hashes a password with argon2id and a random 16-byte salt
// read from rand, returning a PHC string:
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<hash> (unpadded b64).
func HashPassword(password string, p Argon2Params, rand io.Reader) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("ui: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a PHC string made by
// [HashPassword] (with whatever parameters it records). It compares in
// constant time. A malformed hash is an error.
func CheckPassword(phc, password string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("ui: malformed password hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("ui: unsupported argon2 version")
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 1<<20 {
		return false, errors.New("ui: malformed argon2 parameters")
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false, errors.New("ui: malformed password hash")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// hashPassword hashes under the app's semaphore: argon2 uses a lot of
// memory, so at most two run at once.
func (a *App) hashPassword(ctx context.Context, password string) (string, error) {
	if err := a.acquireArgon(ctx); err != nil {
		return "", err
	}
	defer func() { <-a.argonSem }()
	return HashPassword(password, a.cfg.Argon2, a.rand)
}

func (a *App) checkPassword(ctx context.Context, phc, password string) (bool, error) {
	if err := a.acquireArgon(ctx); err != nil {
		return false, err
	}
	defer func() { <-a.argonSem }()
	return CheckPassword(phc, password)
}

func (a *App) acquireArgon(ctx context.Context) error {
	select {
	case a.argonSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errorf(http.StatusServiceUnavailable, "server busy, try again")
	}
}

// Identity is the signed-in account of a request.
type Identity struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Community string `json:"community,omitempty"`
}

// IsAdmin reports whether the account is a municipality administrator.
func (id *Identity) IsAdmin() bool { return id != nil && id.Role == store.RoleAdmin }

// CanManage reports whether the account may manage a community's rounds:
// administrators manage all, coordinators only their own.
func (id *Identity) CanManage(community string) bool {
	return id != nil && (id.Role == store.RoleAdmin || id.Role == store.RoleCoordinator && id.Community == community)
}

// AccountOf returns the signed-in account of the request, or nil.
func AccountOf(c *fiber.Ctx) *Identity {
	id, _ := c.Locals(localAccount).(*Identity)
	return id
}

// CSRFToken returns the CSRF token of the request's session, or "" when
// nobody is signed in. Pages put it in a hidden _csrf field of every form.
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localSession).(*store.Session)
	if s == nil {
		return ""
	}
	return s.CSRF
}

// loadSession reads the session cookie and, for a live session, sets the
// request's [Identity] and session. It never fails a request: a bad or
// expired cookie is the same as none.
func (a *App) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	if token == "" {
		return c.Next()
	}
	id := sessionID(token)
	var sess store.Session
	var acct store.Account
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if sess, err = tx.Session(id); err != nil {
			return err
		}
		acct, err = tx.Account(sess.Account)
		return err
	})
	if err == nil && a.now().Before(sess.Expires) {
		c.Locals(localAccount, &Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community})
		c.Locals(localSession, &sess)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return c.Next()
}

// sessionID is the key a session is stored under: the SHA-256 of its
// token, so the database holds no usable cookie.
func sessionID(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// RequireLogin refuses requests without a signed-in account (401).
func (a *App) RequireLogin(c *fiber.Ctx) error {
	if AccountOf(c) == nil {
		return errorf(http.StatusUnauthorized, "sign in first")
	}
	return c.Next()
}

// RequireCSRF refuses state-changing requests (anything but GET, HEAD and
// OPTIONS) whose CSRF token, from the X-CSRF-Token header or the _csrf form
// field, does not match the session's (403). Use it after RequireLogin.
func (a *App) RequireCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	want := CSRFToken(c)
	got := c.Get(CSRFHeader)
	if got == "" {
		got = c.FormValue(CSRFField)
	}
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return forbidden("missing or wrong CSRF token")
	}
	return c.Next()
}

// requireAdmin refuses accounts that are not administrators (403).
func (a *App) requireAdmin(c *fiber.Ctx) error {
	if !AccountOf(c).IsAdmin() {
		return forbidden("only a municipality administrator may do this")
	}
	return c.Next()
}

// loginRequest is the body of POST /api/login.
type loginRequest struct {
	Name     string `json:"name" form:"name"`
	Password string `json:"password" form:"password"`
}

// sessionResponse describes the signed-in account and its CSRF token.
type sessionResponse struct {
	Account Identity  `json:"account"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// Login checks a name and password and opens a session. It returns the
// session token (the cookie value) and the session. Wrong credentials give
// a 401 *Error that does not say which part was wrong.
func (a *App) Login(ctx context.Context, name, password string) (string, store.Session, *Identity, error) {
	var acct store.Account
	err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		acct, err = tx.Account(name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", store.Session{}, nil, err
	}
	phc := acct.PasswordHash
	if phc == "" {
		// Spend the same time on unknown names.
		phc = a.dummyHash()
	}
	ok, herr := a.checkPassword(ctx, phc, password)
	if herr != nil {
		var e *Error
		if errors.As(herr, &e) {
			return "", store.Session{}, nil, e
		}
		return "", store.Session{}, nil, fmt.Errorf("ui: account %s: %w", name, herr)
	}
	if err != nil || !ok {
		return "", store.Session{}, nil, errorf(http.StatusUnauthorized, "wrong name or password")
	}
	tokenBytes := make([]byte, 32)
	csrf := make([]byte, 32)
	if _, err := io.ReadFull(a.rand, tokenBytes); err != nil {
		return "", store.Session{}, nil, err
	}
	if _, err := io.ReadFull(a.rand, csrf); err != nil {
		return "", store.Session{}, nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(tokenBytes)
	now := a.now().UTC()
	sess := store.Session{Account: acct.Name, CSRF: base64.RawURLEncoding.EncodeToString(csrf),
		Created: now, Expires: now.Add(a.cfg.SessionTTL)}
	err = a.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteExpiredSessions(now); err != nil {
			return err
		}
		if err := tx.PutSession(sessionID(token), sess); err != nil {
			return err
		}
		return a.audit(tx, acct.Name, "login", "", "")
	})
	if err != nil {
		return "", store.Session{}, nil, err
	}
	return token, sess, &Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community}, nil
}

// dummyHash returns a hash with the app's parameters that matches no
// password, for constant-time handling of unknown accounts.
func (a *App) dummyHash() string {
	p := a.cfg.Argon2
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads)
}

// handleLogin is POST /api/login.
func (a *App) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if req.Name == "" || req.Password == "" {
		return badRequest("name and password are required")
	}
	token, sess, id, err := a.Login(c.UserContext(), req.Name, req.Password)
	if err != nil {
		return err
	}
	a.setSessionCookie(c, token, sess.Expires)
	return c.JSON(sessionResponse{Account: *id, CSRF: sess.CSRF, Expires: sess.Expires})
}

// setSessionCookie sets the session cookie: HttpOnly, SameSite=Lax, and
// Secure when the server's base URL is https (TLS at a reverse proxy).
func (a *App) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		HTTPOnly: true,
		Secure:   a.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// handleLogout is POST /api/logout.
func (a *App) handleLogout(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	id := AccountOf(c)
	err := a.store.Update(c.UserContext(), func(tx *store.Tx) error {
		if err := tx.DeleteSession(sessionID(token)); err != nil {
			return err
		}
		return a.audit(tx, id.Name, "logout", "", "")
	})
	if err != nil {
		return err
	}
	a.setSessionCookie(c, "", time.Unix(0, 0))
	return c.JSON(fiber.Map{"ok": true})
}

// handleSession is GET /api/session.
func (a *App) handleSession(c *fiber.Ctx) error {
	s, _ := c.Locals(localSession).(*store.Session)
	return c.JSON(sessionResponse{Account: *AccountOf(c), CSRF: s.CSRF, Expires: s.Expires})
}

// audit appends an entry to the action log inside tx. It never records
// codes, keys or choices: callers pass identifiers and short descriptions.
func (a *App) audit(tx *store.Tx, account, action, target, detail string) error {
	_, err := tx.AppendAudit(store.AuditEntry{Time: a.clock(), Account: account, Action: action, Target: target, Detail: detail})
	return err
}
