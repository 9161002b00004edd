package service

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hedensted-pb/pb/ui/core"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// The sequencer turns submitted leaves into log batches. It collects
// leaves for the batch period (starting with the first leaf of an empty
// batch), shuffles each round's part of the batch with crypto/rand (so the
// log order does not reveal arrival order), appends everything in one
// store transaction together with a checkpoint per round signed by the log
// key, and only after that transaction has committed (with fsync) answers
// each waiting submitter with the index of its leaf. Leaves of the same
// key keep their arrival order (a revote follows the ballot it replaces,
// a void follows the ballots it cancels).
//
// Collecting and committing overlap: a submission only appends to the
// batch being collected (under a mutex, never waiting for a commit), and
// one committer goroutine appends the batches that are complete, one
// after the other, in order. So while a batch is written and synced, the
// next one fills, and the handlers go on verifying and queueing ballots.
//
// The authoritative one-ballot-per-key checks run inside the transaction,
// serialised with every other append: a repeated leaf gets the index it
// already has, a second ballot of a key under revote none is refused, and
// nothing is accepted for a voided key.
type sequencer struct {
	svc    *Service
	period time.Duration

	mu       sync.Mutex
	pending  []*entry       // the batch being collected
	perRound map[string]int // entries of pending by round
	gen      uint64         // grows when pending is taken; a period's timer holds the gen it began in
	timer    *time.Timer    // the period of pending, nil when pending is empty
	work     []seqWork      // complete batches and ops, for the committer in order
	closed   bool
	seq      uint64 // arrival counter

	kick   chan struct{} // cap 1: work was added
	quit   chan struct{}
	done   chan struct{}
	queued atomic.Int64 // entries waiting for the next batch (for tests)
}

// seqWork is a batch to append or an op to run.
type seqWork struct {
	batch []*entry
	op    *seqOp
}

// entry is one leaf waiting for its batch.
type entry struct {
	round string
	leaf  []byte
	hash  tlog.Hash
	key   [32]byte
	void  bool
	// appended, when set, runs in the transaction that appends the leaf,
	// with its index: what must be on disk together with the leaf.
	appended func(tx core.Tx, index int64) error
	seq      uint64
	done     chan outcome // buffered, receives exactly one outcome
}

// outcome is what the sequencer answers for an entry: its index and, for
// ballots, its receipt, built in the transaction that appended it (so
// answering needs no further read).
type outcome struct {
	index   int64
	dup     bool // the leaf was already in the log
	receipt *ledger.Receipt
	err     error
}

// seqOp is a function run by the committer between batches.
type seqOp struct {
	fn   func() error
	done chan error
}

func newSequencer(s *Service, period time.Duration) *sequencer {
	return &sequencer{svc: s, period: period, perRound: make(map[string]int),
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// submit queues a leaf and waits until its batch is on disk.
func (s *sequencer) submit(ctx context.Context, e *entry) (outcome, error) {
	if ctx.Err() != nil {
		return outcome{}, core.Errorf(core.Unavailable, "timed out waiting for the log; send the ballot again")
	}
	e.done = make(chan outcome, 1)
	e.hash = tlog.RecordHash(e.leaf)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return outcome{}, core.ErrShuttingDown
	}
	s.seq++
	e.seq = s.seq
	first := len(s.pending) == 0
	s.pending = append(s.pending, e)
	full := false
	if s.perRound[e.round]++; s.perRound[e.round] >= batchFull {
		// This round's part leaves now; the others keep waiting for
		// the period.
		s.takeRound(e.round)
		full = true
	}
	if first && !full {
		gen := s.gen
		s.timer = time.AfterFunc(s.period, func() { s.tick(gen) })
	}
	s.queued.Store(int64(len(s.pending)))
	s.mu.Unlock()
	if full {
		s.wake()
	}
	// Once queued, the entry will be answered: wait for it even past the
	// context, so that nothing is acknowledged before it is on disk.
	o := <-e.done
	return o, o.err
}

// takeRound moves round's entries from pending into the work (s.mu held).
func (s *sequencer) takeRound(round string) {
	var part, rest []*entry
	for _, p := range s.pending {
		if p.round == round {
			part = append(part, p)
		} else {
			rest = append(rest, p)
		}
	}
	s.work = append(s.work, seqWork{batch: part})
	s.pending = rest
	delete(s.perRound, round)
	if len(rest) == 0 {
		s.endPeriod() // its timer has nothing left to take
	}
}

// endPeriod ends the period of the pending batch (s.mu held): its timer,
// if it has not fired, is stopped, and if it has, finds a newer gen.
func (s *sequencer) endPeriod() {
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// takeAll moves the whole pending batch into the work (s.mu held).
func (s *sequencer) takeAll() {
	if len(s.pending) > 0 {
		s.work = append(s.work, seqWork{batch: s.pending})
		s.pending = nil
		clear(s.perRound)
	}
	s.endPeriod()
	s.queued.Store(0)
}

// tick ends the batch period that began in generation gen.
func (s *sequencer) tick(gen uint64) {
	s.mu.Lock()
	if s.gen != gen || s.closed {
		s.mu.Unlock()
		return
	}
	s.takeAll()
	s.mu.Unlock()
	s.wake()
}

func (s *sequencer) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// do runs fn in the committer after appending the batch in flight, so fn
// is serialised with every batch.
func (s *sequencer) do(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &seqOp{fn: fn, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return core.ErrShuttingDown
	}
	s.takeAll()
	s.work = append(s.work, seqWork{op: op})
	s.mu.Unlock()
	s.wake()
	return <-op.done
}

// stop appends the batch in flight and stops the sequencer. Later
// submissions fail with 503.
func (s *sequencer) stop() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return
	}
	s.closed = true
	s.takeAll()
	s.mu.Unlock()
	close(s.quit)
	<-s.done
}

