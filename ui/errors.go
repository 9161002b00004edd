package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/store"
)

// Error is an error with a public face: Status and Msg go to the client,
// Err (if any) only to the server log. Handlers and the operations they
// call return *Error for every condition a user can cause; anything else
// becomes a 500 with "internal error" and a request id.
type Error struct {
	Status int    // HTTP status
	Msg    string // public message: lower-case, no trailing period, no secrets
	Err    error  // detail for the log; never sent to the client
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error with a formatted public message.
func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, format, args...)
}

func conflict(format string, args ...any) *Error {
	return errorf(http.StatusConflict, format, args...)
}

func notFound(format string, args ...any) *Error {
	return errorf(http.StatusNotFound, format, args...)
}

func forbidden(format string, args ...any) *Error {
	return errorf(http.StatusForbidden, format, args...)
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// PublicError maps err to the status and message a client may see, the
// way the JSON API's error handler does. Pages use it to render errors.
// The boolean is false for internal errors, whose message is only
// "internal error".
func PublicError(err error) (status int, msg string, public bool) {
	var e *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e):
		return e.Status, e.Msg, true
	case errors.As(err, &fe):
		return fe.Code, lowerFirst(fe.Message), true
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found", true
	}
	return http.StatusInternalServerError, "internal error", false
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
	status, msg, public := PublicError(err)
	rid, _ := c.Locals(localRequestID).(string)
	if !public {
		a.log.Error("request failed", "request_id", rid, "method", c.Method(), "path", c.Path(), "err", err)
	} else if status >= 500 {
		a.log.Warn("request failed", "request_id", rid, "status", status, "err", err)
	}
	if !public {
		msg = "internal error (request " + rid + ")"
	}
	c.Status(status)
	switch {
	case strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/admin/") ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON):
		body := errorBody{Error: msg}
		if !public {
			body.Error, body.RequestID = "internal error", rid
		}
		return c.JSON(body)
	case a.errorPage != nil:
		return a.errorPage(c, status, msg)
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
