package ballot

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// Points is a number of points given to one project on a cumulative ballot.
type Points struct {
	Project string
	N       int64 // ≥ 1
}

// A Ballot is a ballot leaf (docs/record.md §6.1): a voter's choices for one
// round and manifest, with the cast nonce that makes each cast its own leaf,
// signed by the key derived from the voter's code.
//
// Cumulative selects the choice line: "points" with Points (cumulative
// ballots) or "approve" with Approve (both approval kinds). The other slice
// is ignored by [Ballot.Bytes] and must be empty for [Manifest.CheckChoices].
type Ballot struct {
	Round      string
	Manifest   [32]byte // manifest hash
	Key        [32]byte // Ed25519 public key
	Cumulative bool
	Approve    []string // project IDs, strictly ascending
	Points     []Points // strictly ascending by Project
	// Cast is the cast nonce: random bytes the voter's device chooses
	// afresh for each cast and keeps for resending that cast. Two casts
	// of the same choice are two different leaves; a resend of one cast
	// is the same leaf. This package never chooses it: the caller does
	// (crypto/rand), so that building a ballot stays deterministic.
	Cast [CastSize]byte
	// Paper marks a ballot entered at a kiosk from a paper ballot
	// (docs/record.md §6.1, the optional "source paper" line). It is part
	// of the signed bytes, so nobody can add or remove it without the key.
	// It changes nothing in the count; pbverify paper-audit samples these.
	Paper bool
	Sig   [64]byte
}

// SourcePaper is the only source a ballot leaf may name (§6.1): the line
// "source paper" follows the cast line of a ballot entered from paper.
const SourcePaper = "paper"

// CastSize is the length in bytes of a ballot's cast nonce.
const CastSize = 16

// SignedBytes returns the bytes the signature covers: the canonical leaf up
// to and including the LF ending the cast line, or the source line when
// b.Paper is set.
func (b *Ballot) SignedBytes() []byte { return b.appendSigned(nil) }

// appendSigned appends [Ballot.SignedBytes] to out, which it first grows
// to hold the whole leaf (the verifier encodes every ballot it reads).
func (b *Ballot) appendSigned(out []byte) []byte {
	n := len("pb-ballot/v1\nround \nmanifest \nkey \napprove\ncast \nsource paper\nsig \n") + len(b.Round) + 44 + 44 + 24 + 88
	for _, id := range b.Approve {
		n += 1 + len(id)
	}
	for _, p := range b.Points {
		n += 2 + len(p.Project) + 20
	}
	out = slices.Grow(out, n)
	out = append(out, "pb-ballot/v1\nround "...)
	out = append(out, b.Round...)
	out = append(out, "\nmanifest "...)
	out = canon.AppendB64(out, b.Manifest[:])
	out = append(out, "\nkey "...)
	out = canon.AppendB64(out, b.Key[:])
	if b.Cumulative {
		out = append(out, "\npoints"...)
		for _, p := range b.Points {
			out = append(out, ' ')
			out = append(out, p.Project...)
			out = append(out, ':')
			out = strconv.AppendInt(out, p.N, 10)
		}
	} else {
		out = append(out, "\napprove"...)
		for _, id := range b.Approve {
			out = append(out, ' ')
			out = append(out, id...)
		}
	}
	out = append(out, "\ncast "...)
	out = canon.AppendB64(out, b.Cast[:])
	out = append(out, '\n')
	if b.Paper {
		out = append(out, "source "+SourcePaper+"\n"...)
	}
	return out
}

// Sign sets b.Key to the public key of priv and b.Sig to the Ed25519
// signature of [Ballot.SignedBytes] by priv.
func (b *Ballot) Sign(priv ed25519.PrivateKey) {
	b.Key = PublicKey(priv)
	b.Sig = [64]byte(ed25519.Sign(priv, b.SignedBytes()))
}

// Bytes returns the full canonical leaf: [Ballot.SignedBytes] followed by
// the sig line.
func (b *Ballot) Bytes() []byte {
	out := b.appendSigned(nil)
	out = append(out, "sig "...)
	out = canon.AppendB64(out, b.Sig[:])
	return append(out, '\n')
}

