package ballot

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"filippo.io/edwards25519"
)

// rollOf returns a parsed roll of the given keys and the position of each
// key in it.
func rollOf(t testing.TB, keys ...[]byte) (*Roll, map[[32]byte]int) {
	t.Helper()
	ks := make([][32]byte, len(keys))
	for i, k := range keys {
		copy(ks[i][:], k)
	}
	r, err := NewRoll("r", ks)
	if err != nil {
		t.Fatal(err)
	}
	// The verifier reads rolls with ParseRoll: check that path too.
	p, err := ParseRoll(r.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	at := map[[32]byte]int{}
	for i, k := range p.Keys {
		at[k] = i
	}
	return p, at
}

// TestRollVerifyEdgeVectors: on every edge vector whose key a roll accepts,
// Roll.Verify gives the project's strict verdict, which is then
// crypto/ed25519's.
func TestRollVerifyEdgeVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ed25519-edge.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f edgeFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range f.Vectors {
		pub, _ := hex.DecodeString(v.PublicKey)
		msg, _ := hex.DecodeString(v.Message)
		sig, _ := hex.DecodeString(v.Signature)
		if CheckKey(pub) != nil {
			continue
		}
		n++
		r, at := rollOf(t, pub)
		if got := r.Verify(at[[32]byte(pub)], msg, sig); got != v.Strict || got != ed25519.Verify(pub, msg, sig) {
			t.Errorf("%s: Roll.Verify = %v, strict verdict %v, crypto/ed25519 %v", v.Name, got, v.Strict, ed25519.Verify(pub, msg, sig))
		}
	}
	if n < 5 {
		t.Fatalf("only %d edge vectors with a roll key", n)
	}
}

// TestRollVerifyMatchesCrypto compares Roll.Verify with ed25519.Verify on
// good signatures and on signatures, messages and keys changed in every way
// that matters: each bit of R and S flipped, S + L (the non-canonical S
// that RFC 8032 rejects), the wrong key, short and long signatures, and a
// Roll made as a literal (no decoded points).
func TestRollVerifyMatchesCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var seed [32]byte
	keys := make([][]byte, 4)
	privs := make([]ed25519.PrivateKey, 4)
	for i := range keys {
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		privs[i] = ed25519.NewKeyFromSeed(seed[:])
		keys[i] = privs[i].Public().(ed25519.PublicKey)
	}
	r, at := rollOf(t, keys...)
	literal := &Roll{Round: "r", Keys: r.Keys}
	var many []SigCheck
	var wants []bool
	var names []string
	defer func() {
		// Every case again, all at once, and then in runs of 1 to 7.
		for _, size := range []int{len(many), 1, 2, 3, 7} {
			for lo := 0; lo < len(many); lo += size {
				batch := slices.Clone(many[lo:min(lo+size, len(many))])
				r.VerifyMany(batch)
				for j, c := range batch {
					if c.OK != wants[lo+j] {
						t.Fatalf("VerifyMany (runs of %d): %s: %v, ed25519.Verify = %v", size, names[lo+j], c.OK, wants[lo+j])
					}
				}
			}
		}
	}()
	check := func(name string, key []byte, msg, sig []byte) {
		t.Helper()
		want := ed25519.Verify(key, msg, sig)
		many = append(many, SigCheck{Key: at[[32]byte(key)], Msg: msg, Sig: sig})
		wants, names = append(wants, want), append(names, name)
		if got := r.Verify(at[[32]byte(key)], msg, sig); got != want {
			t.Fatalf("%s: Roll.Verify = %v, ed25519.Verify = %v", name, got, want)
		}
		if got := literal.Verify(at[[32]byte(key)], msg, sig); got != want {
			t.Fatalf("%s: literal Roll.Verify = %v, ed25519.Verify = %v", name, got, want)
		}
	}
	// L, the group order, little-endian.
	l, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	for i, priv := range privs {
		msg := make([]byte, rng.IntN(600))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		sig := ed25519.Sign(priv, msg)
		check("good", keys[i], msg, sig)
		check("other key", keys[(i+1)%len(keys)], msg, sig)
		check("short", keys[i], msg, sig[:63])
		check("long", keys[i], msg, append(sig[:64:64], 0))
		if len(msg) > 0 {
			m := append([]byte(nil), msg...)
			m[rng.IntN(len(m))] ^= 1
			check("message", keys[i], m, sig)
		}
		for bit := range 512 {
			s := append([]byte(nil), sig...)
			s[bit/8] ^= 1 << (bit % 8)
			check("bit", keys[i], msg, s)
		}
		// S + L: the same point equation, an S that is not reduced.
		sc, _ := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
		s := append([]byte(nil), sig...)
		carry := 0
		for j := range 32 {
			v := int(sc.Bytes()[j]) + int(l[j]) + carry
			s[32+j], carry = byte(v), v>>8
		}
		if carry == 0 {
			check("S+L", keys[i], msg, s)
		}
	}
}

