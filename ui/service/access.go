package service

import (
	"context"

	"github.com/hedensted-pb/pb/ui/core"
)

// mayManage returns nil if actor may manage a round of community (a nil
// actor is the scheduler or the server itself), else a Forbidden error.
func mayManage(actor *core.Identity, round, community string) error {
	if actor != nil && !actor.CanManage(community) {
		return core.Forbiddenf("account %s may not manage round %s of community %s", actor.Name, round, community)
	}
	return nil
}

// managedFrozen returns the frozen data of round id after checking that
// actor may manage it.
func (s *Service) managedFrozen(ctx context.Context, actor *core.Identity, id string) (*FrozenRound, error) {
	fr, err := s.FrozenRound(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayManage(actor, id, fr.Community); err != nil {
		return nil, err
	}
	return fr, nil
}
