package ballot

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Roll is the public list of the keys allowed to vote in a round
// (docs/record.md §4): the public keys of every printed code, reserves
// included. Keys are sorted strictly ascending by raw bytes. A Roll made by
// [NewRoll] or [ParseRoll] is valid; do not modify Keys afterwards.
type Roll struct {
	Round string
	Keys  [][32]byte
}

// CheckKey reports whether k is an acceptable Ed25519 public key: exactly 32
// bytes, the canonical encoding of a curve point (decoding and re-encoding
// gives k), and not of small order (8·k is not the identity). Errors wrap
// [ErrBadKey].
func CheckKey(k []byte) error {
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
	return nil
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
	if i, err := checkKeys(ks); err != nil {
		return nil, fmt.Errorf("roll: key %s: %w", canon.EncodeB64(ks[i][:]), err)
	}
	for i := range ks {
		if i > 0 && ks[i] == ks[i-1] {
			return nil, fmt.Errorf("roll: duplicate key %s", canon.EncodeB64(ks[i][:]))
		}
	}
	return &Roll{Round: round, Keys: ks}, nil
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
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	if lines[0] != "pb-roll/v1" {
		return nil, perr(1, "want pb-roll/v1", nil)
	}
	if len(lines) < 2 {
		return nil, perr(2, "missing round line", nil)
	}
	round, ok := strings.CutPrefix(lines[1], "round ")
	if !ok || !ValidID(round) {
		return nil, perr(2, "want round <id>", nil)
	}
	// The first syntax error (a line that is no key, a key out of order)
	// ends the reading; the key checks then run on the keys before it, on
	// every core, and the first problem by line is reported (a bad key
	// before an order problem on the same line).
	r := &Roll{Round: round, Keys: make([][32]byte, 0, len(lines)-2)}
	var syntax error
	for i, line := range lines[2:] {
		n := i + 3
		k, ok := canon.Decode32(line)
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
	if i, err := checkKeys(r.Keys); err != nil {
		return nil, perr(i+3, err.Error(), err)
	}
	if syntax != nil {
		return nil, syntax
	}
	return r, nil
}

// checkKeys applies [CheckKey] to every key, on every core (a city's roll
// has a million keys), and returns the first failure in key order: its
// index and error.
func checkKeys(keys [][32]byte) (int, error) {
	const chunk = 4096
	workers := min(runtime.GOMAXPROCS(0), (len(keys)+chunk-1)/chunk)
	if workers <= 1 {
		for i := range keys {
			if err := CheckKey(keys[i][:]); err != nil {
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
					if err := CheckKey(keys[i][:]); err != nil {
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

// Contains reports whether k is in the roll (binary search).
func (r *Roll) Contains(k [32]byte) bool {
	_, ok := slices.BinarySearchFunc(r.Keys, k, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	return ok
}