// ParseBallot parses a ballot leaf strictly: it succeeds only when leaf is
// canonical, so that Bytes() of the result equals leaf. Syntax is checked
// (identifiers, ascending unique project IDs, points ≥ 1, strict b64), but
// not the signature, the roll or the manifest; see [Manifest.CheckBallot].
// Errors are [*ParseError] values matching [ErrNotCanonical].
func ParseBallot(leaf []byte) (*Ballot, error) {
	perr := func(line int, reason string) error {
		return &ParseError{Format: "ballot", Line: line, Reason: reason}
	}
	if len(leaf) == 0 || leaf[len(leaf)-1] != '\n' {
		return nil, perr(0, "missing final newline")
	}
	lines := strings.Split(string(leaf[:len(leaf)-1]), "\n")
	if lines[0] != "pb-ballot/v1" {
		return nil, perr(1, "want pb-ballot/v1")
	}
	if len(lines) != 7 && len(lines) != 8 {
		return nil, perr(0, fmt.Sprintf("%d lines, want 7 (or 8 with a source line)", len(lines)))
	}
	b := new(Ballot)
	var ok bool
	if b.Round, ok = strings.CutPrefix(lines[1], "round "); !ok || !ValidID(b.Round) {
		return nil, perr(2, "want round <id>")
	}
	v, ok := strings.CutPrefix(lines[2], "manifest ")
	if !ok {
		return nil, perr(3, "want manifest <b64>")
	}
	if b.Manifest, ok = canon.Decode32(v); !ok {
		return nil, perr(3, "manifest hash is not b64 of 32 bytes")
	}
	v, ok = strings.CutPrefix(lines[3], "key ")
	if !ok {
		return nil, perr(4, "want key <b64>")
	}
	if b.Key, ok = canon.Decode32(v); !ok {
		return nil, perr(4, "key is not b64 of 32 bytes")
	}
	f := strings.Split(lines[4], " ")
	switch f[0] {
	case "approve":
		for i, id := range f[1:] {
			if !ValidID(id) {
				return nil, perr(5, "approved project id is not an identifier")
			}
			if i > 0 && f[i] >= id {
				return nil, perr(5, "approved project ids not strictly ascending")
			}
		}
		if len(f) > 1 {
			b.Approve = f[1:]
		}
	case "points":
		b.Cumulative = true
		for _, tok := range f[1:] {
			id, n, _ := strings.Cut(tok, ":")
			if !ValidID(id) {
				return nil, perr(5, "project id is not an identifier")
			}
			pts, ok := canon.ParseDecimal(n)
			if !ok || pts < 1 {
				return nil, perr(5, "points are not a decimal ≥ 1")
			}
			if len(b.Points) > 0 && b.Points[len(b.Points)-1].Project >= id {
				return nil, perr(5, "project ids not strictly ascending")
			}
			b.Points = append(b.Points, Points{Project: id, N: pts})
		}
	default:
		return nil, perr(5, "want approve or points")
	}
	v, ok = strings.CutPrefix(lines[5], "cast ")
	if !ok {
		return nil, perr(6, "want cast <b64>")
	}
	if c, ok := canon.DecodeB64(v); !ok || len(c) != CastSize {
		return nil, perr(6, "cast nonce is not b64 of 16 bytes")
	} else {
		b.Cast = [CastSize]byte(c)
	}
	if len(lines) == 8 {
		if lines[6] != "source "+SourcePaper {
			return nil, perr(7, "want source paper")
		}
		b.Paper = true
	}
	v, ok = strings.CutPrefix(lines[len(lines)-1], "sig ")
	if !ok {
		return nil, perr(len(lines), "want sig <b64>")
	}
	if b.Sig, ok = canon.Decode64(v); !ok {
		return nil, perr(len(lines), "signature is not b64 of 64 bytes")
	}
	if !bytes.Equal(b.Bytes(), leaf) {
		return nil, perr(0, "not the canonical encoding")
	}
	return b, nil
}

