package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
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
		return 0, core.Conflictf("every tranche of fund %s has opened, so %s would change nothing", f.ID, what)
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

// replayLedger reads fund f's ledger within tx and replays it with the
// rules of tally/fund: every fund entry signed by the fund key, every
// result note by its round's council key and chained after the previous
// one (the first after the first opening). It returns the replay.
func replayLedger(l core.Log, f core.Fund) (*fund.Replay, error) {
	v, err := ledger.NewVerifier(f.FundKey)
	if err != nil {
		return nil, err
	}
	r := &fund.Replay{}
	var head [32]byte
	started := false
	err = l.ForEachLeaf(func(i int64, leaf []byte) error {
		if fund.IsEntry(leaf) {
			e, err := fund.OpenEntry(leaf, v)
			if err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
			if _, ok := e.(fund.OpeningEntry); ok && !started {
				head, started = ledger.NoteHash(leaf), true
			}
			return r.Apply(e)
		}
		res, err := openResult(r, leaf)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if !started || res.Prev != head {
			return fmt.Errorf("entry %d: the result of %s does not follow the fund's previous result", i, res.Round)
		}
		head = ledger.NoteHash(leaf)
		return r.ApplyResult(fund.Result{Round: res.Round, Fund: res.Fund, Manifest: res.Manifest,
			Budget: res.Budget, Spent: res.Spent})
	})
	return r, err
}

// openResult reads a result note of a fund ledger, verified with the
// council key of its round's reservation in r.
func openResult(r *fund.Replay, leaf []byte) (*ledger.Result, error) {
	body, _, err := canon.SplitNote(leaf)
	if err != nil {
		return nil, err
	}
	res, err := ledger.ParseResult(body)
	if err != nil {
		return nil, err
	}
	e, ok := r.Reserved[res.Round]
	if !ok {
		return nil, fmt.Errorf("a result of round %s, which has no reservation", res.Round)
	}
	cv, err := ledger.NewVerifier(e.CouncilKey)
	if err != nil {
		return nil, err
	}
	return ledger.OpenResult(leaf, cv)
}

// checkLedger replays fund f's ledger and compares it with the stored
// state: the same openings, closings, reservations (frozen rounds not
// cancelled, with what the published ones spent), membership for the
// tranches not opened yet and result chain head. A difference is an
// internal error: the operation that caused it is not committed.
func (s *Service) checkLedger(tx core.Tx, f core.Fund) error {
	r, err := replayLedger(tx.FundLog(f.ID), f)
	if err != nil {
		return fmt.Errorf("service: fund %s: ledger: %w", f.ID, err)
	}
	b, err := book(tx, f)
	if err != nil {
		return err
	}
	var frozen []fund.Reservation
	rounds, err := tx.Rounds()
	if err != nil {
		return err
	}
	for _, rd := range rounds {
		if rd.Fund == f.ID && rd.Cancelled.IsZero() && rd.Phase.Frozen() {
			frozen = append(frozen, fund.Reservation{Round: rd.ID, Community: rd.Community, Year: rd.Year,
				Budget: rd.Budget, Published: rd.Phase == core.PhasePublished, Spent: rd.Spent})
		}
	}
	byRound := func(a, b fund.Reservation) int { return cmpString(a.Round, b.Round) }
	got := slices.Clone(r.Book.Reservations)
	slices.SortFunc(got, byRound)
	slices.SortFunc(frozen, byRound)
	byMember := func(a, b tally.Member) int { return cmpString(a.Community, b.Community) }
	members, want := slices.Clone(r.Book.Members), slices.Clone(b.Members)
	slices.SortFunc(members, byMember)
	slices.SortFunc(want, byMember)
	switch {
	case !slices.EqualFunc(r.Book.Openings, f.Openings, equalOpening):
		err = errors.New("openings differ")
	case !slices.EqualFunc(r.Book.Closings, f.Closings, func(a, b fund.Closing) bool {
		return a.Year == b.Year && slices.Equal(a.CarryOut, b.CarryOut)
	}):
		err = errors.New("closings differ")
	case !slices.Equal(got, frozen):
		err = errors.New("reservations differ")
	case !slices.Equal(members, want):
		err = errors.New("membership differs")
	case !slices.Equal(r.Book.Charter.Tranches, f.Tranches):
		err = errors.New("tranches differ")
	}
	if err != nil {
		return fmt.Errorf("service: fund %s: the ledger and the database disagree: %w", f.ID, err)
	}
	return nil
}

func equalOpening(a, b fund.Opening) bool {
	return a.Year == b.Year && slices.Equal(a.Members, b.Members) && slices.Equal(a.Allocated, b.Allocated)
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
		l := tx.FundLog(id)
		if err := l.ForEachLeaf(func(_ int64, leaf []byte) error {
			leaves = append(leaves, slices.Clone(leaf))
			return nil
		}); err != nil {
			return err
		}
		checkpoints, err = l.Checkpoints()
		return err
	})
	return leaves, checkpoints, err
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
