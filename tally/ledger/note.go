package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
)

// maxNoteSigs bounds the signature lines of a note, as x/mod's note.Open
// does.
const maxNoteSigs = 100

// A noteSig is one signature line of a signed note (§2).
type noteSig struct {
	name string
	hash uint32
	b64  string // the b64 text of key hash ‖ signature, as found
	sig  []byte // the signature without the key hash
}

// splitNote parses a signed note strictly (docs/record.md §2): valid UTF-8
// without control characters other than LF; a body of non-empty lines; an
// empty line; one or more signature lines "— <name> <b64>" with a valid key
// name, strict b64 of at least 5 bytes and no two lines for the same name
// and key hash. joinNote(body, sigs) gives msg back.
func splitNote(msg []byte) (body []byte, sigs []noteSig, err error) {
	perr := func(reason string) error { return &ParseError{Format: "note", Reason: reason} }
	if !utf8.Valid(msg) {
		return nil, nil, perr("invalid UTF-8")
	}
	for _, r := range string(msg) {
		if r != '\n' && (r < 0x20 || 0x7f <= r && r <= 0x9f) {
			return nil, nil, perr("control character")
		}
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return nil, nil, perr("no signature block")
	}
	body, block := msg[:split+1], msg[split+2:]
	if len(body) == 0 || body[0] == '\n' || bytes.Contains(body, []byte("\n\n")) {
		return nil, nil, perr("empty line in body")
	}
	if len(block) == 0 || block[len(block)-1] != '\n' {
		return nil, nil, perr("no signature lines")
	}
	seen := make(map[string]bool)
	for _, line := range strings.Split(string(block[:len(block)-1]), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			return nil, nil, perr("signature line does not start with an em dash")
		}
		name, b, ok := strings.Cut(rest, " ")
		if !ok || !validKeyName(name) {
			return nil, nil, perr("invalid signature key name")
		}
		raw, ok := decodeB64(b)
		if !ok || len(raw) < 5 {
			return nil, nil, perr("signature is not strict b64 of at least 5 bytes")
		}
		if len(sigs) == maxNoteSigs {
			return nil, nil, perr("too many signatures")
		}
		s := noteSig{name: name, hash: binary.BigEndian.Uint32(raw), b64: b, sig: raw[4:]}
		k := fmt.Sprintf("%s+%08x", name, s.hash)
		if seen[k] {
			return nil, nil, perr("two signatures by one key")
		}
		seen[k] = true
		sigs = append(sigs, s)
	}
	return body, sigs, nil
}

// joinNote is the inverse of splitNote.
func joinNote(body []byte, sigs []noteSig) []byte {
	var buf bytes.Buffer
	buf.Write(body)
	buf.WriteByte('\n')
	for _, s := range sigs {
		buf.WriteString("— ")
		buf.WriteString(s.name)
		buf.WriteByte(' ')
		buf.WriteString(s.b64)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
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
			if v == nil || v.Name() != s.name || v.KeyHash() != s.hash {
				continue
			}
			if !v.Verify(body, s.sig) {
				return nil, nil, fmt.Errorf("%w: key %s+%08x", ErrBadSignature, s.name, s.hash)
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
