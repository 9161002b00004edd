package ballot

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/edwards25519"
)

// Ed25519 edge cases for the browser's verification (static/js/ed25519.js,
// checked by scripts/browser/crypto.test.mjs). Each vector records two
// verdicts: "crypto_ed25519" is what Go's crypto/ed25519.Verify says on its
// own, and "strict" is the project's rule, [CheckKey] and then
// crypto/ed25519.Verify ([Ballot.VerifySignature], and the note keys through
// [ParseVerifierKey]). The browser must give "strict" on every vector.
// Go -update rewrites testdata/ed25519-edge.json.

type edgeVector struct {
	Name          string `json:"name"`
	Comment       string `json:"comment"`
	PublicKey     string `json:"public_key_hex"`
	Message       string `json:"message_hex"`
	Signature     string `json:"signature_hex"`
	CryptoEd25519 bool   `json:"crypto_ed25519"`
	Strict        bool   `json:"strict"`
}

type edgeFile struct {
	Comment string       `json:"comment"`
	Vectors []edgeVector `json:"vectors"`
}

func edgeScalar(label string) *edwards25519.Scalar {
	h := sha512.Sum512([]byte("pb ed25519 edge vectors/" + label))
	s, err := edwards25519.NewScalar().SetUniformBytes(h[:])
	if err != nil {
		panic(err)
	}
	return s
}

func edgePoint(hexs string) *edwards25519.Point {
	b, _ := hex.DecodeString(hexs)
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		panic(hexs + ": " + err.Error())
	}
	return p
}

// challenge is k = SHA-512(R ‖ A ‖ M) mod L over the given bytes.
func challenge(r, a, msg []byte) *edwards25519.Scalar {
	h := sha512.New()
	h.Write(r)
	h.Write(a)
	h.Write(msg)
	k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		panic(err)
	}
	return k
}

// The small-order points: their canonical encodings (orders 1, 2, 4, 4, 8,
// 8, 8, 8) and the two encodings of a point with x = 0 and the sign bit set.
var smallOrderHex = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

// Non-canonical encodings (y ≥ p) of the identity (y = p+1) and of the
// order-4 point y = 0 (y = p).
const (
	identityPlusP = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
	zeroPlusP     = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
)

var groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

