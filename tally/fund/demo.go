package fund

import (
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// DemoOptions describe a demo fund for [BuildDemo] and [NewDemo]. Zero
// fields take the defaults given.
type DemoOptions struct {
	Seed    uint64 // seeds the fund key and every round's keys, codes and choices
	Ballots int    // ballots per round (default 5)
	Host    string // the server's host, the origins' prefix (default "pb.example")
	Fund    string // fund ID (default "demo-pulje")
	// Count computes each round's result (ledger.DemoOptions.Count).
	Count ledger.CountFunc
}

// A Demo builds a valid fund ledger step by step, as the server writes it:
// each step checks its entry with [Replay] (the rules a verifier applies),
// signs it with the fund key and appends it; rounds are demo rounds of
// ledger.BuildDemo whose reservations carry their anchors and whose
// results join the fund's chain. Tests derive tampered ledgers from its
// leaves with [Demo.Sign] and [Demo.Seal]. Its keys come from a public
// seed: never use them for a real fund.
type Demo struct {
	Anchors Anchors
	Leaves  [][]byte // the ledger's leaves so far
	Cuts    []int    // the sizes at which a checkpoint is signed
	// Rounds are the demo rounds by ID; a round's record has its result
	// note once published, none before.
	Rounds map[string]*ledger.Demo
	// ResultLeaf is the ledger leaf index of each published round's result.
	ResultLeaf map[string]int
	// Force makes the steps append what the rules refuse (the fund's state
	// stays as before the step): for tests that build tampered ledgers.
	Force bool

	opts    DemoOptions
	counted map[string][]byte // round → the result note BuildDemo signed (prev zero)
	signer  note.Signer
	replay  Replay
	chain   [32]byte
	started bool
}

// NewDemo returns an empty demo ledger of fund opts.Fund with a fund key
// derived from opts.Seed.
func NewDemo(opts DemoOptions) (*Demo, error) {
	if opts.Ballots == 0 {
		opts.Ballots = 5
	}
	if opts.Host == "" {
		opts.Host = "pb.example"
	}
	if opts.Fund == "" {
		opts.Fund = "demo-pulje"
	}
	var seed [32]byte
	copy(seed[:], "pb demo fund key seed/v1")
	binary.LittleEndian.PutUint64(seed[24:], opts.Seed)
	skey, vkey, err := ballot.NoteKeyFromSeed(Origin(opts.Host, opts.Fund), seed[:])
	if err != nil {
		return nil, fmt.Errorf("fund demo: %w", err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("fund demo: %w", err)
	}
	d := &Demo{Anchors: Anchors{Fund: opts.Fund, FundKey: vkey}, Rounds: map[string]*ledger.Demo{},
		ResultLeaf: map[string]int{}, counted: map[string][]byte{}, opts: opts, signer: s}
	if _, err := ParseAnchors(d.Anchors.Marshal()); err != nil {
		return nil, fmt.Errorf("fund demo: %w", err)
	}
	return d, nil
}

// Book returns the fund's state after the steps so far.
func (d *Demo) Book() Book { return d.replay.Book }

// Sign returns entry e as a ledger leaf signed by the demo's fund key,
// without checking or appending it.
func (d *Demo) Sign(e Entry) ([]byte, error) { return SignEntry(e, d.signer) }

// Add checks entry e against the rules, signs and appends it.
func (d *Demo) Add(e Entry) error {
	leaf, err := d.Sign(e)
	if err != nil {
		return err
	}
	r := d.replay
	r.Book.Reservations = slices.Clone(r.Book.Reservations)
	if err := d.replay.Apply(e); err != nil {
		d.replay = r
		if !d.Force {
			return fmt.Errorf("fund demo: %w", err)
		}
	}
	if _, ok := e.(OpeningEntry); ok && !d.started {
		d.chain, d.started = ledger.NoteHash(leaf), true
	}
	d.Leaves = append(d.Leaves, leaf)
	return nil
}

// Checkpoint marks that the fund key signs a checkpoint of the ledger as
// it is now (as the server does after each operation).
func (d *Demo) Checkpoint() {
	if n := len(d.Leaves); len(d.Cuts) == 0 || d.Cuts[len(d.Cuts)-1] != n {
		d.Cuts = append(d.Cuts, n)
	}
}

// Charter adds the charter.
func (d *Demo) Charter(c CharterEntry) error {
	c.Fund = d.opts.Fund
	return d.Add(c)
}

// Open adds the opening of tranche year (and of earlier tranches not
// opened), with the allocation of the rules.
func (d *Demo) Open(year int) error {
	os, err := d.replay.Book.Open(year)
	if err != nil {
		return fmt.Errorf("fund demo: %w", err)
	}
	for _, o := range os {
		var t Tranche
		for _, x := range d.replay.Book.Charter.Tranches {
			if x.Year == o.Year {
				t = x
			}
		}
		if err := d.Add(OpeningEntry{Fund: d.opts.Fund, Tranche: t, Members: o.Members, Shares: o.Allocated}); err != nil {
			return err
		}
	}
	return nil
}

// Reserve builds round (a demo round of community with budget, its
// manifest naming the fund) and adds its reservation in tranche year.
// The round's record has no result until [Demo.Publish].
func (d *Demo) Reserve(round, community string, year int, budget int64) error {
	return d.ReserveAs(round, community, community, year, budget)
}

// ReserveAs is [Demo.Reserve] with the round's manifest naming community
// manifestCommunity while the reservation names community (equal in a
// valid fund; tests make them differ).
func (d *Demo) ReserveAs(round, community, manifestCommunity string, year int, budget int64) error {
	rd, err := ledger.BuildDemo(ledger.DemoOptions{Seed: d.opts.Seed*1000 + uint64(len(d.Rounds)) + 1, Ballots: d.opts.Ballots,
		Round: round, Community: manifestCommunity, Fund: d.opts.Fund, Budget: budget, Receipts: -1, Count: d.opts.Count})
	if err != nil {
		return fmt.Errorf("fund demo: round %s: %w", round, err)
	}
	e := ReservationEntry{Fund: d.opts.Fund, Round: round, Community: community, Tranche: year, Budget: budget,
		Manifest: ballot.ManifestHash(rd.Record.Leaves[0]), LogKey: rd.Anchors.LogKey, CouncilKey: rd.Anchors.CouncilKey,
		Fingerprint: rd.Anchors.Manifest}
	if err := d.Add(e); err != nil {
		return err
	}
	d.counted[round] = rd.Record.Results[0]
	rd.Record.Results = nil
	d.Rounds[round] = rd
	return nil
}

// Cancel adds the cancellation of round.
func (d *Demo) Cancel(round string) error {
	return d.Add(CancellationEntry{Fund: d.opts.Fund, Round: round})
}

// ResultNote returns round's result note with prev set to prev, signed by
// its council: the note its record and the ledger hold once published.
func (d *Demo) ResultNote(round string, prev [32]byte) ([]byte, *ledger.Result, error) {
	rd := d.Rounds[round]
	if rd == nil {
		return nil, nil, fmt.Errorf("fund demo: no round %s", round)
	}
	body, _, err := canon.SplitNote(d.counted[round])
	if err != nil {
		return nil, nil, fmt.Errorf("fund demo: %w", err)
	}
	r, err := ledger.ParseResult(body)
	if err != nil {
		return nil, nil, fmt.Errorf("fund demo: %w", err)
	}
	r.Prev = prev
	s, err := note.NewSigner(rd.CouncilSkey)
	if err != nil {
		return nil, nil, fmt.Errorf("fund demo: %w", err)
	}
	msg, err := ledger.SignResult(r, s)
	if err != nil {
		return nil, nil, fmt.Errorf("fund demo: %w", err)
	}
	return msg, r, nil
}

// Publish adds round's result: its result note chained after the fund's
// previous result (or first opening), which also becomes the only note
// of the round record's results.txt.
func (d *Demo) Publish(round string) error {
	msg, r, err := d.ResultNote(round, d.chain)
	if err != nil {
		return err
	}
	if err := d.replay.ApplyResult(Result{Round: r.Round, Fund: r.Fund, Manifest: r.Manifest, Budget: r.Budget, Spent: r.Spent}); err != nil && !d.Force {
		return fmt.Errorf("fund demo: %w", err)
	}
	d.Rounds[round].Record.Results = [][]byte{msg}
	d.chain = ledger.NoteHash(msg)
	d.ResultLeaf[round] = len(d.Leaves)
	d.Leaves = append(d.Leaves, msg)
	return nil
}

// Close adds the closing of tranche year, with what each member has left.
func (d *Demo) Close(year int) error {
	c, err := d.replay.Book.Close(year)
	if err != nil {
		return fmt.Errorf("fund demo: %w", err)
	}
	return d.Add(ClosingEntry{Fund: d.opts.Fund, Tranche: year, Carry: c.CarryOut})
}

// Ledger returns the ledger of the leaves so far with a checkpoint signed
// at every cut and at the end.
func (d *Demo) Ledger() (*Ledger, error) { return d.Seal(d.Leaves, d.Cuts) }

// Seal returns a ledger of leaves (any bytes, for tests) with a fund-key
// checkpoint at every cut (sizes increasing, at most len(leaves); 0 is
// left out) and one of the whole ledger.
func (d *Demo) Seal(leaves [][]byte, cuts []int) (*Ledger, error) {
	l := ledger.NewLog(&ledger.MemStorage{})
	out := &Ledger{Leaves: slices.Clone(leaves)}
	prev := 0
	for _, c := range append(slices.Clone(cuts), len(leaves)) {
		if c <= prev || c > len(leaves) {
			continue
		}
		if _, err := l.Append(leaves[prev:c]); err != nil {
			return nil, fmt.Errorf("fund demo: %w", err)
		}
		cp, err := d.SignCheckpoint(l)
		if err != nil {
			return nil, err
		}
		out.Checkpoints = append(out.Checkpoints, cp)
		prev = c
	}
	return out, nil
}

// SignCheckpoint signs the head of log l with the fund key.
func (d *Demo) SignCheckpoint(l *ledger.Log) ([]byte, error) {
	c, err := l.Head(Origin(d.opts.Host, d.opts.Fund))
	if err != nil {
		return nil, fmt.Errorf("fund demo: %w", err)
	}
	msg, err := ledger.SignCheckpoint(c, d.signer)
	if err != nil {
		return nil, fmt.Errorf("fund demo: %w", err)
	}
	return msg, nil
}

// DemoCharter is the charter of the demo fund: three tranches of 300,000
// DKK shared base+per-inhabitant (20,000 each first) by bakke, dal and
// skov.
func DemoCharter() CharterEntry {
	return CharterEntry{Name: "Demopuljen", Unit: "DKK",
		Formula: tally.Formula{Kind: tally.FormulaBasePerInhabitant, Base: 20000}, PopulationDate: "2026-01-01",
		Tranches:    []Tranche{{2026, 300000}, {2027, 300000}, {2028, 300000}},
		Communities: []CommunityEntry{{"bakke", 1200, "Bakke"}, {"dal", 2500, "Dal"}, {"skov", 800, "Skov"}}}
}

// BuildDemo builds the demo fund, deterministically from opts.Seed: the
// charter (DemoCharter); tranche 2026 opened; eng joining and dal's
// population updated from 2027; rounds bakke-2026 and dal-2026 reserved
// and published, skov-2026 reserved and cancelled; 2026 closed (with its
// carry-over); 2027 opened; eng-2027 published; bakke-2027 reserved and
// not published; 2028 not opened (a projection). A checkpoint follows
// every operation.
func BuildDemo(opts DemoOptions) (*Demo, error) {
	d, err := NewDemo(opts)
	if err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { return d.Charter(DemoCharter()) },
		func() error { return d.Open(2026) },
		func() error {
			return d.Add(AmendmentEntry{Fund: d.opts.Fund, From: 2027, Change: "join", Community: "eng", Population: 600, Name: "Eng", PopulationDate: "2026-06-01"})
		},
		func() error {
			return d.Add(AmendmentEntry{Fund: d.opts.Fund, From: 2027, Change: "population", Community: "dal", Population: 2600, PopulationDate: "2026-06-01"})
		},
		func() error { return d.Reserve("bakke-2026", "bakke", 2026, 80000) },
		func() error { return d.Reserve("dal-2026", "dal", 2026, 100000) },
		func() error { return d.Reserve("skov-2026", "skov", 2026, 50000) },
		func() error { return d.Cancel("skov-2026") },
		func() error { return d.Publish("bakke-2026") },
		func() error { return d.Publish("dal-2026") },
		func() error { return d.Close(2026) },
		func() error { return d.Open(2027) },
		func() error { return d.Reserve("eng-2027", "eng", 2027, 40000) },
		func() error { return d.Publish("eng-2027") },
		func() error { return d.Reserve("bakke-2027", "bakke", 2027, 60000) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
		d.Checkpoint()
	}
	return d, nil
}
