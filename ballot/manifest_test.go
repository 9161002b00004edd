package ballot

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
)

func TestManifestRoundTrip(t *testing.T) {
	for _, spec := range []BallotSpec{specApproval, specApprovalCost, specCumulative} {
		m := testManifest(t, spec)
		body, err := m.Body()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifestBody(body)
		if err != nil {
			t.Fatalf("ParseManifestBody(Body()) = %v", err)
		}
		if body2, _ := m2.Body(); !bytes.Equal(body, body2) {
			t.Errorf("Body(ParseManifestBody(Body())) differs")
		}
		if m2.Ballot != spec || m2.RollHash != m.RollHash || len(m2.Projects) != len(m.Projects) {
			t.Errorf("parsed manifest differs: %+v", m2)
		}
	}
}

func TestManifestValidate(t *testing.T) {
	_, otherKey := mustNoteKey(t, "someone-else")
	tests := []struct {
		name string
		edit func(m *Manifest)
	}{
		{"round", func(m *Manifest) { m.Round = "Juelsminde" }},
		{"community", func(m *Manifest) { m.Community = "" }},
		{"fund", func(m *Manifest) { m.Fund = "-fund" }},
		{"title empty", func(m *Manifest) { m.Title = "" }},
		{"title double space", func(m *Manifest) { m.Title = "a  b" }},
		{"title control", func(m *Manifest) { m.Title = "a\tb" }},
		{"title C1 control", func(m *Manifest) { m.Title = "a\u0085b" }},
		{"title invalid utf-8", func(m *Manifest) { m.Title = "a\xffb" }},
		{"title too long", func(m *Manifest) { m.Title = strings.Repeat("x", 201) }},
		{"budget 0", func(m *Manifest) { m.Budget = 0 }},
		{"budget 19 digits", func(m *Manifest) { m.Budget = 1_000_000_000_000_000_000 }},
		{"rule", func(m *Manifest) { m.Rule = "Greedy" }},
		{"rule unknown", func(m *Manifest) { m.Rule = "borda" }},
		{"rule greedy-threshold", func(m *Manifest) { m.Rule = "greedy-threshold" }},
		{"rule points for approval", func(m *Manifest) { m.Rule = "greedy-points" }},
		{"rule trailing slash", func(m *Manifest) { m.Rule = "equalshares/" }},
		{"budget above the amount limit", func(m *Manifest) { m.Budget = MaxAmount + 1 }},
		{"cost above the amount limit", func(m *Manifest) { m.Projects[0].Cost = MaxAmount + 1 }},
		{"roll count above the limit", func(m *Manifest) { m.RollCount = MaxRollKeys + 1 }},
		{"approval-cost limit above the amount limit", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApprovalCost, Limit: MaxAmount + 1} }},
		{"cumulative total above the limit", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindCumulative, Total: MaxPoints + 1, Cap: 1} }},
		{"cumulative with an approval rule", func(m *Manifest) { m.Ballot = specCumulative }},
		{"too many projects", func(m *Manifest) {
			for i := len(m.Projects); i <= MaxProjects; i++ {
				m.Projects = append(m.Projects, Project{ID: fmt.Sprintf("zz%04d", i), Cost: 1, Category: "c", Title: "t"})
			}
		}},
		{"tiebreak", func(m *Manifest) { m.Tiebreak = "lot" }},
		{"revote", func(m *Manifest) { m.Revote = "first" }},
		{"origin space", func(m *Manifest) { m.LogOrigin = "pb hedensted" }},
		{"origin plus", func(m *Manifest) { m.LogOrigin = "pb+hedensted" }},
		{"log-key name", func(m *Manifest) { m.LogKey = otherKey }},
		{"log-key garbage", func(m *Manifest) { m.LogKey = "x+00000000+AQ==" }},
		{"log-key upper hex", func(m *Manifest) { m.LogKey = upperHex(m.LogKey) }},
		{"council-key garbage", func(m *Manifest) { m.CouncilKey = "nope" }},
		{"council-key small order", func(m *Manifest) { m.CouncilKey = vkeyOf(t, "c", smallOrderKeys[0]) }},
		{"roll count", func(m *Manifest) { m.RollCount = -1 }},
		{"no projects", func(m *Manifest) { m.Projects = nil }},
		{"project order", func(m *Manifest) { m.Projects[0], m.Projects[1] = m.Projects[1], m.Projects[0] }},
		{"duplicate project", func(m *Manifest) { m.Projects[1].ID = m.Projects[0].ID }},
		{"project cost 0", func(m *Manifest) { m.Projects[0].Cost = 0 }},
		{"project id", func(m *Manifest) { m.Projects[0].ID = "a b" }},
		{"project category", func(m *Manifest) { m.Projects[0].Category = "Læring" }},
		{"project title", func(m *Manifest) { m.Projects[0].Title = " x" }},
		{"kind", func(m *Manifest) { m.Ballot = BallotSpec{Kind: "ranked", Min: 1, Max: 1} }},
		{"approval max 0", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApproval} }},
		{"approval min > max", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApproval, Min: 3, Max: 2} }},
		{"approval min > projects", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApproval, Min: 6, Max: 6} }},
		{"approval with limit", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApproval, Max: 2, Limit: 5} }},
		{"approval-cost 0", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApprovalCost} }},
		{"approval-cost with max", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindApprovalCost, Limit: 5, Max: 1} }},
		{"cumulative cap 0", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindCumulative, Total: 5} }},
		{"cumulative cap > total", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindCumulative, Total: 5, Cap: 6} }},
		{"cumulative with limit", func(m *Manifest) { m.Ballot = BallotSpec{Kind: KindCumulative, Total: 5, Cap: 5, Limit: 1} }},
	}
	for _, tt := range tests {
		m := testManifest(t, specApproval)
		tt.edit(m)
		if _, err := m.Body(); !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: Body() = %v, want ErrInvalidManifest", tt.name, err)
		}
		council, _ := mustNoteKey(t, testCouncilKey)
		if _, err := SignManifest(m, council); err == nil {
			t.Errorf("%s: SignManifest succeeded", tt.name)
		}
	}
}

