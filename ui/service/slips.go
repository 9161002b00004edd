package service

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/slipsheet"
	"github.com/hedensted-pb/pb/ui/core"
)

// The sealed copy of a round's slips.
//
// When a coordinator freezes with server-made codes and gives a
// passphrase, the server keeps the codes sealed under a key derived from
// that passphrase, so that a lost slip sheet can be downloaded again until
// voting opens; opening voting deletes the copy. The passphrase is never
// stored: without it the copy is 16 random bytes per code under
// AES-256-GCM, and each guess costs an argon2id derivation.
//
// The stored value is JSON ([sealedSlips]); the plaintext is the number of
// reserve slips (4 bytes, big-endian) followed by the 16-byte codes in
// slip order; the associated data is "pb-slips/v1 " and the round ID, so a
// copy opens only for its round.

// minSlipPassphrase is the shortest passphrase accepted for the copy.
const minSlipPassphrase = 10

// checkSlipPassphrase refuses a passphrase too short to seal the copy
// with; the empty one means no copy.
func checkSlipPassphrase(p string) error {
	if p != "" && utf8.RuneCountInString(p) < minSlipPassphrase {
		return core.Invalidf("the passphrase must have at least %d characters", minSlipPassphrase)
	}
	return nil
}

// sealedSlips is the stored form of the copy.
type sealedSlips struct {
	Version int          `json:"version"` // 1
	KDF     Argon2Params `json:"kdf"`
	Salt    []byte       `json:"salt"`  // 16 bytes
	Nonce   []byte       `json:"nonce"` // 12 bytes
	Box     []byte       `json:"box"`   // AES-256-GCM ciphertext and tag
}

func slipsAD(round string) []byte { return []byte("pb-slips/v1 " + round) }