// run is the committer: it appends the complete batches and runs the ops,
// in the order they were handed over, until stop.
func (s *sequencer) run() {
	defer close(s.done)
	for {
		select {
		case <-s.kick:
			s.drain()
		case <-s.quit:
			s.drain()
			return
		}
	}
}

// drain does the work handed over so far.
func (s *sequencer) drain() {
	for {
		s.mu.Lock()
		if len(s.work) == 0 {
			s.mu.Unlock()
			return
		}
		w := s.work[0]
		s.work[0] = seqWork{}
		s.work = s.work[1:]
		s.mu.Unlock()
		if w.op != nil {
			w.op.done <- w.op.fn()
		} else {
			s.flush(w.batch)
		}
	}
}

// batchFull is K of docs/threat-model.md: a round's part of a batch is
// appended as soon as it holds this many leaves, before the batch period
// ends. The shuffle of a batch therefore covers every leaf of the round
// that arrived within the period, or at least batchFull leaves.
const batchFull = 512

// flush appends one batch: every round's entries in one transaction.
func (s *sequencer) flush(batch []*entry) {
	ctx := context.Background()
	byRound := make(map[string][]*entry)
	for _, e := range batch {
		byRound[e.round] = append(byRound[e.round], e)
	}
	// Load the frozen data of each round before the write transaction.
	frozen := make(map[string]*FrozenRound)
	results := make(map[*entry]outcome, len(batch))
	for round, es := range byRound {
		fr, err := s.svc.FrozenRound(ctx, round)
		if err != nil {
			for _, e := range es {
				results[e] = outcome{err: err}
			}
			delete(byRound, round)
			continue
		}
		frozen[round] = fr
	}
	var events []Event
	var touched map[string][][32]byte // keys appended for, by round
	err := s.svc.store.Write(ctx, func(tx core.Tx) error {
		events = events[:0]
		touched = make(map[string][][32]byte)
		for _, round := range sortedKeys(byRound) {
			ev, err := s.appendRound(tx, frozen[round], byRound[round], results)
			if err != nil {
				return err
			}
			if ev != nil {
				events = append(events, *ev)
				for _, e := range byRound[round] {
					if results[e].err == nil {
						touched[round] = append(touched[round], e.key)
					}
				}
			}
		}
		return nil
	})
	if err == nil {
		for round, keys := range touched {
			s.svc.noteVoters(round, keys)
		}
	}
	if err != nil {
		// One line per kind of failure per LogEvery: a full disk fails
		// every batch.
		if ok, held := s.svc.logGate.Allow("append batch:"+string(core.ReasonOf(err)), time.Now()); ok {
			s.svc.log.Error("append batch failed", "entries", len(batch), "err", err, "held_back", held)
		}
		for _, e := range batch {
			if _, ok := results[e]; !ok || results[e].err == nil {
				results[e] = outcome{err: fmt.Errorf("ui: append batch: %w", err)}
			}
		}
	}
	for _, e := range batch {
		e.done <- results[e]
	}
	for _, ev := range events {
		s.svc.hub.publish(ev)
	}
}

