package ledger

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// TestLineReader: items come back whole whatever the reads and buffer
// boundaries, and every framing error names its line.
func TestLineReader(t *testing.T) {
	items := [][]byte{[]byte("a"), bytes.Repeat([]byte("x"), 1<<20), []byte("bc"), bytes.Repeat([]byte{0xff}, 65535), []byte("d")}
	data := encodeLines(items)
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(data),
		"one byte": iotest.OneByteReader(bytes.NewReader(data)),
		"half":     iotest.HalfReader(bytes.NewReader(data)),
	} {
		got, err := ReadLines(r, LeavesFile)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(items) {
			t.Fatalf("%s: %d items, want %d", name, len(got), len(items))
		}
		for i := range items {
			if !bytes.Equal(got[i], items[i]) {
				t.Errorf("%s: item %d differs", name, i)
			}
		}
	}
	// A line ending exactly at the reader's 64 KiB buffer, and one LF after.
	for _, n := range []int{1<<16 - 1, 1 << 16, 1<<16 + 1, 3 << 16} {
		line := strings.Repeat("A", n/4*4)
		got, err := ReadLines(strings.NewReader(line+"\nYQ==\n"), LeavesFile)
		if err != nil || len(got) != 2 || len(got[0]) != n/4*3 || string(got[1]) != "a" {
			t.Errorf("line of %d: %d items, %v", n, len(got), err)
		}
	}
	if got, err := ReadLines(strings.NewReader(""), LeavesFile); err != nil || got != nil {
		t.Errorf("empty file: %v, %v", got, err)
	}
	long := strings.Repeat("A", MaxLine+4) + "\n"
	for _, tc := range []struct {
		name, data string
		line       int
		msg        string
	}{
		{"missing final LF", "YQ==\nYg==", 0, "missing final newline"},
		{"only a partial line", "YQ", 0, "missing final newline"},
		{"CR", "YQ==\r\n", 1, "not strict b64"},
		{"CR on line 2", "YQ==\nYg==\r\n", 2, "not strict b64"},
		{"empty line", "YQ==\n\nYg==\n", 2, "empty line"},
		{"space", "YQ== \n", 1, "not strict b64"},
		{"trailing bits", "YR==\n", 1, "not strict b64"},
		{"no padding", "YQ\n", 1, "not strict b64"},
		{"too long", long, 1, "line longer than"},
	} {
		lr := NewLineReader(strings.NewReader(tc.data), CheckpointsFile)
		var err error
		for err == nil {
			_, err = lr.Next()
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != tc.line || fe.Name != CheckpointsFile || !strings.Contains(fe.Err.Error(), tc.msg) {
			t.Errorf("%s: %v, want line %d %q", tc.name, err, tc.line, tc.msg)
		}
		if _, again := lr.Next(); again != err {
			t.Errorf("%s: the error does not stick", tc.name)
		}
	}
	// An I/O error is passed on as it is.
	boom := errors.New("boom")
	if _, err := ReadLines(io.MultiReader(strings.NewReader("YQ==\nYg"), iotest.ErrReader(boom)), LeavesFile); !errors.Is(err, boom) {
		t.Errorf("I/O error: %v", err)
	}
}

// FuzzLineReader: the reader accepts exactly the files decodeLines's old
// rule accepts (lines of non-empty strict b64, each with its LF), and
// re-encoding what it reads gives the input.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("YQ==\nYg==\n"))
	f.Add([]byte("YQ==\r\n"))
	f.Add([]byte("\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ReadLines(bytes.NewReader(data), LeavesFile)
		want := len(data) == 0 || data[len(data)-1] == '\n'
		if want {
			for _, l := range bytes.Split(data[:max(len(data)-1, 0)], []byte("\n")) {
				if len(data) == 0 {
					break
				}
				if _, ok := canon.DecodeB64(string(l)); !ok || len(l) == 0 {
					want = false
				}
			}
		}
		if (err == nil) != want {
			t.Fatalf("ReadLines(%q) error %v, want ok %v", data, err, want)
		}
		if err == nil && !bytes.Equal(encodeLines(items), data) {
			t.Fatalf("encodeLines(ReadLines(%q)) differs", data)
		}
	})
}
