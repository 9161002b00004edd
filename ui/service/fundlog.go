package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// The fund ledger (docs/record.md §14)
//
// Every change to a fund's money is written, in the transaction that makes
// it, as a signed entry of the fund's ledger: a log like a round's
// (tx.FundLog), whose checkpoints the fund key signs. The entries are the
// ones of tally/fund, built from what the operation decided with the rules
// of tally/fund (fund.Book); a verifier replays them with the same rules
// (fund.Replay). So the database and the ledger cannot disagree: both are
// written in one transaction, and a change the ledger would not accept is
// not committed (checkLedger).

// fundKeyID is the key file of fund id's ledger key.
func fundKeyID(id string) string { return "fund-" + id }

// newFundKey creates (or, for a fund being created again, finds) the key
// of fund id's ledger, named after its origin.
func (s *Service) newFundKey(id string) (origin, vkey string, err error) {
	origin = fund.Origin(s.host, id)
	if !validOriginPrefix(origin) || len(origin) > 255 {
		return "", "", core.Invalidf("fund id too long for a log origin")
	}
	_, vkey, err = s.keys.Signer(fundKeyID(id), origin)
	return origin, vkey, err
}

// fundSigner returns the signer of fund f's ledger, checking that its key
// file still holds the fund's key.
func (s *Service) fundSigner(f *core.Fund) (note.Signer, error) {
	sg, vkey, err := s.keys.Existing(fundKeyID(f.ID))
	if err != nil {
		return nil, fmt.Errorf("service: fund %s: %w", f.ID, err)
	}
	if vkey != f.FundKey {
		return nil, fmt.Errorf("service: fund %s: the key file does not hold the fund's key", f.ID)
	}
	return sg, nil
}

// writeFund appends entries es to fund f's ledger within tx, signed by
// the fund key, then leaves raw (round result notes, signed by their
// councils), and signs a checkpoint of the new head. The hash of the
// fund's first opening starts the chain of result notes (f.ResultHead;
// the caller stores f). It then replays the whole ledger against the
// stored state (checkLedger), so a change the ledger would not accept
// aborts the transaction.
func (s *Service) writeFund(tx core.Tx, f *core.Fund, es []fund.Entry, raw ...[]byte) error {
	if f.FundKey == "" {
		return fmt.Errorf("service: fund %s has no ledger", f.ID)
	}
	sg, err := s.fundSigner(f)
	if err != nil {
		return err
	}
	var leaves [][]byte
	for _, e := range es {
		msg, err := fund.SignEntry(e, sg)
		if err != nil {
			return err
		}
		if _, ok := e.(fund.OpeningEntry); ok && f.ResultHead == "" {
			h := ledger.NoteHash(msg)
			f.ResultHead = base64.StdEncoding.EncodeToString(h[:])
		}
		leaves = append(leaves, msg)
	}
	leaves = append(leaves, raw...)
	if _, _, _, err := appendSigned(tx.FundLog(f.ID), f.Origin, leaves, sg); err != nil {
		return err
	}
	return s.checkLedger(tx, *f)
}

// day is t's date in the form of the ledger (YYYY-MM-DD, UTC).
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// nextTranche is the first tranche of f not opened yet, the one an
// amendment changes; it is Conflict when every tranche has opened.
func nextTranche(f core.Fund, what string) (int, error) {
	if len(f.Openings) >= len(f.Tranches) {
		return 0, core.ErrFundAllOpened.With("every tranche of fund %s has opened, so %s would change nothing", f.ID, what)
	}
	return f.Tranches[len(f.Openings)].Year, nil
}

// openingEntry is the ledger entry of opening o of fund f.
func openingEntry(f core.Fund, o fund.Opening) fund.OpeningEntry {
	amount := int64(0)
	for _, t := range f.Tranches {
		if t.Year == o.Year {
			amount = t.Amount
		}
	}
	return fund.OpeningEntry{Fund: f.ID, Tranche: fund.Tranche{Year: o.Year, Amount: amount},
		Members: o.Members, Shares: o.Allocated}
}

// reservationEntry is the ledger entry of frozen round r's reservation.
func reservationEntry(r core.Round) (fund.ReservationEntry, error) {
	h, err := base64.StdEncoding.DecodeString(r.ManifestHash)
	if err != nil || len(h) != 32 {
		return fund.ReservationEntry{}, fmt.Errorf("service: round %s: bad manifest hash", r.ID)
	}
	return fund.ReservationEntry{Fund: r.Fund, Round: r.ID, Community: r.Community, Tranche: r.Year,
		Budget: r.Budget, Manifest: [32]byte(h), LogKey: r.LogKey, CouncilKey: r.CouncilKey,
		Fingerprint: r.Fingerprint}, nil
}

