package ballot

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

func TestCanonicalPointAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	try := func(k []byte) {
		p, err := new(edwards25519.Point).SetBytes(k)
		if err != nil {
			return
		}
		if want := bytes.Equal(p.Bytes(), k); canonicalPoint(k) != want {
			t.Fatalf("canonicalPoint(%x) = %v, want %v", k, !want, want)
		}
	}
	for range 200000 {
		k := make([]byte, 32)
		for i := range k {
			k[i] = byte(r.Uint32())
		}
		try(k)
		// near p
		k2 := bytes.Repeat([]byte{0xff}, 32)
		k2[0] = 0xe0 + byte(r.IntN(32))
		k2[31] = 0x7f | byte(r.IntN(2))<<7
		try(k2)
	}
	for _, y0 := range []byte{1, 0xec} {
		for _, sign := range []byte{0, 0x80} {
			k := make([]byte, 32)
			k[0] = y0
			if y0 == 0xec {
				for i := 1; i < 31; i++ {
					k[i] = 0xff
				}
				k[31] = 0x7f
			}
			k[31] |= sign
			try(k)
		}
	}
}
