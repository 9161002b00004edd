package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/ui/core"
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

// CreateFund creates a fund (administrators only). Its charter must keep
// the limits of tally/fund (amounts and their total at most
// fund.MaxAmount, increasing years); anything else is refused as invalid.
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
	if err := fund.CheckFormula(tally.Formula{Kind: req.Formula, Base: req.Base}); err != nil {
		return core.Fund{}, fundErr(err)
	}
	if err := fund.CheckAmount("total", req.Total); err != nil {
		return core.Fund{}, fundErr(err)
	}
	tranches := req.Tranches
	switch {
	case len(tranches) > 0 && len(req.Years) > 0:
		return core.Fund{}, core.Invalidf("give either years or tranches, not both")
	case len(tranches) > 0:
	case len(req.Years) > 0:
		if len(req.Years) > fund.MaxTranches {
			return core.Fund{}, core.Invalidf("a fund has at most %d tranches", fund.MaxTranches)
		}
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
	total, err := fund.Charter{Tranches: tranches, Formula: tally.Formula{Kind: req.Formula, Base: req.Base}}.Check()
	if err != nil {
		return core.Fund{}, fundErr(err)
	}
	if req.Total == 0 {
		req.Total = total
	}
	if total != req.Total {
		return core.Fund{}, core.Invalidf("tranches add up to %d, not the total %d", total, req.Total)
	}
	f := core.Fund{ID: req.ID, Name: req.Name, Total: req.Total, Tranches: tranches,
		Formula: req.Formula, Base: req.Base, Created: s.clock()}
	if f.Origin, f.FundKey, err = s.newFundKey(f.ID); err != nil {
		return core.Fund{}, err
	}
	err = s.store.Write(ctx, func(tx core.Tx) error {
		if err := tx.CreateFund(f); err != nil {
			if errors.Is(err, core.ErrExists) {
				return core.Conflictf("fund %s already exists", f.ID)
			}
			return err
		}
		charter := fund.CharterEntry{Fund: f.ID, Name: f.Name, Unit: "DKK",
			Formula: tally.Formula{Kind: f.Formula, Base: f.Base}, PopulationDate: day(f.Created), Tranches: f.Tranches}
		if err := s.writeFund(tx, &f, []fund.Entry{charter}); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "create fund", f.ID, fmt.Sprintf("total %d, formula %s", f.Total, f.Formula))
	})
	return f, err
}

// CommunityRequest creates a community. PopulationDate (YYYY-MM-DD) is
// the date the population figure is from; today when empty.
type CommunityRequest struct {
	ID             string `json:"id" form:"id"`
	Name           string `json:"name" form:"name"`
	Population     int64  `json:"population" form:"population"`
	Fund           string `json:"fund" form:"fund"`
	PopulationDate string `json:"population_date,omitempty" form:"population_date"`
}

// populationDate checks a population date given with a request, today's
// date when empty.
func (s *Service) populationDate(d string) (string, error) {
	if d == "" {
		return day(s.clock()), nil
	}
	if t, err := time.Parse("2006-01-02", d); err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return "", core.Invalidf("population date %q is not a date (YYYY-MM-DD)", d)
	}
	return d, nil
}

