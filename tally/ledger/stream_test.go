package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// genLeaves is leaves.txt produced as it is read: line 0 is first, then
// n lines of the b64 of size-byte leaves of an unknown kind, never all in
// memory.
type genLeaves struct {
	first []byte
	n     int
	leaf  []byte
	line  []byte // the b64 line of leaf, with its LF
	sent  int    // lines sent
	rest  []byte // what is left of the current line
}

func newGenLeaves(first []byte, n, size int) *genLeaves {
	leaf := bytes.Repeat([]byte("not a leaf of any kind "), size/23+1)[:size]
	line := append([]byte(base64.StdEncoding.EncodeToString(leaf)), '\n')
	return &genLeaves{first: first, n: n, leaf: leaf, line: line}
}

func (g *genLeaves) Read(p []byte) (int, error) {
	if len(g.rest) == 0 {
		switch {
		case g.sent == 0:
			g.rest = append([]byte(base64.StdEncoding.EncodeToString(g.first)), '\n')
		case g.sent <= g.n:
			g.rest = g.line
		default:
			return 0, io.EOF
		}
		g.sent++
	}
	k := copy(p, g.rest)
	g.rest = g.rest[k:]
	return k, nil
}

// TestVerifyStreamPastTheOldCap streams a leaves.txt larger than the
// 256 MiB the verifier once read whole: it is verified to the end (the
// leaves fail, being of no kind) in memory that does not hold it.
func TestVerifyStreamPastTheOldCap(t *testing.T) {
	if raceEnabled {
		t.Skip("300 MB through the race detector takes minutes; covered without -race")
	}
	d := smallDemo(t)
	const n, size = 100, 3 << 20 // 100 lines of 4 MiB of b64: 400 MiB
	g := newGenLeaves(d.Record.Leaves[0], n, size)
	lr := NewLineReader(g, LeavesFile)
	var peak uint64
	leaves := 0
	s := RecordStream{Roll: d.Record.Roll, Next: func() ([]byte, error) {
		b, err := lr.Next()
		if err == nil {
			if leaves++; leaves%20 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		return b, err
	}, Tail: func() ([][]byte, [][]byte, error) { return d.Record.Checkpoints, d.Record.Results, nil }}
	rep, err := VerifyStream(s, VerifyOptions{Anchors: d.Anchors})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Leaves != n+1 || rep.FirstFailure() != CheckLeaves {
		t.Fatalf("leaves %d, first failure %s; want %d, leaves", rep.Counts.Leaves, rep.FirstFailure(), n+1)
	}
	if c := rep.Check(CheckLeaves); c.Omitted != n-maxMessages || !strings.Contains(c.Messages[0], "unknown leaf kind") {
		t.Errorf("leaves check: %+v", c)
	}
	t.Logf("heap in use at most %d MB", peak>>20)
	if peak > 100<<20 {
		t.Errorf("heap in use reached %d MB while streaming %d MB", peak>>20, n*4)
	}
}

// TestVerifyStreamErrors: an I/O error in the middle of the leaves ends
// the verification with that error; a framing error there gives the
// framing report (the owner fails, every other check but anchors is
// skipped), whatever the leaves before it were.
func TestVerifyStreamErrors(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Seed: 3, Ballots: 600})
	data, _ := d.Record.File(LeavesFile)
	cut := bytes.Index(data[len(data)/2:], []byte("\n")) + len(data)/2 + 1
	boom := errors.New("boom")
	for name, tc := range map[string]struct {
		r     io.Reader
		err   error
		owner string
	}{
		"io":      {r: io.MultiReader(bytes.NewReader(data[:cut]), errReader{boom}), err: boom},
		"framing": {r: io.MultiReader(bytes.NewReader(data[:cut]), strings.NewReader("YQ\n")), owner: CheckLeaves},
		"no LF":   {r: bytes.NewReader(data[:len(data)-1]), owner: CheckLeaves},
	} {
		lr := NewLineReader(tc.r, LeavesFile)
		rep, err := VerifyStream(RecordStream{Roll: d.Record.Roll, Next: lr.Next,
			Tail: func() ([][]byte, [][]byte, error) { return d.Record.Checkpoints, d.Record.Results, nil }},
			VerifyOptions{Anchors: d.Anchors})
		if tc.err != nil {
			if !errors.Is(err, tc.err) || rep != nil {
				t.Errorf("%s: %v, %v", name, rep, err)
			}
			continue
		}
		if err != nil || rep.FirstFailure() != tc.owner {
			t.Fatalf("%s: %v, first failure %s", name, err, rep.FirstFailure())
		}
		for _, c := range rep.Checks {
			want := StatusSkip
			switch c.Name {
			case CheckAnchors:
				want = StatusPass
			case tc.owner:
				want = StatusFail
			}
			if c.Status != want {
				t.Errorf("%s: %s %s, want %s", name, c.Name, c.Status, want)
			}
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestVerifyStreamSameReport: the streaming verifier run over a record's
// files (directory and archive) gives the report Verify gives over the
// record in memory, for a round with revotes, voids and receipts.
func TestVerifyStreamSameReport(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Seed: 5, Ballots: 700, Revote: "last", Revotes: 40, Voids: 5, Batch: 97})
	var sources []Source
	for _, r := range d.Receipts {
		sources = append(sources, Source{Name: r.Tracker(), Bytes: r.Bytes()})
	}
	opts := VerifyOptions{Anchors: d.Anchors, Receipts: sources, Attendance: 10000}
	want := Verify(d.Record, opts)
	if !want.OK() {
		t.Fatalf("demo does not verify: %s", want.FirstFailure())
	}
	var ab bytes.Buffer
	if err := d.Record.WriteArchive(&ab); err != nil {
		t.Fatal(err)
	}
	sa, err := StreamArchive(bytes.NewReader(ab.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sd, closeFn, err := StreamDir(recordFS(t, d.Record))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	for name, s := range map[string]RecordStream{"archive": sa, "dir": sd} {
		got, err := VerifyStream(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := want.JSON()
		b, _ := got.JSON()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: report differs:\n%s\nwant\n%s", name, b, a)
		}
	}
}

// FuzzVerifyStream: any leaves.txt gives a report (never a panic), and
// the streaming verifier over the files agrees with Verify over the record
// read into memory.
func FuzzVerifyStream(f *testing.F) {
	d, err := BuildDemo(DemoOptions{Seed: 9, Ballots: 6, Batch: 3})
	if err != nil {
		f.Fatal(err)
	}
	leaves, _ := d.Record.File(LeavesFile)
	f.Add(leaves)
	f.Add(leaves[:len(leaves)/2])
	f.Add([]byte("YQ==\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := recordFS(t, d.Record)
		fsys[LeavesFile].Data = data
		opts := VerifyOptions{Anchors: d.Anchors}
		s, closeFn, err := StreamDir(fsys)
		if err != nil {
			t.Fatal(err)
		}
		defer closeFn()
		got, err := VerifyStream(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		var want *Report
		if rec, err := ReadRecord(fsys); err != nil {
			want = ReportReadError(err, opts)
		} else {
			want = Verify(rec, opts)
		}
		a, _ := want.JSON()
		b, _ := got.JSON()
		if !bytes.Equal(a, b) {
			t.Fatalf("reports differ:\n%s\n%s", b, a)
		}
	})
}