// FuzzRollVerify: Roll.Verify and VerifyMany agree with ed25519.Verify on any message
// and signature bytes, for a fixed roll key.
func FuzzRollVerify(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	f.Add([]byte("m"), ed25519.Sign(priv, []byte("m")))
	f.Add([]byte{}, make([]byte, 64))
	r, at := rollOf(f, pub)
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		want := ed25519.Verify(pub, msg, sig)
		if got := r.Verify(at[[32]byte(pub)], msg, sig); got != want {
			t.Fatalf("Roll.Verify = %v, ed25519.Verify = %v", got, want)
		}
		good := []byte("good")
		batch := []SigCheck{{Msg: good, Sig: ed25519.Sign(priv, good)}, {Msg: msg, Sig: sig}, {Msg: good, Sig: ed25519.Sign(priv, good)}}
		r.VerifyMany(batch)
		if !batch[0].OK || batch[1].OK != want || !batch[2].OK {
			t.Fatalf("VerifyMany = %v %v %v, want true %v true", batch[0].OK, batch[1].OK, batch[2].OK, want)
		}
	})
}

// TestRollIndex compares Roll.Index with a binary search of the whole roll,
// for rolls of 0 to 3,000 keys and for keys in it, between its keys, and
// below and above all of them, for parsed rolls and literals.
func TestRollIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var seed [32]byte
	newKey := func() []byte {
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	}
	for _, n := range []int{0, 1, 2, 3, 17, 1000, 3000} {
		keys := make([][]byte, n)
		for i := range keys {
			keys[i] = newKey()
		}
		var r *Roll
		if n == 0 {
			var err error
			if r, err = ParseRoll([]byte("pb-roll/v1\nround r\n")); err != nil {
				t.Fatal(err)
			}
		} else {
			r, _ = rollOf(t, keys...)
		}
		probes := [][32]byte{{}, {0xff, 0xff, 0xff, 0xff, 0xff}}
		for i := range 2000 {
			var k [32]byte
			if n > 0 && i%2 == 0 {
				k = r.Keys[rng.IntN(n)]
			} else {
				for j := range k {
					k[j] = byte(rng.Uint32())
				}
			}
			probes = append(probes, k)
		}
		if n > 0 {
			last := r.Keys[n-1]
			last[31]++
			probes = append(probes, r.Keys[0], r.Keys[n-1], last)
		}
		for _, roll := range []*Roll{r, {Round: "r", Keys: r.Keys}} {
			for _, k := range probes {
				j, ok := roll.Index(k)
				wj, wok := slices.BinarySearchFunc(r.Keys, k, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
				if j != wj || ok != wok || roll.Contains(k) != wok {
					t.Fatalf("n=%d: Index(%x) = %d, %v; want %d, %v", n, k, j, ok, wj, wok)
				}
			}
		}
	}
}
