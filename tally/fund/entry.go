package fund

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally"
)

// Entries of a fund ledger
//
// Each entry of a fund's ledger is the body of a signed note, specified
// byte for byte in docs/record.md §14. The first line names the version
// and the kind. [ParseEntry] is strict: an entry is accepted only when it
// is exactly the bytes its Marshal method writes, so every entry has one
// byte form and one hash. (The result entry is the round's result note
// itself, read with ledger.ReadResult; it is not parsed here.)

// Entry kinds, the second token of an entry's first line.
const (
	KindCharter      = "charter"
	KindAmendment    = "amendment"
	KindOpening      = "opening"
	KindReservation  = "reservation"
	KindCancellation = "cancellation"
	KindClosing      = "closing"
)

// EntryHeader is the first token of every entry's first line.
const EntryHeader = "pb-fund/v1"

// ErrEntry reports an entry that is not in the canonical form of
// docs/record.md §14.
var ErrEntry = errors.New("fund: malformed ledger entry")

// Entry is one fund-ledger entry body.
type Entry interface {
	// Kind is the entry's kind (KindCharter, ...).
	Kind() string
	// Marshal returns the entry's canonical body bytes.
	Marshal() []byte
}

// CommunityEntry is a community as a charter lists it.
type CommunityEntry struct {
	ID         string
	Population int64
	Name       string
}

// CharterEntry founds a fund: the first entry of its ledger.
type CharterEntry struct {
	Fund           string
	Name           string
	Unit           string // the currency unit, "DKK"
	Formula        tally.Formula
	PopulationDate string // YYYY-MM-DD: the date the populations are from
	Tranches       []Tranche
	Communities    []CommunityEntry // in ascending ID order
}

// AmendmentEntry changes the fund from tranche From on, a tranche not
// opened yet. Exactly one change: Join, Leave, Population or Tranche.
type AmendmentEntry struct {
	Fund           string
	From           int    // the first tranche the change applies to
	Change         string // "join", "leave", "population" or "tranche"
	Community      string // join, leave, population
	Population     int64  // join, population
	Name           string // join
	Amount         int64  // tranche: the new amount of tranche From
	PopulationDate string // join, population: YYYY-MM-DD
}

// OpeningEntry opens a tranche with its allocation, frozen from then on.
type OpeningEntry struct {
	Fund    string
	Tranche Tranche
	Members []tally.Member // in ascending ID order
	Shares  []tally.Share  // the same communities, what each was allocated
}

// ReservationEntry is a round's reservation at its freeze, with the
// round's trust anchors.
type ReservationEntry struct {
	Fund        string
	Round       string
	Community   string
	Tranche     int
	Budget      int64
	Manifest    [32]byte // the manifest hash
	LogKey      string   // vkey
	CouncilKey  string   // vkey
	Fingerprint string   // 16 Crockford digits
}

// CancellationEntry releases a round's reservation.
type CancellationEntry struct {
	Fund  string
	Round string
}

// ClosingEntry closes a tranche with what each member carries over.
type ClosingEntry struct {
	Fund    string
	Tranche int
	Carry   []tally.Share // in ascending ID order
}

func (CharterEntry) Kind() string      { return KindCharter }
func (AmendmentEntry) Kind() string    { return KindAmendment }
func (OpeningEntry) Kind() string      { return KindOpening }
func (ReservationEntry) Kind() string  { return KindReservation }
func (CancellationEntry) Kind() string { return KindCancellation }
func (ClosingEntry) Kind() string      { return KindClosing }

type lines struct{ bytes.Buffer }

func (w *lines) line(tokens ...string) {
	w.WriteString(strings.Join(tokens, " "))
	w.WriteByte('\n')
}

func dec(n int64) string { return canon.FormatDecimal(n) }

// Marshal returns the charter's canonical body.
func (e CharterEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindCharter)
	w.line("fund", e.Fund)
	w.line("name", e.Name)
	w.line("unit", e.Unit)
	w.line("formula", e.Formula.Kind, dec(e.Formula.Base))
	w.line("carry-over", "next-tranche")
	w.line("leftover", "returned")
	w.line("population-date", e.PopulationDate)
	for _, t := range e.Tranches {
		w.line("tranche", strconv.Itoa(t.Year), dec(t.Amount))
	}
	for _, c := range e.Communities {
		w.line("community", c.ID, dec(c.Population), c.Name)
	}
	return w.Bytes()
}

// Marshal returns the amendment's canonical body.
func (e AmendmentEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindAmendment)
	w.line("fund", e.Fund)
	w.line("from", strconv.Itoa(e.From))
	switch e.Change {
	case "join":
		w.line("join", e.Community, dec(e.Population), e.Name)
	case "leave":
		w.line("leave", e.Community)
	case "population":
		w.line("population", e.Community, dec(e.Population))
	case "tranche":
		w.line("tranche", dec(e.Amount))
	default:
		w.line("change", e.Change)
	}
	if e.Change == "join" || e.Change == "population" {
		w.line("population-date", e.PopulationDate)
	}
	return w.Bytes()
}

