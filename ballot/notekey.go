package ballot

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// NoteKeyFromSeed returns a signed-note key pair (docs/record.md §2) named
// name whose Ed25519 key is derived deterministically from a 32-byte seed
// (ed25519.NewKeyFromSeed). skey is in the golang.org/x/mod/sumdb/note
// "PRIVATE+KEY+<name>+<hash>+<keydata>" form accepted by note.NewSigner, and
// vkey in the "<name>+<hash>+<keydata>" form accepted by note.NewVerifier.
//
// It exists because note.GenerateKey ignores its random source in Go 1.26;
// callers generating a fresh key read the seed from crypto/rand. The name
// must be a valid key name (non-empty, no space, no '+', no control
// character); errors wrap [ErrBadKey].
func NoteKeyFromSeed(name string, seed []byte) (skey, vkey string, err error) {
	if !canon.ValidKeyName(name) {
		return "", "", fmt.Errorf("%w: invalid note key name %q", ErrBadKey, name)
	}
	if len(seed) != ed25519.SeedSize {
		return "", "", fmt.Errorf("%w: note key seed is %d bytes, want %d", ErrBadKey, len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := append([]byte{1}, priv[32:]...)
	h := noteKeyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, canon.EncodeB64(append([]byte{1}, seed...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, h, canon.EncodeB64(pub))
	return skey, vkey, nil
}

// noteKeyHash is the 4-byte key hash of §2: SHA-256(name ‖ LF ‖ key) read
// big-endian.
func noteKeyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// ParseVerifierKey checks that vkey is a canonical Ed25519 verifier key
// (docs/record.md §2): "<name>+<8 lower-case hex digits>+<strict b64 of 0x01
// ‖ 32-byte key>", with the right key hash and a public key that passes
// [CheckKey]. It returns the key's name and public key. Errors wrap
// [ErrBadKey].
func ParseVerifierKey(vkey string) (name string, pub [32]byte, err error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !canon.ValidKeyName(name) || len(hash16) != 8 {
		return "", pub, fmt.Errorf("%w: malformed verifier key", ErrBadKey)
	}
	var hash uint32
	for i := 0; i < 8; i++ {
		c := hash16[i]
		switch {
		case '0' <= c && c <= '9':
			hash = hash<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			hash = hash<<4 | uint32(c-'a'+10)
		default:
			return "", pub, fmt.Errorf("%w: verifier key hash is not 8 lower-case hex digits", ErrBadKey)
		}
	}
	raw, ok := canon.DecodeB64(key64)
	if !ok || len(raw) != 33 || raw[0] != 1 {
		return "", pub, fmt.Errorf("%w: verifier key is not a b64 Ed25519 key", ErrBadKey)
	}
	if noteKeyHash(name, raw) != hash {
		return "", pub, fmt.Errorf("%w: verifier key hash does not match", ErrBadKey)
	}
	if err := CheckKey(raw[1:]); err != nil {
		return "", pub, fmt.Errorf("verifier key: %w", err)
	}
	return name, [32]byte(raw[1:]), nil
}

// verifierFromKey returns a note.Verifier for a vkey already checked by
// ParseVerifierKey.
func verifierFromKey(vkey string) (note.Verifier, error) {
	if _, _, err := ParseVerifierKey(vkey); err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return v, nil
}
