package canon

import "strconv"

// MaxDecimal is the largest Decimal (docs/record.md §1): 18 nines, so every
// Decimal fits in an int64.
const MaxDecimal = 999_999_999_999_999_999

// ParseDecimal parses a Decimal (docs/record.md §1): "0", or a non-zero
// digit followed by digits, at most 18 digits in all. There is no sign, no
// '+', no leading zero and no space. It reports false for anything else; the
// value is then 0.
func ParseDecimal(s string) (int64, bool) {
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

// ValidDecimal reports whether n can be written as a Decimal
// (docs/record.md §1): 0 ≤ n ≤ [MaxDecimal].
func ValidDecimal(n int64) bool { return 0 <= n && n <= MaxDecimal }

// FormatDecimal writes n in base 10. For n with [ValidDecimal](n) this is
// the canonical Decimal (docs/record.md §1), and [ParseDecimal] gives n
// back. It does not check n: callers validate before they encode.
func FormatDecimal(n int64) string { return strconv.FormatInt(n, 10) }
