package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/service"
)

// BenchmarkCastBallot measures ballot intake end to end (parse, checks,
// sequencer, one bbolt transaction with fsync per batch, receipt) with
// many concurrent voters and a 5 ms batch period.
func BenchmarkCastBallot(b *testing.B) {
	e := newTestEnv(b, func(c *service.Config) { c.Batch = 5 * time.Millisecond })
	e.seed()
	_, v := e.votingRound("barrit-2026", b.N, service.RoundRequest{})
	leaves := make([][]byte, b.N)
	for i := range leaves {
		leaves[i] = e.ballotLeaf("barrit-2026", v, i, testProjects[i%4].ID)
	}
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := e.app.svc.CastBallot(context.Background(), "barrit-2026", leaves[i]); err != nil {
				b.Error(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
}
