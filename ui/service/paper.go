package service

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hedensted-pb/pb/ballot/slipsheet"
	"github.com/hedensted-pb/pb/ui/core"
)

// PaperBallots renders the printable paper ballots of a frozen round
// (docs/record.md §6.4): one A4 page per slip, with the slip's QR code and
// tag, the manifest's rules and projects. The codes come from the copy of
// the slips sealed under the coordinator's passphrase at freeze, so paper
// ballots can be printed until voting opens, with the refusals of
// [Service.SlipSheet].
func (s *Service) PaperBallots(ctx context.Context, actor *core.Identity, id, passphrase string) (core.Round, []byte, error) {
	r, codes, reserve, err := s.slipCopy(ctx, actor, id, passphrase)
	if err != nil {
		return r, nil, err
	}
	fr, err := s.FrozenRound(ctx, r.ID)
	if err != nil {
		return r, nil, err
	}
	p := slipsheet.PaperSheet{Manifest: fr.Manifest,
		Sheet: slipsheet.Sheet{Round: r.ID, Title: r.Title, BaseURL: s.cfg.BaseURL, AnchorsFingerprint: r.Fingerprint}}
	for i, c := range codes {
		p.Slips = append(p.Slips, slipsheet.Slip{Code: c, Reserve: i >= len(codes)-reserve})
	}
	var buf bytes.Buffer
	if err := slipsheet.RenderPaper(&buf, p); err != nil {
		return r, nil, fmt.Errorf("service: render paper ballots of %s: %w", r.ID, err)
	}
	return r, buf.Bytes(), nil
}