// CreateCommunity registers a community in a fund (administrators only).
// It is an amendment: the community shares the tranches not opened yet,
// never an opened one. It is refused when the fund's formula could then
// not share a tranche (say, only communities of population 0 under a
// per-inhabitant formula).
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
	if req.Population < 0 || req.Population > fund.MaxPopulation {
		return core.Community{}, core.Invalidf("population out of range (0 to %d)", fund.MaxPopulation)
	}
	popDate, err := s.populationDate(req.PopulationDate)
	if err != nil {
		return core.Community{}, err
	}
	cm := core.Community{ID: req.ID, Name: req.Name, Population: req.Population, Fund: req.Fund, Created: s.clock()}
	err = s.store.Write(ctx, func(tx core.Tx) error {
		f, err := tx.Fund(req.Fund)
		if errors.Is(err, core.ErrMissing) {
			return core.Invalidf("fund %q does not exist", req.Fund)
		}
		if err != nil {
			return err
		}
		if err := tx.CreateCommunity(cm); err != nil {
			if errors.Is(err, core.ErrExists) {
				return core.Conflictf("community %s already exists", cm.ID)
			}
			return err
		}
		if err := checkAmendment(tx, f); err != nil {
			return err
		}
		from, err := nextTranche(f, "a new community")
		if err != nil {
			return err
		}
		join := fund.AmendmentEntry{Fund: f.ID, From: from, Change: "join", Community: cm.ID,
			Population: cm.Population, Name: cm.Name, PopulationDate: popDate}
		if err := s.writeFund(tx, &f, []fund.Entry{join}); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "create community", cm.ID, fmt.Sprintf("population %d, fund %s", cm.Population, cm.Fund))
	})
	return cm, err
}

// CommunityUpdate changes a community; nil fields stay. PopulationDate
// (YYYY-MM-DD, today when empty) is the date a new population is from.
type CommunityUpdate struct {
	Name           *string `json:"name,omitempty"`
	Population     *int64  `json:"population,omitempty"`
	PopulationDate string  `json:"population_date,omitempty"`
}

// UpdateCommunity changes a community's name or population
// (administrators only). A new population is an amendment: it counts from
// the next tranche to open; opened tranches keep the population they
// opened with. It is refused like [Service.CreateCommunity].
func (s *Service) UpdateCommunity(ctx context.Context, actor *core.Identity, id string, u CommunityUpdate) (core.Community, error) {
	return s.amendCommunity(ctx, actor, id, func(cm *core.Community) error {
		if cm.Removed {
			return core.Conflictf("community %s has left the fund", id)
		}
		if u.Name != nil {
			if !ballot.ValidText(*u.Name) {
				return core.Invalidf("community name must be 1 to 200 bytes of text")
			}
			cm.Name = *u.Name
		}
		if u.Population != nil {
			if *u.Population < 0 || *u.Population > fund.MaxPopulation {
				return core.Invalidf("population out of range (0 to %d)", fund.MaxPopulation)
			}
			cm.Population = *u.Population
		}
		return nil
	}, u.PopulationDate, "update community")
}

// RemoveCommunity takes a community out of its fund (administrators
// only), an amendment: it keeps its share of the opened tranches and has
// none of the later ones; what it has left when its last tranche closes
// returns to the municipality. It is refused while the community has a
// round in a tranche not opened yet (cancel or move it first).
func (s *Service) RemoveCommunity(ctx context.Context, actor *core.Identity, id string) (core.Community, error) {
	return s.amendCommunity(ctx, actor, id, func(cm *core.Community) error {
		if cm.Removed {
			return core.Conflictf("community %s has already left the fund", id)
		}
		cm.Removed = true
		return nil
	}, "", "remove community")
}

// amendCommunity applies edit to community id and writes the change to
// its fund's ledger: "leave" when it leaves, "population" when its
// population changes, both from the first tranche not opened yet (a name
// is not part of the fund's rules and is not written).
func (s *Service) amendCommunity(ctx context.Context, actor *core.Identity, id string, edit func(*core.Community) error, popDate, action string) (core.Community, error) {
	if !actor.IsAdmin() {
		return core.Community{}, core.Forbiddenf("only a municipality administrator may change communities")
	}
	popDate, err := s.populationDate(popDate)
	if err != nil {
		return core.Community{}, err
	}
	var cm core.Community
	err = s.store.Write(ctx, func(tx core.Tx) error {
		var err error
		cm, err = tx.Community(id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no community %s", id)
		}
		if err != nil {
			return err
		}
		old := cm
		if err := edit(&cm); err != nil {
			return err
		}
		if err := tx.PutCommunity(cm); err != nil {
			return err
		}
		f, err := tx.Fund(cm.Fund)
		if err != nil {
			return err
		}
		if err := checkAmendment(tx, f); err != nil {
			return err
		}
		var es []fund.Entry
		switch {
		case cm.Removed && !old.Removed:
			es = append(es, fund.AmendmentEntry{Fund: f.ID, Change: "leave", Community: cm.ID})
		case cm.Population != old.Population:
			es = append(es, fund.AmendmentEntry{Fund: f.ID, Change: "population", Community: cm.ID,
				Population: cm.Population, PopulationDate: popDate})
		}
		if len(es) > 0 {
			from, err := nextTranche(f, "the change")
			if err != nil {
				return err
			}
			a := es[0].(fund.AmendmentEntry)
			a.From = from
			if err := s.writeFund(tx, &f, []fund.Entry{a}); err != nil {
				return err
			}
		}
		return s.audit(tx, actor.Name, action, cm.ID, fmt.Sprintf("name %q, population %d, removed %t", cm.Name, cm.Population, cm.Removed))
	})
	return cm, err
}

