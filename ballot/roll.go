package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Roll is the public list of the keys allowed to vote in a round
// (docs/record.md §4): the public keys of every printed code, reserves
// included. Keys are sorted strictly ascending by raw bytes. A Roll made by
// [NewRoll] or [ParseRoll] is valid; do not modify Keys afterwards.
type Roll struct {
	Round string
	Keys  [][32]byte

	// xs holds, for each key, the x coordinate of its curve point as
	// decoded by the key checks, so that [Roll.Verify] need not decode the
	// point again (a tenth of a signature check). Nil for a Roll made as a
	// literal.
	xs [][32]byte
	// starts[b] is the position of the first key whose top bits are b or
	// more, for the 2^bits prefixes b (so a lookup binary-searches about
	// one key's bucket rather than the whole roll); nil for a literal.
	starts []int32
	bits   uint
}

// CheckKey reports whether k is an acceptable Ed25519 public key: exactly 32
// bytes, the canonical encoding of a curve point (decoding and re-encoding
// gives k), and not of small order (8·k is not the identity). Errors wrap
// [ErrBadKey].
func CheckKey(k []byte) error { return checkKey(k, nil) }

// checkKey is [CheckKey]; when x is not nil and the key passes, it also
// stores the point's x coordinate in *x.
func checkKey(k []byte, x *[32]byte) error {
	if len(k) != 32 {
		return fmt.Errorf("%w: %d bytes, want 32", ErrBadKey, len(k))
	}
	p, err := new(edwards25519.Point).SetBytes(k)
	if err != nil {
		return fmt.Errorf("%w: not a curve point", ErrBadKey)
	}
	if !canonicalPoint(k) {
		return fmt.Errorf("%w: non-canonical point encoding", ErrBadKey)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("%w: small-order point", ErrBadKey)
	}
	if x != nil {
		// SetBytes leaves Z = 1, so X is the affine x.
		X, _, _, _ := p.ExtendedCoordinates()
		copy(x[:], X.Bytes())
	}
	return nil
}

// Verify reports whether sig is a valid Ed25519 signature of msg by the
// roll's key i: exactly ed25519.Verify(r.Keys[i][:], msg, sig) (RFC 8032
// without the cofactor, S below the group order, as crypto/ed25519), but
// with the key's point rebuilt from the x coordinate the key checks found
// instead of decoded from the key again. It panics when i is out of range.
func (r *Roll) Verify(i int, msg, sig []byte) bool {
	if r.xs == nil {
		return ed25519.Verify(r.Keys[i][:], msg, sig)
	}
	rr, ok := r.signedR(i, msg, sig)
	return ok && bytes.Equal(rr.Bytes(), sig[:32])
}

// A SigCheck is one signature for [Roll.VerifyMany]: the signature Sig of
// Msg by the roll's key at position Key. VerifyMany sets OK.
type SigCheck struct {
	Key      int
	Msg, Sig []byte
	OK       bool
}

// VerifyMany sets each check's OK to [Roll.Verify] of it. It gives the
// same verdicts as Verify (and so as ed25519.Verify) but encodes the points
// it computes with one shared field inversion (Montgomery's trick) rather
// than one per signature, which saves a thirteenth of the work.
func (r *Roll) VerifyMany(checks []SigCheck) {
	if r.xs == nil || len(checks) < 2 {
		for j := range checks {
			c := &checks[j]
			c.OK = r.Verify(c.Key, c.Msg, c.Sig)
		}
		return
	}
	points := make([]edwards25519.Point, len(checks))
	// zs[j] is the product of the Z coordinates of the points before and
	// including j that are to be compared (those whose S was canonical).
	zs := make([]field.Element, len(checks))
	acc := new(field.Element).One()
	for j := range checks {
		c := &checks[j]
		rr, ok := r.signedR(c.Key, c.Msg, c.Sig)
		c.OK = ok
		if ok {
			points[j] = *rr
			_, _, z, _ := rr.ExtendedCoordinates()
			acc.Multiply(acc, z)
		}
		zs[j] = *acc
	}
	// A point's Z is never zero; were it so, fall back to one at a time.
	if acc.Equal(new(field.Element).Zero()) == 1 {
		for j := range checks {
			c := &checks[j]
			c.OK = r.Verify(c.Key, c.Msg, c.Sig)
		}
		return
	}
	inv := new(field.Element).Invert(acc) // 1 / (Z_0 ⋯ Z_j) as j descends
	var zInv, x, y field.Element
	for j := len(checks) - 1; j >= 0; j-- {
		c := &checks[j]
		if !c.OK {
			continue
		}
		X, Y, Z, _ := points[j].ExtendedCoordinates()
		if j > 0 {
			zInv.Multiply(inv, &zs[j-1]) // 1/Z_j
		} else {
			zInv.Set(inv)
		}
		inv.Multiply(inv, Z)
		x.Multiply(X, &zInv)
		y.Multiply(Y, &zInv)
		var enc [32]byte
		copy(enc[:], y.Bytes())
		enc[31] |= byte(x.IsNegative() << 7)
		c.OK = bytes.Equal(enc[:], c.Sig[:32])
	}
}