// VerifySignature checks b.Sig over [Ballot.SignedBytes] with b.Key, by
// strict RFC 8032 rules (crypto/ed25519: S < L). It also rejects a key that
// fails [CheckKey]. Errors wrap [ErrBadSignature] or [ErrBadKey].
func (b *Ballot) VerifySignature() error {
	if err := CheckKey(b.Key[:]); err != nil {
		return fmt.Errorf("ballot key: %w", err)
	}
	if !ed25519.Verify(b.Key[:], b.SignedBytes(), b.Sig[:]) {
		return fmt.Errorf("ballot: %w", ErrBadSignature)
	}
	return nil
}

// CheckChoices checks b's choices against m's ballot kind and limits
// (docs/record.md §6.1): the choice line matches the kind, every project
// exists, IDs are strictly ascending, and the count, cost or point limits
// hold. Errors wrap [ErrChoices].
func (m *Manifest) CheckChoices(b *Ballot) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrChoices}, args...)...)
	}
	spec := m.Ballot
	if (spec.Kind == KindCumulative) != b.Cumulative {
		return bad("choice line does not match ballot kind %s", spec.Kind)
	}
	if b.Cumulative {
		if len(b.Approve) != 0 {
			return bad("approvals on a cumulative ballot")
		}
		var sum int64
		for i, p := range b.Points {
			if i > 0 && b.Points[i-1].Project >= p.Project {
				return bad("project %q not in strictly ascending order", p.Project)
			}
			if _, ok := m.Project(p.Project); !ok {
				return bad("unknown project %q", p.Project)
			}
			if p.N < 1 {
				return bad("project %q given %d points, want at least 1", p.Project, p.N)
			}
			if p.N > spec.Cap {
				return bad("project %q given %d points, cap is %d", p.Project, p.N, spec.Cap)
			}
			// p.N ≤ Cap ≤ Total ≤ canon.MaxDecimal and sum ≤ Total, so no overflow.
			if sum += p.N; sum > spec.Total {
				return bad("more than %d points in all", spec.Total)
			}
		}
		return nil
	}
	if len(b.Points) != 0 {
		return bad("points on an approval ballot")
	}
	var cost int64
	for i, id := range b.Approve {
		if i > 0 && b.Approve[i-1] >= id {
			return bad("project %q not in strictly ascending order", id)
		}
		p, ok := m.Project(id)
		if !ok {
			return bad("unknown project %q", id)
		}
		// cost ≤ Limit before the addition and both are at most canon.MaxDecimal,
		// so the sum cannot overflow.
		if spec.Kind == KindApprovalCost {
			if cost += p.Cost; cost > spec.Limit {
				return bad("approved projects cost more than the limit %d", spec.Limit)
			}
		}
	}
	if spec.Kind == KindApproval && (len(b.Approve) < spec.Min || len(b.Approve) > spec.Max) {
		return bad("%d projects approved, want %d to %d", len(b.Approve), spec.Min, spec.Max)
	}
	return nil
}

// CheckBallot checks that b is valid for m (docs/record.md §6.1), in this
// order: b's round is m's round ([ErrWrongRound]); b names manifestHash
// ([ErrWrongManifest]); b's key is in roll ([ErrUnknownKey]); the signature
// verifies ([ErrBadSignature], [ErrBadKey]); the choices are valid
// ([ErrChoices]). manifestHash is [ManifestHash] of leaf 0 and roll the
// round's roll, whose hash the caller has checked against m.
func (m *Manifest) CheckBallot(b *Ballot, manifestHash [32]byte, roll *Roll) error {
	if b.Round != m.Round {
		return fmt.Errorf("ballot for round %q in round %q: %w", b.Round, m.Round, ErrWrongRound)
	}
	if b.Manifest != manifestHash {
		return fmt.Errorf("ballot: %w", ErrWrongManifest)
	}
	var at int
	var ok bool
	if roll != nil {
		at, ok = roll.Index(b.Key)
	}
	if !ok {
		return fmt.Errorf("ballot key %s: %w", canon.EncodeB64(b.Key[:]), ErrUnknownKey)
	}
	if roll.xs == nil {
		// A Roll made as a literal: its keys were never checked.
		if err := b.VerifySignature(); err != nil {
			return err
		}
	} else if !roll.Verify(at, b.SignedBytes(), b.Sig[:]) {
		// The roll's key checks passed and decoded the key's point.
		return fmt.Errorf("ballot: %w", ErrBadSignature)
	}
	return m.CheckChoices(b)
}