// checkAmendment refuses (Conflict) a change of membership after which
// fund f's book no longer adds up: a tranche the formula cannot share, or
// a round of a community that is no longer a member.
func checkAmendment(tx core.Tx, f core.Fund) error {
	b, err := book(tx, f)
	if err != nil {
		return err
	}
	if _, err := b.Plan(); err != nil {
		return core.ErrFundAllocation.With("the change is refused: the fund's tranches not opened yet would not add up: %s", fundMsg(err))
	}
	return nil
}

// TrancheView is one year of a fund's allocation.
type TrancheView struct {
	Year   int   `json:"year"`
	Amount int64 `json:"amount"`
	// Opened: the allocation is frozen (otherwise a projection from the
	// communities now in the fund). Closed: the carry-over is fixed
	// (otherwise a projection). CarryInFixed: the carry-ins are fact.
	Opened       bool          `json:"opened"`
	Closed       bool          `json:"closed"`
	CarryInFixed bool          `json:"carry_in_fixed"`
	Returned     int64         `json:"returned,omitempty"` // left by communities no longer in the fund
	Accounts     []AccountView `json:"accounts"`
}

// AccountView is one community's money in one tranche.
type AccountView struct {
	Community string `json:"community"`
	CarryIn   int64  `json:"carry_in"`
	Allocated int64  `json:"allocated"`
	Reserved  int64  `json:"reserved"` // budgets of rounds not published yet
	Spent     int64  `json:"spent"`
	Available int64  `json:"available"` // carry-in plus allocation
	Left      int64  `json:"left"`      // available minus reserved and spent: carried over
	// Unspent is Left (kept for older clients).
	Unspent int64 `json:"unspent"`
}

// FundView is a fund with its allocation per tranche and community.
type FundView struct {
	core.Fund
	Communities []core.Community `json:"communities"`
	Allocation  []TrancheView    `json:"allocation"`
}

// charter is fund f's charter for tally/fund.
func charter(f core.Fund) fund.Charter {
	return fund.Charter{Tranches: f.Tranches, Formula: tally.Formula{Kind: f.Formula, Base: f.Base}}
}

// book is fund f's state for the rules of tally/fund: its charter, the
// communities in force for the tranches not opened yet, its openings and
// closings, and every round's reservation (published rounds hold what
// they spent).
func book(tx core.Tx, f core.Fund) (*fund.Book, error) {
	comms, err := tx.Communities()
	if err != nil {
		return nil, err
	}
	rounds, err := tx.Rounds()
	if err != nil {
		return nil, err
	}
	b := &fund.Book{Charter: charter(f), Openings: f.Openings, Closings: f.Closings}
	for _, c := range comms {
		if c.Fund == f.ID && !c.Removed {
			b.Members = append(b.Members, tally.Member{Community: c.ID, Population: c.Population})
		}
	}
	for _, r := range rounds {
		if r.Fund == f.ID && r.Cancelled.IsZero() {
			b.Reservations = append(b.Reservations, fund.Reservation{Round: r.ID, Community: r.Community, Year: r.Year,
				Budget: r.Budget, Published: r.Phase == core.PhasePublished, Spent: r.Spent})
		}
	}
	return b, nil
}

