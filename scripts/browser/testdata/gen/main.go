// Command gen writes the browser tests' fixture: voting codes, derived keys,
// signed ballots, a manifest, receipts (good and tampered) and consistency
// proofs, all built straight from docs/record.md with the Go standard library
// and golang.org/x/mod/sumdb/{tlog,note}, independently of the project's own
// packages. The browser code must agree with it byte for byte.
//
// Usage: go run ./scripts/browser/testdata/gen > fixture.json
//
// It lives under testdata/ so that ./... patterns skip it.
package main

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var b64 = base64.StdEncoding.EncodeToString

func mulx(a byte) byte {
	a <<= 1
	if a&32 != 0 {
		a ^= 0x25
	}
	return a
}

func crockford(b []byte) string {
	var sb strings.Builder
	acc, bits := 0, 0
	for _, c := range b {
		acc = acc<<8 | int(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(alphabet[(acc>>bits)&31])
		}
		acc &= 1<<bits - 1
	}
	if bits > 0 {
		sb.WriteByte(alphabet[(acc<<(5-bits))&31])
	}
	return sb.String()
}

func codeText(code []byte) string {
	s := crockford(code)
	var acc byte
	for i := 0; i < len(s); i++ {
		acc = mulx(acc) ^ byte(strings.IndexByte(alphabet, s[i]))
	}
	return s + string(alphabet[mulx(acc)])
}

func group(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), "-")
}

type signer struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
}