func upperHex(vkey string) string {
	name, rest, _ := strings.Cut(vkey, "+")
	hash, key, _ := strings.Cut(rest, "+")
	return name + "+" + strings.ToUpper(hash) + "+" + key
}

func vkeyOf(t *testing.T, name string, k [32]byte) string {
	v, err := note.NewEd25519VerifierKey(name, k[:])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseManifestBodyRejects(t *testing.T) {
	body, err := testManifest(t, specApproval).Body()
	if err != nil {
		t.Fatal(err)
	}
	good := string(body)
	lines := strings.SplitAfter(good, "\n")
	lines = lines[:len(lines)-1] // drop the empty string after the final LF
	swap := func(i, j int) string {
		l := append([]string(nil), lines...)
		l[i], l[j] = l[j], l[i]
		return strings.Join(l, "")
	}
	repl := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("golden body has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := map[string]string{
		"empty":                "",
		"missing final LF":     strings.TrimSuffix(good, "\n"),
		"CRLF":                 strings.ReplaceAll(good, "\n", "\r\n"),
		"trailing space":       repl("budget 250000\n", "budget 250000 \n"),
		"double space":         repl("budget 250000", "budget  250000"),
		"leading zero":         repl("budget 250000", "budget 0250000"),
		"plus sign":            repl("budget 250000", "budget +250000"),
		"19 digits":            repl("budget 250000", "budget 1000000000000000000"),
		"blank line":           repl("rule greedy\n", "rule greedy\n\n"),
		"unknown line":         repl("rule greedy\n", "rule greedy\nextra x\n"),
		"reordered lines":      swap(2, 3),
		"unsorted projects":    swap(14, 15),
		"duplicate project":    good + lines[len(lines)-1],
		"wrong header":         repl("pb-manifest/v1", "pb-manifest/v2"),
		"too many limits":      repl("ballot approval 0 3", "ballot approval 0 3 4"),
		"too few limits":       repl("ballot approval 0 3", "ballot approval 3"),
		"unknown kind":         repl("ballot approval 0 3", "ballot ranked 0 3"),
		"leading zero limit":   repl("ballot approval 0 3", "ballot approval 00 3"),
		"non-strict roll hash": repl("/p2w= 5", "/p2x= 5"),
		"roll without count":   repl("/p2w= 5", "/p2w="),
		"roll count negative":  repl("/p2w= 5", "/p2w= -5"),
		"project no title":     repl(" Multibane ved skolen", ""),
		"project cost 007":     repl("ungejob 60000", "ungejob 060000"),
		"no projects":          strings.Join(lines[:14], ""),
		"upper-case keyword":   repl("round ", "Round "),
		"title trailing space": repl("projekter\n", "projekter \n"),
		"uppercase hex vkey":   repl("+c8ffcca9+", "+C8FFCCA9+"),
		"NUL":                  repl("greedy", "greedy\x00"),
	}
	for name, in := range tests {
		_, err := ParseManifestBody([]byte(in))
		t.Logf("%s: %v", name, err)
		if err == nil {
			t.Errorf("%s: ParseManifestBody accepted %q", name, in)
		} else if !errors.Is(err, ErrNotCanonical) && !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: ParseManifestBody = %v, want ErrNotCanonical or ErrInvalidManifest", name, err)
		}
	}
}

