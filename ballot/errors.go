package ballot

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions in this package return them wrapped, so test
// with [errors.Is].
var (
	// ErrNotCanonical reports bytes that are not the one canonical encoding
	// of a value (syntax errors included).
	ErrNotCanonical = errors.New("not canonical")
	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnknownKey reports a ballot key that is not in the roll.
	ErrUnknownKey = errors.New("key not in roll")
	// ErrWrongRound reports a ballot for another round.
	ErrWrongRound = errors.New("wrong round")
	// ErrWrongManifest reports a ballot naming another manifest hash.
	ErrWrongManifest = errors.New("wrong manifest")
	// ErrChoices reports choices that break the manifest's ballot rules.
	ErrChoices = errors.New("invalid choices")
	// ErrBadCode reports a voting code that does not parse.
	ErrBadCode = errors.New("bad voting code")
	// ErrBadKey reports a public or private key that is malformed, not a
	// canonical curve point, or of small order.
	ErrBadKey = errors.New("bad key")
	// ErrInvalidManifest reports a manifest whose fields break the rules of
	// docs/record.md §5 (for example min > max, or an unsorted project list).
	ErrInvalidManifest = errors.New("invalid manifest")
)

// A ParseError describes where a strict parser rejected its input. It
// matches [ErrNotCanonical] with [errors.Is], and also Err when set.
type ParseError struct {
	Format string // "manifest", "roll", "ballot"
	Line   int    // 1-based line number, 0 when not tied to a line
	Reason string
	Err    error // optional underlying cause (for example ErrBadKey)
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.Format, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Format, e.Reason)
}

// Unwrap returns ErrNotCanonical and the underlying cause, if any.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrNotCanonical, e.Err}
	}
	return []error{ErrNotCanonical}
}
