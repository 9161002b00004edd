package ledger

import (
	"errors"
	"fmt"

	"github.com/hedensted-pb/pb/ballot"
)

// Sentinel errors. Functions in this package return them wrapped, so test
// with [errors.Is].
var (
	// ErrNotCanonical reports bytes that are not the one canonical encoding
	// of a value (syntax errors included). It is ballot.ErrNotCanonical, so
	// one test covers ballot and ledger formats.
	ErrNotCanonical = ballot.ErrNotCanonical
	// ErrBadSignature reports a signature line from a known key that does
	// not verify. It is ballot.ErrBadSignature.
	ErrBadSignature = ballot.ErrBadSignature
	// ErrNotSigned reports a note that lacks the signature of a key it must
	// carry.
	ErrNotSigned = errors.New("missing signature")
	// ErrWrongOrigin reports a checkpoint whose origin is not the log's.
	ErrWrongOrigin = errors.New("wrong origin")
	// ErrBadProof reports an inclusion or consistency proof that does not
	// verify, or a proof request outside the tree.
	ErrBadProof = errors.New("proof does not verify")
	// ErrMismatch reports a value that contradicts the record or the
	// manifest (another round, another manifest, a stale checkpoint).
	ErrMismatch = errors.New("mismatch")
)

// A ParseError describes where a strict parser rejected its input. It
// matches [ErrNotCanonical] with [errors.Is].
type ParseError struct {
	Format string // "checkpoint", "receipt", "close", "void", "result", "anchors", "note"
	Line   int    // 1-based line number, 0 when not tied to a line
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.Format, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Format, e.Reason)
}

// Unwrap returns [ErrNotCanonical].
func (e *ParseError) Unwrap() error { return ErrNotCanonical }

// A FileError reports a record file (docs/record.md §10.1) whose content is
// malformed: a line that is not strict b64, a missing final LF, a CR. It
// matches [ErrNotCanonical]. I/O failures (a missing file) are never
// FileErrors.
type FileError struct {
	Name string // "roll.txt", "leaves.txt", "checkpoints.txt" or "results.txt"
	Line int    // 1-based line number, 0 when not tied to a line
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

// Unwrap returns [ErrNotCanonical] and the underlying error.
func (e *FileError) Unwrap() []error { return []error{ErrNotCanonical, e.Err} }
