package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// DisableAccount disables account name (administrators only): it can no
// longer sign in, and every session it has ends at once. An administrator
// cannot disable their own account ([core.ErrDisableSelf]), so the
// platform always keeps one. Recorded in the action log.
func (s *Service) DisableAccount(ctx context.Context, actor *core.Identity, name string) (core.Account, error) {
	if !actor.IsAdmin() {
		return core.Account{}, core.Forbiddenf("only a municipality administrator may disable accounts")
	}
	if actor.Name == name {
		return core.Account{}, core.ErrDisableSelf
	}
	return s.setDisabled(ctx, actor, name, true)
}

// EnableAccount lets a disabled account sign in again (administrators
// only); its old sessions stay ended. Recorded in the action log.
func (s *Service) EnableAccount(ctx context.Context, actor *core.Identity, name string) (core.Account, error) {
	if !actor.IsAdmin() {
		return core.Account{}, core.Forbiddenf("only a municipality administrator may enable accounts")
	}
	return s.setDisabled(ctx, actor, name, false)
}

func (s *Service) setDisabled(ctx context.Context, actor *core.Identity, name string, disable bool) (core.Account, error) {
	var acct core.Account
	err := s.store.Write(ctx, func(tx core.Tx) error {
		var err error
		acct, err = tx.Account(name)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no account %s", name)
		}
		if err != nil {
			return err
		}
		if disable == !acct.Disabled.IsZero() {
			return nil // already so: nothing to change or record
		}
		if !disable {
			acct.Disabled = time.Time{}
			if err := tx.PutAccount(acct); err != nil {
				return err
			}
			return s.audit(tx, actor.Name, "enable account", acct.Name, "")
		}
		acct.Disabled = s.clock()
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		n, err := tx.DeleteSessionsOf(acct.Name, [32]byte{})
		if err != nil {
			return err
		}
		s.logins.reset(acct.Name)
		return s.audit(tx, actor.Name, "disable account", acct.Name, fmt.Sprintf("%d sessions ended", n))
	})
	acct.PasswordHash = ""
	return acct, err
}
