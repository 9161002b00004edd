package ui

import (
	"crypto/subtle"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "pb_session"

// CSRFHeader and CSRFField carry the CSRF token of a session on every
// state-changing request: as a header (API clients, fetch) or as a form
// field (HTML forms).
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "_csrf"
)

// AccountOf returns the signed-in account of the request, or nil.
func AccountOf(c *fiber.Ctx) *core.Identity {
	id, _ := c.Locals(localAccount).(*core.Identity)
	return id
}

// CSRFToken returns the CSRF token of the request's session, or "" when
// nobody is signed in. Pages put it in a hidden _csrf field of every form.
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localSession).(*core.Session)
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
	sess, id, err := a.svc.Session(c.UserContext(), token)
	if err != nil {
		return err
	}
	if sess != nil {
		c.Locals(localAccount, id)
		c.Locals(localSession, sess)
	}
	return c.Next()
}

// RequireLogin refuses requests without a signed-in account (401).
func (a *App) RequireLogin(c *fiber.Ctx) error {
	if AccountOf(c) == nil {
		return core.Errorf(core.Unauthorized, "sign in first")
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
		return core.Forbiddenf("missing or wrong CSRF token")
	}
	return c.Next()
}

// requireAdmin refuses accounts that are not administrators (403).
func (a *App) requireAdmin(c *fiber.Ctx) error {
	if !AccountOf(c).IsAdmin() {
		return core.Forbiddenf("only a municipality administrator may do this")
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
	Account core.Identity `json:"account"`
	CSRF    string        `json:"csrf"`
	Expires time.Time     `json:"expires"`
}

// handleLogin is POST /api/login.
func (a *App) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if req.Name == "" || req.Password == "" {
		return core.Invalidf("name and password are required")
	}
	in, err := a.svc.SignIn(c.UserContext(), service.Credentials{Name: req.Name, Password: req.Password, Device: c.Cookies(DeviceCookie)})
	if err != nil {
		return err
	}
	a.setSessionCookie(c, in.Token, in.Session.Expires)
	a.setDeviceCookie(c, in.Device)
	return c.JSON(sessionResponse{Account: *in.Identity, CSRF: in.Session.CSRF, Expires: in.Session.Expires})
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
	if err := a.svc.Logout(c.UserContext(), id, token); err != nil {
		return err
	}
	a.setSessionCookie(c, "", time.Unix(0, 0))
	return c.JSON(fiber.Map{"ok": true})
}

// handleSession is GET /api/session.
func (a *App) handleSession(c *fiber.Ctx) error {
	s, _ := c.Locals(localSession).(*core.Session)
	return c.JSON(sessionResponse{Account: *AccountOf(c), CSRF: s.CSRF, Expires: s.Expires})
}