// checkLedger verifies fund f's ledger within tx as pbverify does
// (fund.VerifyLedger: signatures, tree, every rule replayed, the result
// chain) and compares what it finds with the stored state: the same
// opened and closed tranches with the same allocations and carry-overs,
// the same reservations (frozen rounds not cancelled, with what the
// published ones spent) and the same membership for the first tranche not
// opened yet. Any difference is an internal error: the operation that
// caused it is not committed.
func (s *Service) checkLedger(tx core.Tx, f core.Fund) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("service: fund %s: the ledger and the database disagree: "+format, append([]any{f.ID}, args...)...)
	}
	l, err := ledgerIn(tx, f.ID)
	if err != nil {
		return err
	}
	rep := fund.VerifyLedger(l, fund.VerifyOptions{Anchors: &fund.Anchors{Fund: f.ID, FundKey: f.FundKey}})
	if !rep.OK() {
		c := rep.Check(rep.FirstFailure())
		return fail("check %s fails: %v", c.Name, c.Messages)
	}
	if rep.ChainHead != f.ResultHead {
		return fail("the head of the result chain differs")
	}
	type res struct {
		round, community string
		year             int
		budget, spent    int64
		published        bool
	}
	var want, got []res
	rounds, err := tx.Rounds()
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if r.Fund == f.ID && r.Cancelled.IsZero() && r.Phase.Frozen() {
			pub := r.Phase == core.PhasePublished
			want = append(want, res{r.ID, r.Community, r.Year, r.Budget, r.Spent, pub})
		}
	}
	for _, r := range rep.Rounds {
		if r.Status != fund.RoundCancelled {
			got = append(got, res{r.Round, r.Community, r.Tranche, r.Budget, r.Spent, r.Status == fund.RoundPublished})
		}
	}
	byRound := func(a, b res) int { return cmpString(a.round, b.round) }
	slices.SortFunc(want, byRound)
	slices.SortFunc(got, byRound)
	if !slices.Equal(want, got) {
		return fail("reservations differ")
	}
	if len(rep.Tranches) != len(f.Tranches) {
		return fail("%d tranches, not %d", len(rep.Tranches), len(f.Tranches))
	}
	b, err := book(tx, f)
	if err != nil {
		return err
	}
	for i, tr := range rep.Tranches {
		if tr.Year != f.Tranches[i].Year || tr.Amount != f.Tranches[i].Amount ||
			tr.Opened != (i < len(f.Openings)) || tr.Closed != (i < len(f.Closings)) {
			return fail("tranche %d differs", tr.Year)
		}
		var alloc, left []tally.Share
		var members []string
		for _, ac := range tr.Accounts {
			alloc = append(alloc, tally.Share{Community: ac.Community, Amount: ac.Allocated})
			left = append(left, tally.Share{Community: ac.Community, Amount: ac.Left})
			members = append(members, ac.Community)
		}
		switch {
		case tr.Opened && !slices.Equal(alloc, f.Openings[i].Allocated):
			return fail("the allocation of %d differs", tr.Year)
		case tr.Closed && !slices.Equal(left, f.Closings[i].CarryOut):
			return fail("the carry-over of %d differs", tr.Year)
		case i == len(f.Openings):
			var inForce []string
			for _, m := range b.Members {
				inForce = append(inForce, m.Community)
			}
			slices.Sort(inForce)
			slices.Sort(members)
			if !slices.Equal(members, inForce) {
				return fail("the members of %d differ", tr.Year)
			}
		}
	}
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FundLedger returns fund id's ledger: its leaves and its signed
// checkpoints in size order (docs/record.md §14.5), or NotFound.
func (s *Service) FundLedger(ctx context.Context, id string) (leaves, checkpoints [][]byte, err error) {
	err = s.store.Read(ctx, func(tx core.Tx) error {
		f, err := tx.Fund(id)
		if errors.Is(err, core.ErrMissing) || (err == nil && f.FundKey == "") {
			return core.NotFoundf("no fund %s", id)
		}
		if err != nil {
			return err
		}
		l, err := ledgerIn(tx, id)
		if err != nil {
			return err
		}
		leaves, checkpoints = l.Leaves, l.Checkpoints
		return nil
	})
	return leaves, checkpoints, err
}

// ledgerIn reads fund id's ledger within tx: its leaves and its signed
// checkpoints in size order.
func ledgerIn(tx core.Tx, id string) (*fund.Ledger, error) {
	l := &fund.Ledger{}
	log := tx.FundLog(id)
	if err := log.ForEachLeaf(func(_ int64, leaf []byte) error {
		l.Leaves = append(l.Leaves, slices.Clone(leaf))
		return nil
	}); err != nil {
		return nil, err
	}
	var err error
	if l.Checkpoints, err = log.Checkpoints(); err != nil {
		return nil, err
	}
	return l, nil
}

// FundAnchors returns fund id's anchors file (pb-fund-anchors/v1), or
// NotFound.
func (s *Service) FundAnchors(ctx context.Context, id string) ([]byte, error) {
	var out []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		f, err := tx.Fund(id)
		if errors.Is(err, core.ErrMissing) || (err == nil && f.FundKey == "") {
			return core.NotFoundf("no fund %s", id)
		}
		if err != nil {
			return err
		}
		out = fund.Anchors{Fund: f.ID, FundKey: f.FundKey}.Marshal()
		return nil
	})
	return out, err
}

