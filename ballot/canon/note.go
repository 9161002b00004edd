package canon

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidKeyName reports whether s can be a signed-note key name or a
// checkpoint origin (docs/record.md §2): non-empty valid UTF-8 with no '+',
// no space and no control character. Like golang.org/x/mod/sumdb/note it
// rejects every Unicode space (unicode.IsSpace), and it also rejects every
// Unicode control character (unicode.IsControl).
func ValidKeyName(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.Contains(s, "+") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// MaxSigs bounds the signature lines of a note (docs/record.md §2), as
// x/mod's note.Open does.
const MaxSigs = 100

// A Sig is one signature line "— <name> <b64>" of a signed note
// (docs/record.md §2), as found.
type Sig struct {
	Name string
	Hash uint32 // key hash: the first 4 bytes of the decoded b64, big-endian
	B64  string // the b64 text of key hash ‖ signature, exactly as found
	Sig  []byte // the decoded bytes after the key hash (the signature)
}

// SplitNote splits a signed note strictly (docs/record.md §2, "Strict
// form") into its body and signature lines, checking no signature. msg must
// be valid UTF-8 with no control character other than LF; the body (up to
// and including its final LF) must be non-empty with no empty line; then
// one empty line and 1 to [MaxSigs] lines "— <name> <b64>", each ending in
// LF, with a [ValidKeyName] name, strict b64 ([DecodeB64]) of at least 5
// bytes, and no two lines for the same name and key hash.
//
// [JoinNote](body, sigs) gives msg back. body aliases msg. On failure the
// error's text is a short reason with no prefix.
func SplitNote(msg []byte) (body []byte, sigs []Sig, err error) {
	if !utf8.Valid(msg) {
		return nil, nil, errInvalidUTF8
	}
	if hasControl(msg) {
		return nil, nil, errControl
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return nil, nil, errNoSigBlock
	}
	body, block := msg[:split+1], msg[split+2:]
	if len(body) == 0 || body[0] == '\n' || bytes.Contains(body, []byte("\n\n")) {
		return nil, nil, errBodyEmptyLn
	}
	if len(block) == 0 || block[len(block)-1] != '\n' {
		return nil, nil, errNoSigLines
	}
	type nameHash struct {
		name string
		hash uint32
	}
	seen := make(map[nameHash]bool)
	for _, line := range strings.Split(string(block[:len(block)-1]), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			return nil, nil, errSigDash
		}
		name, b, ok := strings.Cut(rest, " ")
		if !ok || !ValidKeyName(name) {
			return nil, nil, errSigName
		}
		raw, ok := DecodeB64(b)
		if !ok || len(raw) < 5 {
			return nil, nil, errSigB64
		}
		if len(sigs) == MaxSigs {
			return nil, nil, errTooManySigs
		}
		s := Sig{Name: name, Hash: binary.BigEndian.Uint32(raw), B64: b, Sig: raw[4:]}
		k := nameHash{name, s.Hash}
		if seen[k] {
			return nil, nil, errDuplicateSig
		}
		seen[k] = true
		sigs = append(sigs, s)
	}
	return body, sigs, nil
}

// JoinNote is the inverse of [SplitNote]: body, an empty line, then one
// line "— <Name> <B64>" per signature, in order. It does not check its
// input.
func JoinNote(body []byte, sigs []Sig) []byte {
	var buf bytes.Buffer
	buf.Write(body)
	buf.WriteByte('\n')
	for _, s := range sigs {
		buf.WriteString("— ")
		buf.WriteString(s.Name)
		buf.WriteByte(' ')
		buf.WriteString(s.B64)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
