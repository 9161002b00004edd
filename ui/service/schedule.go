package service

import (
	"context"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// startScheduler opens and closes voting at the times set with
// [App.Schedule]. A scheduled opening applies only to a frozen round:
// freezing is always a deliberate act of the coordinator.
func (s *Service) startScheduler() {
	if s.cfg.ScheduleEvery < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSchedule = cancel
	s.scheduleDone = make(chan struct{})
	go func() {
		defer close(s.scheduleDone)
		t := time.NewTicker(s.cfg.ScheduleEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.RunSchedule(ctx)
			}
		}
	}()
}

// RunSchedule performs the openings and closings that are due now (the
// scheduler calls it every Config.ScheduleEvery).
func (s *Service) RunSchedule(ctx context.Context) {
	var rounds []core.Round
	if err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		rounds, err = tx.Rounds()
		return err
	}); err != nil {
		s.log.Error("scheduler: list rounds", "err", err)
		return
	}
	now := s.now()
	for _, r := range rounds {
		var err error
		switch {
		case r.Phase == core.PhaseFrozen && !r.OpensAt.IsZero() && !now.Before(r.OpensAt):
			_, err = s.Open(ctx, nil, r.ID)
			if err == nil {
				s.log.Info("scheduler opened voting", "round", r.ID)
			}
		case r.Phase == core.PhaseVoting && !r.ClosesAt.IsZero() && !now.Before(r.ClosesAt):
			_, err = s.CloseRound(ctx, nil, r.ID)
			if err == nil {
				s.log.Info("scheduler closed voting", "round", r.ID)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.log.Error("scheduler", "round", r.ID, "err", err)
		}
	}
}
