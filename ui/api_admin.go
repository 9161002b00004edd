package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/store"
)

// parseBody decodes a JSON body (strictly: unknown fields are refused) or
// a form body into v. Any failure is a 400.
func parseBody(c *fiber.Ctx, v any) error {
	if len(c.Body()) > maxFormBody {
		return errorf(http.StatusRequestEntityTooLarge, "request body too large (limit %d bytes)", maxFormBody)
	}
	ct := string(c.Request().Header.ContentType())
	if strings.HasPrefix(ct, fiber.MIMEApplicationJSON) || ct == "" {
		dec := json.NewDecoder(bytes.NewReader(c.Body()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return badRequest("malformed JSON body: %s", jsonProblem(err))
		}
		if dec.More() {
			return badRequest("malformed JSON body: trailing data")
		}
		return nil
	}
	if !strings.HasPrefix(ct, fiber.MIMEApplicationForm) && !strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		return errorf(http.StatusUnsupportedMediaType, "unsupported content type %q: send application/json or a form", mediaType(ct))
	}
	if err := c.BodyParser(v); err != nil {
		return badRequest("malformed form body")
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

// FundRequest creates a fund. Give either Tranches, or Years (the total is
// then split evenly, earlier years taking the remainder).
type FundRequest struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Total    int64           `json:"total"`
	Years    []int           `json:"years,omitempty"`
	Tranches []store.Tranche `json:"tranches,omitempty"`
	Formula  string          `json:"formula"`
	Base     int64           `json:"base,omitempty"`
}

// CreateFund creates a fund (administrators only).
func (a *App) CreateFund(ctx context.Context, actor *Identity, req FundRequest) (store.Fund, error) {
	if !actor.IsAdmin() {
		return store.Fund{}, forbidden("only a municipality administrator may create funds")
	}
	if !ballot.ValidID(req.ID) {
		return store.Fund{}, badRequest("fund id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !ballot.ValidText(req.Name) {
		return store.Fund{}, badRequest("fund name must be 1 to 200 bytes of text")
	}
	switch req.Formula {
	case tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant:
	default:
		return store.Fund{}, badRequest("formula must be %q, %q or %q", tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant)
	}
	if req.Base < 0 || (req.Base > 0 && req.Formula != tally.FormulaBasePerInhabitant) {
		return store.Fund{}, badRequest("base is only for the %q formula and must not be negative", tally.FormulaBasePerInhabitant)
	}
	tranches := req.Tranches
	switch {
	case len(tranches) > 0 && len(req.Years) > 0:
		return store.Fund{}, badRequest("give either years or tranches, not both")
	case len(tranches) > 0:
		var sum int64
		for _, t := range tranches {
			if t.Amount < 0 {
				return store.Fund{}, badRequest("tranche %d has a negative amount", t.Year)
			}
			sum += t.Amount
		}
		if req.Total == 0 {
			req.Total = sum
		}
		if sum != req.Total {
			return store.Fund{}, badRequest("tranches add up to %d, not the total %d", sum, req.Total)
		}
	case len(req.Years) > 0:
		amounts, err := tally.SplitTranches(req.Total, len(req.Years))
		if err != nil {
			return store.Fund{}, badRequest("cannot split %d over %d years", req.Total, len(req.Years))
		}
		for i, y := range req.Years {
			tranches = append(tranches, store.Tranche{Year: y, Amount: amounts[i]})
		}
	default:
		return store.Fund{}, badRequest("give the fund's years or tranches")
	}
	if req.Total < 0 || req.Total > 999_999_999_999_999_999 {
		return store.Fund{}, badRequest("total out of range")
	}
	for i, t := range tranches {
		if t.Year < 2000 || t.Year > 9999 || i > 0 && t.Year <= tranches[i-1].Year {
			return store.Fund{}, badRequest("tranche years must be increasing years")
		}
	}
	f := store.Fund{ID: req.ID, Name: req.Name, Total: req.Total, Tranches: tranches,
		Formula: req.Formula, Base: req.Base, Created: a.clock()}
	err := a.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFund(f); err != nil {
			if errors.Is(err, store.ErrExists) {
				return conflict("fund %s already exists", f.ID)
			}
			return err
		}
		return a.audit(tx, actor.Name, "create fund", f.ID, fmt.Sprintf("total %d, formula %s", f.Total, f.Formula))
	})
	return f, err
}

// CommunityRequest creates a community.
type CommunityRequest struct {
	ID         string `json:"id" form:"id"`
	Name       string `json:"name" form:"name"`
	Population int64  `json:"population" form:"population"`
	Fund       string `json:"fund" form:"fund"`
}

