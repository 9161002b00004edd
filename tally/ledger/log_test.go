package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// Naive RFC 6962 §2.1 Merkle tree functions, written from the RFC, to
// cross-check x/mod's tlog as used by Log.

func naiveLeaf(d []byte) [32]byte { return sha256.Sum256(append([]byte{0}, d...)) }

func naiveNode(l, r [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// split returns the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// naiveMTH is MTH(D[n]).
func naiveMTH(d [][]byte) [32]byte {
	switch n := len(d); n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return naiveLeaf(d[0])
	default:
		k := split(n)
		return naiveNode(naiveMTH(d[:k]), naiveMTH(d[k:]))
	}
}

// naivePath is PATH(m, D[n]), the audit path of leaf m.
func naivePath(m int, d [][]byte) [][32]byte {
	n := len(d)
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(naivePath(m, d[:k]), naiveMTH(d[k:]))
	}
	return append(naivePath(m-k, d[k:]), naiveMTH(d[:k]))
}

// naiveProof is PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
func naiveProof(m int, d [][]byte) [][32]byte { return naiveSubproof(m, d, true) }

func naiveSubproof(m int, d [][]byte, b bool) [][32]byte {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return [][32]byte{naiveMTH(d)}
	}
	k := split(n)
	if m <= k {
		return append(naiveSubproof(m, d[:k], b), naiveMTH(d[k:]))
	}
	return append(naiveSubproof(m-k, d[k:], false), naiveMTH(d[:k]))
}

func katLeaves(n int) [][]byte {
	d := make([][]byte, n)
	for i := range d {
		d[i] = []byte(fmt.Sprintf("leaf %d\n", i))
	}
	return d
}

func hashesText(hs []tlog.Hash) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}

