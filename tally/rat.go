package tally

import "math/bits"

// cmpFrac compares the fractions a/b and c/d with a, c ≥ 0 and b, d > 0
// (int64), exactly, through 128-bit products.
func cmpFrac(a, b, c, d int64) int {
	h1, l1 := bits.Mul64(uint64(a), uint64(d))
	h2, l2 := bits.Mul64(uint64(c), uint64(b))
	switch {
	case h1 != h2:
		if h1 < h2 {
			return -1
		}
		return 1
	case l1 != l2:
		if l1 < l2 {
			return -1
		}
		return 1
	}
	return 0
}
