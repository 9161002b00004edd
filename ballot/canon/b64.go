package canon

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// strict is standard base64 with padding that rejects non-zero trailing
// bits. On its own it still skips CR and LF, so every decoder here first
// rejects CR and LF with noNewline.
var strict = base64.StdEncoding.Strict()

// EncodeB64 returns the b64 of b (docs/record.md §1): standard base64 with
// padding. [DecodeB64] gives b back.
func EncodeB64(b []byte) string { return strict.EncodeToString(b) }

// AppendB64 appends the b64 of b to dst and returns the extended slice, as
// [EncodeB64] would write it.
func AppendB64(dst, b []byte) []byte { return strict.AppendEncode(dst, b) }

// noNewline reports whether s holds no CR and no LF: the only bytes outside
// the base64 alphabet that encoding/base64 skips rather than rejects. Any
// other byte outside the alphabet, and '=' anywhere but in the padding,
// makes strict decoding fail, so this check before it is enough for the
// alphabet rule of docs/record.md §1; it is a vectorised byte search, not a
// per-byte loop (the verifier runs it over every byte of a record).
func noNewline(s string) bool {
	return strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0
}

// noNewlineBytes is [noNewline] for a byte slice.
func noNewlineBytes(b []byte) bool {
	return bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0
}

// DecodeB64 decodes strict b64 (docs/record.md §1): only characters of the
// standard alphabet and '=' (no CR, LF or space), a length that is a
// multiple of 4, exact padding and zero trailing bits, so that
// [EncodeB64] of the result is s again. The empty string decodes to an
// empty slice. It reports false for anything else.
func DecodeB64(s string) ([]byte, bool) {
	if len(s)%4 != 0 || !noNewline(s) {
		return nil, false
	}
	b, err := strict.DecodeString(s)
	if err != nil || strict.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// Decode32 decodes the strict b64 of exactly 32 bytes (docs/record.md §1):
// 44 characters that [DecodeB64] accepts and that decode to 32 bytes. Used
// for hashes and public keys; it does not allocate the result.
func Decode32(s string) ([32]byte, bool) {
	if len(s) != 44 || !noNewline(s) {
		return [32]byte{}, false
	}
	return decode32([]byte(s))
}

// Decode32Bytes is [Decode32] for a byte slice, without converting it.
func Decode32Bytes(b []byte) ([32]byte, bool) {
	if len(b) != 44 || !noNewlineBytes(b) {
		return [32]byte{}, false
	}
	return decode32(b)
}

// decode32 decodes 44 characters of the alphabet to 32 bytes.
func decode32(b []byte) ([32]byte, bool) {
	var out [32]byte
	var buf [33]byte // Decode needs room for DecodedLen(44) = 33 bytes
	n, err := strict.Decode(buf[:], b)
	if err != nil || n != 32 {
		return out, false
	}
	copy(out[:], buf[:32])
	return out, true
}

// Decode64 decodes the strict b64 of exactly 64 bytes (docs/record.md §1):
// 88 characters that [DecodeB64] accepts and that decode to 64 bytes. Used
// for Ed25519 signatures.
func Decode64(s string) ([64]byte, bool) {
	var out [64]byte
	if len(s) != 88 || !noNewline(s) {
		return out, false
	}
	var buf [66]byte
	n, err := strict.Decode(buf[:], []byte(s))
	if err != nil || n != 64 {
		return out, false
	}
	copy(out[:], buf[:64])
	return out, true
}

// DecodeB64Bytes is [DecodeB64] for a byte slice: the same strict rules,
// without converting b to a string. scratch, when large enough, is used
// for the re-encoding check; the result is always a new slice.
func DecodeB64Bytes(b, scratch []byte) ([]byte, bool) {
	if len(b)%4 != 0 || !noNewlineBytes(b) {
		return nil, false
	}
	out := make([]byte, strict.DecodedLen(len(b)))
	n, err := strict.Decode(out, b)
	if err != nil {
		return nil, false
	}
	out = out[:n]
	if re := strict.AppendEncode(scratch[:0], out); string(re) != string(b) {
		return nil, false
	}
	return out, true
}