func toHashes(hs [][32]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// TestTreeKnownAnswers pins roots, inclusion proofs at the first and last
// index and consistency proofs for the edge sizes in testdata/tree.golden,
// and cross-checks every value with the naive RFC 6962 functions.
func TestTreeKnownAnswers(t *testing.T) {
	var out bytes.Buffer
	for _, n := range []int{0, 1, 2, 3, 255, 256, 257} {
		d := katLeaves(n)
		l := NewLog(&MemStorage{})
		// Append in uneven batches to exercise batching.
		for lo := 0; lo < n; {
			hi := min(n, lo+1+lo%7)
			if _, err := l.Append(d[lo:hi]); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		root, err := l.TreeHash(int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveMTH(d); root != want {
			t.Fatalf("size %d: TreeHash = %v, naive %v", n, root, tlog.Hash(want))
		}
		fmt.Fprintf(&out, "size %d root %v\n", n, root)
		for _, m := range dedup(0, n-1) {
			if m < 0 || m >= n {
				continue
			}
			p, err := l.ProveInclusion(int64(n), int64(m))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hashesText(p), hashesText(toHashes(naivePath(m, d))); got != want {
				t.Fatalf("size %d leaf %d: proof %s, naive %s", n, m, got, want)
			}
			if err := tlog.CheckRecord(p, int64(n), root, int64(m), tlog.RecordHash(d[m])); err != nil {
				t.Fatalf("size %d leaf %d: CheckRecord: %v", n, m, err)
			}
			i, p2, err := l.ProveInclusionByHash(int64(n), tlog.RecordHash(d[m]))
			if err != nil || i != int64(m) || hashesText(p2) != hashesText(p) {
				t.Fatalf("size %d: ProveInclusionByHash(leaf %d) = %d, %v", n, m, i, err)
			}
			fmt.Fprintf(&out, "inclusion %d %d %s\n", n, m, hashesText(p))
		}
		for _, m := range dedup(1, n/2, n-1, n) {
			if m < 1 || m > n {
				continue
			}
			p, err := l.ProveConsistency(int64(n), int64(m))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hashesText(p), hashesText(toHashes(naiveProof(m, d))); got != want {
				t.Fatalf("consistency %d→%d: %s, naive %s", m, n, got, want)
			}
			old, _ := l.TreeHash(int64(m))
			if err := tlog.CheckTree(p, int64(n), root, int64(m), old); err != nil {
				t.Fatalf("consistency %d→%d: CheckTree: %v", m, n, err)
			}
			fmt.Fprintf(&out, "consistency %d %d %s\n", n, m, hashesText(p))
		}
	}
	golden(t, "tree.golden", out.Bytes())
}

func dedup(xs ...int) []int {
	var out []int
	for _, x := range xs {
		found := false
		for _, y := range out {
			found = found || x == y
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

func TestLogErrors(t *testing.T) {
	l := NewLog(&MemStorage{})
	if _, err := l.Append([][]byte{[]byte("a"), nil}); !errors.Is(err, ErrEmptyLeaf) {
		t.Errorf("Append(empty leaf) = %v, want ErrEmptyLeaf", err)
	}
	if n, _ := l.Size(); n != 0 {
		t.Errorf("a failed Append stored %d leaves", n)
	}
	if _, err := l.Append(katLeaves(5)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"inclusion index = size", func() error { _, err := l.ProveInclusion(5, 5); return err }()},
		{"inclusion size > log", func() error { _, err := l.ProveInclusion(6, 0); return err }()},
		{"inclusion negative", func() error { _, err := l.ProveInclusion(5, -1); return err }()},
		{"consistency old 0", func() error { _, err := l.ProveConsistency(5, 0); return err }()},
		{"consistency old > new", func() error { _, err := l.ProveConsistency(3, 4); return err }()},
		{"tree hash beyond", func() error { _, err := l.TreeHash(6); return err }()},
		{"find missing leaf", func() error { _, err := l.FindLeaf(5, tlog.RecordHash([]byte("nope"))); return err }()},
	} {
		if !errors.Is(tc.err, ErrBadProof) {
			t.Errorf("%s: %v, want ErrBadProof", tc.name, tc.err)
		}
	}
	// Storage rejects an append at the wrong position.
	s := &MemStorage{}
	if err := s.Append(1, [][]byte{[]byte("x")}, []tlog.Hash{{}}); err == nil {
		t.Error("MemStorage.Append at 1 of empty log succeeded")
	}
	// Copies: modifying a returned leaf does not change the log.
	got, _ := l.Leaves(0, 1)
	got[0][0] = 'X'
	again, _ := l.Leaves(0, 1)
	if again[0][0] == 'X' {
		t.Error("Leaves returned storage memory")
	}
}

// TestLogConcurrent appends from several goroutines while others prove;
// run with -race. Every proof must verify against the tree it names.
func TestLogConcurrent(t *testing.T) {
	l := NewLog(&MemStorage{})
	if _, err := l.Append([][]byte{[]byte("manifest\n")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := l.Append([][]byte{[]byte(fmt.Sprintf("w%d-%d\n", w, i))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c, err := l.Head("o")
				if err != nil {
					t.Error(err)
					return
				}
				p, err := l.ProveInclusion(c.Size, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if err := tlog.CheckRecord(p, c.Size, c.Root, 0, tlog.RecordHash([]byte("manifest\n"))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	n, _ := l.Size()
	if n != 101 {
		t.Fatalf("size %d, want 101", n)
	}
	leaves, _ := l.Leaves(0, n)
	root, _ := l.TreeHash(n)
	if want := naiveMTH(leaves); root != want {
		t.Fatal("root after concurrent appends differs from the naive root of the stored leaves")
	}
}

func TestLogReceipt(t *testing.T) {
	lk := logKey(t)
	l := NewLog(&MemStorage{})
	leaves := katLeaves(10)
	if _, err := l.Append(leaves); err != nil {
		t.Fatal(err)
	}
	c, _ := l.Head("pb.example/test-round")
	msg, err := SignCheckpoint(c, lk.signer)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Receipt(msg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Extra, leaves[7]) || r.Index != 7 {
		t.Fatalf("receipt for %q at %d", r.Extra, r.Index)
	}
	if err := tlog.CheckRecord(r.Proof, c.Size, c.Root, 7, tlog.RecordHash(leaves[7])); err != nil {
		t.Fatal(err)
	}
	// A checkpoint the log did not produce is refused.
	wrong := c
	wrong.Root[0] ^= 1
	wmsg, _ := SignCheckpoint(wrong, lk.signer)
	if _, err := l.Receipt(wmsg, 7); !errors.Is(err, ErrMismatch) {
		t.Errorf("Receipt(foreign checkpoint) = %v, want ErrMismatch", err)
	}
}

// finderStorage adds a (possibly lying) LeafFinder to MemStorage.
type finderStorage struct {
	MemStorage
	find func(tlog.Hash) (int64, error)
}

func (f *finderStorage) Find(h tlog.Hash) (int64, error) { return f.find(h) }

func TestFindLeafWithFinder(t *testing.T) {
	s := &finderStorage{}
	l := NewLog(s)
	leaves := katLeaves(9)
	l.Append(leaves)
	s.find = func(h tlog.Hash) (int64, error) {
		for i, leaf := range leaves {
			if tlog.RecordHash(leaf) == h {
				return int64(i), nil
			}
		}
		return 0, errors.New("not found")
	}
	if i, err := l.FindLeaf(9, tlog.RecordHash(leaves[6])); err != nil || i != 6 {
		t.Fatalf("FindLeaf = %d, %v", i, err)
	}
	if _, err := l.FindLeaf(5, tlog.RecordHash(leaves[6])); !errors.Is(err, ErrBadProof) {
		t.Errorf("leaf beyond n: %v", err)
	}
	s.find = func(tlog.Hash) (int64, error) { return 2, nil }
	if _, err := l.FindLeaf(9, tlog.RecordHash(leaves[6])); !errors.Is(err, ErrBadProof) {
		t.Errorf("lying finder: %v", err)
	}
}