// appendRound appends one round's entries inside tx and signs a
// checkpoint. It fills results for every entry; it returns an error only
// for storage failures, which abort the whole batch.
func (s *sequencer) appendRound(tx core.Tx, fr *FrozenRound, es []*entry, results map[*entry]outcome) (*Event, error) {
	r, err := tx.Round(fr.ID)
	if err != nil {
		return nil, err
	}
	if err := core.Allows(r.Phase, core.ActVote); err != nil {
		for _, e := range es {
			results[e] = outcome{err: err}
		}
		return nil, nil
	}
	l := tx.RoundLog(fr.ID)
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	// Entries accepted in this batch get provisional indexes size,
	// size+1, ... in arrival order, so that the admission rule sees a
	// batch exactly as the log will hold it: the shuffle keeps the order
	// of each key's entries, and the rule only compares a key's indexes
	// with each other.
	voters := make(map[[32]byte]core.Voter)
	pending := make(map[tlog.Hash]int64) // leaf hash → provisional index
	var accepted []*entry
	var repeats []*entry // repeats of an entry accepted in this batch
	repeatOf := make(map[*entry]*entry)
	byProvisional := make(map[int64]*entry)
	for _, e := range es {
		logged := int64(-1)
		if idx, err := l.Find(e.hash); err == nil {
			logged = idx
		} else if !errors.Is(err, core.ErrMissing) {
			return nil, err
		} else if p, ok := pending[e.hash]; ok {
			logged = p
		}
		v, ok := voters[e.key]
		if !ok {
			if v, err = l.Voter(e.key); err != nil {
				return nil, err
			}
		}
		if e.void {
			switch {
			case logged >= 0 && logged < size:
				results[e] = outcome{index: logged, dup: true}
			case logged >= 0:
				repeats = append(repeats, e)
				repeatOf[e] = byProvisional[logged]
			case v.Voided:
				results[e] = outcome{err: core.Conflictf("this key is already voided")}
			default:
				v.Voided = true
				voters[e.key] = v
				p := size + int64(len(accepted))
				pending[e.hash], byProvisional[p] = p, e
				accepted = append(accepted, e)
			}
			continue
		}
		adm, err := ledger.AdmitBallot(fr.Manifest.Revote, ledger.KeyState(v), logged)
		if adm == ledger.Append && v.Ballots >= core.MaxBallotsPerKey {
			// A server limit, not a rule of the record: one code
			// cannot fill the log with revotes.
			adm, err = ledger.Refuse, core.ErrTooManyBallots
		}
		switch {
		case adm == ledger.Repeat && logged < size:
			rc, err := receiptIn(l, logged)
			if err != nil {
				return nil, err
			}
			results[e] = outcome{index: logged, dup: true, receipt: rc}
		case adm == ledger.Repeat:
			repeats = append(repeats, e)
			repeatOf[e] = byProvisional[logged]
		case adm == ledger.Append:
			p := size + int64(len(accepted))
			v.Ballots++
			v.Last = p
			voters[e.key] = v
			pending[e.hash], byProvisional[p] = p, e
			accepted = append(accepted, e)
		default:
			results[e] = outcome{err: admissionError(err)}
		}
	}
	if len(accepted) == 0 {
		for _, e := range repeats {
			results[e] = outcome{err: fmt.Errorf("service: repeat of an entry not accepted")}
		}
		return nil, nil
	}
	order, err := shuffleKeepingKeys(accepted, s.svc.rand)
	if err != nil {
		return nil, err
	}
	leaves := make([][]byte, len(order))
	for i, e := range order {
		leaves[i] = e.leaf
	}
	start, head, cp, err := appendSigned(l, fr.Origin, leaves, fr.logSigner)
	if err != nil {
		return nil, err
	}
	final := make(map[*entry]int64, len(order))
	for i, e := range order {
		idx := start + int64(i)
		final[e] = idx
		if e.appended != nil {
			if err := e.appended(tx, idx); err != nil {
				return nil, err
			}
		}
	}
	// A key's last ballot is its last in arrival order, which the
	// shuffle keeps last among the key's places.
	for k, v := range voters {
		if v.Ballots > 0 && v.Last >= size {
			v.Last = final[byProvisional[v.Last]]
		}
		if err := l.PutVoter(k, v); err != nil {
			return nil, err
		}
	}
	// Every receipt is an inclusion proof against the checkpoint just
	// signed, from the hashes this transaction holds (read once for the
	// whole batch).
	hashes := &hashCache{r: l, m: make(map[int64]tlog.Hash)}
	for _, e := range order {
		o := outcome{index: final[e]}
		if !e.void {
			p, err := tlog.ProveRecord(head.Size, o.index, hashes)
			if err != nil {
				return nil, fmt.Errorf("service: receipt of leaf %d: %w", o.index, err)
			}
			o.receipt = &ledger.Receipt{Extra: e.leaf, Index: o.index, Proof: p, Checkpoint: cp}
		}
		results[e] = o
	}
	for _, e := range repeats {
		o := results[repeatOf[e]]
		o.dup = true
		results[e] = o
	}
	return &Event{Round: fr.ID, Size: head.Size, Checkpoint: cp}, nil
}

