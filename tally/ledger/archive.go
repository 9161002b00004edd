package ledger

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// canonicalHeader returns the 512-byte ustar header the canonical archive
// (docs/record.md §10.1) has for a file of the given name and size.
func canonicalHeader(name string, size int64) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644,
		ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR})
	if err != nil {
		return nil, err
	}
	return buf.Bytes()[:512], nil
}

// archiveReader reads the canonical archive of a record as a stream,
// checking every header, padding and the end blocks byte for byte.
type archiveReader struct {
	r   io.Reader
	buf [512]byte
}

func archiveErr(f string, a ...any) error {
	return fmt.Errorf("record: %w: %s", ErrArchive, fmt.Sprintf(f, a...))
}

// readFull reads exactly len(b) bytes; a short archive is an archive error.
func (ar *archiveReader) readFull(b []byte, what string) error {
	if _, err := io.ReadFull(ar.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return archiveErr("%s: the archive ends early", what)
		}
		return fmt.Errorf("record: read archive: %w", err)
	}
	return nil
}

// header reads the header of the next entry, which must be the canonical
// header of a file called name, and returns the file's size.
func (ar *archiveReader) header(k int, name string) (int64, error) {
	h := ar.buf[:]
	if err := ar.readFull(h, fmt.Sprintf("entry %d", k)); err != nil {
		return 0, err
	}
	// The size field: 11 octal digits and a NUL.
	var size int64
	for _, c := range h[124:135] {
		if c < '0' || c > '7' {
			return 0, archiveErr("entry %d: the size is not 11 octal digits", k)
		}
		size = size<<3 | int64(c-'0')
	}
	want, err := canonicalHeader(name, size)
	if err != nil {
		return 0, archiveErr("entry %d: %v", k, err)
	}
	if !bytes.Equal(h, want) {
		return 0, archiveErr("entry %d is not the canonical header of regular file %q", k, name)
	}
	return size, nil
}

// padding reads the NUL bytes that fill a file of size bytes to a
// multiple of 512.
func (ar *archiveReader) padding(name string, size int64) error {
	n := (512 - size%512) % 512
	p := ar.buf[:n]
	if err := ar.readFull(p, name); err != nil {
		return err
	}
	for _, c := range p {
		if c != 0 {
			return archiveErr("%s: padding is not NUL", name)
		}
	}
	return nil
}

// file reads a whole entry of at most MaxRecordFile bytes with its padding.
func (ar *archiveReader) file(k int, name string) ([]byte, error) {
	size, err := ar.header(k, name)
	if err != nil {
		return nil, err
	}
	if size > MaxRecordFile {
		return nil, archiveErr("%s: larger than %d bytes", name, MaxRecordFile)
	}
	b := make([]byte, size)
	if err := ar.readFull(b, name); err != nil {
		return nil, err
	}
	return b, ar.padding(name, size)
}

// end reads the two NUL blocks that end the archive, and requires nothing
// after them.
func (ar *archiveReader) end() error {
	var two [1024]byte
	if err := ar.readFull(two[:], "end of archive"); err != nil {
		return err
	}
	if !bytes.Equal(two[:], make([]byte, 1024)) {
		return archiveErr("more than four entries, or no end blocks")
	}
	var one [1]byte
	switch n, err := ar.r.Read(one[:]); {
	case n > 0:
		return archiveErr("bytes after the end blocks")
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("record: read archive: %w", err)
	}
	return nil
}

// StreamArchive reads a record archive (docs/record.md §10.1) as a
// stream: roll.txt whole, then leaves.txt leaf by leaf, then the rest,
// checking as it goes that the archive is byte for byte the canonical one
// ([Record.WriteArchive]). Structural problems wrap [ErrArchive]
// (returned by StreamArchive, Next or Tail); malformed framing of a file's
// content is a [*FileError]. Only roll.txt, checkpoints.txt and
// results.txt are bounded ([MaxRecordFile]); leaves.txt is not held.
func StreamArchive(r io.Reader) (RecordStream, error) {
	ar := &archiveReader{r: r}
	roll, err := ar.file(1, RollFile)
	if err != nil {
		return RecordStream{}, err
	}
	size, err := ar.header(2, LeavesFile)
	if err != nil {
		return RecordStream{}, err
	}
	lr := NewLineReader(io.LimitReader(r, size), LeavesFile)
	return RecordStream{
		Roll:       roll,
		LeavesSize: size,
		Next:       lr.Next,
		Tail: func() ([][]byte, [][]byte, error) {
			if err := ar.padding(LeavesFile, size); err != nil {
				return nil, nil, err
			}
			var items [2][][]byte
			for k, name := range []string{CheckpointsFile, ResultsFile} {
				b, err := ar.file(3+k, name)
				if err != nil {
					return nil, nil, err
				}
				if items[k], err = decodeLines(name, b); err != nil {
					return nil, nil, err
				}
			}
			return items[0], items[1], ar.end()
		},
	}, nil
}

// Collect reads a whole stream into a Record (every leaf in memory). A
// framing error is a [*FileError]; other errors are the stream's.
func (s RecordStream) Collect() (*Record, error) {
	rec := &Record{Roll: s.Roll}
	for {
		leaf, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rec.Leaves = append(rec.Leaves, leaf)
	}
	var err error
	if s.Tail != nil {
		rec.Checkpoints, rec.Results, err = s.Tail()
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}
