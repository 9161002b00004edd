package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// Keyring keeps the server's signing keys as files in a directory, one
// note private key ("PRIVATE+KEY+<name>+<hash>+<b64>") per file, mode
// 0600, in a directory of mode 0700. Keys are generated at first use and
// never change afterwards. They are deliberately kept out of the database,
// so a database backup carries no signing key (docs/operations.md).
type Keyring struct {
	dir string
	mu  sync.Mutex // serialises generation
}

// OpenKeyring opens (creating if needed) the key directory dir.
func OpenKeyring(dir string) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: key directory: %w", err)
	}
	return &Keyring{dir: dir}, nil
}

// Dir is the key directory.
func (k *Keyring) Dir() string { return k.dir }

// Signer returns the signing key stored as file "<id>.key", generating a
// new Ed25519 note key named name when the file does not exist yet. It
// also returns the key's verifier key (vkey). id must be an identifier
// (lower-case letters, digits, hyphens); name must be a valid note key
// name. When the file exists but holds a key with another name, Signer
// returns an error rather than silently using it.
func (k *Keyring) Signer(id, name string) (note.Signer, string, error) {
	if !validFileID(id) {
		return nil, "", fmt.Errorf("store: bad key id %q", id)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	path := filepath.Join(k.dir, id+".key")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, "", fmt.Errorf("store: generate key %s: %w", id, err)
		}
		if err := writeFileSync(path, []byte(skey+"\n")); err != nil {
			return nil, "", fmt.Errorf("store: write key %s: %w", id, err)
		}
		data = []byte(skey + "\n")
	} else if err != nil {
		return nil, "", fmt.Errorf("store: read key %s: %w", id, err)
	}
	skey := strings.TrimSuffix(string(data), "\n")
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("store: key %s: %w", id, err)
	}
	if signer.Name() != name {
		return nil, "", fmt.Errorf("store: key file %s holds key %q, want %q", path, signer.Name(), name)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("store: key %s: %w", id, err)
	}
	return signer, vkey, nil
}

// Existing returns the signing key stored as file "<id>.key" and its
// verifier key, or an error wrapping ErrNotFound when there is none. It
// does not check the key's name.
func (k *Keyring) Existing(id string) (note.Signer, string, error) {
	if !validFileID(id) {
		return nil, "", fmt.Errorf("store: bad key id %q", id)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	path := filepath.Join(k.dir, id+".key")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("store: key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: read key %s: %w", id, err)
	}
	skey := strings.TrimSuffix(string(data), "\n")
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("store: key %s: %w", id, err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("store: key %s: %w", id, err)
	}
	return signer, vkey, nil
}

// verifierKey derives "<name>+<hash>+<b64>" from a note private key.
func verifierKey(skey string) (string, error) {
	// PRIVATE+KEY+name+hash+keydata: the public key is not in the text, so
	// rebuild it from the Ed25519 seed.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("malformed private key")
	}
	seedKey, err := decodeKeyData(parts[4])
	if err != nil {
		return "", err
	}
	return note.NewEd25519VerifierKey(parts[2], seedKey)
}

// writeFileSync creates path exclusively with mode 0600 and syncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func validFileID(s string) bool {
	if len(s) < 1 || len(s) > 100 || s[0] == '-' {
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

// decodeKeyData turns the b64 key data of a note private key (algorithm
// byte 0x01, then the 32-byte Ed25519 seed) into the public key.
func decodeKeyData(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("malformed private key data")
	}
	return ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey), nil
}