// Marshal returns the opening's canonical body.
func (e OpeningEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindOpening)
	w.line("fund", e.Fund)
	w.line("tranche", strconv.Itoa(e.Tranche.Year), dec(e.Tranche.Amount))
	for i, m := range e.Members {
		var a int64
		if i < len(e.Shares) {
			a = e.Shares[i].Amount
		}
		w.line("member", m.Community, dec(m.Population), dec(a))
	}
	return w.Bytes()
}

// Marshal returns the reservation's canonical body.
func (e ReservationEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindReservation)
	w.line("fund", e.Fund)
	w.line("round", e.Round)
	w.line("community", e.Community)
	w.line("tranche", strconv.Itoa(e.Tranche))
	w.line("budget", dec(e.Budget))
	w.line("manifest", canon.EncodeB64(e.Manifest[:]))
	w.line("log-key", e.LogKey)
	w.line("council-key", e.CouncilKey)
	w.line("fingerprint", e.Fingerprint)
	return w.Bytes()
}

// Marshal returns the cancellation's canonical body.
func (e CancellationEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindCancellation)
	w.line("fund", e.Fund)
	w.line("round", e.Round)
	return w.Bytes()
}

// Marshal returns the closing's canonical body.
func (e ClosingEntry) Marshal() []byte {
	var w lines
	w.line(EntryHeader, KindClosing)
	w.line("fund", e.Fund)
	w.line("tranche", strconv.Itoa(e.Tranche))
	for _, c := range e.Carry {
		w.line("carry", c.Community, dec(c.Amount))
	}
	return w.Bytes()
}

// parser reads an entry's lines one by one.
type parser struct {
	ls  []string
	i   int
	err error
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: line %d: %s", ErrEntry, p.i+1, fmt.Sprintf(format, args...))
	}
}

// next returns the fields after keyword on the next line, which must have
// exactly n of them (n < 0: the rest of the line as one field, Text).
func (p *parser) next(keyword string, n int) []string {
	if p.err != nil {
		return make([]string, max(n, 1))
	}
	if p.i >= len(p.ls) {
		p.fail("missing %q line", keyword)
		return make([]string, max(n, 1))
	}
	l := p.ls[p.i]
	k, rest, _ := strings.Cut(l, " ")
	if k != keyword {
		p.fail("want %q, have %q", keyword, k)
		return make([]string, max(n, 1))
	}
	p.i++
	if n < 0 {
		return []string{rest}
	}
	f := strings.Split(rest, " ")
	if len(f) != n {
		p.fail("%q wants %d fields", keyword, n)
		return make([]string, n)
	}
	return f
}

func (p *parser) peek(keyword string) bool {
	return p.err == nil && p.i < len(p.ls) && strings.HasPrefix(p.ls[p.i], keyword+" ")
}

func (p *parser) id(s string) string {
	if !canon.ValidID(s) {
		p.fail("%q is not an identifier", s)
	}
	return s
}

func (p *parser) text(s string) string {
	if !canon.ValidText(s) {
		p.fail("%q is not a text", s)
	}
	return s
}

func (p *parser) amount(s string) int64 {
	n, ok := canon.ParseDecimal(s)
	if !ok || n > MaxAmount {
		p.fail("%q is not an amount (0 to %d)", s, MaxAmount)
	}
	return n
}

func (p *parser) population(s string) int64 {
	n, ok := canon.ParseDecimal(s)
	if !ok || n > MaxPopulation {
		p.fail("%q is not a population (0 to %d)", s, MaxPopulation)
	}
	return n
}

func (p *parser) year(s string) int {
	n, ok := canon.ParseDecimal(s)
	if !ok || n < MinYear || n > MaxYear {
		p.fail("%q is not a year", s)
	}
	return int(n)
}

func (p *parser) date(s string) string {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]+s[5:7]+s[8:]) || s[5:7] < "01" || s[5:7] > "12" || s[8:] < "01" || s[8:] > "31" {
		p.fail("%q is not a date YYYY-MM-DD", s)
	}
	return s
}

