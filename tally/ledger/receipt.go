package ledger

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// receiptHeader is the first line of a receipt.
const receiptHeader = "c2sp.org/tlog-proof@v1"

// maxProofHashes bounds the inclusion proof of a receipt (a tree of at most
// 2^63 leaves has proofs of at most 63 hashes).
const maxProofHashes = 63

// A Receipt is a voter's proof that a ballot leaf is in the log, in
// c2sp.org/tlog-proof@v1 form (docs/record.md §8).
type Receipt struct {
	Extra      []byte           // the ballot leaf bytes
	Index      int64            // the leaf's index in the log
	Proof      tlog.RecordProof // inclusion proof in the checkpoint's tree
	Checkpoint []byte           // the signed checkpoint note
}

// Bytes returns the canonical receipt file.
func (r *Receipt) Bytes() []byte {
	// One buffer of the receipt's size: the server writes one per ballot.
	n := len(receiptHeader) + len("\nextra \nindex \n\n") + (len(r.Extra)+2)/3*4 + 20 + 45*len(r.Proof) + len(r.Checkpoint)
	b := make([]byte, 0, n)
	b = append(b, receiptHeader+"\nextra "...)
	b = canon.AppendB64(b, r.Extra)
	b = append(b, "\nindex "...)
	b = strconv.AppendInt(b, r.Index, 10)
	b = append(b, '\n')
	for _, h := range r.Proof {
		b = canon.AppendB64(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...)
}

// ParseReceipt parses a receipt file strictly: the header line, an extra
// line with the non-empty strict b64 of the leaf, an index line, zero to 63
// proof hashes, an empty line and a strict signed checkpoint note (§2, §7).
// It checks no signature or proof; see [Receipt.Verify]. Errors are
// [*ParseError] values or wrap [ErrNotCanonical].
func ParseReceipt(b []byte) (*Receipt, error) {
	perr := func(line int, reason string) error {
		return &ParseError{Format: "receipt", Line: line, Reason: reason}
	}
	// The header part ends at the first empty line; the checkpoint note
	// follows it.
	head, cp, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, perr(0, "no empty line before the checkpoint")
	}
	lines, err := canon.Lines(append(head[:len(head):len(head)], '\n'))
	if err != nil {
		return nil, perr(0, err.Error())
	}
	if len(lines) < 3 {
		return nil, perr(0, "missing lines")
	}
	if lines[0] != receiptHeader {
		return nil, perr(1, "want "+receiptHeader)
	}
	r := &Receipt{}
	extra, ok := strings.CutPrefix(lines[1], "extra ")
	if !ok {
		return nil, perr(2, "want extra line")
	}
	if r.Extra, ok = canon.DecodeB64(extra); !ok || len(r.Extra) == 0 {
		return nil, perr(2, "extra is not non-empty strict b64")
	}
	index, ok := strings.CutPrefix(lines[2], "index ")
	if !ok {
		return nil, perr(3, "want index line")
	}
	if r.Index, ok = canon.ParseDecimal(index); !ok {
		return nil, perr(3, "index is not a canonical decimal")
	}
	if len(lines)-3 > maxProofHashes {
		return nil, perr(0, "too many proof hashes")
	}
	for i, line := range lines[3:] {
		h, ok := canon.Decode32(line)
		if !ok {
			return nil, perr(4+i, "proof line is not the b64 of 32 bytes")
		}
		r.Proof = append(r.Proof, h)
	}
	if _, err := ParseCheckpointNote(cp); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	r.Checkpoint = bytes.Clone(cp)
	return r, nil
}

// Verify checks a receipt on its own (docs/record.md §8): the checkpoint
// verifies under logKey with origin, Extra is a canonical ballot leaf,
// Index < size, and the proof proves tlog.RecordHash(Extra) at Index in the
// checkpoint's tree. It returns the checkpoint. Errors wrap
// [ErrNotCanonical], [ErrBadSignature], [ErrNotSigned], [ErrWrongOrigin] or
// [ErrBadProof].
func (r *Receipt) Verify(origin string, logKey note.Verifier) (Checkpoint, error) {
	c, err := OpenCheckpoint(r.Checkpoint, origin, logKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: %w", err)
	}
	b, err := ballot.ParseBallot(r.Extra)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: extra: %w", err)
	}
	if !bytes.Equal(b.Bytes(), r.Extra) {
		return Checkpoint{}, fmt.Errorf("receipt: extra: %w: ballot leaf is not canonical", ErrNotCanonical)
	}
	if r.Index < 0 || r.Index >= c.Size {
		return Checkpoint{}, fmt.Errorf("receipt: %w: index %d outside tree of size %d", ErrBadProof, r.Index, c.Size)
	}
	if err := tlog.CheckRecord(r.Proof, c.Size, c.Root, r.Index, tlog.RecordHash(r.Extra)); err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: %w: %w", ErrBadProof, err)
	}
	return c, nil
}

// Tracker returns the short tracker of the receipt's leaf (§3).
func (r *Receipt) Tracker() string { return ballot.Tracker(r.Extra) }
