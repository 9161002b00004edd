package fund

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// ErrSignature reports a ledger entry note that the fund key did not sign,
// or whose signature does not verify.
var ErrSignature = errors.New("fund: entry not signed by the fund key")

// Origin is the log origin (and the fund key's name) of fund id's ledger
// on a server whose round origins start with host (docs/record.md §14.5).
func Origin(host, id string) string { return host + "/funds/" + id }

// SignEntry signs entry e with the fund key: the ledger leaf of e, a
// signed note in the strict form of docs/record.md §2.
func SignEntry(e Entry, fundKey note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: string(e.Marshal())}, fundKey)
	if err != nil {
		return nil, fmt.Errorf("fund: sign %s: %w", e.Kind(), err)
	}
	if _, _, err := canon.SplitNote(msg); err != nil {
		return nil, fmt.Errorf("fund: sign %s: %w", e.Kind(), err)
	}
	return msg, nil
}

// OpenEntry reads a fund-ledger leaf that is a fund entry: a note in the
// strict form of docs/record.md §2 carrying a valid signature of fundKey
// (other signature lines are ignored) and a canonical entry body. It
// returns an error wrapping [ErrEntry] or [ErrSignature].
func OpenEntry(msg []byte, fundKey note.Verifier) (Entry, error) {
	body, sigs, err := canon.SplitNote(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEntry, err)
	}
	signed := false
	for _, s := range sigs {
		if s.Name == fundKey.Name() && s.Hash == fundKey.KeyHash() {
			if !fundKey.Verify(body, s.Sig) {
				return nil, fmt.Errorf("%w: bad signature", ErrSignature)
			}
			signed = true
		}
	}
	if !signed {
		return nil, ErrSignature
	}
	return ParseEntry(body)
}

// IsEntry reports whether a ledger leaf is a fund entry (its first line
// starts with "pb-fund/v1 "); the other leaves are round results.
func IsEntry(leaf []byte) bool { return bytes.HasPrefix(leaf, []byte(EntryHeader+" ")) }

// AnchorsHeader is the first line of a fund's anchors file.
const AnchorsHeader = "pb-fund-anchors/v1"

// Anchors are a fund's trust anchors (docs/record.md §14.5): its ID and
// the verifier key of its ledger, which signs every entry and checkpoint.
type Anchors struct {
	Fund    string
	FundKey string // vkey
}

// Marshal returns the anchors file:
//
//	pb-fund-anchors/v1
//	fund <fund ID>
//	fund-key <vkey>
func (a Anchors) Marshal() []byte {
	return []byte(AnchorsHeader + "\nfund " + a.Fund + "\nfund-key " + a.FundKey + "\n")
}

// ErrAnchors reports a fund anchors file that is not canonical.
var ErrAnchors = errors.New("fund: malformed anchors")

// ParseAnchors reads a fund anchors file strictly: exactly the lines of
// [Anchors.Marshal], the ID an identifier and the key a canonical vkey
// whose name is the fund's origin ending in "/funds/<fund ID>".
func ParseAnchors(b []byte) (Anchors, error) {
	ls, err := canon.Lines(b)
	if err != nil {
		return Anchors{}, fmt.Errorf("%w: %v", ErrAnchors, err)
	}
	if len(ls) != 3 || ls[0] != AnchorsHeader {
		return Anchors{}, fmt.Errorf("%w: want the 3 lines %s, fund, fund-key", ErrAnchors, AnchorsHeader)
	}
	id, ok1 := strings.CutPrefix(ls[1], "fund ")
	key, ok2 := strings.CutPrefix(ls[2], "fund-key ")
	if !ok1 || !ok2 || !ballot.ValidID(id) {
		return Anchors{}, fmt.Errorf("%w: want the lines \"fund <ID>\" and \"fund-key <vkey>\"", ErrAnchors)
	}
	name, _, err := ballot.ParseVerifierKey(key)
	if err != nil {
		return Anchors{}, fmt.Errorf("%w: fund-key: %v", ErrAnchors, err)
	}
	if !strings.HasSuffix(name, "/funds/"+id) {
		return Anchors{}, fmt.Errorf("%w: the fund key is named %q, not after fund %s's ledger (…/funds/%s)", ErrAnchors, name, id, id)
	}
	a := Anchors{Fund: id, FundKey: key}
	if !bytes.Equal(a.Marshal(), b) {
		return Anchors{}, fmt.Errorf("%w: not in canonical form", ErrAnchors)
	}
	return a, nil
}
