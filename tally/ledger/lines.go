package ledger

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// MaxLine bounds one line of leaves.txt, checkpoints.txt or results.txt
// without its LF (docs/record.md §10.1): 4 MiB of b64, an item of at most
// 3 MiB. It is the only size limit on leaves.txt, which is read as a
// stream.
const MaxLine = 4 << 20

// A LineReader reads a b64-lines file of a record (docs/record.md §10.1)
// one item at a time, in memory bounded by [MaxLine]: every line is the
// non-empty strict b64 of one item followed by LF. It is the one reader of
// that framing; [ParseRecord] uses it too.
type LineReader struct {
	name    string
	r       *bufio.Reader
	line    int
	buf     []byte // a line split across the bufio buffer
	scratch []byte
	err     error
}

// NewLineReader returns a reader of the b64-lines file name (used in
// errors) from r.
func NewLineReader(r io.Reader, name string) *LineReader {
	return &LineReader{name: name, r: bufio.NewReaderSize(r, 1<<16)}
}

// Next returns the next item, a new slice. After the last it returns
// [io.EOF]. A framing error (an empty line, a line that is not strict b64,
// longer than [MaxLine], or without its final LF) is a [*FileError] naming
// the line; other errors are the underlying reader's. After an error every
// call returns the same error.
func (lr *LineReader) Next() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	item, err := lr.next()
	if err != nil {
		lr.err = err
	}
	return item, err
}

func (lr *LineReader) next() ([]byte, error) {
	lr.line++
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		switch {
		case err == nil:
			var line []byte
			if len(lr.buf) == 0 {
				line = chunk[:len(chunk)-1]
			} else {
				lr.buf = append(lr.buf, chunk[:len(chunk)-1]...)
				line = lr.buf
			}
			return lr.decode(line)
		case errors.Is(err, bufio.ErrBufferFull):
			lr.buf = append(lr.buf, chunk...)
			if len(lr.buf) > MaxLine {
				return nil, lr.fail("line longer than %d bytes", MaxLine)
			}
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 && len(chunk) == 0 {
				lr.line--
				return nil, io.EOF
			}
			return nil, lr.fail("missing final newline")
		default:
			return nil, err
		}
	}
}

func (lr *LineReader) decode(line []byte) ([]byte, error) {
	switch {
	case len(line) == 0:
		return nil, lr.fail("empty line")
	case len(line) > MaxLine:
		return nil, lr.fail("line longer than %d bytes", MaxLine)
	}
	if cap(lr.scratch) < len(line) {
		lr.scratch = make([]byte, len(line))
	}
	b, ok := canon.DecodeB64Bytes(line, lr.scratch)
	if !ok {
		return nil, lr.fail("not strict b64")
	}
	return b, nil
}

func (lr *LineReader) fail(f string, a ...any) error {
	line := lr.line
	if f == "missing final newline" {
		line = 0
	}
	return &FileError{Name: lr.name, Line: line, Err: fmt.Errorf(f, a...)}
}

// ReadLines reads every item of a b64-lines file with a [LineReader].
func ReadLines(r io.Reader, name string) ([][]byte, error) {
	lr := NewLineReader(r, name)
	var items [][]byte
	for {
		b, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		items = append(items, b)
	}
}

// ParseLines reads a file framed like a record's leaves.txt (docs/record.md
// §10.1): empty, or lines each holding the non-empty strict b64 of one item
// and ending in LF. It returns the items, or a [*FileError] naming name.
// The fund ledger (§14.5) uses the same framing.
func ParseLines(name string, data []byte) ([][]byte, error) { return decodeLines(name, data) }

// EncodeLines returns items in the framing [ParseLines] reads.
func EncodeLines(items [][]byte) []byte { return encodeLines(items) }
