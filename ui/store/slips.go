package store

// SealedSlips returns the sealed copy of a round's slip codes (made at a
// freeze with server-made codes and a passphrase), or ErrNotFound.
func (tx *Tx) SealedSlips(round string) ([]byte, error) {
	v := tx.b(bSlips).Get([]byte(round))
	if v == nil {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

// PutSealedSlips stores the sealed copy of a round's slip codes.
func (tx *Tx) PutSealedSlips(round string, sealed []byte) error {
	return tx.b(bSlips).Put([]byte(round), sealed)
}

// DeleteSealedSlips removes the sealed copy of a round's slip codes;
// removing a missing one is not an error. bbolt does not overwrite the
// freed pages at once, so the bytes may stay in the file's free space for
// a while: that is why only a sealed copy is ever stored.
func (tx *Tx) DeleteSealedSlips(round string) error {
	return tx.b(bSlips).Delete([]byte(round))
}
