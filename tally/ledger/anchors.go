package ledger

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// anchorsHeader is the first line of anchors.txt.
const anchorsHeader = "pb-anchors/v1"

// Anchors are a round's trust anchors (docs/record.md §10.2): printed on
// posters and slips and given to the verifier out of band, never read from
// the record.
type Anchors struct {
	Round      string // round ID; may be empty when given by flags without --round
	LogKey     string // the log's vkey
	CouncilKey string // the council's vkey
	Manifest   string // manifest fingerprint, 16 upper-case Crockford digits; empty before freeze
}

// Bytes returns the canonical anchors.txt. It does not validate a; see
// [ParseAnchors] and [Anchors.Check].
func (a *Anchors) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(anchorsHeader + "\n")
	b.WriteString("round " + a.Round + "\n")
	b.WriteString("log-key " + a.LogKey + "\n")
	b.WriteString("council-key " + a.CouncilKey + "\n")
	if a.Manifest != "" {
		b.WriteString("manifest " + a.Manifest + "\n")
	}
	return b.Bytes()
}

// Check validates a: a round ID (or empty), two canonical Ed25519 vkeys
// (§2) and a fingerprint of 16 upper-case Crockford digits (or empty).
func (a *Anchors) Check() error {
	if a.Round != "" && !canon.ValidID(a.Round) {
		return fmt.Errorf("anchors: round %q is not an identifier", a.Round)
	}
	if _, _, err := ballot.ParseVerifierKey(a.LogKey); err != nil {
		return fmt.Errorf("anchors: log-key: %w", err)
	}
	if _, _, err := ballot.ParseVerifierKey(a.CouncilKey); err != nil {
		return fmt.Errorf("anchors: council-key: %w", err)
	}
	if a.Manifest != "" && !canon.ValidFingerprint(a.Manifest) {
		return fmt.Errorf("anchors: manifest fingerprint %q is not 16 upper-case Crockford digits", a.Manifest)
	}
	return nil
}

// ParseAnchors parses anchors.txt strictly: the canonical bytes of
// [Anchors.Bytes] with a round, valid vkeys and, when present, a valid
// fingerprint. Errors are [*ParseError] values or wrap ballot.ErrBadKey.
func ParseAnchors(b []byte) (*Anchors, error) {
	p := newLineParser("anchors", b)
	a := &Anchors{}
	p.exact(anchorsHeader)
	a.Round = p.id(p.line()+1, p.fields("round", 1)[0], "round")
	a.LogKey = p.fields("log-key", 1)[0]
	a.CouncilKey = p.fields("council-key", 1)[0]
	if p.peekKey() == "manifest" {
		a.Manifest = p.fields("manifest", 1)[0]
		if p.err == nil && !canon.ValidFingerprint(a.Manifest) {
			p.fail(p.line(), "manifest: not 16 upper-case Crockford digits")
		}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	if err := a.Check(); err != nil {
		return nil, err
	}
	return a, nil
}

// ParseFingerprint reads a manifest fingerprint as a person types it: it
// drops hyphens and spaces and upper-cases letters, then requires 16
// Crockford digits. It returns the anchors.txt form.
func ParseFingerprint(s string) (string, error) {
	fp := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if !canon.ValidFingerprint(fp) {
		return "", fmt.Errorf("manifest fingerprint %q is not 16 Crockford digits", s)
	}
	return fp, nil
}
