package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// FundRequest creates a fund. Give either Tranches, or Years (the total is
// then split evenly, earlier years taking the remainder).
type FundRequest struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Total    int64          `json:"total"`
	Years    []int          `json:"years,omitempty"`
	Tranches []core.Tranche `json:"tranches,omitempty"`
	Formula  string         `json:"formula"`
	Base     int64          `json:"base,omitempty"`
}

// CreateFund creates a fund (administrators only).
func (s *Service) CreateFund(ctx context.Context, actor *core.Identity, req FundRequest) (core.Fund, error) {
	if !actor.IsAdmin() {
		return core.Fund{}, core.Forbiddenf("only a municipality administrator may create funds")
	}
	if !ballot.ValidID(req.ID) {
		return core.Fund{}, core.Invalidf("fund id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !ballot.ValidText(req.Name) {
		return core.Fund{}, core.Invalidf("fund name must be 1 to 200 bytes of text")
	}
	switch req.Formula {
	case tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant:
	default:
		return core.Fund{}, core.Invalidf("formula must be %q, %q or %q", tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant)
	}
	if req.Base < 0 || (req.Base > 0 && req.Formula != tally.FormulaBasePerInhabitant) {
		return core.Fund{}, core.Invalidf("base is only for the %q formula and must not be negative", tally.FormulaBasePerInhabitant)
	}
	tranches := req.Tranches
	switch {
	case len(tranches) > 0 && len(req.Years) > 0:
		return core.Fund{}, core.Invalidf("give either years or tranches, not both")
	case len(tranches) > 0:
		var sum int64
		for _, t := range tranches {
			if t.Amount < 0 {
				return core.Fund{}, core.Invalidf("tranche %d has a negative amount", t.Year)
			}
			sum += t.Amount
		}
		if req.Total == 0 {
			req.Total = sum
		}
		if sum != req.Total {
			return core.Fund{}, core.Invalidf("tranches add up to %d, not the total %d", sum, req.Total)
		}
	case len(req.Years) > 0:
		amounts, err := tally.SplitTranches(req.Total, len(req.Years))
		if err != nil {
			return core.Fund{}, core.Invalidf("cannot split %d over %d years", req.Total, len(req.Years))
		}
		for i, y := range req.Years {
			tranches = append(tranches, core.Tranche{Year: y, Amount: amounts[i]})
		}
	default:
		return core.Fund{}, core.Invalidf("give the fund's years or tranches")
	}
	if req.Total < 0 || req.Total > 999_999_999_999_999_999 {
		return core.Fund{}, core.Invalidf("total out of range")
	}
	for i, t := range tranches {
		if t.Year < 2000 || t.Year > 9999 || i > 0 && t.Year <= tranches[i-1].Year {
			return core.Fund{}, core.Invalidf("tranche years must be increasing years")
		}
	}
	f := core.Fund{ID: req.ID, Name: req.Name, Total: req.Total, Tranches: tranches,
		Formula: req.Formula, Base: req.Base, Created: s.clock()}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFund(f); err != nil {
			if errors.Is(err, store.ErrExists) {
				return core.Conflictf("fund %s already exists", f.ID)
			}
			return err
		}
		return s.audit(tx, actor.Name, "create fund", f.ID, fmt.Sprintf("total %d, formula %s", f.Total, f.Formula))
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
func (s *Service) CreateCommunity(ctx context.Context, actor *core.Identity, req CommunityRequest) (core.Community, error) {
	if !actor.IsAdmin() {
		return core.Community{}, core.Forbiddenf("only a municipality administrator may register communities")
	}
	if !ballot.ValidID(req.ID) {
		return core.Community{}, core.Invalidf("community id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !ballot.ValidText(req.Name) {
		return core.Community{}, core.Invalidf("community name must be 1 to 200 bytes of text")
	}
	if req.Population < 0 || req.Population > 100_000_000 {
		return core.Community{}, core.Invalidf("population out of range")
	}
	cm := core.Community{ID: req.ID, Name: req.Name, Population: req.Population, Fund: req.Fund, Created: s.clock()}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Fund(req.Fund); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return core.Invalidf("fund %q does not exist", req.Fund)
			}
			return err
		}
		if err := tx.CreateCommunity(cm); err != nil {
			if errors.Is(err, store.ErrExists) {
				return core.Conflictf("community %s already exists", cm.ID)
			}
			return err
		}
		return s.audit(tx, actor.Name, "create community", cm.ID, fmt.Sprintf("population %d, fund %s", cm.Population, cm.Fund))
	})
	return cm, err
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
	core.Fund
	Communities []core.Community `json:"communities"`
	Allocation  []TrancheView    `json:"allocation"`
}

// fundPlan computes a fund's allocation: each tranche shared by the
// fund's formula among its communities, with what each community spent
// (published rounds of that year) and carried over.
func fundPlan(tx *store.Tx, f core.Fund) (FundView, error) {
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
				if r.Fund == f.ID && r.Year == t.Year && r.Community == accts[i].Community && r.Phase == core.PhasePublished {
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
				if r.ID != except && r.Fund == fundID && r.Community == community && r.Year == year && r.Phase != core.PhasePublished {
					left -= r.Budget
				}
			}
			return left, true, nil
		}
	}
	return 0, false, nil
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

// Funds returns every fund in identifier order.
func (s *Service) Funds(ctx context.Context) ([]core.Fund, error) {
	var out []core.Fund
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Funds()
		return err
	})
	return out, err
}

// FundPlan returns a fund with its communities, their allocations and
// what each has spent, or a NotFound error.
func (s *Service) FundPlan(ctx context.Context, id string) (FundView, error) {
	var view FundView
	err := s.store.View(ctx, func(tx *store.Tx) error {
		f, err := tx.Fund(id)
		if errors.Is(err, store.ErrNotFound) {
			return core.NotFoundf("no fund %s", id)
		}
		if err != nil {
			return err
		}
		view, err = fundPlan(tx, f)
		return err
	})
	return view, err
}

// Communities returns every community in identifier order.
func (s *Service) Communities(ctx context.Context) ([]core.Community, error) {
	var out []core.Community
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Communities()
		return err
	})
	return out, err
}
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