// CreateCommunity registers a community in a fund (administrators only).
func (a *App) CreateCommunity(ctx context.Context, actor *Identity, req CommunityRequest) (store.Community, error) {
	if !actor.IsAdmin() {
		return store.Community{}, forbidden("only a municipality administrator may register communities")
	}
	if !ballot.ValidID(req.ID) {
		return store.Community{}, badRequest("community id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !ballot.ValidText(req.Name) {
		return store.Community{}, badRequest("community name must be 1 to 200 bytes of text")
	}
	if req.Population < 0 || req.Population > 100_000_000 {
		return store.Community{}, badRequest("population out of range")
	}
	cm := store.Community{ID: req.ID, Name: req.Name, Population: req.Population, Fund: req.Fund, Created: a.clock()}
	err := a.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Fund(req.Fund); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return badRequest("fund %q does not exist", req.Fund)
			}
			return err
		}
		if err := tx.CreateCommunity(cm); err != nil {
			if errors.Is(err, store.ErrExists) {
				return conflict("community %s already exists", cm.ID)
			}
			return err
		}
		return a.audit(tx, actor.Name, "create community", cm.ID, fmt.Sprintf("population %d, fund %s", cm.Population, cm.Fund))
	})
	return cm, err
}

// AccountRequest creates an account.
type AccountRequest struct {
	Name      string `json:"name" form:"name"`
	Password  string `json:"password" form:"password"`
	Role      string `json:"role" form:"role"`
	Community string `json:"community,omitempty" form:"community"`
}

// CreateAccount creates an administrator or coordinator account
// (administrators only, or anyone when actor is nil: start-up).
func (a *App) CreateAccount(ctx context.Context, actor *Identity, req AccountRequest) (Identity, error) {
	if actor != nil && !actor.IsAdmin() {
		return Identity{}, forbidden("only a municipality administrator may create accounts")
	}
	if !ballot.ValidID(req.Name) {
		return Identity{}, badRequest("account name %q must be lower-case letters, digits and hyphens", req.Name)
	}
	if len(req.Password) < minPasswordLen || len(req.Password) > 1024 {
		return Identity{}, badRequest("password must be %d to 1024 characters", minPasswordLen)
	}
	switch {
	case req.Role == store.RoleAdmin && req.Community == "":
	case req.Role == store.RoleCoordinator && req.Community != "":
	default:
		return Identity{}, badRequest("role must be %q (no community) or %q (with a community)", store.RoleAdmin, store.RoleCoordinator)
	}
	hash, err := a.hashPassword(ctx, req.Password)
	if err != nil {
		return Identity{}, err
	}
	acct := store.Account{Name: req.Name, Role: req.Role, Community: req.Community, PasswordHash: hash, Created: a.clock()}
	by := "start-up"
	if actor != nil {
		by = actor.Name
	}
	err = a.store.Update(ctx, func(tx *store.Tx) error {
		if acct.Community != "" {
			if _, err := tx.Community(acct.Community); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return badRequest("community %q does not exist", acct.Community)
				}
				return err
			}
		}
		if err := tx.CreateAccount(acct); err != nil {
			if errors.Is(err, store.ErrExists) {
				return conflict("account %s already exists", acct.Name)
			}
			return err
		}
		return a.audit(tx, by, "create account", acct.Name, acct.Role+" "+acct.Community)
	})
	return Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community}, err
}

// EnsureAdmin creates the administrator account name with password unless
// an account of that name exists. It reports whether it created it.
func (a *App) EnsureAdmin(ctx context.Context, name, password string) (bool, error) {
	var exists bool
	err := a.store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Account(name)
		exists = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil || exists {
		return false, err
	}
	_, err = a.CreateAccount(ctx, nil, AccountRequest{Name: name, Password: password, Role: store.RoleAdmin})
	return err == nil, err
}

// SetPassword changes an account's password: administrators for anyone,
// others for themselves.
func (a *App) SetPassword(ctx context.Context, actor *Identity, name, password string) error {
	if !actor.IsAdmin() && actor.Name != name {
		return forbidden("you may only change your own password")
	}
	if len(password) < minPasswordLen || len(password) > 1024 {
		return badRequest("password must be %d to 1024 characters", minPasswordLen)
	}
	hash, err := a.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return a.store.Update(ctx, func(tx *store.Tx) error {
		acct, err := tx.Account(name)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFound("no account %s", name)
			}
			return err
		}
		acct.PasswordHash = hash
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "set password", name, "")
	})
}

// TrancheView is one year of a fund's allocation.
type TrancheView struct {
	Year     int           `json:"year"`
	Amount   int64         `json:"amount"`
	Accounts []AccountView `json:"accounts"`
}

// AccountView is one community's money in one tranche.
type AccountView struct {
	Community string `json:"community"`
	CarryIn   int64  `json:"carry_in"`
	Allocated int64  `json:"allocated"`
	Spent     int64  `json:"spent"`
	Available int64  `json:"available"`
	Unspent   int64  `json:"unspent"`
}

// FundView is a fund with its allocation per tranche and community.
type FundView struct {
	store.Fund
	Communities []store.Community `json:"communities"`
	Allocation  []TrancheView     `json:"allocation"`
}