func le2int(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

func int2le(n *big.Int) []byte {
	be := n.FillBytes(make([]byte, 32))
	out := make([]byte, 32)
	for i := range be {
		out[31-i] = be[i]
	}
	return out
}

func strictVerify(pub, msg, sig []byte) bool {
	return CheckKey(pub) == nil && ed25519.Verify(pub, msg, sig)
}

func edgeVectors(t *testing.T) []edgeVector {
	var out []edgeVector
	add := func(name, comment string, pub, msg, sig []byte) {
		out = append(out, edgeVector{
			Name: name, Comment: comment,
			PublicKey: hex.EncodeToString(pub), Message: hex.EncodeToString(msg), Signature: hex.EncodeToString(sig),
			CryptoEd25519: ed25519.Verify(pub, msg, sig), Strict: strictVerify(pub, msg, sig),
		})
	}
	// sign makes the cofactorless signature (R ‖ r + k·a) for R = rB + rT
	// (rT may be nil) under the public key bytes pub and secret scalar a.
	sign := func(pub []byte, a, r *edwards25519.Scalar, rT *edwards25519.Point, msg []byte) []byte {
		R := new(edwards25519.Point).ScalarBaseMult(r)
		if rT != nil {
			R.Add(R, rT)
		}
		rb := R.Bytes()
		S := edwards25519.NewScalar().MultiplyAdd(challenge(rb, pub, msg), a, r)
		return append(rb, S.Bytes()...)
	}
	// grind returns the first message "prefix i" for which ok holds.
	grind := func(prefix string, ok func(msg []byte) bool) []byte {
		for i := 0; i < 1000; i++ {
			m := []byte(fmt.Sprintf("%s %d", prefix, i))
			if ok(m) {
				return m
			}
		}
		t.Fatalf("no message found for %s", prefix)
		return nil
	}

	seed := sha512.Sum512([]byte("pb ed25519 edge vectors/seed"))
	priv := ed25519.NewKeyFromSeed(seed[:32])
	pub := []byte(priv.Public().(ed25519.PublicKey))
	msg := []byte("pb ed25519 edge vectors: a checkpoint body\n")
	sig := ed25519.Sign(priv, msg)
	add("valid", "an ordinary RFC 8032 signature", pub, msg, sig)

	bad := append([]byte{}, sig...)
	bad[40] ^= 1
	add("flipped-s-bit", "one bit of S flipped", pub, msg, bad)

	sl := append(append([]byte{}, sig[:32]...), int2le(new(big.Int).Add(le2int(sig[32:]), groupOrder))...)
	add("s-plus-l", "S replaced by S+L (non-canonical S, same value mod L): RFC 8032 requires S < L", pub, msg, sl)

	// Small-order public keys: R = rB, S = r, and a message for which
	// k·A is the identity, so that the bare cofactorless equation holds.
	for i, h := range smallOrderHex {
		A, _ := hex.DecodeString(h)
		r := edgeScalar(fmt.Sprintf("small-order r %d", i))
		Rb := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
		s := append(Rb, r.Bytes()...)
		m := grind(fmt.Sprintf("small-order key %d", i), func(m []byte) bool { return ed25519.Verify(A, m, s) })
		add(fmt.Sprintf("small-order-key-%d", i), "public key "+h+" of small order; the signature satisfies [S]B = R + [k]A", A, m, s)
	}

	// Non-canonical public keys (y ≥ p): Go's decoder accepts them.
	for _, h := range []string{identityPlusP, zeroPlusP} {
		A, _ := hex.DecodeString(h)
		r := edgeScalar("non-canonical key r " + h)
		Rb := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
		s := append(Rb, r.Bytes()...)
		m := grind("non-canonical key "+h, func(m []byte) bool { return ed25519.Verify(A, m, s) })
		add("non-canonical-key-"+h[:4], "public key encoded with y >= p ("+h+"); the signature satisfies [S]B = R + [k]A", A, m, s)
	}

	// Non-canonical R: R is the identity encoded as y = p+1, or as x = -0;
	// S = k·a so that [S]B - [k]A is the identity.
	a := edgeScalar("key a")
	A := new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	for _, h := range []string{identityPlusP, "0100000000000000000000000000000000000000000000000000000000000080"} {
		Rb, _ := hex.DecodeString(h)
		m := []byte("non-canonical R " + h)
		S := edwards25519.NewScalar().Multiply(challenge(Rb, A, m), a)
		add("non-canonical-r-"+h[:4], "R = identity encoded non-canonically as "+h+"; [S]B = R + [k]A holds for the decoded R", A, m, append(Rb, S.Bytes()...))
	}
	// The same with the canonical identity encoding: a valid signature.
	{
		Rb := edwards25519.NewIdentityPoint().Bytes()
		m := []byte("canonical identity R")
		S := edwards25519.NewScalar().Multiply(challenge(Rb, A, m), a)
		add("identity-r", "R = the identity, canonically encoded (r = 0)", A, m, append(Rb, S.Bytes()...))
	}

	// Mixed order: a key or R with an order-8 component T.
	T := edgePoint(smallOrderHex[4])
	m8 := new(edwards25519.Point).MultByCofactor(T)
	if m8.Equal(edwards25519.NewIdentityPoint()) != 1 {
		t.Fatal("T is not of small order")
	}
	aT := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(a), T)
	AT := aT.Bytes()
	r := edgeScalar("mixed r")
	sig8 := func(m []byte) []byte { return sign(AT, a, r, nil, m) }
	mRej := grind("mixed-order key, rejected", func(m []byte) bool { return !ed25519.Verify(AT, m, sig8(m)) })
	add("mixed-order-key-rejected", "A = aB + T (T of order 8), S = r + k·a: [8][S]B = [8]R + [8][k]A holds but [S]B = R + [k]A does not ([k]T is not the identity)", AT, mRej, sig8(mRej))
	mAcc := grind("mixed-order key, accepted", func(m []byte) bool { return ed25519.Verify(AT, m, sig8(m)) })
	add("mixed-order-key-accepted", "A = aB + T (T of order 8), S = r + k·a with [k]T the identity: [S]B = R + [k]A holds", AT, mAcc, sig8(mAcc))

	mR := []byte("mixed-order R")
	add("mixed-order-r", "R = rB + T (T of order 8), A = aB, S = r + k·a: only the cofactored equation holds", A, mR, sign(A, a, r, T, mR))

	// Both mixed, with R's torsion chosen so that the cofactorless
	// equation holds: R = rB + T', T' = -[k]T.
	var both []byte
	mBoth := grind("mixed-order key and R", func(m []byte) bool {
		tp := new(edwards25519.Point).Set(edwards25519.NewIdentityPoint())
		for j := 0; j < 8; j++ {
			s := sign(AT, a, r, tp, m)
			if ed25519.Verify(AT, m, s) {
				both = s
				return true
			}
			tp.Add(tp, T)
		}
		return false
	})
	add("mixed-order-key-and-r-accepted", "A = aB + T and R = rB + T' with T' = -[k]T: [S]B = R + [k]A holds", AT, mBoth, both)
	return out
}

