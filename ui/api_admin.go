package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// parseBody decodes a JSON body (strictly: unknown fields are refused) or
// a form body into v. Any failure is a 400.
func parseBody(c *fiber.Ctx, v any) error {
	if len(c.Body()) > maxFormBody {
		return core.Errorf(core.TooLarge, "request body too large (limit %d bytes)", maxFormBody)
	}
	ct := string(c.Request().Header.ContentType())
	if strings.HasPrefix(ct, fiber.MIMEApplicationJSON) || ct == "" {
		dec := json.NewDecoder(bytes.NewReader(c.Body()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return core.Invalidf("malformed JSON body: %s", jsonProblem(err))
		}
		if dec.More() {
			return core.Invalidf("malformed JSON body: trailing data")
		}
		return nil
	}
	if !strings.HasPrefix(ct, fiber.MIMEApplicationForm) && !strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		return core.Errorf(core.Unsupported, "unsupported content type %q: send application/json or a form", mediaType(ct))
	}
	if err := c.BodyParser(v); err != nil {
		return core.Invalidf("malformed form body")
	}
	return nil
}

// mediaType is the media type of a Content-Type header, without
// parameters, cut short so that an error message never echoes much input.
func mediaType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(ct)
	if len(ct) > 64 {
		ct = ct[:64] + "…"
	}
	return ct
}

// jsonProblem describes a JSON decoding error without echoing input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF):
		return "empty body"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "cannot decode"
}

func (a *App) handleCreateFund(c *fiber.Ctx) error {
	var req service.FundRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	f, err := a.svc.CreateFund(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(f)
}

func (a *App) handleFunds(c *fiber.Ctx) error {
	out, err := a.svc.Funds(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(service.NonNil(out))
}

func (a *App) handleFund(c *fiber.Ctx) error {
	view, err := a.svc.FundPlan(c.UserContext(), c.Params("fund"))
	if err != nil {
		return err
	}
	view.Communities = service.NonNil(view.Communities)
	view.Allocation = service.NonNil(view.Allocation)
	return c.JSON(view)
}

func (a *App) handleCreateCommunity(c *fiber.Ctx) error {
	var req service.CommunityRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	cm, err := a.svc.CreateCommunity(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(cm)
}

func (a *App) handleCommunities(c *fiber.Ctx) error {
	out, err := a.svc.Communities(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(service.NonNil(out))
}

func (a *App) handleCreateAccount(c *fiber.Ctx) error {
	var req service.AccountRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	id, err := a.svc.CreateAccount(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(id)
}

func (a *App) handleAccounts(c *fiber.Ctx) error {
	out, err := a.svc.Accounts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(service.NonNil(out))
}

func (a *App) handleSetPassword(c *fiber.Ctx) error {
	var req struct {
		Password string `json:"password" form:"password"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if err := a.svc.SetPassword(c.UserContext(), AccountOf(c), c.Params("name"), req.Password, c.Cookies(SessionCookie)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}

func (a *App) handleAudit(c *fiber.Ctx) error {
	limit := 200
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return core.Invalidf("limit must be a whole number from 1 to 10000")
		}
		limit = n
	}
	if limit < 1 || limit > 10000 {
		return core.Invalidf("limit must be 1 to 10000")
	}
	out, err := a.svc.Audit(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(service.NonNil(out))
}

// handleBackup is GET /admin/backup: a consistent copy of the database,
// streamed from one read transaction while the server keeps running.
func (a *App) handleBackup(c *fiber.Ctx) error {
	if err := a.svc.AuditBackup(c.UserContext(), AccountOf(c)); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := a.svc.Backup(context.Background(), pw)
		pw.CloseWithError(err)
	}()
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="pb-backup-%s.db"`, a.svc.Clock().Format("20060102T150405Z")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(pr)
}