// signedR computes R = [S]B − [k]A for sig = (R, S) by key i, with k =
// SHA-512(R ‖ A ‖ msg): the signature is valid when R encodes to its
// first half. It reports false when sig has the wrong length or S is not
// below the group order. r.xs must not be nil.
func (r *Roll) signedR(i int, msg, sig []byte) (*edwards25519.Point, bool) {
	if len(sig) != ed25519.SignatureSize {
		return nil, false
	}
	key := &r.Keys[i]
	x, err := new(field.Element).SetBytes(r.xs[i][:])
	if err != nil {
		return nil, false
	}
	y, err := new(field.Element).SetBytes(key[:]) // ignores the sign bit
	if err != nil {
		return nil, false
	}
	a, err := new(edwards25519.Point).SetExtendedCoordinates(x, y, new(field.Element).One(), new(field.Element).Multiply(x, y))
	if err != nil {
		return nil, false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(key[:])
	h.Write(msg)
	var digest [64]byte
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		return nil, false
	}
	sc, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return nil, false
	}
	return new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, a.Negate(a), sc), true
}

// canonicalPoint reports whether k, the encoding of a curve point, is the
// canonical one (re-encoding the point gives k), without re-encoding: its
// y, k with the top bit cleared read little-endian, is below p = 2²⁵⁵−19,
// and the sign bit is clear when x = 0, which on the curve is y = 1 or
// y = p−1.
func canonicalPoint(k []byte) bool {
	// y ≥ p exactly when y is p … 2²⁵⁵−1: k[0] ≥ 0xed, k[1..30] = 0xff and
	// the low 7 bits of k[31] set.
	high := k[31]&0x7f == 0x7f && k[0] >= 0xed
	for i := 1; high && i < 31; i++ {
		high = k[i] == 0xff
	}
	if high {
		return false
	}
	if k[31]&0x80 != 0 {
		yOne := k[0] == 1 && k[31]&0x7f == 0            // y = 1
		yMinusOne := k[0] == 0xec && k[31]&0x7f == 0x7f // y = p−1
		for i := 1; (yOne || yMinusOne) && i < 31; i++ {
			yOne = yOne && k[i] == 0
			yMinusOne = yMinusOne && k[i] == 0xff
		}
		if yOne || yMinusOne {
			return false
		}
	}
	return true
}

