package store

import (
	"context"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// The store implements the domain's storage interfaces.
var (
	_ core.Store = (*Store)(nil)
	_ core.Tx    = (*Tx)(nil)
	_ core.Log   = (*Log)(nil)
)

// Read runs fn in a read transaction ([Store.View]) as a [core.Tx].
func (s *Store) Read(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.View(ctx, func(tx *Tx) error { return fn(tx) })
}

// Write runs fn in the write transaction ([Store.Update]) as a [core.Tx].
func (s *Store) Write(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.Update(ctx, func(tx *Tx) error { return fn(tx) })
}

// RoundLog is [Tx.Log] as a [core.Log].
func (tx *Tx) RoundLog(round string) core.Log { return tx.Log(round) }

// FundLog is the ledger of fund id as a [core.Log]: a log stored like a
// round's under the name "funds/<id>", which no round ID can take (round
// IDs have no "/").
func (tx *Tx) FundLog(id string) core.Log { return tx.Log("funds/" + id) }

// RoundLogStorage is [Store.LogStorage] as a [ledger.Storage].
func (s *Store) RoundLogStorage(round string) ledger.Storage { return s.LogStorage(round) }