func TestSignOpenManifest(t *testing.T) {
	m, leaf, mh := signedManifest(t, specApproval)
	council := councilVerifier(t)
	got, err := OpenManifest(leaf, council)
	if err != nil {
		t.Fatal(err)
	}
	if got.Round != m.Round || ManifestHash(leaf) != mh {
		t.Errorf("OpenManifest = %+v", got)
	}
	if p, ok := got.Project("multibane"); !ok || p.Cost != 180000 {
		t.Errorf("Project(multibane) = %+v, %v", p, ok)
	}
	if _, ok := got.Project("nope"); ok {
		t.Errorf("Project(nope) found")
	}
	if fp := Fingerprint(leaf); len(fp) != 16 || strings.Contains(fp, "-") {
		t.Errorf("Fingerprint = %q", fp)
	}

	// An extra signature by an unknown key is ignored.
	other, otherVkey := mustNoteKey(t, "witness")
	n, err := note.Open(leaf, note.VerifierList(council))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenManifest(cosigned, council); err != nil {
		t.Errorf("OpenManifest(cosigned) = %v", err)
	}

	// A signer that is not the manifest's council key is refused.
	if _, err := SignManifest(m, other); !errors.Is(err, ErrBadKey) {
		t.Errorf("SignManifest(wrong signer) = %v, want ErrBadKey", err)
	}
	otherV, err := note.NewVerifier(otherVkey)
	if err != nil {
		t.Fatal(err)
	}

	// A manifest naming the witness as council, signed by the witness,
	// opened with the trusted council key: no trusted signature.
	m2 := testManifest(t, specApproval)
	m2.CouncilKey = otherVkey
	leaf2, err := SignManifest(m2, other)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(leaf, []byte("budget 250000"), []byte("budget 350000"), 1)
	badSig := flipSigBit(t, leaf)
	// A manifest naming another council key, signed by the trusted council.
	body2, err := m2.Body()
	if err != nil {
		t.Fatal(err)
	}
	councilSigner, _ := mustNoteKey(t, testCouncilKey)
	wrongCouncil, err := note.Sign(&note.Note{Text: string(body2)}, councilSigner)
	if err != nil {
		t.Fatal(err)
	}
	nonStrict := strictnessBreak(t, leaf)

	tests := []struct {
		name string
		leaf []byte
		v    note.Verifier
		is   error
	}{
		{"wrong verifier", leaf, otherV, ErrBadSignature},
		{"untrusted council", leaf2, council, ErrBadSignature},
		{"council-key differs from trusted", wrongCouncil, council, ErrBadKey},
		{"tampered body", tampered, council, ErrBadSignature},
		{"bad signature", badSig, council, ErrBadSignature},
		{"non-strict b64 signature", nonStrict, council, ErrNotCanonical},
		{"no signature", leaf[:bytes.LastIndex(leaf, []byte("\n\n"))+2], council, ErrNotCanonical},
		// docs/record.md §2: no two signature lines for one key (note.Open
		// alone drops the repeat, so the bytes, and the hash, could vary).
		{"duplicate signature line", append(bytes.Clone(leaf), leaf[bytes.LastIndex(leaf, []byte("\n\n"))+2:]...), council, ErrNotCanonical},
		{"CRLF", bytes.ReplaceAll(leaf, []byte("\n"), []byte("\r\n")), council, nil},
		{"empty", nil, council, nil},
	}
	for _, tt := range tests {
		_, err := OpenManifest(tt.leaf, tt.v)
		if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: OpenManifest = %v, want %v", tt.name, err, tt.is)
		}
	}
}

// flipSigBit returns leaf with one bit of its last signature flipped.
func flipSigBit(t *testing.T, leaf []byte) []byte {
	t.Helper()
	s := string(leaf)
	i := strings.LastIndex(s, " ")
	raw, ok := canon.DecodeB64(strings.TrimSuffix(s[i+1:], "\n"))
	if !ok {
		t.Fatal("signature is not strict b64")
	}
	raw[10] ^= 1
	return []byte(s[:i+1] + canon.EncodeB64(raw) + "\n")
}

// strictnessBreak returns leaf with the last signature's b64 changed to a
// non-strict encoding of the same bytes (non-zero trailing bits).
func strictnessBreak(t *testing.T, leaf []byte) []byte {
	t.Helper()
	s := string(leaf)
	i := strings.LastIndex(s, "=\n")
	for i > 0 && s[i-1] == '=' {
		i--
	}
	if i < 1 {
		t.Fatal("signature has no padding")
	}
	c := s[i-1]
	v := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", c)
	alt := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[v|1]
	return []byte(s[:i-1] + string(alt) + s[i:])
}

// TestParseVerifierKeyStrictB64 pins docs/record.md §1: the key's b64 is
// strict, so no CR or LF may hide in it (the lenient decoder skips them,
// and a manifest Body would then carry an empty line).
func TestParseVerifierKeyStrictB64(t *testing.T) {
	_, vk := mustNoteKey(t, "probe")
	if _, _, err := ParseVerifierKey(vk); err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(vk, '+') + 10
	for _, bad := range []string{vk + "\n", vk + "\r\n", vk[:i] + "\n" + vk[i:], vk[:i] + "\r" + vk[i:], vk + " "} {
		if _, _, err := ParseVerifierKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseVerifierKey(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	m := testManifest(t, specApproval)
	m.LogKey += "\n"
	if b, err := m.Body(); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("Body with a LF in log-key = %q, %v; want ErrInvalidManifest", b, err)
	}
}