// fundPlan computes a fund's allocation with [fund.Book.Plan]: frozen
// for the opened tranches, projected for the others, with what each
// community reserved, spent and carried over. An error means the stored
// fund is inconsistent (an internal error).
func fundPlan(tx core.Tx, f core.Fund) (FundView, error) {
	view := FundView{Fund: f}
	comms, err := tx.Communities()
	if err != nil {
		return view, err
	}
	for _, c := range comms {
		if c.Fund == f.ID {
			view.Communities = append(view.Communities, c)
		}
	}
	b, err := book(tx, f)
	if err != nil {
		return view, err
	}
	plan, err := b.Plan()
	if err != nil {
		return view, fmt.Errorf("service: fund %s: %w", f.ID, err)
	}
	for _, ts := range plan {
		tv := TrancheView{Year: ts.Year, Amount: ts.Amount, Opened: ts.Opened, Closed: ts.Closed,
			CarryInFixed: ts.CarryInFixed, Returned: ts.Returned}
		for _, ac := range ts.Accounts {
			tv.Accounts = append(tv.Accounts, AccountView{Community: ac.Community, CarryIn: ac.CarryIn,
				Allocated: ac.Allocated, Reserved: ac.Reserved, Spent: ac.Spent,
				Available: ac.CarryIn + ac.Allocated, Left: ac.Left, Unspent: ac.Left})
		}
		view.Allocation = append(view.Allocation, tv)
	}
	return view, nil
}

// headroom is the largest budget round except (or a new round, "") of
// community may have in year ([fund.Book.Headroom]); a year without
// tranche, a community without a share of it, or a closed tranche is
// refused as invalid.
func headroom(tx core.Tx, fundID, community string, year int, except string) (int64, error) {
	f, err := tx.Fund(fundID)
	if err != nil {
		return 0, err
	}
	b, err := book(tx, f)
	if err != nil {
		return 0, err
	}
	h, err := b.Headroom(community, year, except)
	return h, fundErr(err)
}

// checkBudget refuses (invalid) a budget of round r above what its
// community has left in its tranche after every other reservation.
func checkBudget(tx core.Tx, r *core.Round) error {
	left, err := headroom(tx, r.Fund, r.Community, r.Year, r.ID)
	if err != nil {
		return err
	}
	if r.Budget > left {
		return core.Invalidf("budget %d exceeds the %d community %s has left in %d after every other round's reservation", r.Budget, left, r.Community, r.Year)
	}
	return nil
}

// reserveAtFreeze re-checks round r's budget against what its community
// has left and opens r's tranche (and any earlier one not yet opened),
// freezing its allocation; called by the freeze in its transaction.
func (s *Service) reserveAtFreeze(tx core.Tx, r *core.Round) error {
	f, err := tx.Fund(r.Fund)
	if err != nil {
		return err
	}
	b, err := book(tx, f)
	if err != nil {
		return err
	}
	os, err := b.Open(r.Year)
	if err != nil {
		return fundErr(err)
	}
	b.Openings = append(slices.Clone(b.Openings), os...)
	if err := b.Reserve(fund.Reservation{Round: r.ID, Community: r.Community, Year: r.Year, Budget: r.Budget}); err != nil {
		return core.Conflictf("cannot freeze round %s: %s", r.ID, fundMsg(err))
	}
	if len(os) == 0 {
		return nil
	}
	f.Openings = b.Openings
	if err := s.writeFund(tx, &f, openingEntries(f, os)); err != nil {
		return err
	}
	return tx.PutFund(f)
}

// openingEntries are the ledger entries of openings os of fund f.
func openingEntries(f core.Fund, os []fund.Opening) []fund.Entry {
	var es []fund.Entry
	for _, o := range os {
		es = append(es, openingEntry(f, o))
	}
	return es
}

