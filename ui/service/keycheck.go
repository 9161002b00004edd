package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CheckKeys checks, at start, that the key directory holds the signing
// keys of every round in the database, readable and the very keys the
// round was created with. A missing or damaged key would otherwise
// surface only later, as a 404 or 500 on the round's record or a failed
// close. It returns nil or an error naming the rounds and key files at
// fault.
func (s *Service) CheckKeys(ctx context.Context) error {
	rounds, err := s.Rounds(ctx)
	if err != nil {
		return err
	}
	var bad []string
	for _, r := range rounds {
		if _, _, err := s.roundKeys(r); err != nil {
			bad = append(bad, fmt.Sprintf("round %s: %v", r.ID, err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	if len(bad) > 10 {
		bad = append(bad[:10], fmt.Sprintf("and %d more", len(bad)-10))
	}
	return errors.New("signing keys missing or damaged in " + s.keys.Dir() + " (restore keys/ from its backup, docs/operations.md):\n  " + strings.Join(bad, "\n  "))
}