func slipsAEAD(passphrase string, salt []byte, p Argon2Params) (cipher.AEAD, error) {
	key := argon2.IDKey([]byte(passphrase), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSlips seals codes (the last reserve of them reserve slips) of round
// under passphrase, with salt and nonce read from rand.
func sealSlips(round string, codes []ballot.Code, reserve int, passphrase string, p Argon2Params, rand io.Reader) ([]byte, error) {
	s := sealedSlips{Version: 1, KDF: p, Salt: make([]byte, 16), Nonce: make([]byte, 12)}
	if _, err := io.ReadFull(rand, s.Salt); err != nil {
		return nil, fmt.Errorf("service: seal slips: %w", err)
	}
	if _, err := io.ReadFull(rand, s.Nonce); err != nil {
		return nil, fmt.Errorf("service: seal slips: %w", err)
	}
	plain := binary.BigEndian.AppendUint32(make([]byte, 0, 4+16*len(codes)), uint32(reserve))
	for _, c := range codes {
		plain = append(plain, c[:]...)
	}
	aead, err := slipsAEAD(passphrase, s.Salt, p)
	if err != nil {
		return nil, fmt.Errorf("service: seal slips: %w", err)
	}
	s.Box = aead.Seal(nil, s.Nonce, plain, slipsAD(round))
	clear(plain)
	return json.Marshal(s)
}

// openSlips opens a copy made by [sealSlips]: the codes and the number of
// reserve slips. A wrong passphrase (or another round's copy) is
// [core.ErrSlipPassphrase].
func openSlips(round string, sealed []byte, passphrase string) ([]ballot.Code, int, error) {
	var s sealedSlips
	if err := json.Unmarshal(sealed, &s); err != nil || s.Version != 1 || len(s.Salt) != 16 || len(s.Nonce) != 12 ||
		s.KDF.Time < 1 || s.KDF.Time > 16 || s.KDF.Threads < 1 || s.KDF.MemoryKiB < 8*uint32(s.KDF.Threads) || s.KDF.MemoryKiB > 1<<20 {
		return nil, 0, fmt.Errorf("service: stored slips of %s are malformed", round)
	}
	aead, err := slipsAEAD(passphrase, s.Salt, s.KDF)
	if err != nil {
		return nil, 0, err
	}
	plain, err := aead.Open(nil, s.Nonce, s.Box, slipsAD(round))
	if err != nil {
		return nil, 0, core.ErrSlipPassphrase
	}
	defer clear(plain)
	if len(plain) < 4 || (len(plain)-4)%16 != 0 {
		return nil, 0, fmt.Errorf("service: stored slips of %s are malformed", round)
	}
	reserve := int(binary.BigEndian.Uint32(plain))
	codes := make([]ballot.Code, (len(plain)-4)/16)
	for i := range codes {
		copy(codes[i][:], plain[4+16*i:])
	}
	if reserve >= len(codes) {
		return nil, 0, fmt.Errorf("service: stored slips of %s are malformed", round)
	}
	return codes, reserve, nil
}

// testOnlyBeforeRender, when set by a test, runs before a slip sheet is
// rendered.
var testOnlyBeforeRender func(round string)

// renderSlips renders the printable slip sheet of round r: codes in
// order, the last reserve of them reserve slips, each slip with the
// manifest fingerprint. It runs outside any transaction (20,000 slips take
// tens of seconds).
func (s *Service) renderSlips(r core.Round, codes []ballot.Code, reserve int) ([]byte, error) {
	if testOnlyBeforeRender != nil {
		testOnlyBeforeRender(r.ID)
	}
	sh := slipsheet.Sheet{Round: r.ID, Title: r.Title, BaseURL: s.cfg.BaseURL, AnchorsFingerprint: r.Fingerprint}
	for i, c := range codes {
		sh.Slips = append(sh.Slips, slipsheet.Slip{Code: c, Reserve: i >= len(codes)-reserve})
	}
	var buf bytes.Buffer
	if err := slipsheet.Render(&buf, sh); err != nil {
		return nil, fmt.Errorf("service: render slips of %s: %w", r.ID, err)
	}
	return buf.Bytes(), nil
}

// HasSlipCopy reports whether round id holds a sealed copy of its slips
// (frozen with server-made codes and a passphrase, voting not yet open).
func (s *Service) HasSlipCopy(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.store.Read(ctx, func(tx core.Tx) error {
		_, err := tx.SealedSlips(id)
		if errors.Is(err, core.ErrMissing) {
			return nil
		}
		ok = err == nil
		return err
	})
	return ok, err
}

// SlipSheet renders the slip sheet of a frozen round again from its
// sealed copy, for the coordinator who froze it with a passphrase and lost
// the sheet: until voting opens, with the same passphrase. Refusals:
// [core.ErrSlipsGone] once voting has opened (the copy is destroyed then),
// [core.ErrNoSlipCopy] when no copy was kept (codes made without a
// passphrase, or a roll uploaded), [core.ErrSlipPassphrase] for a wrong
// passphrase, and the phase error before freeze.
func (s *Service) SlipSheet(ctx context.Context, actor *core.Identity, id, passphrase string) (core.Round, []byte, error) {
	r, codes, reserve, err := s.slipCopy(ctx, actor, id, passphrase)
	if err != nil {
		return r, nil, err
	}
	sheet, err := s.renderSlips(r, codes, reserve)
	return r, sheet, err
}

// slipCopy opens the sealed copy of round id's slips with passphrase: the
// codes in slip order and the number of reserve slips, with the refusals
// of [Service.SlipSheet].
func (s *Service) slipCopy(ctx context.Context, actor *core.Identity, id, passphrase string) (core.Round, []ballot.Code, int, error) {
	var r core.Round
	var sealed []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(id); errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no round %s", id)
		} else if err != nil {
			return err
		}
		if err := mayManage(actor, r.ID, r.Community); err != nil {
			return err
		}
		switch {
		case !r.Phase.Frozen():
			return core.ErrWrongPhase.With("round %s is in phase %s: its slips are made when it is frozen", r.ID, r.Phase)
		case r.Phase != core.PhaseFrozen:
			return core.ErrSlipsGone
		}
		sealed, err = tx.SealedSlips(r.ID)
		if errors.Is(err, core.ErrMissing) {
			return core.ErrNoSlipCopy
		}
		return err
	})
	if err != nil {
		return r, nil, 0, err
	}
	codes, reserve, err := openSlips(r.ID, sealed, passphrase)
	return r, codes, reserve, err
}