// reserveInLedger writes frozen round r's reservation, with its trust
// anchors, to its fund's ledger; called by the freeze in its transaction
// once r is stored frozen.
func (s *Service) reserveInLedger(tx core.Tx, r core.Round) error {
	f, err := tx.Fund(r.Fund)
	if err != nil {
		return err
	}
	e, err := reservationEntry(r)
	if err != nil {
		return err
	}
	if err := s.writeFund(tx, &f, []fund.Entry{e}); err != nil {
		return err
	}
	return tx.PutFund(f)
}

// upgradeFunds brings funds stored before allocations were frozen (no
// openings) to the rules of tally/fund: every tranche up to the last one
// holding a frozen round is opened with the communities in force, as the
// older server computed it. It refuses (an error that stops the start)
// a fund whose book does not add up then, naming it, rather than serve
// allocations that change under rounds already frozen.
func (s *Service) upgradeFunds(ctx context.Context) error {
	return s.store.Write(ctx, func(tx core.Tx) error {
		funds, err := tx.Funds()
		if err != nil {
			return err
		}
		rounds, err := tx.Rounds()
		if err != nil {
			return err
		}
		for _, f := range funds {
			last := 0
			for _, r := range rounds {
				if r.Fund == f.ID && r.Phase.Frozen() && r.Cancelled.IsZero() {
					last = max(last, r.Year)
				}
			}
			if len(f.Openings) > 0 || last == 0 {
				continue
			}
			b, err := book(tx, f)
			if err != nil {
				return err
			}
			os, err := b.Open(last)
			if err == nil {
				b.Openings = os
				err = checkUpgraded(b)
			}
			if err != nil {
				return fmt.Errorf("service: the data directory holds fund %s from an older version, which cannot be upgraded: %s; "+
					"restore it with the older pbserver, or start from a new data directory", f.ID, fundMsg(err))
			}
			f.Openings = os
			if err := tx.PutFund(f); err != nil {
				return err
			}
			s.log.Info("fund upgraded: tranches opened with their allocations frozen", "fund", f.ID, "through", last)
		}
		return nil
	})
}

// checkUpgraded refuses an upgraded book in which a community has
// reserved or spent more than it had.
func checkUpgraded(b *fund.Book) error {
	plan, err := b.Plan()
	if err != nil {
		return err
	}
	for _, ts := range plan {
		for _, ac := range ts.Accounts {
			if ac.Left < 0 {
				return fmt.Errorf("community %s committed %d more than it has in %d", ac.Community, -ac.Left, ts.Year)
			}
		}
	}
	return nil
}

// FreezeWarnings lists what the coordinator should know before freezing
// round id without it preventing the freeze ([core.FreezeWarnings]): the
// projects together costing more than the budget.
func (s *Service) FreezeWarnings(ctx context.Context, id string) ([]core.Blocker, error) {
	var ws []core.Blocker
	err := s.store.Read(ctx, func(tx core.Tx) error {
		r, err := tx.Round(id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no round %s", id)
		}
		if err != nil {
			return err
		}
		st, err := freezeState(tx, &r)
		ws = core.FreezeWarnings(st)
		return err
	})
	return ws, err
}

// CancelRound withdraws round id before its publication, while voting is
// not open: its budget is released and every later action on it is
// refused. A frozen round's reservation is released in the fund's ledger
// by a cancellation entry; its record stays as it is, without result.
func (s *Service) CancelRound(ctx context.Context, actor *core.Identity, id string) (core.Round, error) {
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActCancel); err != nil {
			return err
		}
		r.Cancelled = s.clock()
		if r.Phase.Frozen() {
			if err := tx.PutRound(*r); err != nil {
				return err
			}
			f, err := tx.Fund(r.Fund)
			if err != nil {
				return err
			}
			if err := s.writeFund(tx, &f, []fund.Entry{fund.CancellationEntry{Fund: f.ID, Round: r.ID}}); err != nil {
				return err
			}
		}
		return s.audit(tx, core.ActorName(actor), "cancel", r.ID, fmt.Sprintf("budget %d released", r.Budget))
	})
}

