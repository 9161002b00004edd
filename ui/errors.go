package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
)

// statusOf is the one mapping of domain error kinds to HTTP statuses.
var statusOf = map[core.Kind]int{
	core.Invalid:      http.StatusBadRequest,
	core.Unauthorized: http.StatusUnauthorized,
	core.Forbidden:    http.StatusForbidden,
	core.NotFound:     http.StatusNotFound,
	core.Conflict:     http.StatusConflict,
	core.TooLarge:     http.StatusRequestEntityTooLarge,
	core.Unsupported:  http.StatusUnsupportedMediaType,
	core.TooMany:      http.StatusTooManyRequests,
	core.Unavailable:  http.StatusServiceUnavailable,
}

// errorBody is the JSON shape of every error response: the public message,
// the stable reason code of a specific condition (core.Reason, e.g.
// "code_used"), and the request id of internal errors.
type errorBody struct {
	Error     string `json:"error"`
	Code      string `json:"code,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// PublicError maps err to the status, message and reason a client may
// see; it is the one place where domain errors become HTTP statuses. The
// boolean is false for internal errors, whose message is only "internal
// error".
func PublicError(err error) (status int, msg string, reason core.Reason, public bool) {
	var e *core.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e) && statusOf[e.Kind] != 0:
		return statusOf[e.Kind], e.Msg, e.Reason, true
	case errors.As(err, &fe):
		return fe.Code, lowerFirst(fe.Message), "", true
	}
	return http.StatusInternalServerError, "internal error", "", false
}

// setRetryAfter sets Retry-After (whole seconds, rounded up) from an
// *core.Error's RetryAfter; a Retry-After already set (by a limiter) stays.
func setRetryAfter(c *fiber.Ctx, err error) {
	var e *core.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 || len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) > 0 {
		return
	}
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
}

func lowerFirst(s string) string {
	if s != "" && 'A' <= s[0] && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// errorHandler is the app's one Fiber error handler. API requests (paths
// under /api/, or asking for JSON) get {"error": msg} (plus the request id
// for internal errors); other requests get the page renderer set with
// [App.SetErrorPage], or plain text. Internal errors are logged with their
// detail and the request id; the client never sees the detail.
func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	err, refused := a.uploads.refused(c, err)
	if refused && a.pageError != nil && !strings.HasPrefix(c.Path(), "/api/") {
		return a.pageError(c, err) // a body refused before any page handler ran, in the page's language
	}
	status, msg, reason, public := PublicError(err)
	rid, _ := c.Locals(localRequestID).(string)
	if !public {
		a.log.Error("request failed", "request_id", rid, "method", c.Method(), "path", c.Path(), "err", err)
	} else if status >= 500 {
		// One line per reason per service.LogEvery (a full disk fails
		// every write), with how many were held back.
		if ok, held := a.logGate.Allow(strconv.Itoa(status)+string(reason), time.Now()); ok {
			a.log.Warn("request failed", "request_id", rid, "status", status, "err", err, "held_back", held)
		}
	}
	if !public {
		msg = "internal error (request " + rid + ")"
	}
	setRetryAfter(c, err)
	c.Status(status)
	switch {
	case strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/admin/") ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON):
		body := errorBody{Error: msg, Code: string(reason)}
		if !public {
			body.Error, body.RequestID = "internal error", rid
		}
		return c.JSON(body)
	case a.errorPage != nil:
		return a.errorPage(c, status, msg)
	case a.pageError != nil && !strings.HasPrefix(c.Path(), "/rounds/") && !strings.HasPrefix(c.Path(), "/funds/"):
		// A page that does not exist, in the reader's language; the
		// published files keep their plain-text errors for the verifier.
		c.Response().ResetBody()
		return a.pageError(c, err)
	default:
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString(msg + "\n")
	}
}

// SetErrorPage sets how errors of non-API requests (pages) are rendered.
// render must write the whole response; msg is already public. Call it
// before serving.
func (a *App) SetErrorPage(render func(c *fiber.Ctx, status int, msg string) error) {
	a.errorPage = render
}

// logError logs an internal error with the request id, for handlers that
// answer without returning the error.
func (a *App) logError(c *fiber.Ctx, msg string, err error) {
	rid, _ := c.Locals(localRequestID).(string)
	a.log.Error(msg, slog.String("request_id", rid), slog.Any("err", err))
}
