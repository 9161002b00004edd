package ledger

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
)

// DemoOptions describe a demo round for [BuildDemo]. Zero fields take the
// defaults given.
type DemoOptions struct {
	Seed     uint64      // seeds the ChaCha8 generator of every key, code and choice
	Ballots  int         // voters who cast a ballot (default 0)
	Reserve  int         // codes in the roll beyond the voters (default Ballots/10 + 2)
	Round    string      // round ID (default "demo-2026")
	Kind     ballot.Kind // ballot kind (default approval, 1 to 3 projects)
	Revote   string      // revote policy (default none)
	Revotes  int         // under revote last: voters who cast a second, different ballot later
	Voids    int         // voters whose ballot the council voids; each votes again with a reserve code
	Paper    int         // voters 0 to Paper-1 vote on paper: their ballots carry "source paper" (§6.1)
	Batch    int         // leaves per checkpoint (default 50)
	Receipts int         // receipts to issue for the first ballots (default 3; negative for none)
	Rule     string      // counting rule name (default "greedy", "greedy-points" for cumulative ballots)
	Tiebreak string      // tie-break order (default "lexicographic")
	// Community, Fund and Budget are the manifest's (defaults "riverside",
	// "demo-fund" and 100000); Prev is the result note's prev (default
	// zero: the first note of a chain). A fund's demo sets them.
	Community, Fund string
	Budget          int64
	Prev            [32]byte
	// Minimum and Exclusive are the manifest's counting options
	// (docs/record.md §5): a minimum of votes and groups of mutually
	// exclusive projects (IDs of the demo's projects); zero for none.
	Minimum   int64
	Exclusive [][]string
	// Count computes the result's funding. When nil, BuildDemo funds
	// projects greedily by votes (most votes first, ties by project ID),
	// skipping those that do not fit the budget.
	Count CountFunc
}

// A Demo is a complete, valid round built by [BuildDemo]: its record, trust
// anchors and some receipts, plus the secrets that made it, so tests can
// derive variants of it. Demo secrets are derived from a public seed: never
// use them for a real round.
type Demo struct {
	Record   *Record
	Anchors  *Anchors
	Manifest *ballot.Manifest
	Roll     *ballot.Roll
	Codes    []ballot.Code // every code of the roll, in generation order
	Receipts []*Receipt    // receipts of the first ballots

	LogSkey, CouncilSkey string // note signer keys (PRIVATE+KEY+...)

	opts       DemoOptions
	manifest   []byte // leaf 0
	logS       note.Signer
	councilS   note.Signer
	bodyLeaves [][]byte
	cuts       []int
	privs      []ed25519.PrivateKey // the codes' keys
	counted    []*ballot.Ballot     // the counted ballots of bodyLeaves, in log order
}

// SplitCodes returns the demo's codes that signed at least one ballot
// leaf of its record and those that signed none (slips nobody used), each
// in generation order.
func (d *Demo) SplitCodes() (used, unused []ballot.Code) {
	voted := make(map[[32]byte]bool)
	for _, leaf := range d.Record.Leaves {
		if b, err := ballot.ParseBallot(leaf); err == nil {
			voted[b.Key] = true
		}
	}
	for _, c := range d.Codes {
		if voted[ballot.PublicKey(ballot.DeriveKey(c, d.Manifest.Round))] {
			used = append(used, c)
		} else {
			unused = append(unused, c)
		}
	}
	return used, unused
}

// demoProjects is the default project list of a demo round.
func demoProjects() []ballot.Project {
	return []ballot.Project{
		{ID: "boldbane", Cost: 40000, Category: "fritid-og-faellesskab", Title: "Ny kunstgræsbane ved hallen"},
		{ID: "cykelsti", Cost: 75000, Category: "fritid-og-faellesskab", Title: "Lys på cykelstien til skolen"},
		{ID: "legeplads", Cost: 30000, Category: "fritid-og-faellesskab", Title: "Legeplads ved forsamlingshuset"},
		{ID: "lektiecafe", Cost: 15000, Category: "laering", Title: "Lektiecafé i biblioteket"},
		{ID: "praktik", Cost: 20000, Category: "beskaeftigelse", Title: "Praktikpladser for unge"},
		{ID: "spisefaellesskab", Cost: 10000, Category: "social-omsorg", Title: "Spisefællesskab for ældre"},
	}
}