// hashCache is a [tlog.HashReader] that reads each stored hash once.
type hashCache struct {
	r tlog.HashReader
	m map[int64]tlog.Hash
}

func (c *hashCache) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var need []int64
	for _, x := range indexes {
		if _, ok := c.m[x]; !ok {
			need = append(need, x)
		}
	}
	if len(need) > 0 {
		got, err := c.r.ReadHashes(need)
		if err != nil {
			return nil, err
		}
		if len(got) != len(need) {
			return nil, fmt.Errorf("service: %d hashes read, want %d", len(got), len(need))
		}
		for i, x := range need {
			c.m[x] = got[i]
		}
	}
	for i, x := range indexes {
		out[i] = c.m[x]
	}
	return out, nil
}

// shuffleKeepingKeys returns es in a uniformly random order (Fisher-Yates
// with rand, a cryptographic source), except that entries of the same key
// keep their arrival order among the places they got.
func shuffleKeepingKeys(es []*entry, rand io.Reader) ([]*entry, error) {
	out := slices.Clone(es)
	for i := len(out) - 1; i > 0; i-- {
		j, err := randIntn(rand, i+1)
		if err != nil {
			return nil, err
		}
		out[i], out[j] = out[j], out[i]
	}
	places := make(map[[32]byte][]int)
	for i, e := range out {
		places[e.key] = append(places[e.key], i)
	}
	for _, ps := range places {
		if len(ps) < 2 {
			continue
		}
		same := make([]*entry, len(ps))
		for i, p := range ps {
			same[i] = out[p]
		}
		slices.SortFunc(same, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
		for i, p := range ps {
			out[p] = same[i]
		}
	}
	return out, nil
}

// randIntn returns a uniform integer in [0, n) read from rand.
func randIntn(rand io.Reader, n int) (int, error) {
	max := ^uint64(0) - ^uint64(0)%uint64(n)
	var b [8]byte
	for {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return 0, fmt.Errorf("ui: shuffle: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v < max {
			return int(v % uint64(n)), nil
		}
	}
}

// checkpointAll makes sure the latest checkpoint of every round's log
// covers the whole log (run at shutdown). Batches always end with a
// checkpoint, so normally there is nothing to do.
func (s *Service) checkpointAll(ctx context.Context) error {
	var rounds []core.Round
	if err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		rounds, err = tx.Rounds()
		return err
	}); err != nil {
		return err
	}
	for _, r := range rounds {
		if !r.Phase.Frozen() {
			continue
		}
		fr, err := s.FrozenRound(ctx, r.ID)
		if err != nil {
			return err
		}
		var ev *Event
		err = s.store.Write(ctx, func(tx core.Tx) error {
			l := tx.RoundLog(r.ID)
			size, err := l.Size()
			if err != nil {
				return err
			}
			last, _, err := l.LatestCheckpoint()
			if err != nil && !errors.Is(err, core.ErrMissing) {
				return err
			}
			if size == 0 || last == size {
				return nil
			}
			_, head, cp, err := appendSigned(l, fr.Origin, nil, fr.logSigner)
			if err != nil {
				return err
			}
			ev = &Event{Round: r.ID, Size: head.Size, Checkpoint: cp}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ui: final checkpoint of %s: %w", r.ID, err)
		}
		if ev != nil {
			s.log.Info("signed checkpoint at shutdown", "round", r.ID, "size", ev.Size)
			s.hub.publish(*ev)
		}
	}
	return nil
}
