package ledger

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hedensted-pb/pb/ballot"
)

// maxDecimal is the largest Decimal of docs/record.md §1 (18 digits).
const maxDecimal = 999_999_999_999_999_999

// parseDecimal parses a canonical Decimal: "0" or a non-zero digit followed
// by digits, at most 18 digits.
func parseDecimal(s string) (int64, bool) {
	if len(s) < 1 || len(s) > 18 || s[0] == '0' && len(s) > 1 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func validDecimal(n int64) bool { return 0 <= n && n <= maxDecimal }

func formatDecimal(n int64) string { return strconv.FormatInt(n, 10) }

var strictB64 = base64.StdEncoding.Strict()

// isB64Text reports whether s holds only characters of the standard base64
// alphabet and '='. The strict decoder still skips CR and LF, so callers
// check this first.
func isB64Text(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// decodeB64 decodes strict, canonical b64 (§1): only alphabet characters,
// exact padding, zero trailing bits. The empty string decodes to nothing.
func decodeB64(s string) ([]byte, bool) {
	if !isB64Text(s) || len(s)%4 != 0 {
		return nil, false
	}
	b, err := strictB64.DecodeString(s)
	if err != nil || strictB64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// decodeHash decodes the b64 of exactly 32 bytes.
func decodeHash(s string) ([32]byte, bool) {
	var h [32]byte
	if len(s) != 44 {
		return h, false
	}
	b, ok := decodeB64(s)
	if !ok || len(b) != 32 {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

func encodeB64(b []byte) string { return strictB64.EncodeToString(b) }

// validKeyName reports whether s can be a note key name or checkpoint
// origin (§2, §5): non-empty valid UTF-8 with no Unicode space, no '+' and
// no control character.
func validKeyName(s string) bool {
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

// validToken reports whether s is a rule or tie-break name token: 1 to 64
// bytes of printable ASCII other than space.
func validToken(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// crockford is the Crockford base32 alphabet (§1).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// validFingerprint reports whether s is a manifest fingerprint as written
// in anchors.txt: 16 upper-case Crockford digits.
func validFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

// bodyLines splits a text body strictly into its lines (§1): the body is
// valid UTF-8, non-empty, ends with LF, has no empty line and no control
// character other than LF. Reasons are returned for a ParseError.
func bodyLines(b []byte) ([]string, string) {
	if len(b) == 0 {
		return nil, "empty"
	}
	if b[len(b)-1] != '\n' {
		return nil, "missing final newline"
	}
	if !utf8.Valid(b) {
		return nil, "invalid UTF-8"
	}
	for _, r := range string(b) {
		if r != '\n' && (r < 0x20 || 0x7f <= r && r <= 0x9f) {
			return nil, "control character"
		}
	}
	if bytes.Contains(b, []byte("\n\n")) || b[0] == '\n' {
		return nil, "empty line"
	}
	return strings.Split(string(b[:len(b)-1]), "\n"), ""
}

// lineParser reads the fixed-order "key value" lines of a note body. The
// first problem sticks; later calls are no-ops and return zero values.
type lineParser struct {
	format string
	lines  []string
	next   int
	err    *ParseError
}

func newLineParser(format string, body []byte) *lineParser {
	p := &lineParser{format: format}
	lines, reason := bodyLines(body)
	if reason != "" {
		p.err = &ParseError{Format: format, Reason: reason}
	}
	p.lines = lines
	return p
}

func (p *lineParser) fail(line int, reason string) {
	if p.err == nil {
		p.err = &ParseError{Format: p.format, Line: line, Reason: reason}
	}
}

// more reports whether unread lines remain.
func (p *lineParser) more() bool { return p.err == nil && p.next < len(p.lines) }

// peekKey returns the first word of the next line.
func (p *lineParser) peekKey() string {
	if !p.more() {
		return ""
	}
	k, _, _ := strings.Cut(p.lines[p.next], " ")
	return k
}

// exact consumes a line that must equal s.
func (p *lineParser) exact(s string) {
	if p.err != nil {
		return
	}
	if p.next >= len(p.lines) || p.lines[p.next] != s {
		p.fail(p.next+1, "want "+strconv.Quote(s))
		return
	}
	p.next++
}

// fields consumes a line "key f1 f2 ... fn" with exactly n single-space
// separated non-empty fields after key.
func (p *lineParser) fields(key string, n int) []string {
	if p.err != nil {
		return make([]string, n)
	}
	line := p.next + 1
	if p.next >= len(p.lines) {
		p.fail(line, "missing "+key+" line")
		return make([]string, n)
	}
	rest, ok := strings.CutPrefix(p.lines[p.next], key+" ")
	if !ok {
		p.fail(line, "want "+key+" line")
		return make([]string, n)
	}
	p.next++
	f := strings.Split(rest, " ")
	if len(f) != n {
		p.fail(line, key+": wrong number of fields")
		return make([]string, n)
	}
	for _, s := range f {
		if s == "" {
			p.fail(line, key+": empty field")
			return make([]string, n)
		}
	}
	return f
}

// rest consumes a line "key <rest>" and returns rest verbatim.
func (p *lineParser) rest(key string) string {
	if p.err != nil {
		return ""
	}
	if p.next >= len(p.lines) {
		p.fail(p.next+1, "missing "+key+" line")
		return ""
	}
	rest, ok := strings.CutPrefix(p.lines[p.next], key+" ")
	if !ok {
		p.fail(p.next+1, "want "+key+" line")
		return ""
	}
	p.next++
	return rest
}

func (p *lineParser) decimal(line int, s, what string) int64 {
	n, ok := parseDecimal(s)
	if !ok {
		p.fail(line, what+": not a canonical decimal")
	}
	return n
}

func (p *lineParser) hash(line int, s, what string) [32]byte {
	h, ok := decodeHash(s)
	if !ok {
		p.fail(line, what+": not the b64 of 32 bytes")
	}
	return h
}

func (p *lineParser) id(line int, s, what string) string {
	if !ballot.ValidID(s) {
		p.fail(line, what+": not an identifier")
	}
	return s
}

// line returns the 1-based number of the line consumed last.
func (p *lineParser) line() int { return p.next }

// done requires that every line was consumed and returns the first error.
func (p *lineParser) done() error {
	if p.err == nil && p.next < len(p.lines) {
		p.fail(p.next+1, "unexpected line")
	}
	if p.err != nil {
		return p.err
	}
	return nil
}