func (p *parser) vkey(s string) string {
	if _, _, err := ballot.ParseVerifierKey(s); err != nil {
		p.fail("%q is not a verifier key", s)
	}
	return s
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseEntry parses a fund-ledger entry body (docs/record.md §14). It
// returns an error wrapping [ErrEntry] unless body is exactly the
// canonical bytes of an entry: the right lines in the right order, valid
// identifiers, texts, amounts and keys, communities in ascending order,
// and nothing else.
func ParseEntry(body []byte) (Entry, error) {
	ls, err := canon.Lines(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEntry, err)
	}
	p := &parser{ls: ls}
	h := p.next(EntryHeader, 1)
	var e Entry
	switch h[0] {
	case KindCharter:
		c := CharterEntry{Fund: p.id(p.next("fund", 1)[0]), Name: p.text(p.next("name", -1)[0])}
		c.Unit = p.next("unit", 1)[0]
		if len(c.Unit) != 3 || strings.Trim(c.Unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			p.fail("unit %q is not three capital letters (ISO 4217)", c.Unit)
		}
		f := p.next("formula", 2)
		c.Formula = tally.Formula{Kind: f[0], Base: p.amount(f[1])}
		if p.err == nil && CheckFormula(c.Formula) != nil {
			p.fail("bad formula")
		}
		p.next("carry-over", 1)
		p.next("leftover", 1)
		c.PopulationDate = p.date(p.next("population-date", 1)[0])
		for p.peek("tranche") {
			t := p.next("tranche", 2)
			c.Tranches = append(c.Tranches, Tranche{Year: p.year(t[0]), Amount: p.amount(t[1])})
		}
		for p.peek("community") {
			f := p.next("community", -1)
			id, rest, _ := strings.Cut(f[0], " ")
			pop, name, _ := strings.Cut(rest, " ")
			c.Communities = append(c.Communities, CommunityEntry{ID: p.id(id), Population: p.population(pop), Name: p.text(name)})
		}
		if p.err == nil {
			if _, err := (Charter{Tranches: c.Tranches, Formula: c.Formula}).Check(); err != nil {
				p.fail("%v", err)
			}
			if !slices.IsSortedFunc(c.Communities, func(a, b CommunityEntry) int { return strings.Compare(a.ID, b.ID) }) {
				p.fail("communities not in ascending order")
			}
		}
		e = c
	case KindAmendment:
		a := AmendmentEntry{Fund: p.id(p.next("fund", 1)[0]), From: p.year(p.next("from", 1)[0])}
		switch {
		case p.peek("join"):
			f := p.next("join", -1)
			id, rest, _ := strings.Cut(f[0], " ")
			pop, name, _ := strings.Cut(rest, " ")
			a.Change, a.Community, a.Population, a.Name = "join", p.id(id), p.population(pop), p.text(name)
		case p.peek("leave"):
			a.Change, a.Community = "leave", p.id(p.next("leave", 1)[0])
		case p.peek("population"):
			f := p.next("population", 2)
			a.Change, a.Community, a.Population = "population", p.id(f[0]), p.population(f[1])
		case p.peek("tranche"):
			a.Change, a.Amount = "tranche", p.amount(p.next("tranche", 1)[0])
		default:
			p.fail("unknown change")
		}
		if a.Change == "join" || a.Change == "population" {
			a.PopulationDate = p.date(p.next("population-date", 1)[0])
		}
		e = a
	case KindOpening:
		o := OpeningEntry{Fund: p.id(p.next("fund", 1)[0])}
		t := p.next("tranche", 2)
		o.Tranche = Tranche{Year: p.year(t[0]), Amount: p.amount(t[1])}
		for p.peek("member") {
			f := p.next("member", 3)
			o.Members = append(o.Members, tally.Member{Community: p.id(f[0]), Population: p.population(f[1])})
			o.Shares = append(o.Shares, tally.Share{Community: f[0], Amount: p.amount(f[2])})
		}
		if p.err == nil && (len(o.Members) == 0 || !slices.IsSortedFunc(o.Members, func(a, b tally.Member) int { return strings.Compare(a.Community, b.Community) })) {
			p.fail("members missing or not in ascending order")
		}
		e = o
	case KindReservation:
		r := ReservationEntry{Fund: p.id(p.next("fund", 1)[0]), Round: p.id(p.next("round", 1)[0]),
			Community: p.id(p.next("community", 1)[0]), Tranche: p.year(p.next("tranche", 1)[0]),
			Budget: p.amount(p.next("budget", 1)[0])}
		m := p.next("manifest", 1)[0]
		if h, ok := canon.Decode32(m); ok {
			r.Manifest = h
		} else if p.err == nil {
			p.fail("manifest hash %q is not b64 of 32 bytes", m)
		}
		r.LogKey = p.vkey(p.next("log-key", 1)[0])
		r.CouncilKey = p.vkey(p.next("council-key", 1)[0])
		r.Fingerprint = p.next("fingerprint", 1)[0]
		if p.err == nil && !canon.ValidFingerprint(r.Fingerprint) {
			p.fail("fingerprint %q is not 16 Crockford digits", r.Fingerprint)
		}
		e = r
	case KindCancellation:
		e = CancellationEntry{Fund: p.id(p.next("fund", 1)[0]), Round: p.id(p.next("round", 1)[0])}
	case KindClosing:
		c := ClosingEntry{Fund: p.id(p.next("fund", 1)[0]), Tranche: p.year(p.next("tranche", 1)[0])}
		for p.peek("carry") {
			f := p.next("carry", 2)
			c.Carry = append(c.Carry, tally.Share{Community: p.id(f[0]), Amount: p.amount(f[1])})
		}
		if p.err == nil && !slices.IsSortedFunc(c.Carry, func(a, b tally.Share) int { return strings.Compare(a.Community, b.Community) }) {
			p.fail("carry lines not in ascending order")
		}
		e = c
	default:
		p.fail("unknown entry kind %q", h[0])
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.i != len(ls) {
		return nil, fmt.Errorf("%w: line %d: unexpected %q", ErrEntry, p.i+1, ls[p.i])
	}
	if !bytes.Equal(e.Marshal(), body) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrEntry)
	}
	return e, nil
}
