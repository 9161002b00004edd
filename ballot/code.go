package ballot

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Code is a voting code: 16 bytes from a cryptographic random generator
// (docs/record.md §3). Whoever holds a code can cast the ballot of the key
// it derives, so codes must never be logged or sent to the server.
type Code [16]byte

// codeDigits is the number of Crockford digits in a code's text form,
// including the check digit.
const codeDigits = 27

// NewCode reads a new voting code from rand, which must be a cryptographic
// random source (crypto/rand.Reader in production).
func NewCode(rand io.Reader) (Code, error) {
	var c Code
	if _, err := io.ReadFull(rand, c[:]); err != nil {
		return Code{}, fmt.Errorf("new voting code: %w", err)
	}
	return c, nil
}

// gfMulX multiplies v by x in GF(32) = GF(2)[x]/(x⁵+x²+1).
func gfMulX(v int) int {
	v <<= 1
	if v&0x20 != 0 {
		v ^= 0x25
	}
	return v
}

// checkSum evaluates Σ α^(n−1−i)·d_i over the digit values d (Horner).
func checkSum(d []int) int {
	acc := 0
	for _, v := range d {
		acc = gfMulX(acc) ^ v
	}
	return acc
}

// Compact returns the code's canonical text: 27 upper-case Crockford digits
// (26 data digits and a check digit), no hyphens. It is used in URLs.
func (c Code) Compact() string {
	data := canon.Crockford(c[:]) // 26 digits: 128 bits and 2 zero bits
	d := make([]int, codeDigits)
	for i := 0; i < codeDigits-1; i++ {
		d[i] = canon.CrockfordValue(data[i])
	}
	// Choose the check digit d_26 so that the sum over all 27 digits is 0:
	// the sum with d_26 = 0 equals α·(Horner of the first 26), and adding
	// d_26 (coefficient α⁰) cancels it.
	check := gfMulX(checkSum(d[:codeDigits-1]))
	return data + string(canon.CrockfordAlphabet[check])
}

// String returns the code grouped for printing and typing:
// XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXX.
func (c Code) String() string { return canon.Group(c.Compact()) }

// ParseCode parses a voting code typed or scanned by a voter. It is lenient
// about presentation: it drops spaces and hyphens, upper-cases ASCII
// letters and reads O as 0 and I and L as 1. It then requires exactly 27
// Crockford digits, a valid check digit and zero padding bits. Errors wrap
// [ErrBadCode]; the message never contains the code.
func ParseCode(s string) (Code, error) {
	if len(s) > 4*codeDigits {
		return Code{}, fmt.Errorf("%w: too long", ErrBadCode)
	}
	d := make([]int, 0, codeDigits)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '-':
			continue
		case 'a' <= ch && ch <= 'z':
			ch -= 'a' - 'A'
		}
		switch ch {
		case 'O':
			ch = '0'
		case 'I', 'L':
			ch = '1'
		}
		v := canon.CrockfordValue(ch)
		if v < 0 {
			return Code{}, fmt.Errorf("%w: character %d is not a code character", ErrBadCode, i+1)
		}
		if len(d) == codeDigits {
			return Code{}, fmt.Errorf("%w: more than %d characters", ErrBadCode, codeDigits)
		}
		d = append(d, v)
	}
	if len(d) != codeDigits {
		return Code{}, fmt.Errorf("%w: %d characters, want %d", ErrBadCode, len(d), codeDigits)
	}
	if checkSum(d) != 0 {
		return Code{}, fmt.Errorf("%w: check character does not match (typing error?)", ErrBadCode)
	}
	if d[codeDigits-2]&0b11 != 0 {
		return Code{}, fmt.Errorf("%w: non-zero padding bits", ErrBadCode)
	}
	var c Code
	for i := 0; i < 128; i++ {
		if d[i/5]&(0x10>>(i%5)) != 0 {
			c[i/8] |= 0x80 >> (i % 8)
		}
	}
	return c, nil
}

// KeySalt returns the HKDF salt used by [DeriveKey] for round:
// "pb-vote/v1/" followed by the round ID.
func KeySalt(round string) []byte { return []byte("pb-vote/v1/" + round) }

// KeyInfo is the HKDF info string used by [DeriveKey].
const KeyInfo = "ed25519 seed"

// DeriveSeed returns the 32-byte Ed25519 seed of code c for round
// (docs/record.md §3): HKDF-SHA256 with ikm = the code bytes,
// salt = [KeySalt](round) and info = [KeyInfo].
func DeriveSeed(c Code, round string) []byte {
	seed, err := hkdf.Key(sha256.New, c[:], KeySalt(round), KeyInfo, ed25519.SeedSize)
	if err != nil {
		// hkdf.Key fails only for lengths above 255·32 bytes.
		panic("ballot: hkdf: " + err.Error())
	}
	return seed
}

// DeriveKey returns the Ed25519 private key of code c for round: the key
// pair of [DeriveSeed](c, round) (ed25519.NewKeyFromSeed). The same code
// gives unrelated keys in different rounds.
func DeriveKey(c Code, round string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(DeriveSeed(c, round))
}

// PublicKey returns the 32-byte public key of priv. It panics if priv is not
// an ed25519.PrivateKey of the right length.
func PublicKey(priv ed25519.PrivateKey) [32]byte {
	pub, ok := priv.Public().(ed25519.PublicKey)
	if !ok || len(pub) != 32 {
		panic("ballot: PublicKey: malformed private key")
	}
	return [32]byte(pub)
}

// Tracker returns the short tracker of a log leaf (§3): the first 5 bytes of
// tlog.RecordHash(leaf) as 8 Crockford digits, printed XXXX-XXXX.
func Tracker(leaf []byte) string {
	h := tlog.RecordHash(leaf)
	return canon.Group(canon.Crockford(h[:5]))
}

// Fingerprint returns the manifest fingerprint of a manifest note (§3): the
// first 10 bytes of SHA-256(note bytes) as 16 upper-case Crockford digits
// without hyphens, as written in anchors.txt.
func Fingerprint(manifestNote []byte) string {
	h := sha256.Sum256(manifestNote)
	return canon.Crockford(h[:10])
}

// FormatFingerprint groups a fingerprint for printing: XXXX-XXXX-XXXX-XXXX.
func FormatFingerprint(fp string) string { return canon.Group(fp) }

// KeyTag returns the slip tag of a public key (docs/record.md §6.4): its
// first 5 bytes as 8 Crockford digits, printed XXXX-XXXX. It is printed on a
// paper ballot, so that an auditor can find the paper of a sampled ballot
// without the code.
func KeyTag(key [32]byte) string {
	return canon.Group(canon.Crockford(key[:5]))
}
