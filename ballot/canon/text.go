package canon

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"
)

// ValidID reports whether s is an identifier (docs/record.md §1): 1 to 64
// bytes of lower-case ASCII letters, digits and hyphens, not starting or
// ending with a hyphen.
func ValidID(s string) bool {
	if len(s) < 1 || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isControl reports whether r is a control character of docs/record.md §1:
// U+0000 to U+001F or U+007F to U+009F.
func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r <= 0x9f }

// ValidText reports whether s is a Text (docs/record.md §1): 1 to 200 bytes
// of valid UTF-8 with no control characters (U+0000 to U+001F, U+007F to
// U+009F), not starting or ending with a space and with no two consecutive
// spaces.
func ValidText(s string) bool {
	if len(s) < 1 || len(s) > 200 || !utf8.ValidString(s) {
		return false
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for _, r := range s {
		if isControl(r) {
			return false
		}
		if r == ' ' && prevSpace {
			return false
		}
		prevSpace = r == ' '
	}
	return true
}

// hasControl reports whether b (valid UTF-8) holds a control character
// (docs/record.md §1) other than LF.
func hasControl(b []byte) bool {
	for _, r := range string(b) {
		if r != '\n' && isControl(r) {
			return true
		}
	}
	return false
}

// Reasons given by [Lines] and [SplitNote].
var (
	errEmpty        = errors.New("empty")
	errNoFinalLF    = errors.New("missing final newline")
	errInvalidUTF8  = errors.New("invalid UTF-8")
	errControl      = errors.New("control character")
	errEmptyLine    = errors.New("empty line")
	errNoSigBlock   = errors.New("no signature block")
	errBodyEmptyLn  = errors.New("empty line in body")
	errNoSigLines   = errors.New("no signature lines")
	errSigDash      = errors.New("signature line does not start with an em dash")
	errSigName      = errors.New("invalid signature key name")
	errSigB64       = errors.New("signature is not strict b64 of at least 5 bytes")
	errTooManySigs  = errors.New("too many signatures")
	errDuplicateSig = errors.New("two signatures by one key")
)

// Lines splits a text body strictly into its lines (docs/record.md §1): b
// must be non-empty, end with LF, be valid UTF-8, hold no control character
// other than LF and have no empty line. The lines are returned without
// their LFs. On failure the error's text is one of the reasons "empty",
// "missing final newline", "invalid UTF-8", "control character" or "empty
// line", checked in that order.
func Lines(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, errEmpty
	}
	if b[len(b)-1] != '\n' {
		return nil, errNoFinalLF
	}
	if !utf8.Valid(b) {
		return nil, errInvalidUTF8
	}
	if hasControl(b) {
		return nil, errControl
	}
	if bytes.Contains(b, []byte("\n\n")) || b[0] == '\n' {
		return nil, errEmptyLine
	}
	return strings.Split(string(b[:len(b)-1]), "\n"), nil
}
