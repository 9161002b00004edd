package ui

import (
	"context"
	"time"

	"github.com/hedensted-pb/pb/ui/store"
)

// startScheduler opens and closes voting at the times set with
// [App.Schedule]. A scheduled opening applies only to a frozen round:
// freezing is always a deliberate act of the coordinator.
func (a *App) startScheduler() {
	if a.cfg.ScheduleEvery < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stopSchedule = cancel
	a.scheduleDone = make(chan struct{})
	go func() {
		defer close(a.scheduleDone)
		t := time.NewTicker(a.cfg.ScheduleEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.runSchedule(ctx)
			}
		}
	}()
}

// runSchedule performs the openings and closings that are due.
func (a *App) runSchedule(ctx context.Context) {
	var rounds []store.Round
	if err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		rounds, err = tx.Rounds()
		return err
	}); err != nil {
		a.log.Error("scheduler: list rounds", "err", err)
		return
	}
	now := a.now()
	for _, r := range rounds {
		var err error
		switch {
		case r.Phase == store.PhaseFrozen && !r.OpensAt.IsZero() && !now.Before(r.OpensAt):
			_, err = a.Open(ctx, nil, r.ID)
			if err == nil {
				a.log.Info("scheduler opened voting", "round", r.ID)
			}
		case r.Phase == store.PhaseVoting && !r.ClosesAt.IsZero() && !now.Before(r.ClosesAt):
			_, err = a.CloseRound(ctx, nil, r.ID)
			if err == nil {
				a.log.Info("scheduler closed voting", "round", r.ID)
			}
		}
		if err != nil && ctx.Err() == nil {
			a.log.Error("scheduler", "round", r.ID, "err", err)
		}
	}
}
