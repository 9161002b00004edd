package tally

import (
	"math/big"
	"math/bits"
)

// Exact arithmetic helpers. All counting is exact: amounts are int64, and
// Equal Shares and Phragmén work with big.Rat. The helpers below compare
// products of rationals and integers through reusable big.Int scratch
// space, so that the inner loops do not allocate.

// scratch holds reusable big.Ints for comparisons.
type scratch struct {
	a, b, t big.Int
}

// cmpMul compares x·u with y·v for rationals x, y and integers u, v ≥ 0.
func (s *scratch) cmpMul(x *big.Rat, u int64, y *big.Rat, v int64) int {
	// x = xn/xd, y = yn/yd: compare xn·u·yd with yn·v·xd.
	s.a.Mul(x.Num(), y.Denom())
	s.t.SetInt64(u)
	s.a.Mul(&s.a, &s.t)
	s.b.Mul(y.Num(), x.Denom())
	s.t.SetInt64(v)
	s.b.Mul(&s.b, &s.t)
	return s.a.Cmp(&s.b)
}

// cmp compares rationals x and y without allocating.
func (s *scratch) cmp(x, y *big.Rat) int {
	s.a.Mul(x.Num(), y.Denom())
	s.b.Mul(y.Num(), x.Denom())
	return s.a.Cmp(&s.b)
}

// cmpInt compares x with the integer v.
func (s *scratch) cmpInt(x *big.Rat, v int64) int {
	s.t.SetInt64(v)
	s.b.Mul(&s.t, x.Denom())
	return x.Num().Cmp(&s.b)
}

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

// ratInt returns v as a new big.Rat.
func ratInt(v int64) *big.Rat { return new(big.Rat).SetInt64(v) }
