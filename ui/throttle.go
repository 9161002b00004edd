package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/hedensted-pb/pb/ui/core"
)

// Per-client throttles (Fiber's limiter, fixed windows in memory). The
// client is its device token when it has a valid one (so a known device
// behind the same address as a guesser keeps its own count), else its
// address (behind a reverse proxy on the same host, the address the proxy
// reports; see clientAddr). Addresses live only in the limiter's memory,
// never in a log.
const (
	// loginFailures failed sign-ins per client per loginWindow; beyond
	// them 429 before any password is hashed.
	loginFailures = 10
	loginWindow   = 5 * time.Minute
	// proposalBurst proposals per client per proposalWindow.
	proposalBurst  = 10
	proposalWindow = 10 * time.Minute
)

// DeviceCookie holds the device token of an earlier successful sign-in
// (service.SignIn): it lets the device sign in while its account is locked
// by someone else's guesses.
const DeviceCookie = "pb_device"

// clientKey names the client of a request for the limiters.
func (a *App) clientKey(prefix string) func(c *fiber.Ctx) string {
	return func(c *fiber.Ctx) string {
		if d := c.Cookies(DeviceCookie); d != "" && a.svc.KnownDevice(c.UserContext(), d) != "" {
			h := sha256.Sum256([]byte(d))
			return prefix + "d:" + hex.EncodeToString(h[:8])
		}
		return prefix + "ip:" + clientAddr(c.Context().RemoteIP(), c.Get(fiber.HeaderXForwardedFor))
	}
}

// clientAddr is the address a limiter counts a request under. A request
// from a loopback address comes from the reverse proxy on the same host
// (docs/operations.md), so the client is the last address of
// X-Forwarded-For: the one the proxy added (Caddy sets it, nginx appends
// $remote_addr with $proxy_add_x_forwarded_for); earlier entries are the
// client's own claims and are ignored. Any other peer is the client.
func clientAddr(peer net.IP, xff string) string {
	if peer.IsLoopback() && xff != "" {
		last := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
		if ip := net.ParseIP(last); ip != nil {
			return ip.String()
		}
	}
	return peer.String()
}

// loginLimiter counts failed sign-ins (any answer ≥ 400) per client; the
// handlers after it must render their errors themselves (renderErrors)
// so that the limiter sees the status.
func (a *App) loginLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:                    loginFailures,
		Expiration:             loginWindow,
		KeyGenerator:           a.clientKey("login/"),
		SkipSuccessfulRequests: true,
		LimitReached: func(c *fiber.Ctx) error {
			if a.loginPageError != nil && c.Path() == "/admin/login" {
				return a.loginPageError(c, core.ErrTooManyLogins)
			}
			return a.errorHandler(c, core.ErrTooManyLogins)
		},
	})
}

// proposalLimiter counts every proposal submission per client.
func (a *App) proposalLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:                proposalBurst,
		Expiration:         proposalWindow,
		KeyGenerator:       a.clientKey("proposal/"),
		SkipFailedRequests: true,
		LimitReached: func(c *fiber.Ctx) error {
			if a.pageError != nil && c.Path() != "" && !strings.HasPrefix(c.Path(), "/api/") {
				return a.pageError(c, core.ErrTooManyProposals)
			}
			return a.errorHandler(c, core.ErrTooManyProposals)
		},
	})
}

// renderErrors renders the error of the handlers after it at once, so
// that a limiter before it sees the status that is sent.
func (a *App) renderErrors(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return a.errorHandler(c, err)
	}
	return nil
}

// setDeviceCookie keeps a device token for a year.
func (a *App) setDeviceCookie(c *fiber.Ctx, token string) {
	if token == "" || token == c.Cookies(DeviceCookie) {
		return
	}
	c.Cookie(&fiber.Cookie{
		Name:     DeviceCookie,
		Value:    token,
		Path:     "/",
		Expires:  time.Now().Add(365 * 24 * time.Hour),
		HTTPOnly: true,
		Secure:   a.secure,
		SameSite: fiber.CookieSameSiteStrictMode,
	})
}