func (s signer) Name() string                    { return s.name }
func (s signer) KeyHash() uint32                 { return s.hash }
func (s signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

func newSigner(name string) (signer, string) {
	seed := sha256.Sum256([]byte("fixture key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		panic(err)
	}
	return signer{name, binary.BigEndian.Uint32(h[:4]), priv}, vkey
}

func sign(body string, s ...note.Signer) []byte {
	b, err := note.Sign(&note.Note{Text: body}, s...)
	if err != nil {
		panic(err)
	}
	return b
}

type vector struct {
	CodeBytesHex   string `json:"code_bytes_hex"`
	CodeText       string `json:"code_text"`
	Round          string `json:"round"`
	Salt           string `json:"salt"`
	Info           string `json:"info"`
	SeedHex        string `json:"seed_hex"`
	PublicKeyB64   string `json:"public_key_b64"`
	ManifestHash   string `json:"manifest_hash_b64"`
	CastB64        string `json:"cast_b64"`
	SignedBytesB64 string `json:"ballot_signed_bytes_b64"`
	BallotLeaf     string `json:"ballot_leaf"`
	SignatureB64   string `json:"signature_b64"`
	Tracker        string `json:"tracker"`
	Choice         string `json:"choice"`
}

type receipt struct {
	Name    string `json:"name"`
	Receipt string `json:"receipt"`
	Valid   bool   `json:"valid"`
	Step    string `json:"step,omitempty"`
	Tracker string `json:"tracker,omitempty"`
	Index   int64  `json:"index"`
}

type consistency struct {
	Size1 int64    `json:"size1"`
	Root1 string   `json:"root1"`
	Size2 int64    `json:"size2"`
	Root2 string   `json:"root2"`
	Proof []string `json:"proof"`
	Valid bool     `json:"valid"`
}

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf_hash"`
	Root  string   `json:"root"`
	Proof []string `json:"proof"`
	Valid bool     `json:"valid"`
}

type fixture struct {
	Vectors       []vector      `json:"vectors"`
	Manifest      string        `json:"manifest_b64"`
	ManifestFP    string        `json:"manifest_fingerprint"`
	LogVkey       string        `json:"log_vkey"`
	CouncilVkey   string        `json:"council_vkey"`
	Checkpoints   []string      `json:"checkpoints_b64"`
	FinalCP       string        `json:"final_checkpoint_b64"`
	Receipts      []receipt     `json:"receipts"`
	Consistency   []consistency `json:"consistency"`
	Inclusion     []inclusion   `json:"inclusion"`
	BadCodes      []string      `json:"bad_codes"`
	BadNotesValid []string      `json:"unknown_key_checkpoints_b64"`
}

type hashes []tlog.Hash

func (h hashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

func strs(p []tlog.Hash) []string {
	out := []string{}
	for _, h := range p {
		out = append(out, b64(h[:]))
	}
	return out
}

func main() {
	const round = "hornsyld-2026"
	logS, logV := newSigner("pb.example/hornsyld-2026")
	councilS, councilV := newSigner("council.example")
	otherS, _ := newSigner("pb.example/hornsyld-2026")
	otherS.priv = ed25519.NewKeyFromSeed(make([]byte, 32)) // same name and hash, wrong key

	var codes [][]byte
	var pubs []ed25519.PublicKey
	var privs []ed25519.PrivateKey
	for i := 0; i < 6; i++ {
		c := sha256.Sum256([]byte(fmt.Sprintf("fixture code %d", i)))
		code := c[:16]
		seed, err := hkdf.Key(sha256.New, code, []byte("pb-vote/v1/"+round), "ed25519 seed", 32)
		if err != nil {
			panic(err)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		codes = append(codes, code)
		privs = append(privs, priv)
		pubs = append(pubs, priv.Public().(ed25519.PublicKey))
	}
	manifestBody := "pb-manifest/v1\nround " + round + "\ncommunity hornsyld\nfund landdistrikt\ntitle Hornsyld 2026\n" +
		"budget 100000\nballot approval 1 2\nrule greedy\ntiebreak min-cost,max-votes,lot\nrevote none\n" +
		"log-origin " + logS.name + "\nlog-key " + logV + "\ncouncil-key " + councilV + "\n" +
		"roll " + b64(make([]byte, 32)) + " 6\n" +
		"project bench 20000 fritid Bænke ved søen\nproject library 60000 laering Bogbytte i hallen\n" +
		"project playground 50000 fritid Ny legeplads\n"
	manifest := sign(manifestBody, councilS)
	mh := sha256.Sum256(manifest)

	f := fixture{Manifest: b64(manifest), LogVkey: logV, CouncilVkey: councilV}
	f.ManifestFP = group(crockford(mh[:10]))
	choices := []string{"approve bench playground", "approve library", "approve bench", "approve", "approve library playground", "approve bench library"}
	leaves := [][]byte{manifest}
	for i := range codes {
		seed, _ := hkdf.Key(sha256.New, codes[i], []byte("pb-vote/v1/"+round), "ed25519 seed", 32)
		cast := sha256.Sum256([]byte(fmt.Sprintf("fixture cast %d", i)))
		signed := "pb-ballot/v1\nround " + round + "\nmanifest " + b64(mh[:]) + "\nkey " + b64(pubs[i]) + "\n" + choices[i] +
			"\ncast " + b64(cast[:16]) + "\n"
		sig := ed25519.Sign(privs[i], []byte(signed))
		leaf := signed + "sig " + b64(sig) + "\n"
		rh := tlog.RecordHash([]byte(leaf))
		f.Vectors = append(f.Vectors, vector{
			CodeBytesHex: hex.EncodeToString(codes[i]), CodeText: group(codeText(codes[i])), Round: round,
			Salt: "pb-vote/v1/" + round, Info: "ed25519 seed", SeedHex: hex.EncodeToString(seed),
			PublicKeyB64: b64(pubs[i]), ManifestHash: b64(mh[:]), CastB64: b64(cast[:16]), SignedBytesB64: b64([]byte(signed)),
			BallotLeaf: leaf, SignatureB64: b64(sig), Tracker: group(crockford(rh[:5])), Choice: choices[i],
		})
		leaves = append(leaves, []byte(leaf))
	}

	// The Merkle tree and a checkpoint at every size.
	var stored hashes
	roots := map[int64]*tlog.Hash{}
	cps := map[int64][]byte{}
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), l, stored)
		if err != nil {
			panic(err)
		}
		stored = append(stored, hs...)
		n := int64(i + 1)
		root, err := tlog.TreeHash(n, stored)
		if err != nil {
			panic(err)
		}
		roots[n] = &root
		cps[n] = sign(fmt.Sprintf("%s\n%d\n%s\n", logS.name, n, b64(root[:])), logS)
		f.Checkpoints = append(f.Checkpoints, b64(cps[n]))
	}
	size := int64(len(leaves))
	f.FinalCP = b64(sign(fmt.Sprintf("%s\n%d\n%s\n", logS.name, size, b64(roots[size][:])), logS, councilS))

	mkReceipt := func(leaf []byte, index int64, proof []tlog.Hash, cp []byte) string {
		s := "c2sp.org/tlog-proof@v1\nextra " + b64(leaf) + "\nindex " + fmt.Sprint(index) + "\n"
		for _, h := range proof {
			s += b64(h[:]) + "\n"
		}
		return s + "\n" + string(cp)
	}
	for i := int64(1); i < size; i++ {
		for _, n := range []int64{i + 1, size} {
			p, err := tlog.ProveRecord(n, i, stored)
			if err != nil {
				panic(err)
			}
			f.Receipts = append(f.Receipts, receipt{Name: fmt.Sprintf("leaf %d at size %d", i, n),
				Receipt: mkReceipt(leaves[i], i, p, cps[n]), Valid: true, Tracker: f.Vectors[i-1].Tracker, Index: i})
		}
	}
	// Tampered receipts, each with the check that must fail.
	p, _ := tlog.ProveRecord(size, 3, stored)
	good := mkReceipt(leaves[3], 3, p, cps[size])
	bad := func(name, step, r string) {
		f.Receipts = append(f.Receipts, receipt{Name: name, Receipt: r, Valid: false, Step: step, Index: 3})
	}
	flip := []byte(string(leaves[3]))
	flip[strings.Index(string(flip), "approve")+1] ^= 1
	bad("flipped choice byte", "ballot", mkReceipt(flip, 3, p, cps[size]))
	bad("other leaf, same proof", "inclusion", mkReceipt(leaves[4], 3, p, cps[size]))
	bad("wrong index", "inclusion", mkReceipt(leaves[3], 2, p, cps[size]))
	bad("proof hash dropped", "inclusion", mkReceipt(leaves[3], 3, p[:len(p)-1], cps[size]))
	bad("proof hash added", "inclusion", mkReceipt(leaves[3], 3, append(append([]tlog.Hash{}, p...), p[0]), cps[size]))
	q := append([]tlog.Hash{}, p...)
	q[0][0] ^= 1
	bad("proof hash corrupted", "inclusion", mkReceipt(leaves[3], 3, q, cps[size]))
	bad("checkpoint of another size", "inclusion", mkReceipt(leaves[3], 3, p, cps[size-1]))
	bad("checkpoint signed by a wrong key", "checkpoint", mkReceipt(leaves[3], 3, p, sign(fmt.Sprintf("%s\n%d\n%s\n", logS.name, size, b64(roots[size][:])), otherS)))
	bad("checkpoint signed by the council only", "checkpoint", mkReceipt(leaves[3], 3, p, sign(fmt.Sprintf("%s\n%d\n%s\n", logS.name, size, b64(roots[size][:])), councilS)))
	cpText := string(cps[size])
	bad("checkpoint body edited", "checkpoint", mkReceipt(leaves[3], 3, p, []byte(strings.Replace(cpText, fmt.Sprintf("\n%d\n", size), fmt.Sprintf("\n%d\n", size+1), 1))))
	bad("index beyond size", "inclusion", mkReceipt(leaves[3], 3, p, cps[3]))
	bad("non-canonical index", "format", strings.Replace(good, "\nindex 3\n", "\nindex 03\n", 1))
	bad("CRLF", "format", strings.ReplaceAll(good, "\n", "\r\n"))
	bad("wrong header", "format", strings.Replace(good, "tlog-proof@v1", "tlog-proof@v2", 1))
	badSig := []byte(string(leaves[3]))
	sigAt := strings.Index(string(badSig), "\nsig ") + 6
	if badSig[sigAt] == 'A' {
		badSig[sigAt] = 'B'
	} else {
		badSig[sigAt] = 'A'
	}
	bad("ballot signature corrupted", "signature", mkReceipt(badSig, 3, p, cps[size]))
	bad("good receipt, another manifest", "manifest", good) // checked with a different manifest in the test
	// An extra signature from an unknown key is ignored.
	unknown, _ := newSigner("someone-else")
	f.Receipts = append(f.Receipts, receipt{Name: "extra unknown signature", Valid: true, Index: 3, Tracker: f.Vectors[2].Tracker,
		Receipt: mkReceipt(leaves[3], 3, p, sign(fmt.Sprintf("%s\n%d\n%s\n", logS.name, size, b64(roots[size][:])), logS, unknown))})

	for n := int64(1); n <= size; n++ {
		for m := n; m <= size; m++ {
			var proof tlog.TreeProof
			if n < m {
				var err error
				if proof, err = tlog.ProveTree(m, n, stored); err != nil {
					panic(err)
				}
			}
			r1, r2 := *roots[n], *roots[m]
			f.Consistency = append(f.Consistency, consistency{n, b64(r1[:]), m, b64(r2[:]), strs(proof), true})
			if len(proof) > 0 {
				pp := append([]tlog.Hash{}, proof...)
				pp[len(pp)-1][5] ^= 0x40
				f.Consistency = append(f.Consistency, consistency{n, b64(r1[:]), m, b64(r2[:]), strs(pp), false})
				f.Consistency = append(f.Consistency, consistency{n, b64(r1[:]), m, b64(r2[:]), strs(proof[1:]), false})
			}
			if n < m {
				f.Consistency = append(f.Consistency, consistency{n, b64(r2[:]), m, b64(r1[:]), strs(proof), false})
			}
		}
	}
	for n := int64(1); n <= size; n++ {
		for i := int64(0); i < n; i++ {
			proof, err := tlog.ProveRecord(n, i, stored)
			if err != nil {
				panic(err)
			}
			lh := tlog.RecordHash(leaves[i])
			r := *roots[n]
			f.Inclusion = append(f.Inclusion, inclusion{i, n, b64(lh[:]), b64(r[:]), strs(proof), true})
			if i+1 < n {
				f.Inclusion = append(f.Inclusion, inclusion{i + 1, n, b64(lh[:]), b64(r[:]), strs(proof), false})
			}
		}
	}
	t := codeText(codes[0])
	swapped := []byte(t)
	for k := 0; k+1 < len(swapped); k++ {
		if swapped[k] != swapped[k+1] {
			swapped[k], swapped[k+1] = swapped[k+1], swapped[k]
			break
		}
	}
	one := []byte(t)
	one[7] = alphabet[(strings.IndexByte(alphabet, one[7])+1)%32]
	f.BadCodes = []string{string(swapped), string(one), t[:26], t + "0", strings.Replace(t, t[3:4], "U", 1)}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		panic(err)
	}
}