// OpenTranche opens fund id's tranche of year (and any earlier one not
// yet opened) with the communities in force: their allocations are
// frozen from then on (administrators only). Freezing a round opens its
// tranche by itself.
func (s *Service) OpenTranche(ctx context.Context, actor *core.Identity, id string, year int) (FundView, error) {
	return s.trancheOp(ctx, actor, id, "open tranche", year, func(tx core.Tx, f *core.Fund, b *fund.Book) error {
		os, err := b.Open(year)
		if err != nil {
			return fundErr(err)
		}
		if len(os) == 0 {
			return core.Conflictf("tranche %d of fund %s is already open", year, id)
		}
		f.Openings = append(slices.Clone(f.Openings), os...)
		return s.writeFund(tx, f, openingEntries(*f, os))
	})
}

// CloseTranche closes fund id's tranche of year (administrators only):
// every community's carry-over to the next tranche is fixed. It is
// refused while a round of the tranche is not published (cancel it), or
// when an earlier tranche is still open.
func (s *Service) CloseTranche(ctx context.Context, actor *core.Identity, id string, year int) (FundView, error) {
	return s.trancheOp(ctx, actor, id, "close tranche", year, func(tx core.Tx, f *core.Fund, b *fund.Book) error {
		c, err := b.Close(year)
		if err != nil {
			return fundErr(err)
		}
		f.Closings = append(slices.Clone(f.Closings), c)
		return s.writeFund(tx, f, []fund.Entry{fund.ClosingEntry{Fund: f.ID, Tranche: year, Carry: c.CarryOut}})
	})
}

func (s *Service) trancheOp(ctx context.Context, actor *core.Identity, id, action string, year int, op func(core.Tx, *core.Fund, *fund.Book) error) (FundView, error) {
	if !actor.IsAdmin() {
		return FundView{}, core.Forbiddenf("only a municipality administrator may open or close tranches")
	}
	var view FundView
	err := s.store.Write(ctx, func(tx core.Tx) error {
		f, err := tx.Fund(id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no fund %s", id)
		}
		if err != nil {
			return err
		}
		b, err := book(tx, f)
		if err != nil {
			return err
		}
		if err := op(tx, &f, b); err != nil {
			return err
		}
		if err := tx.PutFund(f); err != nil {
			return err
		}
		if view, err = fundPlan(tx, f); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, action, f.ID, strconv.Itoa(year))
	})
	return view, err
}

// fundErr maps an error of the fund rules to the platform's errors: a
// request outside the rules is invalid, one the tranche's state does not
// allow a conflict; anything else passes unchanged.
func fundErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fund.ErrTrancheState):
		return core.ErrFundTrancheState.With("%s", fundMsg(err))
	case errors.Is(err, fund.ErrLimit), errors.Is(err, fund.ErrCharter):
		return core.ErrFundLimit.With("%s", fundMsg(err))
	case errors.Is(err, fund.ErrNoTranche):
		return core.ErrFundNoTranche.With("%s", fundMsg(err))
	case errors.Is(err, fund.ErrNotMember):
		return core.ErrFundNotMember.With("%s", fundMsg(err))
	case errors.Is(err, fund.ErrOverBudget):
		return core.ErrFundOverBudget.With("%s", fundMsg(err))
	case errors.Is(err, tally.ErrAllocation):
		return core.ErrFundAllocation.With("%s", fundMsg(err))
	}
	return err
}

// fundMsg is err's message without the package prefix.
func fundMsg(err error) string { return strings.TrimPrefix(err.Error(), "fund: ") }

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
	err := s.store.Read(ctx, func(tx core.Tx) error {
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
	err := s.store.Read(ctx, func(tx core.Tx) error {
		f, err := tx.Fund(id)
		if errors.Is(err, core.ErrMissing) {
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
	err := s.store.Read(ctx, func(tx core.Tx) error {
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