// fundPlan computes a fund's allocation: each tranche shared by the
// fund's formula among its communities, with what each community spent
// (published rounds of that year) and carried over.
func fundPlan(tx *store.Tx, f store.Fund) (FundView, error) {
	view := FundView{Fund: f}
	comms, err := tx.Communities()
	if err != nil {
		return view, err
	}
	rounds, err := tx.Rounds()
	if err != nil {
		return view, err
	}
	var members []tally.Member
	for _, c := range comms {
		if c.Fund == f.ID {
			view.Communities = append(view.Communities, c)
			members = append(members, tally.Member{Community: c.ID, Population: c.Population})
		}
	}
	if len(members) == 0 {
		return view, nil
	}
	var prev []tally.Account
	for _, t := range f.Tranches {
		accts, err := tally.PlanTranche(t.Amount, tally.Formula{Kind: f.Formula, Base: f.Base}, members, prev)
		if err != nil {
			return view, fmt.Errorf("ui: fund %s tranche %d: %w", f.ID, t.Year, err)
		}
		for i := range accts {
			for _, r := range rounds {
				if r.Fund == f.ID && r.Year == t.Year && r.Community == accts[i].Community && r.Phase == store.PhasePublished {
					accts[i].Spent += r.Spent
				}
			}
		}
		tv := TrancheView{Year: t.Year, Amount: t.Amount}
		for _, ac := range accts {
			tv.Accounts = append(tv.Accounts, AccountView{Community: ac.Community, CarryIn: ac.CarryIn,
				Allocated: ac.Allocated, Spent: ac.Spent, Available: ac.Available(), Unspent: ac.Unspent()})
		}
		view.Allocation = append(view.Allocation, tv)
		prev = accts
	}
	return view, nil
}

// available is what a community may still budget for rounds of a year:
// its unspent money that year minus the budgets of its other rounds that
// are not published yet. ok is false when the fund has no such tranche.
func available(tx *store.Tx, fundID, community string, year int, except string) (int64, bool, error) {
	f, err := tx.Fund(fundID)
	if err != nil {
		return 0, false, err
	}
	view, err := fundPlan(tx, f)
	if err != nil {
		return 0, false, err
	}
	rounds, err := tx.Rounds()
	if err != nil {
		return 0, false, err
	}
	for _, tv := range view.Allocation {
		if tv.Year != year {
			continue
		}
		for _, ac := range tv.Accounts {
			if ac.Community != community {
				continue
			}
			left := ac.Unspent
			for _, r := range rounds {
				if r.ID != except && r.Fund == fundID && r.Community == community && r.Year == year && r.Phase != store.PhasePublished {
					left -= r.Budget
				}
			}
			return left, true, nil
		}
	}
	return 0, false, nil
}

func (a *App) handleCreateFund(c *fiber.Ctx) error {
	var req FundRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	f, err := a.CreateFund(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(f)
}

func (a *App) handleFunds(c *fiber.Ctx) error {
	var out []store.Fund
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Funds()
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
}

func (a *App) handleFund(c *fiber.Ctx) error {
	var view FundView
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		f, err := tx.Fund(c.Params("fund"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("no fund %s", c.Params("fund"))
		}
		if err != nil {
			return err
		}
		view, err = fundPlan(tx, f)
		return err
	})
	if err != nil {
		return err
	}
	view.Communities = nonNil(view.Communities)
	view.Allocation = nonNil(view.Allocation)
	return c.JSON(view)
}

func (a *App) handleCreateCommunity(c *fiber.Ctx) error {
	var req CommunityRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	cm, err := a.CreateCommunity(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(cm)
}

func (a *App) handleCommunities(c *fiber.Ctx) error {
	var out []store.Community
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Communities()
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
}

func (a *App) handleCreateAccount(c *fiber.Ctx) error {
	var req AccountRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	id, err := a.CreateAccount(c.UserContext(), AccountOf(c), req)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(id)
}

func (a *App) handleAccounts(c *fiber.Ctx) error {
	var out []Identity
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		accts, err := tx.Accounts()
		for _, ac := range accts {
			out = append(out, Identity{Name: ac.Name, Role: ac.Role, Community: ac.Community})
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
}

func (a *App) handleSetPassword(c *fiber.Ctx) error {
	var req struct {
		Password string `json:"password" form:"password"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if err := a.SetPassword(c.UserContext(), AccountOf(c), c.Params("name"), req.Password); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}

func (a *App) handleAudit(c *fiber.Ctx) error {
	limit := 200
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return badRequest("limit must be a whole number from 1 to 10000")
		}
		limit = n
	}
	if limit < 1 || limit > 10000 {
		return badRequest("limit must be 1 to 10000")
	}
	var out []store.AuditEntry
	err := a.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Audit(limit)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(nonNil(out))
}

// handleBackup is GET /admin/backup: a consistent copy of the database,
// streamed from one read transaction while the server keeps running.
func (a *App) handleBackup(c *fiber.Ctx) error {
	id := AccountOf(c)
	err := a.store.Update(c.UserContext(), func(tx *store.Tx) error {
		return a.audit(tx, id.Name, "backup", "", "")
	})
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := a.store.Backup(context.Background(), pw)
		pw.CloseWithError(err)
	}()
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="pb-backup-%s.db"`, a.clock().Format("20060102T150405Z")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(pr)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
