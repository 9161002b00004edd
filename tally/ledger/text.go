package ledger

import (
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/ballot/canon"
)

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
	lines, err := canon.Lines(body)
	if err != nil {
		p.err = &ParseError{Format: format, Reason: err.Error()}
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
	n, ok := canon.ParseDecimal(s)
	if !ok {
		p.fail(line, what+": not a canonical decimal")
	}
	return n
}

func (p *lineParser) hash(line int, s, what string) [32]byte {
	h, ok := canon.Decode32(s)
	if !ok {
		p.fail(line, what+": not the b64 of 32 bytes")
	}
	return h
}

func (p *lineParser) id(line int, s, what string) string {
	if !canon.ValidID(s) {
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
