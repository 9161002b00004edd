package tally

import (
	"fmt"
	"strconv"
	"strings"
)

// Amounts
//
// Costs and budgets are exact decimal numbers. An [Election] stores them as
// int64 multiples of 10^-Scale of the currency unit (Scale 0 for whole
// kroner, 2 for a Kraków budget such as 1656699.67). maxAmount bounds every
// cost and the budget so that sums of all costs never overflow.

const (
	maxScale  = 9
	maxAmount = 1_000_000_000_000_000 // 10^15 units
)

// decimal is a parsed non-negative decimal number: digits without the
// point, and the number of digits after it.
type decimal struct {
	digits string // no leading zeros except "0"
	scale  int
}

// parseDecimal parses a non-negative decimal number such as "12", "12.5",
// "0.75", ".5" or "12,5" (pabutools reads a comma as the decimal point).
// Trailing zeros after the point are dropped, so "250000.0" has scale 0.
func parseDecimal(s string) (decimal, error) {
	s = strings.Replace(s, ",", ".", 1)
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) || hasPoint && strings.Contains(frac, ".") {
		return decimal{}, fmt.Errorf("%q is not a non-negative decimal number", s)
	}
	frac = strings.TrimRight(frac, "0")
	d := strings.TrimLeft(intPart+frac, "0")
	if d == "" {
		d = "0"
	}
	return decimal{digits: d, scale: len(frac)}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// units returns d as a multiple of 10^-scale (scale ≥ d.scale), or an error
// if it exceeds maxAmount.
func (d decimal) units(scale int) (int64, error) {
	s := d.digits + strings.Repeat("0", scale-d.scale)
	if len(strings.TrimLeft(s, "0")) > 16 {
		return 0, fmt.Errorf("amount too large")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > maxAmount {
		return 0, fmt.Errorf("amount too large")
	}
	return v, nil
}

// FormatAmount formats units × 10^-scale as a decimal number with no
// trailing zeros after the point: FormatAmount(165669967, 2) is
// "1656699.67", FormatAmount(250000, 0) is "250000".
func FormatAmount(units int64, scale int) string {
	neg := units < 0
	if neg {
		units = -units
	}
	s := strconv.FormatInt(units, 10)
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if neg {
		s = "-" + s
	}
	return s
}