// NewRoll returns the roll of round holding keys, sorted. It copies keys. It
// fails if round is not an identifier, a key fails [CheckKey] (errors wrap
// [ErrBadKey]) or a key appears twice.
func NewRoll(round string, keys [][32]byte) (*Roll, error) {
	if !ValidID(round) {
		return nil, fmt.Errorf("roll: invalid round id %q", round)
	}
	ks := slices.Clone(keys)
	slices.SortFunc(ks, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	xs := make([][32]byte, len(ks))
	if i, err := checkKeys(ks, xs); err != nil {
		return nil, fmt.Errorf("roll: key %s: %w", canon.EncodeB64(ks[i][:]), err)
	}
	for i := range ks {
		if i > 0 && ks[i] == ks[i-1] {
			return nil, fmt.Errorf("roll: duplicate key %s", canon.EncodeB64(ks[i][:]))
		}
	}
	r := &Roll{Round: round, Keys: ks, xs: xs}
	r.index()
	return r, nil
}

// ParseRoll parses roll.txt strictly: it accepts b only when it is the
// canonical encoding of a valid roll, so that r.Bytes() equals b. Errors are
// [*ParseError] values (matching [ErrNotCanonical]; an invalid key also
// matches [ErrBadKey]).
func ParseRoll(b []byte) (*Roll, error) {
	perr := func(line int, reason string, err error) error {
		return &ParseError{Format: "roll", Line: line, Reason: reason, Err: err}
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, perr(0, "missing final newline", nil)
	}
	// The roll is read line by line in place: a city's roll is 50 MB.
	nl := []byte{'\n'}
	first, rest, more := bytes.Cut(b[:len(b)-1], nl)
	if string(first) != "pb-roll/v1" {
		return nil, perr(1, "want pb-roll/v1", nil)
	}
	if !more {
		return nil, perr(2, "missing round line", nil)
	}
	second, rest, more := bytes.Cut(rest, nl)
	round, ok := bytes.CutPrefix(second, []byte("round "))
	if !ok || !ValidID(string(round)) {
		return nil, perr(2, "want round <id>", nil)
	}
	// The first syntax error (a line that is no key, a key out of order)
	// ends the reading; the key checks then run on the keys before it, on
	// every core, and the first problem by line is reported (a bad key
	// before an order problem on the same line).
	nkeys := 0
	if more {
		nkeys = bytes.Count(rest, nl) + 1
	}
	r := &Roll{Round: string(round), Keys: make([][32]byte, 0, nkeys)}
	var syntax error
	var line []byte
	for n := 3; more; n++ {
		line, rest, more = bytes.Cut(rest, nl)
		k, ok := canon.Decode32Bytes(line)
		if !ok {
			syntax = perr(n, "want b64 of a 32-byte key", nil)
			break
		}
		r.Keys = append(r.Keys, k)
		if len(r.Keys) > 1 {
			switch c := bytes.Compare(r.Keys[len(r.Keys)-2][:], k[:]); {
			case c == 0:
				syntax = perr(n, "duplicate key", nil)
			case c > 0:
				syntax = perr(n, "keys not in ascending order", nil)
			}
			if syntax != nil {
				break
			}
		}
	}
	r.xs = make([][32]byte, len(r.Keys))
	if i, err := checkKeys(r.Keys, r.xs); err != nil {
		return nil, perr(i+3, err.Error(), err)
	}
	if syntax != nil {
		return nil, syntax
	}
	r.index()
	return r, nil
}

// checkKeys applies [CheckKey] to every key, on every core (a city's roll
// has a million keys), and returns the first failure in key order: its
// index and error. It stores each good key's x coordinate in xs[i], which
// must be as long as keys.
func checkKeys(keys, xs [][32]byte) (int, error) {
	const chunk = 4096
	workers := min(runtime.GOMAXPROCS(0), (len(keys)+chunk-1)/chunk)
	if workers <= 1 {
		for i := range keys {
			if err := checkKey(keys[i][:], &xs[i]); err != nil {
				return i, err
			}
		}
		return 0, nil
	}
	first := make([]error, (len(keys)+chunk-1)/chunk) // per chunk
	firstAt := make([]int, len(first))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= len(first) {
					return
				}
				for i := c * chunk; i < min((c+1)*chunk, len(keys)); i++ {
					if err := checkKey(keys[i][:], &xs[i]); err != nil {
						first[c], firstAt[c] = err, i
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	for c, err := range first {
		if err != nil {
			return firstAt[c], err
		}
	}
	return 0, nil
}

// Bytes returns the canonical roll.txt bytes.
func (r *Roll) Bytes() []byte {
	var buf bytes.Buffer
	buf.Grow(len("pb-roll/v1\nround \n") + len(r.Round) + 45*len(r.Keys))
	buf.WriteString("pb-roll/v1\nround ")
	buf.WriteString(r.Round)
	buf.WriteByte('\n')
	var enc [44]byte
	for _, k := range r.Keys {
		buf.Write(canon.AppendB64(enc[:0], k[:]))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// Hash returns the roll hash, SHA-256 of [Roll.Bytes].
func (r *Roll) Hash() [32]byte { return sha256.Sum256(r.Bytes()) }

// Contains reports whether k is in the roll.
func (r *Roll) Contains(k [32]byte) bool {
	_, ok := r.Index(k)
	return ok
}

// Index returns k's position in r.Keys, or where it would be, and whether
// it is there: a binary search within the keys that share k's leading bits.
func (r *Roll) Index(k [32]byte) (int, bool) {
	lo, hi := 0, len(r.Keys)
	if r.starts != nil {
		b := prefix(k, r.bits)
		lo, hi = int(r.starts[b]), int(r.starts[b+1])
	}
	j, ok := slices.BinarySearchFunc(r.Keys[lo:hi], k, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	return lo + j, ok
}

// prefix returns the top bits of k (bits ≤ 24), read big-endian.
func prefix(k [32]byte, bits uint) uint32 {
	return (uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])) >> (32 - bits)
}

// index builds starts for the sorted r.Keys: about one key per bucket, at
// most 2^20 buckets (4 MiB).
func (r *Roll) index() {
	r.bits = 1
	for r.bits < 20 && 1<<r.bits < len(r.Keys) {
		r.bits++
	}
	r.starts = make([]int32, 1<<r.bits+1)
	b := uint32(0)
	for i, k := range r.Keys {
		for p := prefix(k, r.bits); b <= p; b++ {
			r.starts[b] = int32(i)
		}
	}
	for ; int(b) < len(r.starts); b++ {
		r.starts[b] = int32(len(r.Keys))
	}
}
