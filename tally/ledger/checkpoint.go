package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Checkpoint is a signed tree head in C2SP tlog-checkpoint form
// (docs/record.md §7): the log's origin, the tree size and the RFC 6962
// root hash of the first Size leaves.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body returns the canonical checkpoint body: exactly three lines, origin,
// decimal size and b64 root, each ending in LF. Body does not validate c;
// [SignCheckpoint] does.
func (c Checkpoint) Body() []byte {
	return []byte(c.Origin + "\n" + canon.FormatDecimal(c.Size) + "\n" + canon.EncodeB64(c.Root[:]) + "\n")
}

// String returns the checkpoint in a short human form: "origin@size root".
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s@%d %s", c.Origin, c.Size, canon.EncodeB64(c.Root[:]))
}

// validate reports why c cannot be encoded, or "".
func (c Checkpoint) validate() string {
	switch {
	case !canon.ValidKeyName(c.Origin):
		return "invalid origin"
	case !canon.ValidDecimal(c.Size):
		return "size out of range"
	}
	return ""
}

// ParseCheckpoint parses a checkpoint body strictly: exactly the three lines
// of [Checkpoint.Body], with a valid origin (no space, no '+', no control
// character), a canonical decimal size and the strict b64 of a 32-byte
// root. Extension lines are rejected. Errors are [*ParseError] values.
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	perr := func(line int, reason string) error {
		return &ParseError{Format: "checkpoint", Line: line, Reason: reason}
	}
	lines, err := canon.Lines(body)
	if err != nil {
		return Checkpoint{}, perr(0, err.Error())
	}
	if len(lines) != 3 {
		return Checkpoint{}, perr(0, fmt.Sprintf("%d lines, want 3", len(lines)))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if !canon.ValidKeyName(c.Origin) {
		return Checkpoint{}, perr(1, "invalid origin")
	}
	var ok bool
	if c.Size, ok = canon.ParseDecimal(lines[1]); !ok {
		return Checkpoint{}, perr(2, "size is not a canonical decimal")
	}
	if c.Root, ok = canon.Decode32(lines[2]); !ok {
		return Checkpoint{}, perr(3, "root is not the b64 of 32 bytes")
	}
	return c, nil
}

// SignCheckpoint returns the signed checkpoint note of c, signed by every
// signer in order: the log key, and for the final checkpoint the council
// key too.
func SignCheckpoint(c Checkpoint, signers ...note.Signer) ([]byte, error) {
	if r := c.validate(); r != "" {
		return nil, fmt.Errorf("sign checkpoint: %s", r)
	}
	msg, err := signNote(c.Body(), signers...)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint parses and verifies a signed checkpoint note. The note must
// be strict (§2), carry a valid signature from every verifier in required
// (at least one: the log key; add the council key for a final checkpoint),
// have no failing signature from those keys, and name origin. Errors wrap
// [ErrNotCanonical], [ErrBadSignature], [ErrNotSigned] or [ErrWrongOrigin].
func OpenCheckpoint(msg []byte, origin string, required ...note.Verifier) (Checkpoint, error) {
	body, err := openNoteBy(msg, required...)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(body)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: %q, want %q", ErrWrongOrigin, c.Origin, origin)
	}
	return c, nil
}

// ParseCheckpointNote parses a signed checkpoint note strictly without
// checking any signature. A log uses it on notes it signed itself (to build
// receipts); verifiers use [OpenCheckpoint].
func ParseCheckpointNote(msg []byte) (Checkpoint, error) {
	body, err := noteBody(msg)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return ParseCheckpoint(body)
}
