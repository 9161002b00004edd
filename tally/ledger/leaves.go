package ledger

import (
	"bytes"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// First lines of the leaf kinds (docs/record.md §5, §6).
const (
	manifestHeader = "pb-manifest/v1"
	ballotHeader   = "pb-ballot/v1"
	voidHeader     = "pb-void/v1"
	closeHeader    = "pb-close/v1"
	resultHeader   = "pb-result/v1"
)

// A LeafKind names the kind of a log leaf by its first line.
type LeafKind string

// The leaf kinds of a round's log.
const (
	LeafManifest LeafKind = manifestHeader
	LeafBallot   LeafKind = ballotHeader
	LeafVoid     LeafKind = voidHeader
	LeafClose    LeafKind = closeHeader
	LeafUnknown  LeafKind = ""
)

// KindOf returns the kind of a leaf from its first line, or [LeafUnknown].
// It does not validate the leaf.
func KindOf(leaf []byte) LeafKind {
	first, _, ok := bytes.Cut(leaf, []byte("\n"))
	if !ok {
		return LeafUnknown
	}
	switch k := LeafKind(first); k {
	case LeafManifest, LeafBallot, LeafVoid, LeafClose:
		return k
	}
	return LeafUnknown
}

// A Close is the body of the close leaf (docs/record.md §6.3), the last leaf
// of a round's log, signed by the council.
type Close struct {
	Round    string
	Manifest [32]byte // the manifest hash
	Size     int64    // index of the close leaf = number of leaves before it
	Ballots  int64    // number of ballot leaves before it
}

// Body returns the canonical body of the close note.
func (c *Close) Body() []byte {
	return []byte(closeHeader + "\n" +
		"round " + c.Round + "\n" +
		"manifest " + canon.EncodeB64(c.Manifest[:]) + "\n" +
		"size " + canon.FormatDecimal(c.Size) + "\n" +
		"ballots " + canon.FormatDecimal(c.Ballots) + "\n")
}

func (c *Close) validate() error {
	if !canon.ValidID(c.Round) || !canon.ValidDecimal(c.Size) || !canon.ValidDecimal(c.Ballots) {
		return fmt.Errorf("close: invalid field")
	}
	return nil
}

// ParseClose parses a close note body strictly (re-encoding gives body).
// Errors are [*ParseError] values.
func ParseClose(body []byte) (*Close, error) {
	p := newLineParser("close", body)
	c := &Close{}
	p.exact(closeHeader)
	c.Round = p.id(p.line()+1, p.fields("round", 1)[0], "round")
	c.Manifest = p.hash(p.line()+1, p.fields("manifest", 1)[0], "manifest")
	c.Size = p.decimal(p.line()+1, p.fields("size", 1)[0], "size")
	c.Ballots = p.decimal(p.line()+1, p.fields("ballots", 1)[0], "ballots")
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, nil
}

// SignClose returns the close leaf: the close note signed by the council.
func SignClose(c *Close, council note.Signer) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	msg, err := signNote(c.Body(), council)
	if err != nil {
		return nil, fmt.Errorf("close: %w", err)
	}
	return msg, nil
}

// OpenClose parses a close leaf strictly and verifies the council's
// signature. Errors wrap [ErrNotCanonical], [ErrBadSignature] or
// [ErrNotSigned].
func OpenClose(leaf []byte, council note.Verifier) (*Close, error) {
	body, err := openNoteBy(leaf, council)
	if err != nil {
		return nil, fmt.Errorf("close: %w", err)
	}
	return ParseClose(body)
}

// A Void is the body of a void leaf (docs/record.md §6.2): the council
// cancels every earlier ballot of Key, and no later ballot of Key is valid.
type Void struct {
	Round    string
	Manifest [32]byte // the manifest hash
	Key      [32]byte
	Reason   string // a Text (§1)
}

// Body returns the canonical body of the void note.
func (v *Void) Body() []byte {
	return []byte(voidHeader + "\n" +
		"round " + v.Round + "\n" +
		"manifest " + canon.EncodeB64(v.Manifest[:]) + "\n" +
		"key " + canon.EncodeB64(v.Key[:]) + "\n" +
		"reason " + v.Reason + "\n")
}

func (v *Void) validate() error {
	if !canon.ValidID(v.Round) || !canon.ValidText(v.Reason) {
		return fmt.Errorf("void: invalid field")
	}
	return nil
}

// ParseVoid parses a void note body strictly. Errors are [*ParseError]
// values.
func ParseVoid(body []byte) (*Void, error) {
	p := newLineParser("void", body)
	v := &Void{}
	p.exact(voidHeader)
	v.Round = p.id(p.line()+1, p.fields("round", 1)[0], "round")
	v.Manifest = p.hash(p.line()+1, p.fields("manifest", 1)[0], "manifest")
	v.Key = p.hash(p.line()+1, p.fields("key", 1)[0], "key")
	v.Reason = p.rest("reason")
	if p.err == nil && !canon.ValidText(v.Reason) {
		p.fail(p.line(), "reason: not a valid text")
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	return v, nil
}

// SignVoid returns the void leaf: the void note signed by the council.
func SignVoid(v *Void, council note.Signer) ([]byte, error) {
	if err := v.validate(); err != nil {
		return nil, err
	}
	msg, err := signNote(v.Body(), council)
	if err != nil {
		return nil, fmt.Errorf("void: %w", err)
	}
	return msg, nil
}

// OpenVoid parses a void leaf strictly and verifies the council's
// signature. It does not check that the key is in the roll.
func OpenVoid(leaf []byte, council note.Verifier) (*Void, error) {
	body, err := openNoteBy(leaf, council)
	if err != nil {
		return nil, fmt.Errorf("void: %w", err)
	}
	return ParseVoid(body)
}
