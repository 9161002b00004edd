package ballot

import (
	"encoding/base64"
	"strconv"
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
		if r < 0x20 || 0x7f <= r && r <= 0x9f {
			return false
		}
		if r == ' ' && prevSpace {
			return false
		}
		prevSpace = r == ' '
	}
	return true
}

// maxDecimal is the largest Decimal (18 digits).
const maxDecimal = 999_999_999_999_999_999

// parseDecimal parses a canonical Decimal (§1): "0" or a non-zero digit
// followed by digits, at most 18 digits.
func parseDecimal(s string) (int64, bool) {
	if len(s) < 1 || len(s) > 18 {
		return 0, false
	}
	if s[0] == '0' && len(s) > 1 {
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

// validDecimal reports whether n can be written as a Decimal.
func validDecimal(n int64) bool { return 0 <= n && n <= maxDecimal }

func formatDecimal(n int64) string { return strconv.FormatInt(n, 10) }

var b64 = base64.StdEncoding.Strict()

// decode32 decodes the strict b64 of exactly 32 bytes.
func decode32(s string) ([32]byte, bool) {
	var out [32]byte
	if len(s) != 44 {
		return out, false
	}
	var buf [33]byte // Decode needs room for DecodedLen(44) = 33 bytes
	n, err := b64.Decode(buf[:], []byte(s))
	if err != nil || n != 32 {
		return out, false
	}
	copy(out[:], buf[:32])
	return out, true
}

// decode64 decodes the strict b64 of exactly 64 bytes.
func decode64(s string) ([64]byte, bool) {
	var out [64]byte
	if len(s) != 88 {
		return out, false
	}
	var buf [66]byte
	n, err := b64.Decode(buf[:], []byte(s))
	if err != nil || n != 64 {
		return out, false
	}
	copy(out[:], buf[:64])
	return out, true
}

// crockford is the Crockford base32 alphabet (§1).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// crockfordBits writes the first n 5-bit groups of b (most significant bit
// first, zero-padded) as Crockford digits.
func crockfordBits(b []byte, n int) string {
	out := make([]byte, n)
	for i := range n {
		v := 0
		for j := range 5 {
			bit := i*5 + j
			v <<= 1
			if bit/8 < len(b) && b[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		out[i] = crockford[v]
	}
	return string(out)
}

// group inserts a hyphen after every fourth character of s.
func group(s string) string {
	out := make([]byte, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, s[i])
	}
	return string(out)
}