// upgradeLedgers gives every fund stored before fund ledgers existed (no
// fund key) its ledger, written from the stored state: the charter with
// the members of its first opening (or today's, when none opened), for
// each opened tranche the amendments that lead to its members and its
// opening, the reservations of its frozen rounds and its closing, and
// last the amendments to today's membership. Every entry passes the same
// check as a new one (writeFund). A fund with a published round cannot be
// upgraded: its result notes were chained outside any ledger; the start
// is refused with a message naming the fund.
func (s *Service) upgradeLedgers(ctx context.Context) error {
	return s.store.Write(ctx, func(tx core.Tx) error {
		funds, err := tx.Funds()
		if err != nil {
			return err
		}
		rounds, err := tx.Rounds()
		if err != nil {
			return err
		}
		comms, err := tx.Communities()
		if err != nil {
			return err
		}
		for _, f := range funds {
			if f.FundKey != "" {
				continue
			}
			refuse := func(why string) error {
				return fmt.Errorf("service: the data directory holds fund %s from before fund ledgers, which cannot be upgraded: %s; "+
					"restore it with the older pbserver, or start from a new data directory", f.ID, why)
			}
			if n, err := tx.FundLog(f.ID).Size(); err != nil || n != 0 {
				return refuse("its ledger is not empty")
			}
			var frozen []core.Round
			for _, r := range rounds {
				if r.Fund != f.ID || !r.Cancelled.IsZero() || !r.Phase.Frozen() {
					continue
				}
				if r.Phase == core.PhasePublished {
					return refuse("round " + r.ID + " was published, its result chained outside a ledger")
				}
				frozen = append(frozen, r)
			}
			names := map[string]string{}
			var today []tally.Member
			for _, c := range comms {
				if c.Fund == f.ID {
					names[c.ID] = c.Name
					if !c.Removed {
						today = append(today, tally.Member{Community: c.ID, Population: c.Population})
					}
				}
			}
			if f.Origin, f.FundKey, err = s.newFundKey(f.ID); err != nil {
				return refuse(err.Error())
			}
			date := day(s.clock())
			start := today
			if len(f.Openings) > 0 {
				start = f.Openings[0].Members
			}
			charter := fund.CharterEntry{Fund: f.ID, Name: f.Name, Unit: "DKK",
				Formula: tally.Formula{Kind: f.Formula, Base: f.Base}, PopulationDate: date, Tranches: f.Tranches}
			for _, m := range start {
				charter.Communities = append(charter.Communities, fund.CommunityEntry{ID: m.Community, Population: m.Population, Name: names[m.Community]})
			}
			slices.SortFunc(charter.Communities, func(a, b fund.CommunityEntry) int { return cmpString(a.ID, b.ID) })
			es := []fund.Entry{charter}
			cur := start
			for i, o := range f.Openings {
				if i > 0 {
					es = append(es, amendments(f.ID, o.Year, cur, o.Members, names, date)...)
				}
				cur = o.Members
				es = append(es, openingEntry(f, o))
				for _, r := range frozen {
					if r.Year == o.Year {
						e, err := reservationEntry(r)
						if err != nil {
							return refuse(err.Error())
						}
						es = append(es, e)
					}
				}
				for _, c := range f.Closings {
					if c.Year == o.Year {
						es = append(es, fund.ClosingEntry{Fund: f.ID, Tranche: c.Year, Carry: c.CarryOut})
					}
				}
			}
			if len(f.Openings) > 0 && len(f.Openings) < len(f.Tranches) {
				es = append(es, amendments(f.ID, f.Tranches[len(f.Openings)].Year, cur, today, names, date)...)
			}
			if err := s.writeFund(tx, &f, es); err != nil {
				return refuse(err.Error())
			}
			if err := tx.PutFund(f); err != nil {
				return err
			}
			s.log.Info("fund upgraded: its ledger was written from the stored state", "fund", f.ID, "entries", len(es))
		}
		return nil
	})
}

// amendments are the entries that change membership from to to, from
// tranche year on: leaves, population changes and joins, each in
// community order.
func amendments(fundID string, year int, from, to []tally.Member, names map[string]string, date string) []fund.Entry {
	var es []fund.Entry
	in := func(ms []tally.Member, id string) (tally.Member, bool) {
		i := slices.IndexFunc(ms, func(m tally.Member) bool { return m.Community == id })
		if i < 0 {
			return tally.Member{}, false
		}
		return ms[i], true
	}
	for _, m := range from {
		if _, ok := in(to, m.Community); !ok {
			es = append(es, fund.AmendmentEntry{Fund: fundID, From: year, Change: "leave", Community: m.Community})
		}
	}
	for _, m := range to {
		old, ok := in(from, m.Community)
		switch {
		case !ok:
			es = append(es, fund.AmendmentEntry{Fund: fundID, From: year, Change: "join", Community: m.Community,
				Population: m.Population, Name: names[m.Community], PopulationDate: date})
		case old.Population != m.Population:
			es = append(es, fund.AmendmentEntry{Fund: fundID, From: year, Change: "population", Community: m.Community,
				Population: m.Population, PopulationDate: date})
		}
	}
	return es
}