// BuildDemo builds a valid round deterministically from opts.Seed: note
// keys for the log and the council, voting codes and their roll, a signed
// manifest, random valid ballots (and voids and revotes when asked),
// checkpoints after every batch, the close leaf, the final checkpoint
// co-signed by the council, and a result note. The same options always give
// the same bytes.
func BuildDemo(opts DemoOptions) (*Demo, error) {
	if opts.Round == "" {
		opts.Round = "demo-2026"
	}
	if opts.Kind == "" {
		opts.Kind = ballot.KindApproval
	}
	if opts.Revote == "" {
		opts.Revote = ballot.RevoteNone
	}
	if opts.Reserve == 0 {
		opts.Reserve = opts.Ballots/10 + 2
	}
	if opts.Batch <= 0 {
		opts.Batch = 50
	}
	if opts.Receipts == 0 {
		opts.Receipts = 3
	}
	if opts.Rule == "" {
		// The first rule of the kind's row of §11's table: greedy, or
		// greedy-points for cumulative ballots.
		if rules := ballot.ManifestRules(opts.Kind); len(rules) > 0 {
			opts.Rule = rules[0]
		}
	}
	if opts.Tiebreak == "" {
		opts.Tiebreak = ballot.TiebreakLexicographic
	}
	if opts.Community == "" {
		opts.Community = "riverside"
	}
	if opts.Fund == "" {
		opts.Fund = "demo-fund"
	}
	if opts.Budget == 0 {
		opts.Budget = 100000
	}
	switch {
	case opts.Ballots < 0 || opts.Reserve < 0 || opts.Revotes < 0 || opts.Voids < 0:
		return nil, fmt.Errorf("demo: negative count")
	case opts.Paper < 0 || opts.Paper > opts.Ballots:
		return nil, fmt.Errorf("demo: %d paper ballots, want 0 to %d (the voters)", opts.Paper, opts.Ballots)
	case opts.Voids > opts.Reserve || opts.Voids > opts.Ballots:
		return nil, fmt.Errorf("demo: %d voids need as many reserve codes and voters", opts.Voids)
	case opts.Revotes > opts.Ballots || opts.Revotes > 0 && opts.Revote != ballot.RevoteLast:
		return nil, fmt.Errorf("demo: revotes need revote last and at most one per voter")
	}
	var seed [32]byte
	copy(seed[:], "pb demo round seed/v1")
	binary.LittleEndian.PutUint64(seed[24:], opts.Seed)
	rng := rand.NewChaCha8(seed)
	d := &Demo{opts: opts}
	if err := d.setup(rng); err != nil {
		return nil, err
	}
	if err := d.castBallots(rng); err != nil {
		return nil, err
	}
	rec, receipts, err := d.assemble(d.bodyLeaves, d.cuts, d.counted)
	if err != nil {
		return nil, err
	}
	d.Record = rec
	d.Receipts = receipts
	return d, nil
}

