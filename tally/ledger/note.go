package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// splitNote parses a signed note strictly (docs/record.md §2): it is
// [canon.SplitNote] with its failure as a [*ParseError] of format "note".
// canon.JoinNote(body, sigs) gives msg back.
func splitNote(msg []byte) (body []byte, sigs []canon.Sig, err error) {
	body, sigs, err = canon.SplitNote(msg)
	if err != nil {
		return nil, nil, &ParseError{Format: "note", Reason: err.Error()}
	}
	return body, sigs, nil
}

// openNote parses msg strictly and checks its signatures against the known
// keys: every signature line naming a known key (name and key hash) must
// verify, or openNote fails with [ErrBadSignature]; lines from unknown keys
// are ignored. signed[i] reports whether known[i] signed the note.
func openNote(msg []byte, known ...note.Verifier) (body []byte, signed []bool, err error) {
	body, sigs, err := splitNote(msg)
	if err != nil {
		return nil, nil, err
	}
	signed = make([]bool, len(known))
	for _, s := range sigs {
		for i, v := range known {
			if v == nil || v.Name() != s.Name || v.KeyHash() != s.Hash {
				continue
			}
			if !v.Verify(body, s.Sig) {
				return nil, nil, fmt.Errorf("%w: key %s+%08x", ErrBadSignature, s.Name, s.Hash)
			}
			signed[i] = true
		}
	}
	return body, signed, nil
}

// openNoteBy is openNote requiring a valid signature from every key in
// required.
func openNoteBy(msg []byte, required ...note.Verifier) ([]byte, error) {
	if len(required) == 0 {
		return nil, fmt.Errorf("%w: no verifier key given", ErrNotSigned)
	}
	body, signed, err := openNote(msg, required...)
	if err != nil {
		return nil, err
	}
	for i, ok := range signed {
		if !ok {
			if required[i] == nil {
				return nil, fmt.Errorf("%w: nil verifier", ErrNotSigned)
			}
			return nil, fmt.Errorf("%w: not signed by %s+%08x", ErrNotSigned, required[i].Name(), required[i].KeyHash())
		}
	}
	return body, nil
}

// signNote signs body with every signer (at least one).
func signNote(body []byte, signers ...note.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, fmt.Errorf("sign note: no signer")
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, signers...)
	if err != nil {
		return nil, fmt.Errorf("sign note: %w", err)
	}
	// Defence in depth: what we sign must open strictly.
	if _, _, err := splitNote(msg); err != nil {
		return nil, fmt.Errorf("sign note: %w", err)
	}
	return msg, nil
}

// noteBody returns the body of a strictly parsed note without checking any
// signature.
func noteBody(msg []byte) ([]byte, error) {
	body, _, err := splitNote(msg)
	return body, err
}

// NewVerifier returns a note verifier for a canonical Ed25519 vkey
// (docs/record.md §2). Errors wrap ballot.ErrBadKey.
func NewVerifier(vkey string) (note.Verifier, error) {
	if _, _, err := ballot.ParseVerifierKey(vkey); err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return v, nil
}