func TestEd25519EdgeVectors(t *testing.T) {
	vs := edgeVectors(t)
	want := map[string][2]bool{
		"valid":                          {true, true},
		"flipped-s-bit":                  {false, false},
		"s-plus-l":                       {false, false},
		"non-canonical-r-eeff":           {false, false},
		"non-canonical-r-0100":           {false, false},
		"identity-r":                     {true, true},
		"mixed-order-key-rejected":       {false, false},
		"mixed-order-key-accepted":       {true, true},
		"mixed-order-r":                  {false, false},
		"mixed-order-key-and-r-accepted": {true, true},
		"non-canonical-key-eeff":         {true, false},
		"non-canonical-key-edff":         {true, false},
	}
	for i := range smallOrderHex {
		want[fmt.Sprintf("small-order-key-%d", i)] = [2]bool{true, false}
	}
	for _, v := range vs {
		w, ok := want[v.Name]
		if !ok {
			t.Errorf("%s: no expected verdict", v.Name)
			continue
		}
		if got := [2]bool{v.CryptoEd25519, v.Strict}; got != w {
			t.Errorf("%s: crypto/ed25519, strict = %v, want %v", v.Name, got, w)
		}
	}
	if len(vs) != len(want) {
		t.Errorf("%d vectors, %d expected verdicts", len(vs), len(want))
	}
	b, err := json.MarshalIndent(edgeFile{
		Comment: "Ed25519 edge cases (ballot/ed25519_edge_test.go). crypto_ed25519: Go's crypto/ed25519.Verify; " +
			"strict: ballot.CheckKey (canonical, not of small order) and crypto/ed25519.Verify, the rule the browser must follow.",
		Vectors: vs,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ed25519-edge.json", append(b, '\n'))

	// The file's verdicts hold for its bytes (whatever wrote them).
	raw, err := os.ReadFile(filepath.Join("testdata", "ed25519-edge.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f edgeFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		pub, _ := hex.DecodeString(v.PublicKey)
		msg, _ := hex.DecodeString(v.Message)
		sig, _ := hex.DecodeString(v.Signature)
		if ed25519.Verify(pub, msg, sig) != v.CryptoEd25519 || strictVerify(pub, msg, sig) != v.Strict {
			t.Errorf("%s: recorded verdicts do not hold", v.Name)
		}
	}
}