// setup makes the keys, codes, roll and manifest.
func (d *Demo) setup(rng *rand.ChaCha8) error {
	o := d.opts
	origin := "pb.example/" + o.Round
	var ks [32]byte
	rng.Read(ks[:])
	logSkey, logVkey, err := ballot.NoteKeyFromSeed(origin, ks[:])
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	rng.Read(ks[:])
	councilSkey, councilVkey, err := ballot.NoteKeyFromSeed("council.example/"+o.Round, ks[:])
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d.LogSkey, d.CouncilSkey = logSkey, councilSkey
	if d.logS, err = note.NewSigner(logSkey); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if d.councilS, err = note.NewSigner(councilSkey); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	n := o.Ballots + o.Reserve
	d.Codes = make([]ballot.Code, n)
	keys := make([][32]byte, n)
	for i := range d.Codes {
		if d.Codes[i], err = ballot.NewCode(rng); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	d.privs = make([]ed25519.PrivateKey, n)
	parallelFor(n, func(i int) {
		d.privs[i] = ballot.DeriveKey(d.Codes[i], o.Round)
		keys[i] = ballot.PublicKey(d.privs[i])
	})
	if d.Roll, err = ballot.NewRoll(o.Round, keys); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	spec := ballot.BallotSpec{Kind: o.Kind}
	switch o.Kind {
	case ballot.KindApproval:
		spec.Min, spec.Max = 1, 3
	case ballot.KindApprovalCost:
		spec.Limit = 100000
	case ballot.KindCumulative:
		spec.Total, spec.Cap = 10, 5
	default:
		return fmt.Errorf("demo: unknown ballot kind %q", o.Kind)
	}
	d.Manifest = &ballot.Manifest{
		Round: o.Round, Community: o.Community, Fund: o.Fund, Title: "Demo round: what should Riverside build?",
		Budget: o.Budget, Ballot: spec, Rule: o.Rule, Tiebreak: o.Tiebreak, Revote: o.Revote,
		LogOrigin: origin, LogKey: logVkey, CouncilKey: councilVkey,
		RollHash: d.Roll.Hash(), RollCount: len(d.Roll.Keys), Projects: demoProjects(),
		Minimum: o.Minimum, Exclusive: o.Exclusive,
	}
	if d.manifest, err = ballot.SignManifest(d.Manifest, d.councilS); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d.Anchors = &Anchors{Round: o.Round, LogKey: logVkey, CouncilKey: councilVkey, Manifest: ballot.Fingerprint(d.manifest)}
	return nil
}

// castBallots makes the body leaves (everything between the manifest and
// the close leaf) and the checkpoint cuts.
func (d *Demo) castBallots(rng *rand.ChaCha8) error {
	o := d.opts
	r := rand.New(rng)
	// Project popularity weights make the result less uniform.
	weights := make([]int, len(d.Manifest.Projects))
	for i := range weights {
		weights[i] = 1 + r.IntN(9)
	}
	var body [][]byte
	// The server's one-ballot-per-key rule. Every cast has its own random
	// cast nonce, so a revote is a new leaf even when it repeats a choice,
	// and no leaf repeats a logged one. The choices are drawn in order; the
	// ballots are signed afterwards, on every core.
	keys := make(map[[32]byte]KeyState)
	type unsigned struct {
		b    *ballot.Ballot
		code int
	}
	var pending []unsigned
	counted := make(map[[32]byte]int) // key → index in pending of its counted ballot
	cast := func(code int, paper bool) error {
		key := ballot.PublicKey(d.privs[code])
		if adm, err := AdmitBallot(o.Revote, keys[key], -1); adm != Append {
			return fmt.Errorf("demo: %w", err)
		}
		index := int64(len(body) + 1)
		keys[key] = KeyState{Ballots: keys[key].Ballots + 1, Last: index}
		counted[key] = len(pending)
		pending = append(pending, unsigned{d.randomBallot(r, weights, paper), code})
		body = append(body, nil)
		return nil
	}
	for i := 0; i < o.Ballots; i++ {
		if err := cast(i, i < o.Paper); err != nil {
			return err
		}
	}
	// Revotes: voters 0, 1, ... vote again at the end.
	for i := 0; i < o.Revotes; i++ {
		if err := cast(i, false); err != nil {
			return err
		}
	}
	// Voids: the council voids voter i's key; the resident votes with
	// reserve code i.
	for i := 0; i < o.Voids; i++ {
		key := ballot.PublicKey(ballot.DeriveKey(d.Codes[o.Ballots-1-i], o.Round))
		v := &Void{Round: o.Round, Manifest: ballot.ManifestHash(d.manifest), Key: key, Reason: "Stjålet stemmeseddel"}
		leaf, err := SignVoid(v, d.councilS)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		body = append(body, leaf)
		ks := keys[key]
		ks.Voided = true
		keys[key] = ks
		delete(counted, key)
		if err := cast(o.Ballots+i, false); err != nil {
			return err
		}
	}
	// Sign, and fill the ballot leaves in.
	leaves := make([][]byte, len(pending))
	parallelFor(len(pending), func(i int) {
		p := pending[i]
		p.b.Sign(d.privs[p.code])
		leaves[i] = p.b.Bytes()
	})
	k := 0
	for i := range body {
		if body[i] == nil {
			body[i] = leaves[k]
			k++
		}
	}
	// The counted ballots, in log order (pending is in log order).
	keep := make([]bool, len(pending))
	for _, i := range counted {
		keep[i] = true
	}
	for i, p := range pending {
		if keep[i] {
			d.counted = append(d.counted, p.b)
		}
	}
	d.bodyLeaves = body
	// Checkpoints after the manifest and after every batch.
	d.cuts = []int{0}
	for c := o.Batch; c < len(body); c += o.Batch {
		d.cuts = append(d.cuts, c)
	}
	if len(body) > 0 {
		d.cuts = append(d.cuts, len(body))
	}
	return nil
}

// randomBallot returns a valid ballot with random choices and cast nonce,
// not yet signed, marked as entered from paper when paper is set.
func (d *Demo) randomBallot(r *rand.Rand, weights []int, paper bool) *ballot.Ballot {
	m := d.Manifest
	// A weighted random order of the projects.
	order := make([]int, 0, len(weights))
	left := slices.Clone(weights)
	for range weights {
		total := 0
		for _, w := range left {
			total += w
		}
		x := r.IntN(total)
		for j, w := range left {
			if x < w {
				order = append(order, j)
				left[j] = 0
				break
			}
			x -= w
		}
	}
	b := &ballot.Ballot{Round: m.Round, Manifest: ballot.ManifestHash(d.manifest)}
	switch m.Ballot.Kind {
	case ballot.KindApproval:
		k := m.Ballot.Min + r.IntN(m.Ballot.Max-m.Ballot.Min+1)
		for _, j := range order[:k] {
			b.Approve = append(b.Approve, m.Projects[j].ID)
		}
	case ballot.KindApprovalCost:
		var cost int64
		k := 1 + r.IntN(len(order))
		for _, j := range order[:k] {
			if p := m.Projects[j]; cost+p.Cost <= m.Ballot.Limit {
				cost += p.Cost
				b.Approve = append(b.Approve, p.ID)
			}
		}
	case ballot.KindCumulative:
		pts := make([]int64, len(m.Projects))
		n := 1 + r.Int64N(m.Ballot.Total)
		for range n {
			j := order[r.IntN(1+r.IntN(len(order)))]
			if pts[j] < m.Ballot.Cap {
				pts[j]++
			}
		}
		for j, p := range pts {
			if p > 0 {
				b.Points = append(b.Points, ballot.Points{Project: m.Projects[j].ID, N: p})
			}
		}
		b.Cumulative = true
	}
	slices.Sort(b.Approve)
	binary.BigEndian.PutUint64(b.Cast[:8], r.Uint64())
	binary.BigEndian.PutUint64(b.Cast[8:], r.Uint64())
	b.Paper = paper
	return b
}

// parallelFor calls f(i) for every i in [0, n), on every core.
func parallelFor(n int, f func(i int)) {
	const chunk = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(chunk) - chunk)
				if c >= n {
					return
				}
				for i := c; i < min(c+chunk, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}

// Reseal builds a record around different body leaves (the leaves between
// the manifest and the close leaf) with the demo's manifest, roll and keys:
// a close leaf counting the ballot leaves, a checkpoint after the manifest
// and after every cut (a number of body leaves, increasing), the final
// checkpoint co-signed, and a result note from the counted ballots. It is
// for building test vectors for verifiers: a record that is valid except
// for what the caller changed.
func (d *Demo) Reseal(body [][]byte, cuts []int) (*Record, error) {
	rec, _, err := d.assemble(body, cuts, nil)
	return rec, err
}

// assemble appends the manifest, the body in batches (a checkpoint after
// each cut), the close leaf and the final checkpoint to a fresh log, and
// computes and signs the result: of counted, the counted ballots in log
// order when the caller knows them, else of those the verifier finds.
func (d *Demo) assemble(body [][]byte, cuts []int, counted []*ballot.Ballot) (*Record, []*Receipt, error) {
	origin := d.Manifest.LogOrigin
	mh := ballot.ManifestHash(d.manifest)
	l := NewLog(&MemStorage{})
	rec := &Record{Roll: d.Roll.Bytes()}
	var receipts []*Receipt
	sign := func(signers ...note.Signer) ([]byte, error) {
		c, err := l.Head(origin)
		if err != nil {
			return nil, err
		}
		msg, err := SignCheckpoint(c, signers...)
		if err != nil {
			return nil, err
		}
		rec.Checkpoints = append(rec.Checkpoints, msg)
		return msg, nil
	}
	if _, err := l.Append([][]byte{d.manifest}); err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	prev := 0
	for _, c := range append(slices.Clone(cuts), len(body)) {
		if c < prev || c > len(body) {
			return nil, nil, fmt.Errorf("demo: bad cut %d", c)
		}
		if c == prev && len(rec.Checkpoints) > 0 {
			continue
		}
		start, err := l.Append(body[prev:c])
		if err != nil {
			return nil, nil, fmt.Errorf("demo: %w", err)
		}
		msg, err := sign(d.logS)
		if err != nil {
			return nil, nil, fmt.Errorf("demo: %w", err)
		}
		for i := start; i < start+int64(c-prev) && len(receipts) < d.opts.Receipts; i++ {
			if KindOf(body[i-1]) != LeafBallot {
				continue
			}
			rc, err := l.Receipt(msg, i)
			if err != nil {
				return nil, nil, fmt.Errorf("demo: %w", err)
			}
			receipts = append(receipts, rc)
		}
		prev = c
	}
	size, err := l.Size()
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	var ballots int64
	for _, b := range body {
		if KindOf(b) == LeafBallot {
			ballots++
		}
	}
	closeLeaf, err := SignClose(&Close{Round: d.Manifest.Round, Manifest: mh, Size: size, Ballots: ballots}, d.councilS)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	if _, err := l.Append([][]byte{closeLeaf}); err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	final, err := l.Head(origin)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	if _, err := sign(d.logS, d.councilS); err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	// The log's leaves are these (not copied again: a demo of a million
	// ballots holds 400 MB of them).
	rec.Leaves = make([][]byte, 0, len(body)+2)
	rec.Leaves = append(append(append(rec.Leaves, d.manifest), body...), closeLeaf)
	if int64(len(rec.Leaves)) != final.Size {
		return nil, nil, fmt.Errorf("demo: the log has %d leaves, the record %d", final.Size, len(rec.Leaves))
	}
	if counted == nil {
		counted = CountedBallots(rec, d.Anchors)
	}
	res, err := d.result(counted, final)
	if err != nil {
		return nil, nil, err
	}
	msg, err := SignResult(res, d.councilS)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	rec.Results = [][]byte{msg}
	return rec, receipts, nil
}

// result counts the counted ballots and returns the result.
func (d *Demo) result(counted []*ballot.Ballot, final Checkpoint) (*Result, error) {
	m := d.Manifest
	var out *Outcome
	if d.opts.Count != nil {
		var err error
		if out, err = safeCount(d.opts.Count, m, counted, final.Root); err != nil {
			return nil, fmt.Errorf("demo: count: %w", err)
		}
	} else {
		out = greedyByVotes(m, Votes(m, counted))
	}
	return &Result{
		Round: m.Round, Fund: m.Fund, Prev: d.opts.Prev, Manifest: ballot.ManifestHash(d.manifest),
		Checkpoint: Checkpoint{Size: final.Size, Root: final.Root},
		Rule:       m.Rule, Tiebreak: m.Tiebreak, Budget: m.Budget,
		Ballots: int64(len(counted)), Spent: out.Spent, Projects: out.Projects,
	}, nil
}

// CountedBallots returns the ballots of rec that count (valid, not voided,
// not superseded), in log order, as [Verify] determines them with the given
// anchors. It returns nil when the manifest or roll do not verify.
func CountedBallots(rec *Record, a *Anchors) []*ballot.Ballot {
	v := newVerifier(VerifyOptions{Anchors: a})
	v.checkAnchors()
	if !v.passed(CheckAnchors) {
		return nil
	}
	if fe, err := v.readLeaves(rec.Roll, rec.stream().Next, true); fe != nil || err != nil || v.m == nil || v.roll == nil {
		return nil
	}
	var out []*ballot.Ballot
	for _, i := range v.countedIndexes() {
		b, err := ballot.ParseBallot(rec.Leaves[i])
		if err != nil {
			return nil // unreachable: a counted leaf parses
		}
		out = append(out, b)
	}
	return out
}

// greedyByVotes funds projects by votes (most first, ties by ID), skipping
// those that no longer fit the budget. It is the demo's default rule, not
// a reference implementation of any counting rule.
func greedyByVotes(m *ballot.Manifest, votes []int64) *Outcome {
	order := make([]int, len(m.Projects))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if votes[a] != votes[b] {
			if votes[a] > votes[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(m.Projects[a].ID, m.Projects[b].ID)
	})
	out := &Outcome{Projects: make([]ResultProject, len(m.Projects))}
	left := m.Budget
	for i, p := range m.Projects {
		out.Projects[i] = ResultProject{ID: p.ID, Votes: votes[i]}
	}
	for _, i := range order {
		if c := m.Projects[i].Cost; c <= left {
			left -= c
			out.Projects[i].Funded = true
			out.Projects[i].Amount = c
			out.Spent += c
		}
	}
	return out
}
